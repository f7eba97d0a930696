"""The case page: day counter, timeline, stage, consent, entitlements, and its query count."""

import re
from datetime import date, time

import pytest
from sqlalchemy import event, func, select

from reintegration.auth.models import Role
from reintegration.demo import load_demo
from reintegration.employment.models import Placement
from reintegration.extensions import db
from reintegration.followups.models import FollowUp, RiskFlag
from reintegration.plans.models import Plan
from reintegration.reference.models import IdentificationStatus, ListKind
from reintegration.shelter import services as shelter
from reintegration.shelter.models import Service
from reintegration.training.models import Enrolment
from tests.helpers import in_english, section, sign_in, text_of

# The statements of a full case page: the login and its session, the case and each of its
# parts once, the Tasks count of the menu, the audit entry of the view (on SQLite, also the
# explicit BEGINs). bench/README.md gives the same counts from bench/case_list.py.
CASE_PAGE_STATEMENTS = {"sqlite": 32, "postgresql": 33}


@pytest.fixture
def admin(make):
    return make.user(Role.ADMIN, username="quantri")


def _open(client, auth, user, case):
    sign_in(auth, user)
    in_english(client)
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response


def _timeline(response) -> list[tuple[str, str]]:
    """(kind, date) of each timeline entry, top to bottom."""
    part = section(response, '<ol class="timeline">', "</ol>")
    return re.findall(r'<li class="(\w+)"><div class="small text-muted">([\d/]+)</div>', part)


def test_resident_page_shows_day_n_of_m(client, make, auth, admin):
    case = make.case(make.facility(stay_days=60), received_on=date(2026, 3, 12))
    make.stay(case, admitted_on=date(2026, 3, 12))

    page = text_of(_open(client, auth, admin, case))

    assert "Day 4 of 60" in page
    assert "57 days remaining" in page
    assert "In the shelter" in page


def test_case_not_admitted_shows_its_stage_and_no_counter(client, make, auth, admin):
    case = make.case()

    page = text_of(_open(client, auth, admin, case))

    assert "Received, not admitted" in page
    assert "Not admitted to a facility." in page
    assert "Day " not in page


def test_timeline_lists_the_journey_newest_first(client, make, auth, admin, frozen_clock):
    facility = make.facility(name="Ngôi nhà Bình yên", stay_days=30)
    case = make.case(facility, received_on=date(2026, 1, 10), consent_date=date(2026, 1, 10))
    frozen_clock.set(date(2026, 1, 12))
    stay = make.stay(case, admitted_on=date(2026, 1, 12))
    shelter.record_service(
        case,
        make.service_kind("needs_assessment"),
        date(2026, 1, 13),
        "Chị Hoàng Thị Yến",
        "",
        0,
        admin,
    )
    frozen_clock.set(date(2026, 2, 5))
    shelter.extend(stay, date(2026, 3, 1), "Chờ xác minh gia đình", "Giám đốc Trung tâm", admin)
    db.session.flush()
    frozen_clock.set(date(2026, 3, 1))
    shelter.discharge(
        stay, date(2026, 3, 1), make.item(ListKind.DESTINATION, "HOME"), "Xã Kỳ Sơn", "", admin
    )
    shelter.record_service(
        case,
        make.service_kind("counselling"),
        date(2026, 3, 5),
        "Anh Đinh Văn Phúc",
        "",
        200000,
        admin,
    )
    frozen_clock.set(date(2026, 3, 15))

    response = _open(client, auth, admin, case)

    entries = [entry for entry in _timeline(response) if entry[0] != "consent"]
    assert entries == [
        ("service", "05/03/2026"),
        ("discharge", "01/03/2026"),
        ("extension", "05/02/2026"),
        ("service", "13/01/2026"),
        ("admission", "12/01/2026"),
        ("reception", "10/01/2026"),
    ]
    page = text_of(response)
    assert "Received by Bộ đội Biên phòng" in page
    assert "Admitted to Ngôi nhà Bình yên" in page
    assert "Stay extended to 01/03/2026" in page
    assert "Approved by Giám đốc Trung tâm. Reason: Chờ xác minh gia đình" in page
    assert "Discharged: Home with family" in page
    assert "Psychological counselling (g)" in page
    assert "Discharged" in section(response, '<span class="badge', "</span>")


