"""A believable demo: two provinces, three facilities, a user of each role, about 60 cases.

Every record goes through the same services as the pages, so the demo obeys the rules
(entitlements, the legal cap on stays, one open stay per person). Dates are relative to today,
so the demo always shows people just received, mid-stay, near the end, overstayed and gone home.
"""

import random
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from . import clock
from .access import Role
from .allowances import services as allowances
from .allowances.models import PaymentMethod
from .auth import totp
from .auth.models import User
from .auth.services import create_user
from .cases.models import Case, Sex, Stage
from .cases.services import create_case
from .employers import services as employers
from .employers.models import Employer, EmployerKind
from .employment import services as employment
from .employment.models import ContractType, EndReason
from .extensions import db
from .followups import services as followups
from .followups.models import ContactMethod, FollowUp
from .plans import services as plans
from .reference.models import (
    Commune,
    IdentificationStatus,
    ListItem,
    ListKind,
    Province,
    ServiceKind,
)
from .reference.queries import entitled_type_ids
from .reminders.services import run_pass
from .shelter import services as shelter
from .shelter.models import Facility
from .support.models import AllowanceKind
from .training import queries as training_queries
from .training import services as training
from .training.models import Course, CourseKind


class DemoRefused(Exception):
    pass


FACILITIES = [
    ("NA-CTXH", "Trung tâm Công tác xã hội tỉnh Nghệ An", "NA", 30, 60),
    ("NA-NBY", "Ngôi nhà Bình yên Nghệ An", "NA", 12, 60),
    ("HT-CTXH", "Trung tâm Công tác xã hội tỉnh Hà Tĩnh", "HT", 20, 45),
]

COMMUNES = {
    "NA": ["Xã Quỳnh Lưu", "Xã Diễn Châu", "Xã Tương Dương", "Xã Kỳ Sơn", "Phường Vinh Phú"],
    "HT": ["Xã Hương Khê", "Xã Kỳ Anh", "Phường Thành Sen", "Xã Vũ Quang"],
}

# username, shown name, role, facility code, province code
ACCOUNTS = [
    ("admin", "Quản trị (demo)", Role.ADMIN, None, None),
    ("staff", "Cán bộ Trung tâm CTXH Nghệ An (demo)", Role.SHELTER_STAFF, "NA-CTXH", None),
    ("staff.nby", "Cán bộ Ngôi nhà Bình yên (demo)", Role.SHELTER_STAFF, "NA-NBY", None),
    ("staff.ht", "Cán bộ Trung tâm CTXH Hà Tĩnh (demo)", Role.SHELTER_STAFF, "HT-CTXH", None),
    ("officer", "Cán bộ Sở Y tế Nghệ An (demo)", Role.PROVINCIAL_OFFICER, None, "NA"),
    ("caseworker", "Cán bộ xã hội cấp xã (demo)", Role.CASE_WORKER, None, "NA"),
    ("trainer", "Giáo viên dạy nghề (demo)", Role.TRAINER, None, "NA"),
]

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vi", "Lô", "Lương", "Hồ", "Đặng", "Moong"]
MIDDLE = ["Thị", "Thị", "Thị", "Văn", "Ngọc", "Thu", "Hồng"]
GIVEN_MALE = ["Hùng", "Dũng", "Tuấn", "Nam", "Minh", "Sơn", "Thắng", "Pó", "Xồng"]
GIVEN = [
    "Mai",
    "Lan",
    "Hoa",
    "Hương",
    "Thảo",
    "Linh",
    "Nga",
    "Vân",
    "Dung",
    "Hà",
    "Xuân",
    "Tâm",
    "Hằng",
    "Phương",
    "Yến",
    "Nhung",
    "Quế",
    "Đào",
    "Sáu",
    "Pằng",
]
AGENCIES = ["Bộ đội Biên phòng tỉnh", "Công an tỉnh", "Sở Ngoại vụ", "Hội Liên hiệp Phụ nữ"]
PROVIDERS = [
    "Cán bộ công tác xã hội",
    "Chuyên viên tâm lý",
    "Trạm y tế",
    "Trung tâm trợ giúp pháp lý",
]

# (how many, days since reception, days since admission or None, days since discharge or None)
# (how many, days since reception, admission, discharge)
STAGES = [
    (8, (0, 3), None, None),  # just received, not yet admitted
    (20, (12, 45), "admitted", None),  # mid-stay
    (8, (50, 58), "admitted", None),  # near the end of a 60-day stay
    (5, (62, 75), "admitted", None),  # overstayed, no extension
    (4, (65, 90), "extended", None),  # extended, still staying
    (4, (40, 70), "admitted", "recent"),  # discharged in the last two weeks
    (13, (90, 600), "admitted", "long ago"),  # discharged long ago
]


