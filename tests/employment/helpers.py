"""Employers, checks, courses and placements for the employment tests."""

from datetime import date

from reintegration.employment import services
from reintegration.employment.models import ContractType, Employer, EmployerKind
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.training.models import Course, CourseKind, Enrolment, EnrolmentStatus

ALL_YES = {
    "written_contract": True,
    "wages_on_time": True,
    "no_withheld_documents": True,
    "no_debt": True,
    "safe_housing": True,
}


def employer(make, province: str = "NA", name: str = "Công ty May Hoàng Mai", **fields):
    made = Employer()
    services.save_employer(
        made,
        name=name,
        kind=fields.pop("kind", EmployerKind.BUSINESS),
        province_id=make.province(province).id,
        commune_id=None,
        **fields,
    )
    return made


def check(make, employer, on: date = date(2026, 3, 1), passed: bool = True, **answers):
    answers = {**ALL_YES, **({} if passed else {"wages_on_time": False}), **answers}
    return services.record_check(employer, on, "Phòng Lao động", answers, "", make._system_user())


def checked_employer(make, province: str = "NA", **fields):
    made = employer(make, province, **fields)
    check(make, made)
    return made


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


def check_form(**overrides):
    data = {
        "checked_on": "10/03/2026",
        "checked_by": "Thanh tra Sở Nội vụ",
        "written_contract": "yes",
        "wages_on_time": "yes",
        "no_withheld_documents": "yes",
        "no_debt": "yes",
        "safe_housing": "yes",
        "note": "",
    }
    data.update(overrides)
    return data
