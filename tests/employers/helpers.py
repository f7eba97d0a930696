"""Employers and their checks for the tests."""

from datetime import date

from reintegration.employers import services
from reintegration.employers.models import Employer, EmployerKind

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