def test_an_extension_is_dated_by_the_day_in_vietnam(client, make, auth, admin, frozen_clock):
    case = make.case(make.facility(stay_days=30), received_on=date(2026, 3, 1))
    stay = make.stay(case, admitted_on=date(2026, 3, 1))
    frozen_clock.set(date(2026, 3, 15), time(6, 30))
    shelter.extend(stay, date(2026, 4, 15), "Chờ giấy tờ", "Giám đốc", admin)
    db.session.flush()

    response = _open(client, auth, admin, case)

    assert ("extension", "15/03/2026") in _timeline(response)


def test_consent_and_what_it_covers(client, make, auth, admin):
    case = make.case(
        consent_date=date(2026, 3, 12),
        consent_sharing=True,
        consent_agencies="Công an tỉnh Nghệ An",
        consent_contact=True,
    )

    part = section(_open(client, auth, admin, case), '<h2 class="h5">Consent</h2>', "</section>")

    assert "Given on 12/03/2026. It covers:" in part
    assert "Storing the person's data" in part
    assert "Sharing with: Công an tỉnh Nghệ An" in part
    assert "Contact by case workers after going home" in part


def test_refused_consent_is_shown_as_refused(client, make, auth, admin):
    case = make.case(consent_given=False, consent_storage=False, consent_date=date(2026, 3, 13))

    part = section(_open(client, auth, admin, case), '<h2 class="h5">Consent</h2>', "</section>")

    assert "Refused on 13/03/2026." in part
    assert "It covers" not in part


def test_entitlements_follow_the_identification_status(client, make, auth, admin):
    case = make.case(identification_status=IdentificationStatus.UNDER_IDENTIFICATION_ABROAD)

    part = section(
        _open(client, auth, admin, case), "Identification and entitlements", "</section>"
    )

    assert "Under identification, still abroad" in part
    for letter in "abcd":
        assert f"<li>✓ {letter}) " in part
    for letter in ("đ", "e", "g", "h", "i", "k"):
        assert f"<del>{letter}) " in part


def test_identified_victim_is_entitled_to_every_type(client, make, auth, admin):
    case = make.case(identification_status=IdentificationStatus.IDENTIFIED)

    part = section(
        _open(client, auth, admin, case), "Identification and entitlements", "</section>"
    )

    assert part.count("<li>✓ ") == 10
    assert "<del>" not in part


def test_case_page_query_count_does_not_grow_with_services(
    client, make, auth, admin, count_queries
):
    case = make.case(make.facility(stay_days=30), received_on=date(2026, 3, 1))
    stay = make.stay(case, admitted_on=date(2026, 3, 1))
    shelter.extend(stay, date(2026, 4, 10), "Chờ giấy tờ", "Giám đốc", admin)
    kinds = [make.service_kind(code) for code in ("needs_assessment", "counselling", "meals")]
    sign_in(auth, admin)

    def add_services(number):
        for i in range(number):
            shelter.record_service(
                case, kinds[i % 3], date(2026, 3, 2 + i % 10), f"Cán bộ {i}", "", 1000 * i, admin
            )

    def measure() -> int:
        db.session.commit()
        with count_queries() as counter:
            response = client.get(f"/cases/{case_id}")
        assert response.status_code == 200
        return counter.count

    case_id = case.id
    add_services(2)
    few = measure()
    add_services(18)
    many = measure()

    assert many == few


def _tables_read(statements: list[str]) -> list[str]:
    """The table named first after FROM in each SELECT that reads one: what each read is for."""
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    return [found[1] for s in reads if (found := re.search(r"\bFROM\s+(\w+)", s))]


def test_a_full_case_page_reads_each_thing_once(client, make, auth, admin, count_queries):
    """The demo's fullest case (stay, services, plan, course, job, follow-ups, a risk flag): no
    table read twice, no query per row, and the statements pinned."""
    load_demo()
    related = (FollowUp, RiskFlag, Placement, Enrolment, Plan, Service)
    score = {}
    for model in related:
        for case_id, rows in db.session.execute(
            select(model.case_id, func.count()).group_by(model.case_id)
        ):
            score[case_id] = score.get(case_id, 0) + 1000 + rows
    case_id = max(score, key=lambda key: (score[key], -key))
    assert score[case_id] > 6000  # every kind of thing, as a full case has
    sign_in(auth, admin)
    client.get(f"/cases/{case_id}")
    statements = []

    def seen(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with count_queries() as counter:
            response = client.get(f"/cases/{case_id}")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)

    assert response.status_code == 200
    tables = _tables_read(statements)
    assert [table for table in set(tables) if tables.count(table) > 1] == [], " ".join(tables)
    assert counter.count == CASE_PAGE_STATEMENTS[db.engine.dialect.name], [
        s[:40] for s in statements
    ]
