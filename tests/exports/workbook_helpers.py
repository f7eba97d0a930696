"""A small province for the support workbook tests, and reading the workbook back."""

import re
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from reintegration import clock
from reintegration.allowances import services as allowance_services
from reintegration.allowances.models import PaymentMethod
from reintegration.auth.models import Role, User
from reintegration.cases.models import Case, Sex
from reintegration.employment.models import Placement
from reintegration.extensions import db
from reintegration.followups.models import ContactMethod, FollowUp
from reintegration.followups.services import record_followup
from reintegration.reference.models import ListKind
from reintegration.shelter import services as shelter
from reintegration.shelter.models import Facility
from reintegration.training.models import Course, CourseKind, Enrolment, EnrolmentStatus
from tests.allowances.helpers import kind
from tests.employers.helpers import checked_employer
from tests.employment.helpers import place

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD = {"start": "01/01/2026", "end": "15/03/2026"}
SHEETS_EN = [
    "Summary",
    "Cases",
    "Stays",
    "Services",
    "Allowances",
    "Payments",
    "Training",
    "Placements",
    "Follow-ups",
]
PHONE = "0912 345 678"
NAMES = {
    "mai": "Lò Thị Mai",
    "tung": "Lương Văn Tùng",
    "hoa": "Hà Thị Hoa",
    "lan": "Vi Thị Lan",
    "returning": "Lò Thị Hằng",
    "neighbour": "Quán Văn Minh",
    "old": "Mạc Thị Đào",
    "far": "Hồ Thị Xuân",
}


@dataclass
class Province:
    """Nghe An with two facilities, and one facility in Ha Tinh."""

    facilities: dict[str, Facility]
    cases: dict[str, Case]

    def user(self, make, role: Role, **kw) -> User:
        if role == Role.SHELTER_STAFF:
            return make.user(role, facility=self.facilities["here"], **kw)
        if role in (Role.PROVINCIAL_OFFICER, Role.CASE_WORKER):
            return make.user(role, province="NA", **kw)
        return make.user(role, **kw)


def _forms(make, *codes):
    return [make.item(ListKind.EXPLOITATION, code) for code in codes]


def _case(make, facility, key, **fields):
    return make.case(
        facility,
        full_name=NAMES[key],
        phone=PHONE,
        family_contacts="Mẹ: Lò Thị Vân, 0987 654 321",
        **fields,
    )


def build_province(make) -> Province:
    """Cases received between 10/01 and 10/03/2026, one before, each of them in a stay.

    In Nghe An's period 01/01–15/03/2026: four women and two men; ages at reception 14, 17,
    36 (estimated), unknown, 21 and 46.
    """
    facilities = {
        "here": make.facility("NA", code="NA-SWC", name="Trung tâm Công tác xã hội Nghệ An"),
        "neighbour": make.facility("NA", code="NA-VINH", name="Ngôi nhà Bình yên Vinh"),
        "far": make.facility("HT", code="HT-SWC", name="Trung tâm Công tác xã hội Hà Tĩnh"),
    }
    route = lambda code: make.item(ListKind.RETURN_ROUTE, code)  # noqa: E731
    country = lambda code: make.item(ListKind.COUNTRY, code)  # noqa: E731
    here, far = facilities["here"], facilities["far"]
    cases = {
        "mai": _case(
            make,
            here,
            "mai",
            date_of_birth=date(2011, 6, 1),
            received_on=date(2026, 2, 1),
            exploitation_forms=_forms(make, "SEXUAL", "MARRIAGE"),
            exploitation_country=country("CN"),
        ),
        "tung": _case(
            make,
            here,
            "tung",
            sex=Sex.MALE,
            date_of_birth=date(2008, 3, 2),
            received_on=date(2026, 3, 1),
            exploitation_forms=_forms(make, "LABOUR"),
            exploitation_country=country("KH"),
            return_route=route("RESCUED"),
        ),
        "hoa": _case(
            make,
            here,
            "hoa",
            date_of_birth=None,
            estimated_birth_year=1990,
            received_on=date(2026, 1, 10),
            home_province="HT",
            exploitation_forms=_forms(make, "CRIMINALITY"),
            exploitation_country=country("KH"),
            return_route=route("SELF"),
        ),
        "lan": _case(make, here, "lan", date_of_birth=None, received_on=date(2026, 3, 10)),
        "returning": _case(
            make,
            far,
            "returning",
            date_of_birth=date(2005, 1, 1),
            received_on=date(2026, 2, 15),
            exploitation_forms=_forms(make, "SEXUAL"),
            exploitation_country=country("CN"),
        ),
        "neighbour": _case(
            make,
            facilities["neighbour"],
            "neighbour",
            sex=Sex.MALE,
            date_of_birth=date(1980, 1, 1),
            received_on=date(2026, 1, 20),
            exploitation_forms=_forms(make, "LABOUR"),
            exploitation_country=country("LA"),
            return_route=route("RESCUED"),
        ),
        "old": _case(make, here, "old", received_on=date(2025, 12, 20)),
        "far": _case(make, far, "far", home_province="HT", received_on=date(2026, 2, 1)),
    }
    for case in cases.values():
        make.stay(case)
    db.session.commit()
    return Province(facilities, cases)


