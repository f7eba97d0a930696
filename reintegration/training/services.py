"""The rules of the course catalogue, referrals, enrolment moves and attendance."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..access import Role
from ..auth.models import User
from ..cases.models import Case
from ..cases.services import refresh_stage
from ..employers.models import Employer
from ..errors import DomainError
from ..extensions import db
from ..formatting import day
from ..reference.models import ListItem, ListKind
from ..reference.services import require_entitlement
from . import queries
from .models import (
    ENROLMENT_MOVES,
    Attendance,
    Course,
    CourseKind,
    Enrolment,
    EnrolmentStatus,
    TrainingSession,
)

TOPIC_LISTS = {CourseKind.TRADE: ListKind.TRADE, CourseKind.SOFT_SKILLS: ListKind.SOFT_SKILL}


def _not_in_future(on: date, field: str) -> None:
    if on > clock.today():
        raise DomainError(_l("This date is in the future."), field)


def _check_dates(course: Course, start_on: date, end_on: date) -> None:
    if end_on < start_on:
        raise DomainError(_l("The course cannot end before it starts."), "end_on")
    if course.id is None:
        return
    held = [session.held_on for session in course.sessions]
    if held and min(held) < start_on:
        raise DomainError(
            _l("Attendance is recorded on %(day)s, before this start.", day=day(min(held))),
            "start_on",
        )
    if held and max(held) > end_on:
        raise DomainError(
            _l("Attendance is recorded on %(day)s, after this end.", day=day(max(held))),
            "end_on",
        )


def _trainer(trainer_id: int | None, user: User) -> User:
    """A trainer keeps their own courses; an administrator gives a course to a trainer."""
    if user.role == Role.TRAINER:
        return user
    trainer = db.session.get(User, trainer_id) if trainer_id else None
    if trainer is None or trainer.role != Role.TRAINER:
        raise DomainError(_l("Choose a user whose role is vocational trainer."), "trainer")
    return trainer


def _course_employers(employer_ids: list[int], province_id: int | None) -> list[Employer]:
    """The employers chosen for a course: each of them, all of the course's province."""
    employers = db.session.scalars(select(Employer).where(Employer.id.in_(employer_ids))).all()
    if len(employers) != len(set(employer_ids)) or any(
        employer.province_id != province_id for employer in employers
    ):
        raise DomainError(_l("Choose only employers of the course's province."), "employers")
    return list(employers)


def save_course(
    course: Course,
    user: User,
    kind: CourseKind,
    topic: ListItem,
    start_on: date,
    end_on: date,
    employer_ids: list[int],
    trainer_id: int | None = None,
    **fields,
) -> Course:
    """Create or change a course of the catalogue."""
    if topic is None or topic.kind != TOPIC_LISTS[kind]:
        raise DomainError(
            _l("Choose a topic from the list “%(list)s”.", list=TOPIC_LISTS[kind].label), "topic"
        )
    _check_dates(course, start_on, end_on)
    if fields["capacity"] < 0:
        raise DomainError(_l("The capacity cannot be negative."), "capacity")
    if course.id is not None:
        taken = queries.confirmed_places(course)
        if fields["capacity"] < taken:
            raise DomainError(_l("%(taken)s places are already taken.", taken=taken), "capacity")
    if fields["cost_per_trainee"] < 0:
        raise DomainError(_l("A cost cannot be negative."), "cost_per_trainee")
    employers = _course_employers(employer_ids, fields["province_id"])
    course.trainer = _trainer(trainer_id, user)
    course.kind = kind
    course.topic = topic
    course.start_on = start_on
    course.end_on = end_on
    course.employers = list(employers)
    for name, value in fields.items():
        setattr(course, name, value.strip() if isinstance(value, str) else value)
    db.session.add(course)
    db.session.flush()
    return course


def _lock(course: Course) -> None:
    """Hold the course row until commit, so that two referrals cannot take the last place."""
    db.session.execute(select(Course.id).where(Course.id == course.id).with_for_update())


def check_entitled(case: Case) -> None:
    require_entitlement(case, queries.vocational_training(), "course")