def load_demo(totp_secrets: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """The demo's accounts (username, password, role). The TOTP secret of each account whose
    role requires two-factor login is put in ``totp_secrets``, by username."""
    if db.session.scalar(select(func.count(Case.id))):
        raise DemoRefused("The database already has cases: the demo only fills an empty one.")
    taken = db.session.scalar(
        select(func.count(User.id)).where(User.username.in_([a[0] for a in ACCOUNTS]))
    )
    if taken:
        raise DemoRefused("Demo usernames already exist in this database.")
    rng = random.Random(2026)
    facilities = _facilities()
    _communes()
    users, accounts = _users(facilities, totp_secrets if totp_secrets is not None else {})
    _cases(rng, facilities, users)
    _livelihood(rng, users)
    _allowances(users)
    db.session.flush()
    run_pass()  # the task lists are full at once, without waiting for the scheduler
    # A command, outside any request: its own unit of work, committed here.
    db.session.commit()
    return accounts


def _facilities() -> dict[str, Facility]:
    result = {}
    for code, name, province, capacity, days in FACILITIES:
        facility = db.session.scalar(select(Facility).where(Facility.code == code))
        if facility is None:
            facility = Facility(
                code=code,
                name=name,
                province=_province(province),
                capacity=capacity,
                standard_stay_days=days,
            )
            db.session.add(facility)
        result[code] = facility
    db.session.flush()
    return result


def _province(code: str) -> Province:
    return db.session.execute(select(Province).where(Province.code == code)).scalar_one()


def _communes() -> None:
    for code, names in COMMUNES.items():
        province = _province(code)
        existing = {c.name_vi for c in province.communes}
        for name in names:
            if name not in existing:
                db.session.add(Commune(province=province, name_vi=name, name_en=name))
    db.session.flush()


def _users(facilities, totp_secrets: dict) -> tuple[dict[str, User], list[tuple[str, str, str]]]:
    users, accounts = {}, []
    for username, shown_name, role, facility_code, province_code in ACCOUNTS:
        password = f"demo-{username.split('.')[0]}-2026"
        users[username] = create_user(
            username,
            password,
            role,
            facility=facilities.get(facility_code),
            province=_province(province_code) if province_code else None,
            full_name=shown_name,
        )
        accounts.append((username, password, role.value))
        if totp.required(users[username]):
            # Enrolled, with a new secret each time, so that a tester logs in at once.
            totp_secrets[username] = totp.new_secret()
            totp.enrol_with_secret(users[username], totp_secrets[username])
    return users, accounts


def _items(kind: ListKind) -> dict[str, ListItem]:
    return {
        item.code: item
        for item in db.session.scalars(select(ListItem).where(ListItem.kind == kind))
    }


def _cases(rng: random.Random, facilities: dict[str, Facility], users: dict[str, User]) -> None:
    today = clock.today()
    lists = {kind: _items(kind) for kind in ListKind}
    kinds = {k.code: k for k in db.session.scalars(select(ServiceKind))}
    residents = dict.fromkeys(facilities.values(), 0)
    actor = users["admin"]
    # Cases are entered in the order they arrived, so codes follow the dates of reception.
    plans = sorted(
        (today - timedelta(days=rng.randint(*received)), admission, discharge)
        for count, received, admission, discharge in STAGES
        for _ in range(count)
    )
    for received_on, admission, discharge in plans:
        facility = _facility_with_room(rng, residents, staying=bool(admission and not discharge))
        case = _new_case(rng, facility, received_on, lists, actor)
        if admission is None:
            continue
        stay = shelter.admit(case, facility, received_on, actor)
        _services(rng, case, kinds, received_on, today, actor)
        if admission == "extended":
            new_end = min(stay.planned_end + timedelta(days=30), shelter.legal_end(received_on))
            shelter.extend(
                stay, new_end, "Chờ gia đình đón; đang điều trị", "Giám đốc Trung tâm", actor
            )
        if discharge == "recent":
            _discharge(rng, stay, today - timedelta(days=rng.randint(0, 13)), lists, actor)
        elif discharge:
            length = rng.randint(20, stay.planned_days)
            _discharge(rng, stay, received_on + timedelta(days=length), lists, actor)


def _facility_with_room(rng, residents: dict, staying: bool) -> Facility:
    """A facility, weighted by size; a resident only goes where a place is free."""
    choices = [f for f in residents if not staying or residents[f] < f.capacity]
    facility = rng.choices(choices, weights=[f.capacity for f in choices], k=1)[0]
    if staying:
        residents[facility] += 1
    return facility


def _new_case(rng, facility, received_on: date, lists, actor) -> Case:
    status = rng.choices(list(IdentificationStatus), weights=[14, 2, 1, 3, 1], k=1)[0]
    child = status == IdentificationStatus.ACCOMPANYING_CHILD
    age = rng.randint(2, 15) if child else rng.randint(16, 42)
    sex = Sex.FEMALE if rng.random() < 0.7 else Sex.MALE
    province = facility.province
    communes = province.communes
    known_birth = rng.random() < 0.8
    consent = rng.random() < 0.95
    case = Case(
        full_name=" ".join(
            (
                rng.choice(SURNAMES),
                "Văn" if sex == Sex.MALE else rng.choice(MIDDLE),
                rng.choice(GIVEN_MALE if sex == Sex.MALE else GIVEN),
            )
        ),
        sex=sex,
        date_of_birth=received_on - timedelta(days=age * 365 + rng.randint(0, 364))
        if known_birth
        else None,
        estimated_birth_year=None if known_birth else received_on.year - age,
        ethnicity=lists[ListKind.ETHNICITY][rng.choice(["E01", "E01", "E03", "E08", "E12"])],
        citizenship=lists[ListKind.COUNTRY][
            "VN" if status != IdentificationStatus.FOREIGN_VICTIM else "LA"
        ],
        home_province=province,
        home_commune=rng.choice(communes) if communes else None,
        home_address=f"Thôn {rng.randint(1, 12)}",
        phone=f"09{rng.randint(10000000, 99999999)}",
        family_contacts="Mẹ: " + rng.choice(SURNAMES) + " Thị " + rng.choice(GIVEN),
        return_route=rng.choice(list(lists[ListKind.RETURN_ROUTE].values())),
        receiving_agency=rng.choice(AGENCIES),
        received_on=received_on,
        exploitation_country=lists[ListKind.COUNTRY][rng.choice(["CN", "CN", "KH", "LA", "MM"])],
        exploitation_forms=rng.sample(list(lists[ListKind.EXPLOITATION].values())[:4], k=1),
        recruitment=rng.choice(list(lists[ListKind.RECRUITMENT].values())),
        control_means=rng.sample(list(lists[ListKind.CONTROL].values()), k=2),
        identification_status=status,
        consent_given=consent,
        consent_date=received_on,
        consent_storage=consent,
        consent_contact=consent,
        facility=facility,
    )
    return create_case(case, province, actor)


def _services(rng, case, kinds, received_on, today, actor) -> None:
    entitled = entitled_type_ids(case.identification_status)
    plan = [
        ("needs_assessment", 1, 0),
        ("counselling", 3, 0),
        ("health_check", 2, 0),
        ("accommodation", 0, 0),
        ("meals", 7, 420_000),
        ("personal_items", 1, 500_000),
        ("counselling", 14, 0),
        ("legal_advice", 10, 0),
        ("career_counselling", 30, 0),
    ]
    for code, offset, cost in plan:
        kind = kinds[code]
        provided_on = received_on + timedelta(days=offset)
        if provided_on > today or kind.support_type_id not in entitled:
            continue
        shelter.record_service(case, kind, provided_on, rng.choice(PROVIDERS), "", cost, actor)


def _discharge(rng, stay, on: date, lists, actor) -> None:
    destinations = lists[ListKind.DESTINATION]
    destination = destinations[rng.choice(["HOME", "HOME", "HOME", "INDEPENDENT", "OTHER"])]
    shelter.discharge(stay, on, destination, f"Thôn {rng.randint(1, 12)}, quê nhà", "", actor)


def _nghe_an_cases(*stages: Stage) -> list[Case]:
    cases = db.session.scalars(
        select(Case)
        .join(Province, Province.id == Case.province_id)
        .where(
            Province.code == "NA",
            Case.stage.in_(stages),
            Case.identification_status == IdentificationStatus.IDENTIFIED,
        )
        .order_by(Case.received_on)
    ).all()
    return list(cases)


def _livelihood(rng: random.Random, users: dict[str, User]) -> None:
    """A course running now for the demo trainer, a finished soft-skills module, two employers
    (one that failed its check), jobs, plans and follow-ups, some done and one with a risk."""
    today = clock.today()
    admin, officer, trainer = users["admin"], users["officer"], users["trainer"]
    province = _province("NA")
    good = _employers(province, officer, today)
    at_home = _nghe_an_cases(Stage.DISCHARGED)
    in_shelter = _nghe_an_cases(Stage.IN_SHELTER)
    finished = _course(
        trainer,
        CourseKind.SOFT_SKILLS,
        "FINANCE",
        "Quản lý tài chính cá nhân",
        today - timedelta(days=200),
        today - timedelta(days=180),
        province,
        [],
    )
    for case in at_home[:5]:
        with _as_of(finished.start_on):  # the course is over: its history is written as it was
            enrolment = training.refer(case, finished, admin)
            training.enrol(enrolment, finished.start_on)
        with _as_of(finished.end_on):
            training.complete(enrolment, finished.end_on, f"KNM-{case.id:04d}", finished.end_on)
    running = _course(
        trainer,
        CourseKind.TRADE,
        "BEAUTY",
        "Chăm sóc sắc đẹp cơ bản",
        today - timedelta(days=14),
        today + timedelta(days=46),
        province,
        [good.id],
    )
    for number, case in enumerate(in_shelter[:6] + at_home[5:8]):
        with _as_of(running.start_on):
            enrolment = training.refer(case, running, admin)
            if number < 6:
                training.enrol(enrolment, running.start_on)
    for days_ago in (14, 13, 12, 9, 8, 7):
        class_list = training_queries.class_list(running)
        present = {e.id for e in class_list if rng.random() < 0.85}
        if days_ago < 10:  # one trainee has missed the last three sessions
            present.discard(class_list[0].id)
        training.record_attendance(running, today - timedelta(days=days_ago), present)
    _course(
        trainer,
        CourseKind.TRADE,
        "FOOD",
        "Chế biến thực phẩm",
        today + timedelta(days=5),
        today + timedelta(days=65),
        province,
        [good.id],
    )
    _jobs(rng, at_home[:5], good, finished, admin, today)
    # Most people received over a month ago have a plan; a few are late with it.
    planned = at_home[:-2] + in_shelter[:3]
    for case in planned:
        _plan(case, admin)
    month_ago = today - timedelta(days=40)
    others = db.session.scalars(
        select(Case)
        .where(Case.received_on < month_ago, Case.id.not_in([case.id for case in planned]))
        .order_by(Case.received_on)
    ).all()
    for number, case in enumerate(others):
        if number % 4:
            _plan(case, admin)


@contextmanager
def _as_of(day: date):
    """Let the services write history on the day it happened."""
    real = clock.current
    clock.current = lambda: datetime.combine(day, time(9), tzinfo=clock.VIETNAM)
    try:
        yield
    finally:
        clock.current = real


def _employers(province: Province, officer: User, today: date) -> Employer:
    """One employer whose check passed (returned), one whose latest check failed."""
    communes = province.communes
    good, bad = Employer(), Employer()
    employers.save_employer(
        good,
        name="Công ty TNHH May mặc Hoàng Mai",
        kind=EmployerKind.BUSINESS,
        sector="May mặc",
        province_id=province.id,
        commune_id=communes[0].id if communes else None,
        address="Khu công nghiệp Hoàng Mai",
        contact_name="Phòng nhân sự",
        contact_phone="0238 3600 000",
    )
    employers.save_employer(
        bad,
        name="Cơ sở chế biến hải sản Cửa Lò",
        kind=EmployerKind.SMALL_PRODUCTION,
        sector="Chế biến thực phẩm",
        province_id=province.id,
        commune_id=None,
        address="Cửa Lò",
        contact_name="Chủ cơ sở",
        contact_phone="0238 3800 000",
    )
    yes: dict[str, bool | None] = dict.fromkeys(
        ("written_contract", "wages_on_time", "no_withheld_documents", "no_debt", "safe_housing"),
        True,
    )
    employers.record_check(good, today - timedelta(days=400), "Sở Y tế", yes, "", officer)
    employers.record_check(
        bad,
        today - timedelta(days=30),
        "Sở Y tế",
        {**yes, "written_contract": False, "safe_housing": None},
        "",
        officer,
    )
    return good


def _course(trainer, kind, topic_code, title, start_on, end_on, province, employer_ids):
    topic = _items(ListKind.SOFT_SKILL if kind == CourseKind.SOFT_SKILLS else ListKind.TRADE)
    return training.save_course(
        Course(),
        trainer,
        kind,
        topic[topic_code],
        start_on,
        end_on,
        employer_ids,
        title=title,
        provider="Trung tâm Giáo dục nghề nghiệp tỉnh",
        province_id=province.id,
        schedule="Thứ Hai đến thứ Sáu, 8:00–11:30",
        capacity=12,
        cost_per_trainee=3_500_000,
        market_demand="Nhu cầu tuyển dụng của doanh nghiệp trong tỉnh",
    )


def _jobs(rng, people, employer, course, admin, today) -> None:
    """Jobs for people who finished the course; the last one leaves after 70 days, and a
    follow-up after that finds an offer of work abroad."""
    signs = _items(ListKind.RISK_SIGN)
    left_on = None
    for number, case in enumerate(people):
        start_on = course.end_on + timedelta(days=10 + 5 * number)
        placement = employment.place(
            case,
            employer,
            "Công nhân may",
            start_on,
            6_500_000,
            True,
            False,
            ContractType.FIXED_TERM,
            course.id,
            admin,
        )
        if number == len(people) - 1:
            left_on = start_on + timedelta(days=70)
            employment.end_placement(placement, left_on, EndReason.RESIGNED, "")
    past = db.session.scalars(
        select(FollowUp)
        .where(FollowUp.planned_on < today - timedelta(days=3))
        .order_by(FollowUp.planned_on)
    ).all()
    overdue = [f for f in past if f.case_id != people[-1].id][-2:]  # left undone, overdue
    for followup in (f for f in past if f not in overdue):
        jobless = (
            followup.case_id == people[-1].id
            and left_on is not None
            and followup.planned_on > left_on
        )
        in_job = None if followup.placement_id is None else not jobless
        followups.record_followup(
            followup,
            followup.planned_on + timedelta(days=rng.randint(0, 3)),
            ContactMethod.HOME_VISIT,
            True,
            in_job,
            "Ổn định",
            [signs["OFFER_ABROAD"], signs["JOBLESS"]] if jobless else [],
            admin,
        )


def _plan(case: Case, admin: User) -> None:
    plan = plans.save_plan(case, None, case.received_on + timedelta(days=7), "", admin)
    for dimension, text_vi, status in (
        ("economic", "Học nghề và có việc làm ổn định", "in_progress"),
        ("social", "Làm lại giấy tờ tùy thân", "met"),
        ("psychosocial", "Tham gia tư vấn tâm lý định kỳ", "in_progress"),
    ):
        target_on = plan.agreed_on + timedelta(days=90)
        plans.save_goal(plan, None, dimension, text_vi, "Cán bộ công tác xã hội", target_on, status)


def _allowances(users: dict[str, User]) -> None:
    """Clothing paid to some residents, meals waiting for a decision, initial-hardship
    allowances of people at home: one waiting past its due date, one approved and not paid."""
    staff = {"NA-CTXH": users["staff"], "NA-NBY": users["staff.nby"]}
    officer = users["officer"]
    kinds = {kind.code: kind for kind in db.session.scalars(select(AllowanceKind))}
    in_shelter = _nghe_an_cases(Stage.IN_SHELTER)
    recent_home = [
        case
        for case in _nghe_an_cases(Stage.DISCHARGED)
        if case.received_on >= clock.today() - timedelta(days=120)
    ]
    for number, case in enumerate(in_shelter[:4]):
        facility = case.facility
        assert facility is not None, "a person in the shelter has a facility"
        requested_on = case.received_on + timedelta(days=1)
        with _as_of(requested_on):
            clothing = _request(case, kinds["CLOTHING"], requested_on, None, staff)
        with _as_of(requested_on + timedelta(days=2)):
            allowances.decide(clothing, True, "", officer)
            allowances.pay(
                clothing,
                requested_on + timedelta(days=2),
                PaymentMethod.CASH,
                f"PC-{requested_on.year}-{number + 1:03d}",
                staff[facility.code],
            )
    for case in in_shelter[4:6]:
        end = min(case.received_on + timedelta(days=29), clock.today())
        _request(case, kinds["MEALS"], case.received_on, end, staff)
    for number, case in enumerate(recent_home[:2]):
        applied_on = clock.today() - timedelta(days=20 - number * 14)
        with _as_of(applied_on):
            hardship = _request(case, kinds["HARDSHIP"], applied_on, None, staff)
        if number == 1:
            allowances.decide(hardship, True, "", officer)
    db.session.flush()


def _request(case, kind, start: date, end: date | None, staff: dict[str, User]):
    return allowances.request_allowance(
        case,
        kind,
        start,
        end,
        min(start, clock.today()),
        "Mẫu 07, giấy xác nhận nạn nhân",
        staff[case.facility.code],
    )
