"""What each role may do, and which records each user may see.

Views never query a case or facility directly: they go through ``case_or_404`` and
``facility_or_404`` so that an out-of-scope id answers 404, as if it did not exist.
"""

import enum
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import joinedload

from ..extensions import db
from .models import Role, User


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


def case_scope(user: User) -> ColumnElement[bool]:
    """The condition on Case that a user may see."""
    from ..cases.models import Case

    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.SHELTER_STAFF:
        return Case.facility_id == user.facility_id if user.facility_id else false()
    if user.role in (Role.PROVINCIAL_OFFICER, Role.CASE_WORKER):
        province = user.scope_province_id
        if province is None:
            return false()
        return or_(Case.province_id == province, Case.home_province_id == province)
    return false()


def facility_scope(user: User) -> ColumnElement[bool]:
    from ..shelter.models import Facility

    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.SHELTER_STAFF:
        return Facility.id == user.facility_id if user.facility_id else false()
    if user.role in (Role.PROVINCIAL_OFFICER, Role.CASE_WORKER):
        province = user.scope_province_id
        return Facility.province_id == province if province else false()
    return false()


def course_scope(user: User) -> ColumnElement[bool]:
    """Courses a user may see: a trainer their own, others those of their province."""
    from ..training.models import Course

    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.TRAINER:
        return Course.trainer_id == user.id
    province = user.scope_province_id
    return Course.province_id == province if province else false()


def employer_scope(user: User) -> ColumnElement[bool]:
    from ..employment.models import Employer

    if user.role == Role.ADMIN:
        return true()
    province = user.scope_province_id
    return Employer.province_id == province if province else false()


def case_or_404(case_id: int, *options):
    from ..cases.models import Case

    case = db.session.scalar(
        select(Case).where(Case.id == case_id, case_scope(current_user)).options(*options)
    )
    if case is None:
        abort(404)
    return case


def facility_or_404(facility_id: int):
    from ..shelter.models import Facility

    facility = db.session.scalar(
        select(Facility).where(Facility.id == facility_id, facility_scope(current_user))
    )
    if facility is None:
        abort(404)
    return facility


def stay_or_404(stay_id: int):
    """A stay the user may manage: its case and its facility both in the user's scope."""
    from ..shelter.models import Facility, Stay

    stay = db.session.scalar(
        select(Stay)
        .join(Stay.case)
        .join(Facility, Facility.id == Stay.facility_id)
        .where(Stay.id == stay_id, case_scope(current_user), facility_scope(current_user))
        .options(joinedload(Stay.case), joinedload(Stay.facility))
    )
    if stay is None:
        abort(404)
    return stay


def facilities_in_scope(user: User, active_only: bool = True):
    from ..shelter.models import Facility

    query = select(Facility).where(facility_scope(user)).order_by(Facility.name)
    if active_only:
        query = query.where(Facility.active.is_(True))
    return db.session.scalars(query).all()
