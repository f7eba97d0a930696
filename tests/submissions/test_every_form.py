"""Every form that adds a record, sent twice with its key, stores one record and shows it.

Each case below arranges what its form needs, reads the form from its page as a browser would
(the key included), types what a user types, and sends it twice.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reintegration.allowances import services as allowances
from reintegration.allowances.models import Allowance, Payment, PaymentMethod
from reintegration.auth.models import Role, User
from reintegration.casefile.services import close_case
from reintegration.cases.models import Case, Closure
from reintegration.employers.models import Employer, EmployerCheck
from reintegration.employment.models import Placement
from reintegration.extensions import db
from reintegration.followups import services as followups
from reintegration.followups.models import (
    ContactMethod,
    FollowUp,
    Indicator,
    RiskFlag,
    SustainabilityCheck,
)
from reintegration.keys.tokens import same_name
from reintegration.plans.models import Goal, Plan
from reintegration.plans.services import save_plan
from reintegration.reference.models import Commune, ListItem, ListKind
from reintegration.shelter.models import Facility, Service, Stay, StayExtension
from reintegration.support.models import AllowanceKind, AssistanceLevel, Holiday
from reintegration.training.models import Course, Enrolment, EnrolmentStatus, TrainingSession
from tests.conftest import TODAY
from tests.employers.helpers import checked_employer
from tests.employment.helpers import place
from tests.helpers import sign_in
from tests.submissions.helpers import ALREADY_SAVED, filled, flashed, sent_twice, text_of
from tests.training.helpers import course as make_course
from tests.training.helpers import enrolment as make_enrolment

DAY = TODAY.strftime("%d/%m/%Y")


@dataclass
class World:
    facility: Facility
    case: Case
    stay: Stay
    admin: User
    officer: User


@dataclass
class Form:
    page: str  # where the form is shown
    typed: dict  # what the user types or chooses
    rows: Callable[[], int]  # how many records of the kind are stored
    shown: str  # what the page after saving shows of the record
    post: str = ""  # where it is sent, when not to its page
    containing: str = "submission"  # a field that tells the form among others on the page
    extra: dict = field(default_factory=dict)


def _count(model, *where) -> Callable[[], int]:
    return lambda: db.session.scalar(select(func.count()).select_from(model).where(*where))


def _id(make, kind: ListKind, code: str) -> str:
    return str(make.item(kind, code).id)


# --- one arrangement per form --------------------------------------------------------------------


def intake(make, w: World) -> Form:
    typed = {
        "facility": str(w.facility.id),
        "full_name": "Vàng Thị Sùng",
        "date_of_birth": "17/05/2000",
        "sex": "female",
        "home_province": str(make.province("NA").id),
        "return_route": _id(make, ListKind.RETURN_ROUTE, "HANDOVER"),
        "receiving_agency": "Bộ đội Biên phòng Nghệ An",
        "identification_status": "identified",
        "consent": "given",
        "consent_storage": "y",
    }
    return Form("/cases/new", typed, _count(Case, same_name("Vàng Thị Sùng")), "Vàng Thị Sùng")


def service(make, w: World) -> Form:
    typed = {
        "kind": str(make.service_kind("counselling").id),
        "provider": "Cán bộ tâm lý Lê Thị Thu",
        "cost": "200.000",
    }
    return Form(f"/cases/{w.case.id}/services/new", typed, _count(Service), "Lê Thị Thu")


def admission(make, w: World) -> Form:
    person = make.case(w.facility, full_name="Đinh Thị Mến")
    db.session.commit()
    typed = {"facility": str(w.facility.id), "admitted_on": DAY}
    return Form(
        f"/cases/{person.id}/admit", typed, _count(Stay, Stay.case_id == person.id), "Đinh Thị Mến"
    )


def extension(make, w: World) -> Form:
    new_end = (w.stay.planned_end + timedelta(days=20)).strftime("%d/%m/%Y")
    typed = {
        "new_end": new_end,
        "reason": "Chờ giấy tờ tùy thân",
        "approved_by": "Giám đốc Trung tâm",
    }
    return Form(f"/stays/{w.stay.id}/extend", typed, _count(StayExtension), new_end)


def discharge(make, w: World) -> Form:
    typed = {
        "discharged_on": DAY,
        "destination": _id(make, ListKind.DESTINATION, "HOME"),
        "destination_address": "Xóm 3, xã Diễn Châu",
    }
    return Form(
        f"/stays/{w.stay.id}/discharge",
        typed,
        _count(Stay, Stay.id == w.stay.id, Stay.discharged_on.is_not(None)),
        "Xóm 3, xã Diễn Châu",
    )


def followup(make, w: World) -> Form:
    typed = {
        "done_on": DAY,
        "method": "phone",
        "contact_made": "yes",
        "still_in_job": "na",
        "wellbeing": "Đã về nhà, sức khỏe ổn định",
    }
    return Form(
        f"/cases/{w.case.id}/followups/new",
        typed,
        _count(FollowUp, FollowUp.done_on.is_not(None)),
        "Đã về nhà, sức khỏe ổn định",
    )


def _recorded_followup(make, w: World, risk: bool = False) -> FollowUp:
    done = followups.unplanned_followup(w.case)
    signs = [make.item(ListKind.RISK_SIGN, "DEBT")] if risk else []
    followups.record_followup(
        done, TODAY, ContactMethod.PHONE, True, None, "Ổn", risk_signs=signs, user=w.admin
    )
    db.session.commit()
    return done


def sustainability_check(make, w: World) -> Form:
    done = _recorded_followup(make, w)
    typed = {f"indicator_{i.id}": "4" for i in followups.active_indicators()}
    return Form(f"/followups/{done.id}/check", typed, _count(SustainabilityCheck), w.case.code)


def risk_flag_resolution(make, w: World) -> Form:
    _recorded_followup(make, w, risk=True)
    flag = db.session.scalar(select(RiskFlag).where(RiskFlag.case_id == w.case.id))
    typed = {"resolved_on": DAY, "note": "Đã gặp gia đình, khoản nợ được xóa"}
    return Form(
        f"/risk-flags/{flag.id}/resolve",
        typed,
        _count(RiskFlag, RiskFlag.resolved_on.is_not(None)),
        w.case.code,
    )


def plan(make, w: World) -> Form:
    typed = {"agreed_on": DAY, "note": "Kế hoạch lập cùng chị"}
    return Form(f"/cases/{w.case.id}/plan", typed, _count(Plan), "Kế hoạch lập cùng chị")


def goal(make, w: World) -> Form:
    save_plan(w.case, None, TODAY, "", w.admin)
    db.session.commit()
    typed = {
        "dimension": "economic",
        "description": "Học nghề làm bánh",
        "owner": "Cán bộ xã",
        "target_on": (TODAY + timedelta(days=90)).strftime("%d/%m/%Y"),
        "status": "planned",
    }
    return Form(f"/cases/{w.case.id}/plan/goals/new", typed, _count(Goal), "Học nghề làm bánh")


def course(make, w: World) -> Form:
    trainer = make.user(Role.TRAINER, province="NA", full_name="Trần Văn Bình")
    db.session.commit()
    typed = {
        "title": "Làm bánh truyền thống",
        "kind": "trade",
        "topic": _id(make, ListKind.TRADE, "FOOD"),
        "trainer": str(trainer.id),
        "provider": "Trường nghề Vinh",
        "province": str(make.province("NA").id),
        "start_on": DAY,
        "end_on": (TODAY + timedelta(days=60)).strftime("%d/%m/%Y"),
        "capacity": "12",
        "cost_per_trainee": "2.000.000",
    }
    return Form("/courses/new", typed, _count(Course), "Làm bánh truyền thống")


def _course(make) -> Course:
    trainer = make.user(Role.TRAINER, province="NA")
    return make_course(make, trainer, "NA", title="Chăm sóc sắc đẹp")


def referral(make, w: World) -> Form:
    offered = _course(make)
    db.session.commit()
    return Form(
        f"/cases/{w.case.id}/enrolments/new",
        {"course": str(offered.id)},
        _count(Enrolment),
        "Chăm sóc sắc đẹp",
    )


def enrolment(make, w: World) -> Form:
    referred = make_enrolment(w.case, _course(make))
    db.session.commit()
    return Form(
        f"/enrolments/{referred.id}/enrol",
        {"enrolled_on": DAY},
        _count(Enrolment, Enrolment.status == EnrolmentStatus.ENROLLED),
        w.case.code,
    )


def attendance(make, w: World) -> Form:
    taught = _course(make)
    make_enrolment(w.case, taught, EnrolmentStatus.ENROLLED)
    db.session.commit()
    return Form(
        f"/courses/{taught.id}/attendance",
        {"held_on": DAY, "topic": "Trang điểm cơ bản"},
        _count(TrainingSession),
        "Trang điểm cơ bản",
    )


def employer(make, w: World) -> Form:
    typed = {
        "name": "Hợp tác xã Bánh Chưng Xanh",
        "kind": "cooperative",
        "province": str(make.province("NA").id),
    }
    return Form("/employers/new", typed, _count(Employer), "Hợp tác xã Bánh Chưng Xanh")


def employer_check(make, w: World) -> Form:
    hiring = checked_employer(make, name="Công ty Sen Vàng")
    db.session.commit()
    typed = {
        "checked_on": DAY,
        "checked_by": "Thanh tra Sở Nội vụ Nghệ An",
        "written_contract": "yes",
        "wages_on_time": "yes",
        "no_withheld_documents": "yes",
        "no_debt": "yes",
        "safe_housing": "yes",
    }
    return Form(
        f"/employers/{hiring.id}",
        typed,
        _count(EmployerCheck),
        "Thanh tra Sở Nội vụ Nghệ An",
        post=f"/employers/{hiring.id}/checks",
    )


def placement(make, w: World) -> Form:
    hiring = checked_employer(make, name="Công ty Sen Vàng")
    db.session.commit()
    typed = {
        "employer": str(hiring.id),
        "position": "Thợ làm bánh",
        "start_on": DAY,
        "monthly_wage": "5.500.000",
        "in_home_province": "yes",
        "housing_support": "no",
        "contract_type": "fixed_term",
    }
    return Form(f"/cases/{w.case.id}/placements/new", typed, _count(Placement), "Thợ làm bánh")


def _kind(code: str) -> AllowanceKind:
    return db.session.scalar(select(AllowanceKind).where(AllowanceKind.code == code))


def allowance_request(make, w: World) -> Form:
    typed = {
        "kind": str(_kind("HARDSHIP").id),
        "period_from": DAY,
        "applied_on": DAY,
        "documents": "Mẫu 07 đã ký",
    }
    return Form(f"/cases/{w.case.id}/allowances/new", typed, _count(Allowance), "Mẫu 07 đã ký")


def _approved(w: World) -> Allowance:
    made = allowances.request_allowance(
        w.case, _kind("HARDSHIP"), TODAY, None, TODAY, "Mẫu 07", w.admin
    )
    allowances.decide(made, True, "", w.officer)
    db.session.commit()
    return made


def payment(make, w: World) -> Form:
    approved = _approved(w)
    typed = {"paid_on": DAY, "method": "cash", "receipt_number": "PC-0042"}
    return Form(
        f"/allowances/{approved.id}",
        typed,
        _count(Payment),
        "PC-0042",
        post=f"/allowances/{approved.id}/payment",
        containing="receipt_number",
    )


def payment_correction(make, w: World) -> Form:
    approved = _approved(w)
    paid = allowances.pay(approved, TODAY, PaymentMethod.CASH, "PC-0041", w.admin)
    db.session.commit()
    typed = {
        "paid_on": DAY,
        "method": "cash",
        "receipt_number": "PC-0043",
        "direction": "returned",
        "amount": "500.000",
        "reason": "Trả thừa",
    }
    return Form(f"/payments/{paid.id}/correction", typed, _count(Payment), "PC-0043")


def payment_register(make, w: World) -> Form:
    approved = _approved(w)
    typed = {
        "paid_on": DAY,
        "method": "cash",
        "allowance": str(approved.id),
        f"receipt_{approved.id}": "PC-0044",
    }
    return Form(
        f"/facilities/{w.facility.id}/payment-register", typed, _count(Payment), w.facility.name
    )


def facility(make, w: World) -> Form:
    typed = {
        "code": "QT01",
        "name": "Ngôi nhà Bình yên Quảng Trị",
        "province": str(make.province("QT").id),
        "capacity": "15",
        "standard_stay_days": "60",
        "active": "y",
    }
    return Form("/admin/facilities/new", typed, _count(Facility), "Ngôi nhà Bình yên Quảng Trị")


def user(make, w: World) -> Form:
    typed = {
        "username": "lan.nguyen",
        "full_name": "Nguyễn Thị Lan",
        "role": "case_worker",
        "province": str(make.province("NA").id),
        "password": "một mật khẩu dài",
        "confirm": "một mật khẩu dài",
    }
    return Form("/admin/users/new", typed, _count(User), "lan.nguyen")


def assistance_level(make, w: World) -> Form:
    typed = {"valid_from": "01/01/2027", "amount": "600.000", "legal_basis": "Nghị định mới"}
    return Form("/admin/policy/levels", typed, _count(AssistanceLevel), "Nghị định mới")


def allowance_kind(make, w: World) -> Form:
    typed = {
        "code": "PHONE_CARD",
        "support_type": str(allowances_support_type("a")),
        "name_vi": "Thẻ điện thoại",
        "name_en": "Phone card",
    }
    return Form("/admin/policy/kinds/new", typed, _count(AllowanceKind), "Phone card")


def allowances_support_type(letter: str) -> int:
    from reintegration.reference.models import SupportType

    return db.session.scalar(select(SupportType.id).where(SupportType.letter == letter))


def holiday(make, w: World) -> Form:
    typed = {"day": "10/10/2026", "name_vi": "Ngày hội", "name_en": "Festival Day"}
    return Form("/admin/policy/holidays", typed, _count(Holiday), "Festival Day")


def list_item(make, w: World) -> Form:
    typed = {"code": "CRAFT", "name_vi": "Thủ công mỹ nghệ", "name_en": "Handicrafts"}
    return Form("/admin/lists/trade", typed, _count(ListItem), "Handicrafts")


def communes(make, w: World) -> Form:
    province = make.province("QT")
    return Form(
        f"/admin/provinces/{province.id}/communes",
        {"names": "Xã Thử Nghiệm"},
        _count(Commune, Commune.province_id == province.id),
        "Xã Thử Nghiệm",
    )


def indicator(make, w: World) -> Form:
    typed = {
        "code": "SAVINGS",
        "dimension": "economic",
        "name_vi": "Có tiền tiết kiệm",
        "name_en": "Has savings",
        "weight": "2",
    }
    return Form("/admin/indicators", typed, _count(Indicator), "Has savings")


def closure(make, w: World) -> Form:
    typed = {
        "outcome": "reintegrated",
        "closed_on": DAY,
        "note": "Đã ổn định cuộc sống",
        "confirm": "y",
    }
    return Form(f"/cases/{w.case.id}/close", typed, _count(Closure), "Đã ổn định cuộc sống")


def reopening(make, w: World) -> Form:
    close_case(w.case, "lost_contact", TODAY, "Mất liên lạc", True, w.admin)
    db.session.commit()
    typed = {"reopened_on": DAY, "reason": "Gia đình báo chị đã về"}
    return Form(
        f"/cases/{w.case.id}/reopen",
        typed,
        _count(Closure, Closure.reopened_on.is_not(None)),
        w.case.code,
    )


def completion(make, w: World) -> Form:
    enrolled = make_enrolment(w.case, _course(make), EnrolmentStatus.ENROLLED)
    db.session.commit()
    typed = {"completed_on": DAY, "certificate_number": "CC-2026-007", "certificate_on": DAY}
    return Form(
        f"/enrolments/{enrolled.id}/complete",
        typed,
        _count(Enrolment, Enrolment.status == EnrolmentStatus.COMPLETED),
        w.case.code,
    )


def drop_out(make, w: World) -> Form:
    enrolled = make_enrolment(w.case, _course(make), EnrolmentStatus.ENROLLED)
    db.session.commit()
    typed = {"dropped_out_on": DAY, "reason": "Đi làm xa"}
    return Form(
        f"/enrolments/{enrolled.id}/drop-out",
        typed,
        _count(Enrolment, Enrolment.status == EnrolmentStatus.DROPPED_OUT),
        w.case.code,
    )


def end_of_placement(make, w: World) -> Form:
    hiring = checked_employer(make, name="Công ty Sen Vàng")
    job = place(make, w.case, hiring, TODAY - timedelta(days=5))
    db.session.commit()
    typed = {"end_on": DAY, "reason": "resigned", "note": "Chuyển về quê"}
    return Form(
        f"/placements/{job.id}/end",
        typed,
        _count(Placement, Placement.end_on.is_not(None)),
        "Công ty Sen Vàng",
    )


FORMS = [
    intake,
    service,
    admission,
    extension,
    discharge,
    followup,
    sustainability_check,
    risk_flag_resolution,
    plan,
    goal,
    course,
    referral,
    enrolment,
    attendance,
    employer,
    employer_check,
    placement,
    allowance_request,
    payment,
    payment_correction,
    payment_register,
    facility,
    user,
    assistance_level,
    allowance_kind,
    holiday,
    list_item,
    communes,
    indicator,
    closure,
    reopening,
    completion,
    drop_out,
    end_of_placement,
]


def _problems(response) -> list[str]:
    """What the page says is wrong, to read when a form did not save."""
    page = text_of(response)
    return re.findall(r'(?:invalid-feedback[^>]*|role="alert")>([^<]*)<', page) or [page[-500:]]


@pytest.fixture
def one_stay(make, auth) -> World:
    """One facility, one person in its stay, an officer of the province, and an
    administrator signed in."""
    place = make.facility("NA", name="Trung tâm Công tác xã hội Nghệ An")
    person = make.case(place, received_on=TODAY - timedelta(days=10))
    stay = make.stay(person, admitted_on=TODAY - timedelta(days=10))
    admin = make.user(Role.ADMIN, language="en")
    officer = make.user(Role.PROVINCIAL_OFFICER, province="NA")
    db.session.commit()
    sign_in(auth, admin)
    return World(place, person, stay, admin, officer)


@pytest.mark.parametrize("arrange", FORMS, ids=[form.__name__ for form in FORMS])
def test_a_form_sent_twice_saves_one_record_and_shows_it(client, make, one_stay, arrange):
    form = arrange(make, one_stay)
    before = form.rows()
    data = filled(client, form.page, form.containing, **form.typed)
    assert data["submission"][0], "the form carries its key"

    first, second, shown = sent_twice(client, form.post or form.page, data)

    assert first.status_code == 302, _problems(first)
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert form.rows() == before + 1
    assert ALREADY_SAVED in flashed(shown)
    assert form.shown in text_of(shown)