def refer(case: Case, course: Course, user: User) -> Enrolment:
    """Refer a person to a course: the first step of an enrolment."""
    if course.end_on < clock.today():
        raise DomainError(_l("This course has ended."), "course")
    check_entitled(case)
    taken = db.session.scalar(
        select(Enrolment.id).where(Enrolment.course_id == course.id, Enrolment.case_id == case.id)
    )
    if taken is not None:
        raise DomainError(_l("This person is already enrolled in this course."), "course")
    _lock(course)
    if queries.places_taken(course) >= course.capacity:
        raise DomainError(
            _l("This course is full: all its %(places)s places are taken.", places=course.capacity),
            "course",
        )
    enrolment = Enrolment(
        course_id=course.id,
        case_id=case.id,
        status=EnrolmentStatus.REFERRED,
        referred_on=clock.today(),
        created_by_id=user.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError as error:  # the unique (course, case): someone referred them just now
        raise DomainError(
            _l("This person is already enrolled in this course."), "course"
        ) from error
    refresh_stage(case)
    return enrolment


def _check_move(enrolment: Enrolment, to: EnrolmentStatus) -> None:
    if to not in ENROLMENT_MOVES[enrolment.status]:
        raise DomainError(
            _l(
                "An enrolment that is “%(status)s” cannot become “%(to)s”.",
                status=enrolment.status.label,
                to=to.label,
            )
        )


def enrol(enrolment: Enrolment, enrolled_on: date) -> None:
    """Give a referred person one of the course's places."""
    course = enrolment.course
    _check_move(enrolment, EnrolmentStatus.ENROLLED)
    check_entitled(enrolment.case)  # the status may have changed since the referral
    if enrolled_on < enrolment.referred_on:
        raise DomainError(
            _l("The person was referred on %(day)s.", day=day(enrolment.referred_on)),
            "enrolled_on",
        )
    if enrolled_on > course.end_on:
        raise DomainError(_l("The course ended on %(day)s.", day=day(course.end_on)), "enrolled_on")
    _not_in_future(enrolled_on, "enrolled_on")
    _lock(course)
    if queries.confirmed_places(course, besides=enrolment) >= course.capacity:
        raise DomainError(
            _l("This course is full: all its %(places)s places are taken.", places=course.capacity)
        )
    enrolment.status = EnrolmentStatus.ENROLLED
    enrolment.enrolled_on = enrolled_on
    refresh_stage(enrolment.case)


def mark_attending(enrolment: Enrolment) -> None:
    _check_move(enrolment, EnrolmentStatus.ATTENDING)
    enrolment.status = EnrolmentStatus.ATTENDING
    refresh_stage(enrolment.case)


def complete(
    enrolment: Enrolment,
    completed_on: date,
    certificate_number: str,
    certificate_on: date | None,
) -> None:
    _check_move(enrolment, EnrolmentStatus.COMPLETED)
    if completed_on < (enrolment.enrolled_on or enrolment.referred_on):
        raise DomainError(
            _l(
                "The person was enrolled on %(day)s.",
                day=day(enrolment.enrolled_on or enrolment.referred_on),
            ),
            "completed_on",
        )
    _not_in_future(completed_on, "completed_on")
    if not (certificate_number or "").strip():
        raise DomainError(_l("Write the certificate's number."), "certificate_number")
    if certificate_on is None:
        raise DomainError(_l("Write the certificate's date."), "certificate_on")
    if certificate_on < completed_on:
        raise DomainError(
            _l("A certificate cannot be dated before the completion."), "certificate_on"
        )
    _not_in_future(certificate_on, "certificate_on")
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.completed_on = completed_on
    enrolment.certificate_number = certificate_number.strip()
    enrolment.certificate_on = certificate_on
    refresh_stage(enrolment.case)


def drop_out(enrolment: Enrolment, dropped_out_on: date, reason: str) -> None:
    _check_move(enrolment, EnrolmentStatus.DROPPED_OUT)
    if dropped_out_on < enrolment.referred_on:
        raise DomainError(
            _l("The person was referred on %(day)s.", day=day(enrolment.referred_on)),
            "dropped_out_on",
        )
    _not_in_future(dropped_out_on, "dropped_out_on")
    if not (reason or "").strip():
        raise DomainError(_l("Say why the person left the course."), "reason")
    enrolment.status = EnrolmentStatus.DROPPED_OUT
    enrolment.dropped_out_on = dropped_out_on
    enrolment.dropout_reason = reason.strip()
    refresh_stage(enrolment.case)


def _session_on(course: Course, held_on: date) -> TrainingSession:
    """The course's session of that day, made if it is not recorded yet."""
    session = queries.session_on(course, held_on)
    if session is None:
        session = TrainingSession(course_id=course.id, held_on=held_on)
        try:
            with db.session.begin_nested():
                db.session.add(session)
        except IntegrityError as error:  # the unique (course, day): recorded at the same time
            raise DomainError(
                _l("Someone has just recorded this day. Open it again to correct it."), "held_on"
            ) from error
    return session


def record_attendance(
    course: Course, held_on: date, present_ids: set[int], topic: str = ""
) -> TrainingSession:
    """Create or correct one session's attendance for the whole class at once."""
    if not course.start_on <= held_on <= course.end_on:
        raise DomainError(
            _l(
                "The course runs from %(start)s to %(end)s.",
                start=day(course.start_on),
                end=day(course.end_on),
            ),
            "held_on",
        )
    _not_in_future(held_on, "held_on")
    trainees = queries.class_list(course)
    if not trainees:
        raise DomainError(_l("No one is enrolled or attending: there is no class to record."))
    if not present_ids <= {enrolment.id for enrolment in trainees}:
        raise DomainError(_l("Tick only trainees of this class."), "present")
    session = _session_on(course, held_on)
    session.topic = (topic or "").strip()
    recorded = {attendance.enrolment_id: attendance for attendance in session.attendance}
    for enrolment in trainees:
        if enrolment.enrolled_on and enrolment.enrolled_on > held_on:
            continue  # not in the class yet that day: neither present nor absent
        attendance = recorded.get(enrolment.id)
        if attendance is None:
            attendance = Attendance(session=session, enrolment_id=enrolment.id)
            db.session.add(attendance)
        attendance.present = enrolment.id in present_ids
    db.session.flush()
    return session
