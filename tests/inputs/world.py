"""One record of every kind a page's address names, made through the services by the test
factories, and a user of each role who may reach them (Nghe An, facility ``here``)."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from reintegration import clock
from reintegration.auth.models import Role
from reintegration.auth.session_models import UserSession
from reintegration.auth.sessions import digest
from reintegration.casefile.services import close_case
from reintegration.extensions import db
from reintegration.followups import services as followups
from reintegration.followups.models import Indicator
from reintegration.plans import services as plans
from reintegration.reference.models import ListItem, ListKind
from reintegration.reminders.models import Reminder, ReminderRule, RuleRole
from reintegration.reminders.services import run_pass
from reintegration.support import services as admin_services
from reintegration.support.models import AllowanceRule, AssistanceLevel, Holiday
from reintegration.training.models import EnrolmentStatus
from tests.allowances import helpers as allowance_helpers
from tests.conftest import TODAY
from tests.employers import helpers as employers
from tests.employment import helpers as employment_helpers
from tests.followups.conftest import discharge_home, planned_followups, record
from tests.training import helpers as training_helpers

ROLES = (Role.ADMIN, Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER, Role.CASE_WORKER, Role.TRAINER)


@dataclass
class World:
    """Usernames of each role, and the id of one record for each name an address takes."""

    usernames: dict[Role, str]
    ids: dict[str, object]


def build_world(make) -> World:
    here = make.facility("NA", name="Trung tâm Công tác xã hội Nghệ An")
    users = {
        Role.ADMIN: make.user(Role.ADMIN),
        Role.SHELTER_STAFF: make.user(Role.SHELTER_STAFF, facility=here),
        Role.PROVINCIAL_OFFICER: make.user(Role.PROVINCIAL_OFFICER, province="NA"),
        Role.CASE_WORKER: make.user(Role.CASE_WORKER, province="NA"),
        Role.TRAINER: make.user(Role.TRAINER, province="NA"),
    }
    admin, trainer = users[Role.ADMIN], users[Role.TRAINER]
    ids: dict[str, object] = {"facility_id": here.id, "province_id": make.province("NA").id}

    # In the shelter, with a plan and a goal, allowances at each status, a course.
    staying = make.case(here, full_name="Lò Thị Hằng")
    stay = make.stay(staying)
    plan = plans.save_plan(staying, None, TODAY - timedelta(days=2), "", admin)
    plans.save_goal(plan, None, "economic", "Học nghề", "Cán bộ", TODAY, "planned")
    goal = plan.goals[0]
    requested = allowance_helpers.request(make, staying, "MEALS", end=staying.received_on)
    approved = allowance_helpers.approved(make, staying, "CLOTHING")
    paid = allowance_helpers.paid(make, staying, "HARDSHIP")
    ids.update(
        case_id=staying.id,
        stay_id=stay.id,
        goal_id=goal.id,
        requested_allowance=requested.id,
        approved_allowance=approved.id,
        payment_id=paid.payments[0].id,
    )

    # Received, not admitted: the admission form.
    ids["received_case"] = make.case(here, full_name="Vi Thị Nhung").id

    # Closed: the reopening form.
    closed = make.case(here, full_name="Lương Thị Tâm")
    close_case(closed, "lost_contact", TODAY, "Chuyển đi", True, admin)
    ids["closed_case"] = closed.id

    # Gone home: follow-ups planned and recorded, a risk flag, a job.
    home = make.case(here, full_name="Hà Thị Xuân")
    discharge_home(make, make.stay(home), by=admin)
    first, second, *_ = planned_followups(home)
    risk = make.item(ListKind.RISK_SIGN, "DEBT")
    record(second, admin, signs=[risk])
    ids.update(
        home_case=home.id,
        followup_id=first.id,
        recorded_followup=second.id,
        flag_id=followups.open_flag(home.id).id,
    )
    employer = employers.checked_employer(make)
    placement = employment_helpers.place(make, home, employer, TODAY - timedelta(days=1))
    ids.update(employer_id=employer.id, placement_id=placement.id)

    course = training_helpers.course(make, trainer, "NA", start_on=TODAY, end_on=TODAY)
    referred = training_helpers.enrolment(home, course)
    enrolled = training_helpers.enrolment(staying, course, EnrolmentStatus.ENROLLED)
    ids.update(course_id=course.id, enrolment_id=enrolled.id, referred_enrolment=referred.id)

    # Administration: lists, policy, reminders, another user.
    ids["kind"] = ListKind.COUNTRY.value
    ids["item_id"] = _first(ListItem, ListItem.kind == ListKind.COUNTRY).id
    ids["kind_id"] = allowance_helpers.kind("MEALS").id
    ids["rule_id"] = _first(AllowanceRule).id
    ids["level_id"] = _first(AssistanceLevel).id
    ids["holiday_id"] = _holiday().id
    ids["indicator_id"] = _first(Indicator).id
    ids["reminder_rule"] = _first(ReminderRule).id
    ids["user_id"] = make.user(Role.CASE_WORKER, province="NA").id
    ids["reminder_id"] = _reminder().id
    ids["token"] = "a" * 32
    # The shelter staff's session on another device: the one they may end.
    ids["session_id"] = _session(users[Role.SHELTER_STAFF]).id
    db.session.commit()
    return World({role: user.username for role, user in users.items()}, ids)


def _first(model, *conditions):
    return db.session.scalars(select(model).where(*conditions).order_by(model.id)).first()


def _holiday() -> Holiday:
    return _first(Holiday) or admin_services.add_holiday(TODAY, "Ngày thử", "Test day")


def _session(user) -> UserSession:
    now = clock.utcnow()
    session = UserSession(
        token_digest=digest(f"another device of {user.username}"),
        user_id=user.id,
        started_at=now,
        last_seen_at=now,
    )
    db.session.add(session)
    db.session.flush()
    return session


def _reminder() -> Reminder:
    """A reminder every role is told of (the people received three days ago)."""
    for rule in db.session.scalars(select(ReminderRule)):
        rule.roles = [RuleRole(role=role) for role in Role]
    db.session.flush()
    run_pass(clock.today())
    db.session.flush()
    reminder = _first(Reminder)
    assert reminder is not None, "the pass opened no reminder for the world"
    return reminder


# What each endpoint's address needs, where the name alone does not say which record.
ENDPOINT_IDS = {
    "allowances.decide": {"allowance_id": "requested_allowance"},
    "allowances.cancel": {"allowance_id": "requested_allowance"},
    "allowances.pay": {"allowance_id": "approved_allowance"},
    "allowances.show": {"allowance_id": "approved_allowance"},
    "shelter.admit": {"case_id": "received_case"},
    "cases.reopen": {"case_id": "closed_case"},
    "followups.new": {"case_id": "home_case"},
    "employment.new_placement": {"case_id": "home_case"},
    "followups.check": {"followup_id": "recorded_followup"},
    "training.enrol": {"enrolment_id": "referred_enrolment"},
    "reminders.edit_rule": {"rule_id": "reminder_rule"},
}


def address_values(world: World, endpoint: str, arguments) -> dict:
    """The values of an endpoint's address: records of the world."""
    names = ENDPOINT_IDS.get(endpoint, {})
    return {name: world.ids[names.get(name, name)] for name in arguments}