def service(make, case, on: date, cost: int, provider="Trung tâm CTXH", notes="", code=None):
    return shelter.record_service(
        case,
        make.service_kind(code or "needs_assessment"),
        on,
        provider,
        notes,
        cost,
        make._system_user(),
    )


def payment(make, frozen_clock, case, code: str, on: date, receipt: str):
    """An allowance of ``code`` requested, approved and paid on ``on``; the clock comes back to
    the tests' day."""
    today = clock.today()
    on_day(frozen_clock, on)
    requester = make.user(Role.SHELTER_STAFF, facility=case.facility)
    officer = make.user(Role.PROVINCIAL_OFFICER, province=case.province.code)
    allowance = allowance_services.request_allowance(
        case, kind(code), on, None, on, "Mẫu 07", requester
    )
    allowance_services.decide(allowance, True, "", officer)
    allowance_services.pay(allowance, on, PaymentMethod.CASH, receipt, requester)
    on_day(frozen_clock, today)
    return allowance


def course(make, province: str = "NA", **fields) -> Course:
    made = Course(
        title=fields.pop("title", "Chăm sóc sắc đẹp K3"),
        kind=CourseKind.TRADE,
        topic=make.item(ListKind.TRADE, "FOOD"),
        provider=fields.pop("provider", "Trường Trung cấp nghề Nghệ An"),
        province=make.province(province),
        start_on=date(2026, 1, 5),
        end_on=date(2026, 3, 31),
        capacity=20,
        cost_per_trainee=fields.pop("cost_per_trainee", 4_000_000),
        **fields,
    )
    db.session.add(made)
    db.session.flush()
    return made


def enrolment(case, course, referred_on: date, **fields) -> Enrolment:
    made = Enrolment(
        course_id=course.id,
        case_id=case.id,
        status=fields.pop("status", EnrolmentStatus.REFERRED),
        referred_on=referred_on,
        **fields,
    )
    db.session.add(made)
    db.session.flush()
    return made


def job(make, case, start_on: date, **fields) -> Placement:
    employer = checked_employer(make, case.province.code)
    return place(make, case, employer, start_on, **fields)


def followup_done(make, placement: Placement, done_on: date, signs=(), wellbeing=""):
    followup = db.session.query(FollowUp).filter_by(placement_id=placement.id).first()
    return record_followup(
        followup,
        done_on,
        ContactMethod.PHONE,
        True,
        True,
        wellbeing,
        [make.item(ListKind.RISK_SIGN, code) for code in signs],
        make._system_user(),
    )


def on_day(frozen_clock, day: date):
    """Move the clock, for a service that stamps records with today's date."""
    frozen_clock.set(day)
    assert clock.today() == day


def download(client, place_value: str, **fields):
    return client.post("/exports/support", data={"place": place_value, **PERIOD, **fields})


def workbook_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == XLSX
    return load_workbook(BytesIO(response.data))


def place_value(place) -> str:
    prefix = "facility" if isinstance(place, Facility) else "province"
    return f"{prefix}-{place.id}"


def headers(ws) -> list[str]:
    return [cell.value for cell in next(ws.iter_rows(min_row=1, max_row=1))]


def rows(ws) -> list[dict]:
    """The data rows of a table sheet, as dicts by header, up to the first empty row."""
    names = headers(ws)
    found = []
    for row in ws.iter_rows(min_row=2):
        if all(cell.value is None for cell in row):
            break
        found.append({name: cell for name, cell in zip(names, row, strict=False)})
    return found


def values(ws) -> list[dict]:
    return [{name: cell.value for name, cell in row.items()} for row in rows(ws)]


def totals_row(ws):
    """The row whose first cell says Total (or Tổng cộng), below the table."""
    for row in ws.iter_rows(min_row=2):
        if row[0].value in ("Total", "Tổng cộng"):
            return row
    raise AssertionError(f"no totals row on {ws.title}")


_SUM = re.compile(r"^=SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)$")


def computed(ws, cell) -> int:
    """What Excel computes for ``=SUM(X2:X9)``: the sum of the numbers in that range."""
    match = _SUM.match(cell.value)
    assert match, cell.value
    first, start, last, end = match.groups()
    assert first == last
    column = column_index_from_string(first)
    total = 0
    for (value,) in ws.iter_rows(
        min_row=int(start), max_row=int(end), min_col=column, max_col=column, values_only=True
    ):
        total += value if isinstance(value, int | float) else 0
    return total


def summary_table(ws, title: str) -> dict[str, object]:
    """The rows of the summary's table ``title`` as {label: first value}, Total included."""
    table, inside = {}, False
    for row in ws.iter_rows(values_only=False):
        label = row[0].value
        if not inside:
            inside = label == title
            continue
        if label is None:
            return table
        value = row[1]
        table[label] = computed(ws, value) if str(value.value).startswith("=SUM") else value.value
    raise AssertionError(f"no table {title!r}")


def every_text(book) -> list[str]:
    return [
        str(value)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
