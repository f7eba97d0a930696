"""The list of follow-ups due: overdue first, then by date, in a fixed number of queries."""

import re
from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.cases.models import Stage
from reintegration.extensions import db
from reintegration.followups.models import FollowUp, FollowUpReason
from reintegration.reference.models import ListKind
from tests.conftest import TODAY
from tests.followups.conftest import discharge_home, planned_followups, record
from tests.helpers import in_english, sign_in, text_of


@pytest.fixture
def facility(make):
    return make.facility()


@pytest.fixture
def worker(make, auth, client):
    user = sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))
    in_english(client)
    return user


def _gone_home(make, facility, on: date, received: date):
    case = make.case(facility, received_on=received, consent_date=received)
    discharge_home(make, make.stay(case, admitted_on=received), on=on)
    return case


def _rows(response) -> list[str]:
    table = response.get_data(as_text=True).split('id="due-followups"')[1]
    return re.findall(r">([A-Z]{2}-\d{4}-\d{4})</a>", table)


def test_overdue_follow_ups_come_first_then_by_date(client, make, worker, facility):
    late = _gone_home(make, facility, date(2026, 1, 10), date(2026, 1, 2))  # 1 month: 10/02
    later = _gone_home(make, facility, date(2026, 2, 1), date(2026, 1, 20))  # 1 month: 01/03
    soon = _gone_home(make, facility, date(2026, 3, 1), date(2026, 2, 20))  # 1 month: 01/04
    db.session.commit()

    rows = _rows(client.get("/followups/"))

    assert rows[:3] == [late.code, later.code, soon.code]
    assert rows.index(soon.code) < rows.index(late.code, 1)


def test_a_row_shows_case_reason_mark_planned_date_and_how_late(client, make, worker, facility):
    _gone_home(make, facility, date(2026, 1, 10), date(2026, 1, 2))
    db.session.commit()

    page = text_of(client.get("/followups/"))

    first_row = page.split('id="due-followups"')[1].split("</tr>")[1]
    assert "After discharge" in first_row
    assert "1 month" in first_row
    assert "10/02/2026" in first_row
    assert "33 days overdue" in first_row


def test_done_follow_ups_and_closed_cases_are_not_due(client, make, worker, facility):
    done = _gone_home(make, facility, date(2026, 1, 10), date(2026, 1, 2))
    first = planned_followups(done)[0]
    record(first, worker, on=date(2026, 2, 12))
    closed = _gone_home(make, facility, date(2026, 1, 10), date(2026, 1, 2))
    closed.stage = Stage.CLOSED
    db.session.commit()

    rows = _rows(client.get("/followups/"))

    assert rows.count(done.code) == 3
    assert closed.code not in rows


def test_open_risk_flags_are_listed_with_their_signs(client, make, worker, facility):
    case = _gone_home(make, facility, date(2026, 1, 10), date(2026, 1, 2))
    record(
        planned_followups(case)[0],
        worker,
        on=date(2026, 2, 12),
        signs=[make.item(ListKind.RISK_SIGN, "OFFER_ABROAD")],
    )
    db.session.commit()

    page = text_of(client.get("/followups/"))

    flags = page.split('id="open-flags"')[1].split("</section>")[0]
    assert case.code in flags
    assert "12/02/2026" in flags
    assert "New offer of work abroad" in flags
    assert "Resolve" in flags


def _add_followups(make, facility, how_many: int, worker):
    for number in range(how_many):
        case = make.case(facility)
        followup = FollowUp(
            case_id=case.id,
            reason=FollowUpReason.DISCHARGE,
            mark_months=1,
            planned_on=date(2026, 3, 1 + number % 28),
        )
        db.session.add(followup)
        if number % 3 == 0:
            other = FollowUp(case_id=case.id, reason=FollowUpReason.OTHER, planned_on=TODAY)
            db.session.add(other)
            db.session.flush()
            record(other, worker, signs=[make.item(ListKind.RISK_SIGN, "DEBT")])
    db.session.commit()


def test_the_list_issues_as_many_queries_for_3_follow_ups_as_for_30(
    client, make, worker, facility, count_queries
):
    _add_followups(make, facility, 3, worker)
    client.get("/followups/")
    with count_queries() as few:
        response = client.get("/followups/")
    assert len(_rows(response)) == 3

    _add_followups(make, facility, 27, worker)
    with count_queries() as many:
        response = client.get("/followups/")

    assert len(_rows(response)) == 30
    assert many.count == few.count
