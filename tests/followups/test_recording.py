"""Recording follow-ups, planned or not; risk signs flag the case until resolved with a note."""

from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.followups.models import ContactMethod, FollowUp, FollowUpReason, RiskFlag
from reintegration.reference.models import ListKind
from tests.conftest import TODAY
from tests.followups.conftest import discharge_home, planned_followups
from tests.helpers import count, field_errors, form_errors, in_english, reload, sign_in


@pytest.fixture
def facility(make):
    return make.facility()


@pytest.fixture
def case(make, facility):
    person = make.case(facility, received_on=date(2026, 1, 5), consent_date=date(2026, 1, 5))
    discharge_home(make, make.stay(person, admitted_on=date(2026, 1, 5)), on=date(2026, 2, 1))
    db.session.commit()
    return person


@pytest.fixture
def worker(make, auth, client, facility):
    user = sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))
    in_english(client)
    return user


def _sign(make, code):
    return make.item(ListKind.RISK_SIGN, code).id


def _data(**fields):
    return {
        "done_on": "02/03/2026",
        "method": "home_visit",
        "contact_made": "yes",
        "still_in_job": "na",
        "wellbeing": "Ngủ tốt hơn, đã đi chợ cùng mẹ",
        **fields,
    }


def _record(client, followup, **fields):
    return client.post(f"/followups/{followup.id}/record", data=_data(**fields))


def _flags(case) -> list[RiskFlag]:
    db.session.expire_all()
    return db.session.scalars(
        select(RiskFlag).where(RiskFlag.case_id == case.id).order_by(RiskFlag.id)
    ).all()


def test_a_planned_follow_up_is_recorded_with_what_was_found(client, worker, case):
    followup = planned_followups(case)[0]

    response = _record(client, followup, method="phone", contact_made="yes", still_in_job="yes")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    followup = reload(followup)
    assert followup.done_on == date(2026, 3, 2)
    assert followup.method == ContactMethod.PHONE
    assert followup.contact_made is True
    assert followup.still_in_job is True
    assert followup.wellbeing == "Ngủ tốt hơn, đã đi chợ cùng mẹ"
    assert followup.done_by_id == worker.id
    assert followup.risk_signs == []
    assert _flags(case) == []


@pytest.mark.parametrize(("answer", "stored"), [("yes", True), ("no", False), ("na", None)])
def test_still_in_the_job_is_yes_no_or_not_applicable(client, worker, case, answer, stored):
    followup = planned_followups(case)[0]

    _record(client, followup, still_in_job=answer, contact_made="no")

    followup = reload(followup)
    assert (followup.still_in_job, followup.contact_made) == (stored, False)


def test_an_unplanned_follow_up_is_planned_on_the_day_it_is_done(client, worker, case):
    response = client.post(f"/cases/{case.id}/followups/new", data=_data(method="office"))

    assert response.status_code == 302
    [unplanned] = [f for f in planned_followups(case) if f.reason == FollowUpReason.OTHER]
    assert (unplanned.planned_on, unplanned.done_on) == (date(2026, 3, 2), date(2026, 3, 2))
    assert unplanned.mark_months is None
    assert unplanned.method == ContactMethod.OFFICE
    assert unplanned.done_by_id == worker.id
    assert len(planned_followups(case)) == 5


def test_a_risk_sign_flags_the_case(client, make, worker, case):
    followup = planned_followups(case)[0]

    _record(client, followup, risk_signs=[_sign(make, "OFFER_ABROAD"), _sign(make, "DEBT")])

    [flag] = _flags(case)
    assert flag.is_open
    assert (flag.raised_on, flag.followup_id) == (date(2026, 3, 2), followup.id)
    assert {s.code for s in reload(followup).risk_signs} == {"OFFER_ABROAD", "DEBT"}
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "A risk of re-trafficking is flagged on the case." in page


def test_later_signs_go_to_the_flag_already_open(client, make, worker, case):
    first, second, *_ = planned_followups(case)
    _record(client, first, risk_signs=[_sign(make, "DEBT")], done_on="01/03/2026")

    _record(client, second, risk_signs=[_sign(make, "RECRUITER")], done_on="10/03/2026")

    [flag] = _flags(case)
    assert flag.followup_id == first.id
    assert flag.raised_on == date(2026, 3, 1)


def test_the_flag_stays_after_a_follow_up_without_signs(client, make, worker, case):
    first, second, *_ = planned_followups(case)
    _record(client, first, risk_signs=[_sign(make, "DEBT")], done_on="01/03/2026")

    _record(client, second, done_on="10/03/2026")

    [flag] = _flags(case)
    assert flag.is_open


