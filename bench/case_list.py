"""How fast the case list and case page are at 100,000 cases and 2 million service rows.

    .venv/bin/python bench/case_list.py [--cases 100000] [--services-per-case 20]
                                        [--database-url URL] [--markdown FILE]

Builds (once) a SQLite file bench/cases-<N>.db, or fills an empty PostgreSQL database given by
--database-url, then times each page through the application with an administrator and with a
provincial officer, and counts the SQL statements each page runs. Run by hand; CI runs it at a
tiny size (tests/test_benches.py). --markdown adds the figures to FILE as a table
(bench/figures.py).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta

from sqlalchemy import event, func, insert, select

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from figures import add as add_table  # bench/figures.py: a script's folder is on its path

from reintegration import create_app
from reintegration.auth.models import Role, User
from reintegration.auth.services import create_user
from reintegration.cases.models import Case, Sex, Stage
from reintegration.extensions import db
from reintegration.keys.models import SearchToken
from reintegration.keys.tokens import rows_for_cases
from reintegration.reference.models import (
    IdentificationStatus,
    ListItem,
    ListKind,
    Province,
    ServiceKind,
)
from reintegration.shelter.models import Facility, Service, Stay

PASSWORD = "benchmark-password"
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Lô", "Vi"]
MIDDLE = ["Thị", "Văn", "Ngọc", "Thu", "Hồng", "Minh"]
GIVEN = ["Mai", "Lan", "Hoa", "Hương", "Thảo", "Linh", "Nga", "Vân", "Dung", "Hà", "Đào", "Yến"]
TODAY = date.today()


def fill(cases: int, services_per_case: int) -> None:
    rng = random.Random(7)
    provinces = db.session.scalars(select(Province).order_by(Province.sort_order)).all()
    routes = db.session.scalars(select(ListItem.id).where(ListItem.kind == ListKind.RETURN_ROUTE))
    route_ids = list(routes)
    kinds = db.session.scalars(select(ServiceKind)).all()
    facilities = []
    for province in provinces:
        for number in (1, 2):
            facility = Facility(
                code=f"{province.code}-{number}",
                name=f"Trung tâm {province.name_vi} {number}",
                province=province,
                capacity=10_000,
            )
            db.session.add(facility)
            facilities.append(facility)
    db.session.flush()
    admin = create_user("bench.admin", PASSWORD, Role.ADMIN)
    create_user("bench.officer", PASSWORD, Role.PROVINCIAL_OFFICER, province=provinces[8])
    batch, stays, services = [], [], []
    counters: dict[tuple[int, int], int] = {}
    for case_id in range(1, cases + 1):
        facility = rng.choice(facilities)
        received = TODAY - timedelta(days=rng.randint(0, 3650))
        key = (facility.province_id, received.year)
        counters[key] = counters.get(key, 0) + 1
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        open_stay = received > TODAY - timedelta(days=80) and rng.random() < 0.9
        batch.append(
            {
                "id": case_id,
                "code": f"{facility.province.code}-{received.year}-{counters[key]:05d}",
                "province_id": facility.province_id,
                "facility_id": facility.id,
                "stage": Stage.IN_SHELTER if open_stay else Stage.DISCHARGED,
                "full_name": name,
                "sex": Sex.FEMALE,
                "date_of_birth": received - timedelta(days=rng.randint(16 * 365, 45 * 365)),
                "home_province_id": facility.province_id,
                "received_on": received,
                "receiving_agency": "Bộ đội Biên phòng",
                "return_route_id": rng.choice(route_ids),
                "identification_status": IdentificationStatus.IDENTIFIED,
                "consent_given": True,
                "consent_date": received,
                "consent_storage": True,
                "created_by_id": admin.id,
            }
        )
        stays.append(
            {
                "id": case_id,
                "case_id": case_id,
                "facility_id": facility.id,
                "admitted_on": received,
                "planned_end": received + timedelta(days=60),
                "discharged_on": None if open_stay else received + timedelta(days=45),
            }
        )
        for number in range(services_per_case):
            kind = kinds[number % len(kinds)]
            services.append(
                {
                    "case_id": case_id,
                    "stay_id": case_id,
                    "kind_id": kind.id,
                    "support_type_id": kind.support_type_id,
                    "provided_on": received + timedelta(days=number % 45),
                    "provider": "Cán bộ công tác xã hội",
                    "cost": 50_000 * (number % 5),
                }
            )
        if len(batch) == 5_000:
            _flush(batch, stays, services)
    _flush(batch, stays, services)
    db.session.commit()


def _flush(cases: list, stays: list, services: list) -> None:
    if cases:
        db.session.execute(insert(Case), cases)
        db.session.execute(insert(SearchToken), rows_for_cases(cases))
        db.session.execute(insert(Stay), stays)
    if services:
        db.session.execute(insert(Service), services)
    cases.clear(), stays.clear(), services.clear()


def measure(app, client, path: str, runs: int, search: str) -> tuple[float, float, int]:
    counter = {"n": 0}

    def count(*_args, **_kwargs):
        counter["n"] += 1

    with app.app_context():
        engine = db.engine
    timings = []
    for _ in range(runs):
        counter["n"] = 0
        event.listen(engine, "before_cursor_execute", count)
        start = time.perf_counter()
        # A search is posted: the text searched for never goes in an address.
        response = client.post(path, data={"q": search}) if search else client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(timings), max(timings), counter["n"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--services-per-case", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--markdown", help="add the figures to this file as a markdown table")
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(
        os.path.dirname(os.path.abspath(__file__)), f"cases-{args.cases}.db"
    )
    # The bench measures pages, not logins: its accounts log in with a password alone.
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "TOTP_REQUIRED_ROLES": (),
        }
    )
    with app.app_context():
        if not db.session.scalar(select(func.count(Case.id))):
            start = time.perf_counter()
            fill(args.cases, args.services_per_case)
            print(f"filled {args.cases} cases in {time.perf_counter() - start:.0f} s")
        total = db.session.scalar(select(func.count(Case.id)))
        rows = db.session.scalar(select(func.count(Service.id)))
        officer = db.session.scalar(select(User).where(User.username == "bench.officer"))
        sample = db.session.scalar(select(Case.id).where(Case.province_id == officer.province_id))
        dialect = db.engine.dialect.name
        print(f"{dialect}: {total} cases, {rows} service rows")
    pages = [
        ("case list, first page", "/cases/"),
        ("search 'nguyen'", "/cases/?search=nguyen"),
        ("search by code prefix", "/cases/?search=NA-2024"),
        ("residents, by days remaining", "/cases/?stage=in_shelter&sort=days"),
        ("overstayed", "/cases/?days=overstayed"),
        ("page 500", "/cases/?page=500"),
        ("home dashboard", "/"),
        (f"case page, {args.services_per_case} services", f"/cases/{sample}"),
    ]
    table = []
    for username in ("bench.admin", "bench.officer"):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": PASSWORD})
        print(f"\n{username}")
        print(f"{'page':<32}{'median ms':>10}{'max ms':>10}{'queries':>9}")
        for label, path in pages:
            path, _, text = path.partition("?search=")
            median, worst, queries = measure(app, client, path, args.runs, text)
            print(f"{label:<32}{median:>10.1f}{worst:>10.1f}{queries:>9}")
            table.append([username, label, f"{median:.1f}", f"{worst:.1f}", queries])
    header = ["user", "page", "median ms", "max ms", "statements"]
    add_table(args.markdown, f"case_list-{dialect}", header, table)


if __name__ == "__main__":
    main()
