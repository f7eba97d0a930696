"""Reading courses, their trainees and a person's training, each in a fixed number of queries."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..access import Role, scope_condition
from ..auth.models import User
from ..cases.models import Case
from ..cases.queries import case_scope
from ..cases.timeline import Event
from ..employers.models import Employer
from ..extensions import db
from ..formatting import day
from ..reference.models import SupportType
from ..web import one_or_404
from .models import Attendance, Course, Enrolment, EnrolmentStatus, TrainingSession

# Every status but "dropped out" holds a place in the course.
PLACE_HOLDERS = (
    EnrolmentStatus.REFERRED,
    EnrolmentStatus.ENROLLED,
    EnrolmentStatus.ATTENDING,
    EnrolmentStatus.COMPLETED,
)
# Those admitted to the course: a referral waits for one of these places.
CONFIRMED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDING, EnrolmentStatus.COMPLETED)
# The class whose attendance the trainer records.
IN_CLASS = (EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDING)

VOCATIONAL_TRAINING = "i"  # the support type of Law 53/2024, Article 37, that training gives

COURSE_PAGE = (
    joinedload(Course.topic),
    joinedload(Course.province),
    joinedload(Course.trainer),
    selectinload(Course.employers),
)


@dataclass
class CourseSummary:
    """A course and how many of its enrolments stand at each status."""

    course: Course
    counts: Counter = field(default_factory=Counter)

    def count(self, status: EnrolmentStatus) -> int:
        return self.counts[status]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def places_taken(self) -> int:
        return sum(self.counts[status] for status in PLACE_HOLDERS)

    @property
    def places_left(self) -> int:
        return max(0, self.course.capacity - self.places_taken)

    @property
    def completion_rate(self) -> float | None:
        """Completed among those who finished one way or the other: completed or dropped out."""
        finished = self.counts[EnrolmentStatus.COMPLETED] + self.counts[EnrolmentStatus.DROPPED_OUT]
        if not finished:
            return None
        return self.counts[EnrolmentStatus.COMPLETED] / finished


def course_scope(user: User) -> ColumnElement[bool]:
    """Courses a user may see: a trainer their own, others those of their province."""
    return scope_condition(user, provinces=(Course.province_id,), trainer=Course.trainer_id)


def course_or_404(course_id: int, *options) -> Course:
    return one_or_404(
        select(Course).where(Course.id == course_id, course_scope(current_user)).options(*options)
    )


def enrolment_or_404(enrolment_id: int) -> Enrolment:
    """An enrolment of a course in the user's scope, with its case for the stage."""
    return one_or_404(
        select(Enrolment)
        .join(Enrolment.course)
        .where(Enrolment.id == enrolment_id, course_scope(current_user))
        .options(
            joinedload(Enrolment.course),
            joinedload(Enrolment.case).selectinload(Case.stays),
        )
    )


def _counts(course_ids: list[int]) -> dict[int, Counter]:
    counts: dict[int, Counter] = {course_id: Counter() for course_id in course_ids}
    if not course_ids:
        return counts
    rows = db.session.execute(
        select(Enrolment.course_id, Enrolment.status, func.count(Enrolment.id))
        .where(Enrolment.course_id.in_(course_ids))
        .group_by(Enrolment.course_id, Enrolment.status)
    )
    for course_id, status, number in rows:
        counts[course_id][status] = number
    return counts


def summarise(courses: Sequence[Course]) -> list[CourseSummary]:
    counts = _counts([course.id for course in courses])
    return [CourseSummary(course, counts[course.id]) for course in courses]


def course_summaries(user: User, open_only: bool = False) -> list[CourseSummary]:
    """The courses ``user`` may see, newest start first, with their counts, in two queries."""
    query = (
        select(Course)
        .where(course_scope(user))
        .options(joinedload(Course.topic), joinedload(Course.province), joinedload(Course.trainer))
        .order_by(Course.start_on.desc(), Course.title)
    )
    if open_only:
        query = query.where(Course.end_on >= clock.today())
    return summarise(db.session.scalars(query).all())


def places_taken(course: Course) -> int:
    return db.session.execute(
        select(func.count(Enrolment.id)).where(
            Enrolment.course_id == course.id, Enrolment.status.in_(PLACE_HOLDERS)
        )
    ).scalar_one()


def confirmed_places(course: Course, besides: Enrolment | None = None) -> int:
    """Places held by enrolled, attending or completed trainees (other than ``besides``)."""
    query = select(func.count(Enrolment.id)).where(
        Enrolment.course_id == course.id, Enrolment.status.in_(CONFIRMED)
    )
    if besides is not None:
        query = query.where(Enrolment.id != besides.id)
    return db.session.execute(query).scalar_one()


def trainees(course: Course) -> Sequence[Enrolment]:
    """The course's enrolments with only what a trainer may know of each person."""
    return db.session.scalars(
        select(Enrolment)
        .where(Enrolment.course_id == course.id)
        .options(
            joinedload(Enrolment.case).load_only(
                Case.id,
                Case.code,
                Case.full_name,
                Case.sex,
                Case.date_of_birth,
                Case.estimated_birth_year,
                Case.phone,
                raiseload=True,
            ),
            selectinload(Enrolment.attendance),
        )
        .order_by(Enrolment.referred_on, Enrolment.id)
    ).all()