def test_a_flag_is_resolved_with_a_date_and_a_note(client, make, worker, case):
    _record(client, planned_followups(case)[0], risk_signs=[_sign(make, "DEBT")])
    [flag] = _flags(case)

    response = client.post(
        f"/risk-flags/{flag.id}/resolve",
        data={"resolved_on": "14/03/2026", "note": "Đã hỗ trợ vay vốn ưu đãi, trả hết nợ"},
    )

    assert response.status_code == 302
    flag = reload(flag)
    assert flag.resolved_on == date(2026, 3, 14)
    assert flag.resolution_note == "Đã hỗ trợ vay vốn ưu đãi, trả hết nợ"
    assert flag.resolved_by_id == worker.id


def test_a_sign_after_the_flag_is_resolved_raises_a_new_flag(client, make, worker, case):
    first, second, *_ = planned_followups(case)
    _record(client, first, risk_signs=[_sign(make, "DEBT")], done_on="01/03/2026")
    [flag] = _flags(case)
    client.post(f"/risk-flags/{flag.id}/resolve", data={"resolved_on": "05/03/2026", "note": "Ổn"})

    _record(client, second, risk_signs=[_sign(make, "JOBLESS")], done_on="10/03/2026")

    old, new = _flags(case)
    assert (old.is_open, new.is_open) == (False, True)
    assert new.followup_id == second.id


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"note": ""}, "note", "This field is required."),
        ({"note": "   "}, "note", "This field is required."),
        ({"resolved_on": ""}, "resolved_on", "This field is required."),
        ({"resolved_on": "16/03/2026"}, "resolved_on", "This date is in the future."),
        ({"resolved_on": "31/02/2026"}, "resolved_on", "Write the date as dd/mm/yyyy."),
        ({"resolved_on": "01/03/2026"}, "resolved_on", "The flag was raised on 02/03/2026."),
    ],
)
def test_resolving_with_bad_input_keeps_the_flag_open(
    client, make, worker, case, fields, field, message
):
    _record(client, planned_followups(case)[0], risk_signs=[_sign(make, "DEBT")])
    [flag] = _flags(case)

    response = client.post(
        f"/risk-flags/{flag.id}/resolve",
        data={"resolved_on": "14/03/2026", "note": "Đã ổn", **fields},
    )

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert reload(flag).is_open


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"done_on": ""}, "done_on", "This field is required."),
        ({"done_on": "16/03/2026"}, "done_on", "This date is in the future."),
        ({"done_on": "2026-13-01"}, "done_on", "Write the date as dd/mm/yyyy."),
        (
            {"done_on": "04/01/2026"},
            "done_on",
            "A follow-up cannot come before the person was received (05/01/2026).",
        ),
        ({"method": ""}, "method", "This field is required."),
        ({"method": "letter"}, "method", "Not a valid choice."),
        ({"contact_made": ""}, "contact_made", "This field is required."),
        ({"still_in_job": "maybe"}, "still_in_job", "Not a valid choice."),
        ({"wellbeing": "x" * 5001}, "wellbeing", "Field cannot be longer than 5000 characters."),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_saved(
    client, worker, case, fields, field, message
):
    followup = planned_followups(case)[0]

    response = _record(client, followup, **fields)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert "Please correct the fields marked below. Nothing was saved." in form_errors(response)
    assert reload(followup).done_on is None


def test_an_unknown_risk_sign_is_refused_and_nothing_is_saved(client, make, worker, case):
    followup = planned_followups(case)[0]
    not_a_sign = make.item(ListKind.DESTINATION, "HOME").id

    response = _record(client, followup, risk_signs=[not_a_sign])

    assert response.status_code == 200
    assert field_errors(response, "risk_signs")
    assert reload(followup).done_on is None
    assert _flags(case) == []


def test_an_unplanned_follow_up_with_bad_input_saves_nothing(client, worker, case):
    followups = count(FollowUp)

    response = client.post(f"/cases/{case.id}/followups/new", data=_data(done_on="16/03/2026"))

    assert field_errors(response, "done_on") == ["This date is in the future."]
    assert count(FollowUp) == followups


def test_a_recorded_follow_up_is_not_recorded_again(client, worker, case):
    followup = planned_followups(case)[0]
    _record(client, followup, done_on="01/03/2026")

    response = _record(client, followup, done_on="10/03/2026", method="phone")

    assert response.status_code == 302
    followup = reload(followup)
    assert (followup.done_on, followup.method) == (date(2026, 3, 1), ContactMethod.HOME_VISIT)


def test_recording_can_go_on_to_the_sustainability_check(client, worker, case):
    followup = planned_followups(case)[0]

    response = _record(client, followup, go_on_to_check="y")

    assert response.headers["Location"].endswith(f"/followups/{followup.id}/check")


def test_the_record_page_offers_the_risk_signs_of_the_list(client, worker, case):
    page = client.get(f"/followups/{planned_followups(case)[0].id}/record").get_data(as_text=True)

    assert "New offer of work abroad" in page
    assert "Contact with the recruiter" in page
    assert f'value="{TODAY.strftime("%d/%m/%Y")}"' in page
