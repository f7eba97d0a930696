"""What the case page shows of follow-ups: planned and done, open flags, the trend, the
timeline; each read in a fixed number of queries."""

import html
from datetime import date

import pytest
from flask import render_template
from flask_login import login_user

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.followups import queries, services
from reintegration.followups.queries import followup_section
from reintegration.reference.models import ListKind
from tests.conftest import TODAY
from tests.followups.conftest import (
    WORKED_ANSWERS,
    discharge_home,
    indicators,
    planned_followups,
    record,
)


@pytest.fixture
def case(make):
    facility = make.facility()
    person = make.case(facility, received_on=date(2025, 11, 3), consent_date=date(2025, 11, 3))
    discharge_home(make, make.stay(person, admitted_on=date(2025, 11, 3)), on=date(2025, 12, 1))
    return person


@pytest.fixture
def worker(make):
    return make.user(Role.CASE_WORKER, province="NA", language="en")


def _check(followup, answers):
    by_code = indicators()
    active = services.active_indicators()
    return services.record_check(
        followup, {by_code[code].id: value for code, value in answers.items()}, active
    )


def _section(app, user, case) -> str:
    db.session.commit()
    with app.test_request_context():
        login_user(user)
        return html.unescape(
            render_template(
                "followups/_case_section.html",
                case=case,
                follow_ups=followup_section(case.id),
                today=TODAY,
            )
        )


def test_the_section_shows_planned_and_done_follow_ups(app, make, case, worker):
    first, *_ = planned_followups(case)
    record(first, worker, on=date(2026, 1, 2), still_in_job=True, wellbeing="Đã đi làm may")

    page = _section(app, worker, case)

    assert "01/01/2026" in page  # planned 1 month after discharge
    assert "02/01/2026 · Home visit" in page
    assert "Still in the job" in page
    assert "Đã đi làm may" in page
    assert page.count("Overdue") == 1  # the 3-month mark, 01/03/2026
    assert f"/followups/{first.id}/check" in page


def test_an_open_flag_stands_out_with_its_signs_and_resolve(app, make, case, worker):
    first, second, *_ = planned_followups(case)
    record(first, worker, on=date(2026, 1, 2), signs=[make.item(ListKind.RISK_SIGN, "DEBT")])
    record(second, worker, on=date(2026, 3, 1), signs=[make.item(ListKind.RISK_SIGN, "RECRUITER")])
    [flag] = queries.open_flags_for_case(case.id)

    page = _section(app, worker, case)

    alert = page.split('risk-flag" role="alert">')[1].split("</a>")[0]
    assert "flagged on 02/01/2026" in alert
    assert "Debt, Contact with the recruiter" in alert
    assert f"/risk-flags/{flag.id}/resolve" in alert


def test_a_resolved_flag_is_no_longer_shown(app, make, case, worker):
    record(
        planned_followups(case)[0],
        worker,
        on=date(2026, 1, 2),
        signs=[make.item(ListKind.RISK_SIGN, "DEBT")],
    )
    [flag] = queries.open_flags_for_case(case.id)
    services.resolve_flag(flag, date(2026, 1, 10), "Đã trả nợ", worker)

    page = _section(app, worker, case)

    assert "Risk of re-trafficking" not in page
    assert queries.open_flags_for_case(case.id) == []


def test_the_trend_lists_each_check_oldest_to_newest(app, case, worker):
    first, second, *_ = planned_followups(case)
    _check(record(second, worker, on=date(2026, 3, 1)), dict.fromkeys(WORKED_ANSWERS, 4))
    _check(record(first, worker, on=date(2026, 1, 2)), WORKED_ANSWERS)

    page = _section(app, worker, case)

    trend = page.split('id="sustainability-trend"')[1].split("</table>")[0]
    assert trend.index("02/01/2026") < trend.index("01/03/2026")
    assert [(c.checked_on, c.composite) for c in queries.checks_for_case(case.id)] == [
        (date(2026, 1, 2), 61),
        (date(2026, 3, 1), 75),
    ]


def test_buttons_are_shown_only_to_those_who_record_follow_ups(app, make, case):
    viewer = make.user(Role.CASE_WORKER, province="NA", language="en")
    trainer = make.user(Role.TRAINER, language="en")

    assert f"/cases/{case.id}/followups/new" in _section(app, viewer, case)
    page = _section(app, trainer, case)
    assert f"/cases/{case.id}/followups/new" not in page
    assert "/record" not in page


def test_the_timeline_has_follow_ups_flags_and_checks(app, make, case, worker):
    first, *_ = planned_followups(case)
    record(first, worker, on=date(2026, 1, 2), signs=[make.item(ListKind.RISK_SIGN, "DEBT")])
    _check(first, WORKED_ANSWERS)
    [flag] = queries.open_flags_for_case(case.id)
    services.resolve_flag(flag, date(2026, 1, 10), "Đã trả nợ", worker)

    with app.test_request_context():
        events = sorted(queries.timeline_events(case.id))

    assert [(e.on, e.kind) for e in events] == [
        (date(2026, 1, 2), "followup"),
        (date(2026, 1, 2), "risk_flag"),
        (date(2026, 1, 2), "sustainability_check"),
        (date(2026, 1, 10), "risk_flag_resolved"),
    ]
    assert events[-1].detail == "Đã trả nợ"
    assert "61/100" in events[2].title


def _count_section_queries(case, count_queries) -> int:
    db.session.expire_all()
    with count_queries() as counter:
        section = queries.followup_section(case.id)
        for followup in section.followups:
            _ = (followup.risk_signs, followup.done_by, followup.check)
        for flag in section.open_flags:
            _ = flag.followup.risk_signs
        queries.timeline_events(case.id)
    return counter.count


def test_the_section_reads_in_a_fixed_number_of_queries(make, case, worker, count_queries):
    sign = make.item(ListKind.RISK_SIGN, "DEBT")
    followups = planned_followups(case)
    record(followups[0], worker, on=date(2026, 1, 2), signs=[sign])
    _check(followups[0], WORKED_ANSWERS)
    few = _count_section_queries(case, count_queries)

    for followup in followups[1:3]:
        record(followup, worker, on=date(2026, 3, 1), signs=[sign])
        _check(followup, WORKED_ANSWERS)
    for _ in range(5):
        followup = services.unplanned_followup(case)
        record(followup, worker, on=date(2026, 3, 10), signs=[sign])

    assert _count_section_queries(case, count_queries) == few