def shown_to(user: User, course: Course, enrolments: Sequence[Enrolment]) -> Sequence[Enrolment]:
    """The trainees ``user`` may see by name: the whole class for its trainer and
    administrators, for anyone else only the people whose case they may open."""
    if user.role == Role.ADMIN or course.trainer_id == user.id:
        return enrolments
    visible = set(
        db.session.scalars(
            select(Case.id).where(
                Case.id.in_([enrolment.case_id for enrolment in enrolments]), case_scope(user)
            )
        )
    )
    return [enrolment for enrolment in enrolments if enrolment.case_id in visible]


def class_list(course: Course) -> list[Enrolment]:
    """Those whose attendance is recorded: enrolled or attending."""
    return [enrolment for enrolment in trainees(course) if enrolment.status in IN_CLASS]


def sessions_with_presence(course: Course) -> list[tuple[TrainingSession, int, int]]:
    """Each recorded session, with how many were present and how many were recorded."""
    rows = db.session.execute(
        select(
            TrainingSession,
            func.count(Attendance.enrolment_id).filter(Attendance.present.is_(True)),
            func.count(Attendance.enrolment_id),
        )
        .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
        .where(TrainingSession.course_id == course.id)
        .group_by(TrainingSession.id)
        .order_by(TrainingSession.held_on.desc())
    ).all()
    return [(session, present, recorded) for session, present, recorded in rows]


def session_on(course: Course, held_on: date) -> TrainingSession | None:
    return db.session.scalar(
        select(TrainingSession)
        .where(TrainingSession.course_id == course.id, TrainingSession.held_on == held_on)
        .options(selectinload(TrainingSession.attendance))
    )


def employer_choices(province_id: int | None) -> list[tuple[int, str]]:
    """Employers of the course's province that may have asked for it."""
    if province_id is None:
        return []
    employers = db.session.scalars(
        select(Employer).where(Employer.province_id == province_id).order_by(Employer.name)
    )
    return [(employer.id, employer.name) for employer in employers]


def trainer_choices() -> list[tuple[int, str]]:
    trainers = db.session.scalars(
        select(User)
        .where(User.role == Role.TRAINER, User.active.is_(True))
        .order_by(User.full_name, User.username)
    )
    return [(user.id, user.display_name) for user in trainers]


def vocational_training() -> SupportType | None:
    """Support type i; None on a database without it, which the entitlement check refuses."""
    return db.session.scalar(select(SupportType).where(SupportType.letter == VOCATIONAL_TRAINING))


def enrolments_for_case(case_id: int) -> Sequence[Enrolment]:
    """A person's enrolments, newest first, with their courses and attendance: two queries."""
    return db.session.scalars(
        select(Enrolment)
        .where(Enrolment.case_id == case_id)
        .options(
            joinedload(Enrolment.course).joinedload(Course.topic),
            selectinload(Enrolment.attendance),
        )
        .order_by(Enrolment.referred_on.desc(), Enrolment.id.desc())
    ).all()


def timeline_events(case_id: int, enrolments: Sequence[Enrolment] | None = None) -> list[Event]:
    """Referral, enrolment, completion and drop-out of each of a person's courses."""
    if enrolments is None:
        enrolments = enrolments_for_case(case_id)
    events = []
    for enrolment in enrolments:
        events.extend(_enrolment_events(enrolment))
    return events


def _enrolment_events(enrolment: Enrolment) -> list[Event]:
    title = enrolment.course.title
    events = [
        Event(
            enrolment.referred_on,
            6,
            "referral",
            _("Referred to the course %(course)s", course=title),
            enrolment.course.provider,
        )
    ]
    if enrolment.enrolled_on:
        events.append(
            Event(
                enrolment.enrolled_on,
                7,
                "enrolment",
                _("Enrolled in the course %(course)s", course=title),
                _(
                    "From %(start)s to %(end)s",
                    start=day(enrolment.course.start_on),
                    end=day(enrolment.course.end_on),
                ),
            )
        )
    return events + _outcome_events(enrolment, title)


def _outcome_events(enrolment: Enrolment, title: str) -> list[Event]:
    """The completion or the drop-out of an enrolment, if it came."""
    events = []
    if enrolment.completed_on:
        events.append(
            Event(
                enrolment.completed_on,
                8,
                "completion",
                _("Completed the course %(course)s", course=title),
                _(
                    "Certificate %(number)s of %(day)s",
                    number=enrolment.certificate_number,
                    day=day(enrolment.certificate_on),
                ),
            )
        )
    if enrolment.dropped_out_on:
        events.append(
            Event(
                enrolment.dropped_out_on,
                8,
                "dropout",
                _("Dropped out of the course %(course)s", course=title),
                enrolment.dropout_reason,
            )
        )
    return events
