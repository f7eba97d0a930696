"""The reintegration sustainability check: answers on a 1–5 scale, scores per dimension and
composite, worked out by hand; weights are those in force on the day of the check."""

from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.followups.models import IndicatorAnswer, SustainabilityCheck
from reintegration.followups.services import compute_scores
from reintegration.plans.models import Dimension
from tests.followups.conftest import (
    WORKED_ANSWERS,
    WORKED_SCORES,
    answers_form,
    discharge_home,
    indicators,
    planned_followups,
    record,
)
from tests.helpers import count, field_errors, form_errors, in_english, reload, sign_in

E, S, P = Dimension.ECONOMIC, Dimension.SOCIAL, Dimension.PSYCHOSOCIAL


def test_equal_weights_give_the_plain_mean_on_0_to_100():
    scores = compute_scores([(E, 3, 1), (E, 4, 1), (S, 1, 1), (P, 5, 1)])

    # economic 3.5 → 62.5 → 63 (half up); social 1 → 0; psychosocial 5 → 100;
    # composite (3 + 4 + 1 + 5) / 4 = 3.25 → 56.25 → 56
    assert scores == {"economic": 63, "social": 0, "psychosocial": 100, "composite": 56}


def test_weights_pull_the_mean_towards_the_heavier_answer():
    scores = compute_scores([(E, 5, 3), (E, 1, 1), (S, 2, 1), (S, 3, 2), (P, 4, 1)])

    # economic (15 + 1) / 4 = 4 → 75; social (2 + 6) / 3 = 2.667 → 41.67 → 42;
    # psychosocial 4 → 75; composite (15 + 1 + 2 + 6 + 4) / 8 = 3.5 → 62.5 → 63
    assert scores == {"economic": 75, "social": 42, "psychosocial": 75, "composite": 63}


def test_a_dimension_without_indicators_cannot_be_scored(app):
    with app.test_request_context(), pytest.raises(DomainError):
        compute_scores([(E, 3, 1), (S, 3, 1)])


@pytest.fixture
def case(make):
    facility = make.facility()
    person = make.case(facility, received_on=date(2026, 1, 5), consent_date=date(2026, 1, 5))
    discharge_home(make, make.stay(person, admitted_on=date(2026, 1, 5)), on=date(2026, 1, 20))
    return person


@pytest.fixture
def worker(make, auth, client):
    user = make.user(Role.CASE_WORKER, province="NA")
    sign_in(auth, user)
    in_english(client)
    return user


@pytest.fixture
def done(case, worker):
    """The first follow-up, recorded on 20 February 2026."""
    followup = record(planned_followups(case)[0], worker, on=date(2026, 2, 20))
    db.session.commit()
    return followup


def _check(client, followup, answers=WORKED_ANSWERS, **extra):
    return client.post(f"/followups/{followup.id}/check", data={**answers_form(answers), **extra})


def test_the_check_page_asks_every_indicator_in_use(client, worker, done):
    page = client.get(f"/followups/{done.id}/check").get_data(as_text=True)

    for indicator in indicators().values():
        assert f'name="indicator_{indicator.id}"' in page
        assert indicator.name_en in page


def test_a_check_stores_the_hand_worked_scores(client, worker, done):
    response = _check(client, done)

    assert response.status_code == 302
    [check] = db.session.scalars(select(SustainabilityCheck)).all()
    assert {
        "economic": check.economic,
        "social": check.social,
        "psychosocial": check.psychosocial,
        "composite": check.composite,
    } == WORKED_SCORES
    assert (check.case_id, check.followup_id, check.checked_on) == (
        done.case_id,
        done.id,
        date(2026, 2, 20),
    )


def test_each_answer_keeps_the_weight_in_force(client, worker, done):
    _check(client, done)

    by_id = {i.id: i.code for i in indicators().values()}
    stored = {
        by_id[a.indicator_id]: (a.value, a.weight)
        for a in db.session.scalars(select(IndicatorAnswer))
    }
    assert stored["INCOME"] == (5, 2)
    assert stored["SAFETY"] == (2, 2)
    assert stored["NEEDS"] == (3, 1)
    assert len(stored) == 9


def test_a_later_weight_change_leaves_old_checks_unchanged(client, make, auth, case, worker, done):
    _check(client, done)
    income = indicators()["INCOME"]
    auth.logout()
    sign_in(auth, make.user(Role.ADMIN))
    client.post(
        f"/admin/indicators/{income.id}",
        data={"name_vi": income.name_vi, "name_en": income.name_en, "weight": "5", "active": "y"},
    )
    assert reload(income).weight == 5
    second = record(planned_followups(case)[1], worker, on=date(2026, 3, 10))
    db.session.commit()
    auth.logout()
    sign_in(auth, worker)

    _check(client, second)

    old, new = db.session.scalars(
        select(SustainabilityCheck).order_by(SustainabilityCheck.checked_on)
    ).all()
    assert (old.economic, old.composite) == (63, 61)
    # economic (5×5 + 3 + 1) / 7 = 4.143 → 78.57 → 79; composite 53 / 14 = 3.786 → 69.64 → 70
    assert (new.economic, new.social, new.psychosocial, new.composite) == (79, 83, 44, 70)
    old_income = db.session.scalar(
        select(IndicatorAnswer.weight).where(
            IndicatorAnswer.check_id == old.id, IndicatorAnswer.indicator_id == income.id
        )
    )
    assert old_income == 2


def test_an_indicator_out_of_use_is_not_asked(client, worker, done):
    skills = indicators()["SKILLS"]
    skills.active = False
    db.session.commit()
    answers = {code: v for code, v in WORKED_ANSWERS.items() if code != "SKILLS"}

    page = client.get(f"/followups/{done.id}/check").get_data(as_text=True)
    response = _check(client, done, answers)

    assert f'name="indicator_{skills.id}"' not in page
    assert response.status_code == 302
    # economic (10 + 3) / 3 = 4.333 → 83.33 → 83
    assert db.session.scalar(select(SustainabilityCheck.economic)) == 83


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("INCOME", None, "This field is required."),
        ("SAFETY", "6", "Not a valid choice."),
        ("FUTURE", "0", "Not a valid choice."),
    ],
)
def test_every_indicator_needs_an_answer_from_1_to_5(client, worker, done, code, value, message):
    data = answers_form(WORKED_ANSWERS)
    field = f"indicator_{indicators()[code].id}"
    if value is None:
        del data[field]
    else:
        data[field] = value

    response = client.post(f"/followups/{done.id}/check", data=data)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert "Please correct the fields marked below. Nothing was saved." in form_errors(response)
    assert count(SustainabilityCheck) == 0
    assert count(IndicatorAnswer) == 0


def test_a_follow_up_not_yet_recorded_has_no_check(client, worker, case):
    planned = planned_followups(case)[0]

    response = _check(client, planned)

    assert response.status_code == 302
    assert count(SustainabilityCheck) == 0


def test_a_follow_up_is_checked_once(client, worker, done):
    _check(client, done)

    response = _check(client, done, {code: 1 for code in WORKED_ANSWERS})

    assert response.status_code == 302
    assert count(SustainabilityCheck) == 1
    assert db.session.scalar(select(SustainabilityCheck.composite)) == 61
