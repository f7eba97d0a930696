"""Courses, enrolments and a small world of trainers and trainees for the training tests."""

import html
import re
from dataclasses import dataclass
from datetime import date

from reintegration.auth.models import Role, User
from reintegration.cases.models import Case
from reintegration.employers.models import Employer, EmployerKind
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.training import services
from reintegration.training.models import Course, CourseKind, Enrolment, EnrolmentStatus
from tests.helpers import World

START = date(2026, 3, 2)
END = date(2026, 5, 29)

# The moves, in order, that bring a new referral to each status.
PATHS = {
    EnrolmentStatus.REFERRED: [],
    EnrolmentStatus.ENROLLED: ["enrol"],
    EnrolmentStatus.ATTENDING: ["enrol", "attend"],
    EnrolmentStatus.COMPLETED: ["enrol", "complete"],
    EnrolmentStatus.DROPPED_OUT: ["drop"],
}


def plain(response) -> str:
    """The page's words as a reader sees them: no tags, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(text)).replace("( ", "(").replace(" )", ")")


def course(make, trainer: User, province: str = "NA", **fields) -> Course:
    values = dict(
        kind=CourseKind.TRADE,
        topic=make.item(ListKind.TRADE, "BEAUTY"),
        start_on=START,
        end_on=END,
        employer_ids=[],
        title="Chăm sóc sắc đẹp cơ bản",
        provider="Trường Trung cấp nghề Vinh",
        province_id=make.province(province).id,
        schedule="Thứ Hai đến thứ Sáu, 8:00–11:30",
        capacity=10,
        cost_per_trainee=3_000_000,
        market_demand="Các tiệm làm đẹp ở Vinh cần thợ",
    )
    values.update(fields)
    return services.save_course(Course(), trainer, **values)


def enrolment(case: Case, course: Course, status=EnrolmentStatus.REFERRED, by=None) -> Enrolment:
    """A referral made on the course's first day, moved through the services to ``status``."""
    enrolment = services.refer(case, course, by or course.trainer)
    enrolment.referred_on = course.start_on
    db.session.flush()
    db.session.refresh(enrolment)
    for step in PATHS[status]:
        if step == "enrol":
            services.enrol(enrolment, course.start_on)
        elif step == "attend":
            services.mark_attending(enrolment)
        elif step == "complete":
            services.complete(enrolment, course.start_on, "CC-001", course.start_on)
        elif step == "drop":
            services.drop_out(enrolment, course.start_on, "Đi làm xa")
    db.session.flush()
    return enrolment


def employer(make, province: str = "NA", name: str = "Công ty TNHH Hoa Sen") -> Employer:
    row = Employer(name=name, kind=EmployerKind.BUSINESS, province=make.province(province))
    db.session.add(row)
    db.session.flush()
    return row


@dataclass(kw_only=True)
class TrainingWorld(World):
    """The shared world (tests/helpers.py) with a trainer and a course in each province.

    ``ours`` is a Nghe An course kept by ``trainer``; ``theirs`` a Ha Tinh course kept by
    ``other_trainer``; ``here`` (at the Nghe An facility ``here``) is referred to ours, ``far``
    (at the Ha Tinh facility) to theirs.
    """

    trainer: User
    other_trainer: User
    courses: dict[str, Course]
    enrolments: dict[str, Enrolment]

    def user(self, make, role: Role) -> User:
        if role == Role.TRAINER:
            return self.trainer
        return super().user(make, role)


def with_courses(make, world: World) -> TrainingWorld:
    """``world`` with the trainers, courses and referrals of a TrainingWorld, committed."""
    trainer = make.user(Role.TRAINER, full_name="Trần Văn Bình", province="NA")
    other_trainer = make.user(Role.TRAINER, full_name="Phạm Thị Lan", province="HT")
    courses = {
        "ours": course(make, trainer, "NA"),
        "theirs": course(make, other_trainer, "HT", title="Nấu ăn"),
    }
    enrolments = {
        "ours": enrolment(world.cases["here"], courses["ours"]),
        "theirs": enrolment(world.cases["far"], courses["theirs"]),
    }
    db.session.commit()
    return TrainingWorld(
        facilities=world.facilities,
        cases=world.cases,
        stays=world.stays,
        trainer=trainer,
        other_trainer=other_trainer,
        courses=courses,
        enrolments=enrolments,
    )
