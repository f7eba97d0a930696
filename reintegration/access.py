"""Who may do what: the roles, what each may do, and which records each user may see.

Every domain asks this module, and it asks none: the roles, the permission table and the scope
ladder know no case, facility or course, and no account (a user is read through its role,
facility and province only).
Each domain builds its own condition from ``scope_condition`` (``cases.queries.case_scope``,
``shelter.queries.facility_scope``...) and its ``<thing>_or_404`` on it, so that an
out-of-scope id answers 404, as if it did not exist.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, SQLColumnExpression, false, or_, true

from .types import LabelledEnum

if TYPE_CHECKING:
    from .auth.models import User


class Role(LabelledEnum):
    ADMIN = "admin"
    SHELTER_STAFF = "shelter_staff"
    TRAINER = "trainer"
    PROVINCIAL_OFFICER = "provincial_officer"
    CASE_WORKER = "case_worker"

    @classmethod
    def labels(cls):
        return {
            cls.ADMIN: _l("Administrator"),
            cls.SHELTER_STAFF: _l("Shelter staff"),
            cls.TRAINER: _l("Vocational trainer"),
            cls.PROVINCIAL_OFFICER: _l("Provincial officer"),
            cls.CASE_WORKER: _l("Commune case worker"),
        }


class Permission(enum.Enum):
    VIEW_CASES = "view_cases"
    CREATE_CASES = "create_cases"
    EDIT_CASES = "edit_cases"
    MANAGE_STAYS = "manage_stays"
    RECORD_SERVICES = "record_services"
    VIEW_FACILITIES = "view_facilities"
    ADMINISTER = "administer"
    MANAGE_PLANS = "manage_plans"
    VIEW_COURSES = "view_courses"
    MANAGE_COURSES = "manage_courses"
    REFER_TO_COURSES = "refer_to_courses"
    VIEW_EMPLOYERS = "view_employers"
    MANAGE_EMPLOYERS = "manage_employers"
    PLACE_IN_JOBS = "place_in_jobs"
    RECORD_FOLLOWUPS = "record_followups"
    CLOSE_CASES = "close_cases"
    REQUEST_ALLOWANCES = "request_allowances"
    DECIDE_ALLOWANCES = "decide_allowances"
    PAY_ALLOWANCES = "pay_allowances"
    OVERSEE_ALLOWANCES = "oversee_allowances"
    # The support workbook of a facility or province, pseudonymous (case codes only).
    EXPORT_SUPPORT = "export_support"
    # Names and contacts in the workbook, after giving a reason that goes into the audit log.
    EXPORT_NAMES = "export_names"
    # The anonymised case-level dataset for sharing outside the province.
    EXPORT_DATASET = "export_dataset"
    # Bringing the old spreadsheets in.
    IMPORT_CASES = "import_cases"


_CASE_WORK = {
    Permission.VIEW_CASES,
    Permission.CREATE_CASES,
    Permission.EDIT_CASES,
    Permission.MANAGE_STAYS,
    Permission.RECORD_SERVICES,
    Permission.VIEW_FACILITIES,
    Permission.MANAGE_PLANS,
    Permission.VIEW_COURSES,
    Permission.REFER_TO_COURSES,
    Permission.VIEW_EMPLOYERS,
    Permission.RECORD_FOLLOWUPS,
    Permission.REQUEST_ALLOWANCES,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Deciding allowances belongs to the province's officers (Decree 162/2025), not to whoever
    # keeps the system running.
    Role.ADMIN: frozenset(Permission) - {Permission.DECIDE_ALLOWANCES},
    Role.SHELTER_STAFF: frozenset(
        _CASE_WORK
        | {
            Permission.PLACE_IN_JOBS,
            Permission.PAY_ALLOWANCES,
            Permission.EXPORT_SUPPORT,
            Permission.IMPORT_CASES,
        }
    ),
    Role.PROVINCIAL_OFFICER: frozenset(
        _CASE_WORK
        | {
            Permission.MANAGE_EMPLOYERS,
            Permission.PLACE_IN_JOBS,
            Permission.CLOSE_CASES,
            Permission.DECIDE_ALLOWANCES,
            Permission.PAY_ALLOWANCES,
            Permission.OVERSEE_ALLOWANCES,
            Permission.EXPORT_SUPPORT,
            Permission.EXPORT_NAMES,
            Permission.EXPORT_DATASET,
            Permission.IMPORT_CASES,
        }
    ),
    Role.CASE_WORKER: frozenset(
        {
            Permission.VIEW_CASES,
            Permission.RECORD_SERVICES,
            Permission.VIEW_FACILITIES,
            Permission.MANAGE_PLANS,
            Permission.VIEW_COURSES,
            Permission.REFER_TO_COURSES,
            Permission.VIEW_EMPLOYERS,
            Permission.PLACE_IN_JOBS,
            Permission.RECORD_FOLLOWUPS,
            Permission.CLOSE_CASES,
            Permission.REQUEST_ALLOWANCES,
        }
    ),
    # Trainers see their trainees through the training pages, never the case files.
    Role.TRAINER: frozenset({Permission.VIEW_COURSES, Permission.MANAGE_COURSES}),
}


def can(user: User, permission: Permission) -> bool:
    return user.is_authenticated and permission in ROLE_PERMISSIONS[user.role]


def require(permission: Permission, refusal: int = 403):
    """Log in first, then refuse a role that lacks ``permission``.

    A page of one record passes ``refusal=404``: to a role that may see no such record,
    every one answers as if it did not exist.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, permission):
                abort(refusal)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def scope_condition(
    user: User,
    *,
    provinces: Sequence[SQLColumnExpression[Any]],
    facility: SQLColumnExpression[Any] | None = None,
    trainer: SQLColumnExpression[Any] | None = None,
) -> ColumnElement[bool]:
    """The condition on a kind of record that ``user`` may see: the ladder of roles, written once.

    A domain names its record's columns: the provinces it belongs to (``provinces``, any of
    them), the facility that keeps it (``facility``, for the case work of a shelter) and the
    trainer who runs it (``trainer``, for courses).

    - An administrator sees every record.
    - A trainer sees the records they run; a record kept by a facility, never; any other
      record of their province.
    - Shelter staff see the records their facility keeps; a record no facility keeps, those
      of their facility's province.
    - Provincial officers and case workers see the records of their province.
    """
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.TRAINER and trainer is not None:
        return trainer == user.id
    if facility is not None and user.role == Role.TRAINER:
        return false()
    if facility is not None and user.role == Role.SHELTER_STAFF:
        return facility == user.facility_id if user.facility_id else false()
    province = user.scope_province_id
    if province is None:
        return false()
    return or_(*(column == province for column in provinces))
