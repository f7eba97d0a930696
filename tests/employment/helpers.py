"""Courses and placements for the employment tests; employers and their checks come from
the employers' helpers."""

from datetime import date

from reintegration.employment import services
from reintegration.employment.models import ContractType
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.training.models import Course, CourseKind, Enrolment, EnrolmentStatus


def course(make, province: str = "NA", title: str = "Chế biến thực phẩm K1"):
    made = Course(
        title=title,
        kind=CourseKind.TRADE,
        topic=make.item(ListKind.TRADE, "FOOD"),
        provider="Trường Trung cấp nghề",
        province=make.province(province),
        start_on=date(2025, 10, 1),
        end_on=date(2025, 12, 20),
        capacity=20,
    )
    db.session.add(made)
    db.session.flush()
    return made


def enrol(case, course, status: EnrolmentStatus = EnrolmentStatus.COMPLETED):
    enrolment = Enrolment(
        course_id=course.id,
        case_id=case.id,
        status=status,
        referred_on=date(2025, 9, 20),
        enrolled_on=date(2025, 10, 1),
        completed_on=date(2025, 12, 20) if status == EnrolmentStatus.COMPLETED else None,
    )
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def place(make, case, employer, start_on: date, course=None, position: str = "Công nhân may"):
    return services.place(
        case,
        employer,
        position,
        start_on,
        5_500_000,
        in_home_province=True,
        housing_support=False,
        contract_type=ContractType.FIXED_TERM,
        course_id=course.id if course is not None else None,
        user=make._system_user(),
    )


def placement_form(to, **overrides):
    data = {
        "employer": to.id,
        "position": "Công nhân chế biến",
        "start_on": "01/03/2026",
        "monthly_wage": "5.500.000",
        "in_home_province": "yes",
        "housing_support": "no",
        "contract_type": "fixed_term",
        "course": "",
    }
    data.update(overrides)
    return data
