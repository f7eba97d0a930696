"""The reminder rules, under their codes: who is told, when a reminder is due, where the user
acts on it.

A rule's settings (on or off, its number of days, who is told) are data in ``reminder_rules``;
the defaults are here. What each rule looks for, one query per rule, is in candidates.py.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select

from .. import clock
from ..access import Role
from . import candidates


@dataclass(frozen=True)
class Rule:
    code: str
    title: object  # a lazy string
    # What ``value`` means for this rule, shown next to it on the settings page.
    value_label: object
    value: int
    roles: tuple[Role, ...]
    # (today, value) -> rows of (subject_id, anchor, case_id, course_id, facility_id)
    candidates: Callable[[date, int], Select]
    # (anchor, value) -> the due date of the reminder
    due: Callable[[date, int], date]
    # (reminder) -> where the user acts on it
    link: Callable[[object], str]
    # Shows before its due date (a lead time); the others show from their due date on. An event
    # that has passed (a course started) is no longer found by its query, which closes it.
    ahead: bool = False
    # Its query is built from data as well as from the day and the value (the holidays that
    # working days skip): built afresh at each pass, never kept (``query``).
    reads_data: bool = False

    def query(self, today: date, value: int) -> Select:
        """What the rule looks for today, built once a day for each value: a pass runs at
        every commit that changes a case, and building the statement costs more than running
        it on a few cases."""
        if self.reads_data:
            return self.candidates(today, value)
        return _built(self.code, today, value)


@functools.lru_cache(maxsize=256)
def _built(code: str, today: date, value: int) -> Select:
    statement = RULES[code].candidates(today, value)
    # SQLAlchemy keeps a statement's cache key on it the first time it runs: made here, before
    # the statement is shared, no thread copies it (``where``) while another is keeping it.
    statement._generate_cache_key()
    return statement


def _same_day(anchor: date, _value: int) -> date:
    return anchor


def _after(anchor: date, value: int) -> date:
    return anchor + timedelta(days=value)


def _more_than(anchor: date, value: int) -> date:
    """ "Open more than 7 days": the day after the seventh."""
    return anchor + timedelta(days=value + 1)


# --- the shelter stay ---------------------------------------------------------------------------


def _stay_link(reminder) -> str:
    return url_for("cases.show", case_id=reminder.case_id, _anchor="stays")


# --- the plan and consent -----------------------------------------------------------------------


def _case_link(reminder) -> str:
    return url_for("cases.show", case_id=reminder.case_id)


def _plan_link(reminder) -> str:
    return url_for("plans.edit_plan", case_id=reminder.case_id)


# --- allowances ---------------------------------------------------------------------------------


def _approved_due(anchor: date, value: int) -> date:
    if not isinstance(anchor, datetime):
        raise TypeError("an approval is a moment, not a day")
    return clock.local(anchor).date() + timedelta(days=value)


def _allowance_link(reminder) -> str:
    return url_for("allowances.show", allowance_id=reminder.subject_id)


# --- training -----------------------------------------------------------------------------------


def _course_link(reminder) -> str:
    return url_for("training.course", course_id=reminder.course_id)


# --- follow-ups ---------------------------------------------------------------------------------


def _followup_link(reminder) -> str:
    return url_for("followups.record", followup_id=reminder.subject_id)


def _flag_link(reminder) -> str:
    return url_for("followups.resolve", flag_id=reminder.subject_id)


STAFF = Role.SHELTER_STAFF
OFFICER = Role.PROVINCIAL_OFFICER
WORKER = Role.CASE_WORKER
TRAINER = Role.TRAINER

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "stay_ending",
            _l("The stay ends soon and no discharge is planned"),
            _l("Days before the planned end"),
            10,
            (STAFF,),
            candidates.stay_ending,
            _same_day,
            _stay_link,
            ahead=True,
        ),
        Rule(
            "stay_overdue",
            _l("The stay is past its planned end"),
            _l("Days after the planned end"),
            1,
            (STAFF, OFFICER),
            candidates.stay_overdue,
            _after,
            _stay_link,
        ),
        Rule(
            "no_needs_assessment",
            _l("No needs assessment since admission"),
            _l("Days after admission"),
            3,
            (STAFF,),
            candidates.no_needs_assessment,
            _after,
            _stay_link,
        ),
        Rule(
            "no_plan",
            _l("No reintegration plan since return"),
            _l("Days after return"),
            30,
            (STAFF, WORKER),
            candidates.no_plan,
            _after,
            _plan_link,
        ),
        Rule(
            "decision_due",
            _l("An allowance decision is due"),
            _l("Working days before the decision is due"),
            2,
            (OFFICER,),
            candidates.decision_due,
            _same_day,
            _allowance_link,
            ahead=True,
            reads_data=True,
        ),
        Rule(
            "allowance_unpaid",
            _l("An approved allowance is not paid"),
            _l("Days after approval"),
            10,
            (STAFF, OFFICER),
            candidates.unpaid,
            _approved_due,
            _allowance_link,
        ),
        Rule(
            "course_starting",
            _l("A course starts soon"),
            _l("Days before the start"),
            7,
            (TRAINER,),
            candidates.course_starting,
            _same_day,
            _course_link,
            ahead=True,
        ),
        Rule(
            "course_ending",
            _l("A course ends soon"),
            _l("Days before the end"),
            7,
            (TRAINER,),
            candidates.course_ending,
            _same_day,
            _course_link,
            ahead=True,
        ),
        Rule(
            "trainee_absent",
            _l("A trainee missed the last sessions"),
            _l("Sessions missed in a row"),
            3,
            (TRAINER, WORKER),
            candidates.absent,
            _same_day,
            _course_link,
        ),
        Rule(
            "followup_due",
            _l("A follow-up is due"),
            _l("Days before the planned date"),
            7,
            (WORKER,),
            candidates.followup_due,
            _same_day,
            _followup_link,
            ahead=True,
        ),
        Rule(
            "risk_flag_open",
            _l("A risk flag has been open too long"),
            _l("Days after it was raised"),
            7,
            (WORKER, OFFICER),
            candidates.flag_open,
            _more_than,
            _flag_link,
        ),
        Rule(
            "consent_old",
            _l("The consent is more than a year old"),
            _l("Days after the consent"),
            365,
            (STAFF, WORKER),
            candidates.consent_old,
            _more_than,
            _case_link,
        ),
    )
}
