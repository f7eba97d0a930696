"""How long the reminder pass takes at 1,000 to 100,000 cases, and how many statements it runs.

    .venv/bin/python bench/reminders.py [--cases 100000] [--services-per-case 20]
                                        [--database-url URL] [--explain] [--no-memory]
                                        [--markdown FILE]

Builds (once) a SQLite file bench/reminders-<N>x<S>.db, or fills an empty PostgreSQL database
given by --database-url, with cases at every point of their journey: most discharged long ago
with a plan and follow-ups, some still in a shelter, allowances at every step, courses with
attendance. Then deletes every reminder and runs three passes of ``run_pass``: the first (it
opens what is due), a second at once (nothing changed: the steady state) and one the next day,
each timed and with its SQL statements counted. A second round of the same passes, traced by
tracemalloc, gives their peak memory. Last, each rule's query on its own (--explain: its plan).
Run by hand; CI runs it at a tiny size (tests/test_benches.py). --markdown adds the figures to
FILE as tables (bench/figures.py).
"""

import argparse
import bisect
import gc
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, event, func, insert, select, text

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from figures import add as add_table  # bench/figures.py: a script's folder is on its path

from reintegration import clock, create_app
from reintegration.allowances.models import Allowance, AllowanceStatus
from reintegration.auth.models import Role
from reintegration.auth.services import create_user
from reintegration.cases.models import Case, Sex, Stage
from reintegration.database import writing
from reintegration.dates import add_months
from reintegration.extensions import db
from reintegration.followups.models import ContactMethod, FollowUp, FollowUpReason, RiskFlag
from reintegration.keys.models import SearchToken
from reintegration.keys.tokens import rows_for_cases
from reintegration.plans.models import Plan
from reintegration.reference.models import (
    IdentificationStatus,
    ListItem,
    ListKind,
    Province,
    ServiceKind,
)
from reintegration.reminders import services
from reintegration.reminders.candidates import NEEDS_ASSESSMENT
from reintegration.reminders.models import Reminder, ReminderRule
from reintegration.reminders.rules import RULES
from reintegration.shelter.models import Facility, Service, Stay
from reintegration.support.models import AllowanceKind, AllowanceRule, Holiday
from reintegration.training.models import (
    Attendance,
    Course,
    CourseKind,
    Enrolment,
    EnrolmentStatus,
    TrainingSession,
)

PASSWORD = "benchmark-password"
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Lô", "Vi"]
MIDDLE = ["Thị", "Văn", "Ngọc", "Thu", "Hồng", "Minh"]
GIVEN = ["Mai", "Lan", "Hoa", "Hương", "Thảo", "Linh", "Nga", "Vân", "Dung", "Hà", "Đào", "Yến"]
# Cases arrive evenly over three years, so consents cross their first anniversary every day.
SPAN = 3 * 365
BATCH = 5_000
# Stamped on every row written by the fill; the rules never read it.
CREATED = datetime(2020, 1, 1, tzinfo=UTC)


class Filler:
    """Rows for N cases, written in batches with bulk INSERTs.

    Ids are given here, not by the database, so that stays, follow-ups and enrolments can name
    the rows they belong to without reading anything back.
    """

    def __init__(self, cases: int, services_per_case: int, today: date) -> None:
        self.rng = random.Random(7)
        self.cases = cases
        self.services_per_case = services_per_case
        self.today = today
        self.rows: dict[object, list[dict]] = {}
        self.followup_id = 0
        # Ordinal of the day each case was received, by id (ascending: ids follow arrival).
        self.received: list[int] = []

    def add(self, model, row: dict) -> None:
        self.rows.setdefault(model, []).append(row)

    def flush(self) -> None:
        # Parents before children: the foreign keys are checked as rows go in.
        for model in (
            Case, Stay, Service, Plan, FollowUp, RiskFlag, Allowance,
            Course, TrainingSession, Enrolment, Attendance,
        ):  # fmt: skip
            rows = self.rows.pop(model, None)
            if rows:
                db.session.execute(insert(model.__table__), rows)
            if rows and model is Case:
                db.session.execute(insert(SearchToken), rows_for_cases(rows))

    def run(self) -> None:
        rng = self.rng
        provinces = db.session.scalars(select(Province).order_by(Province.sort_order)).all()
        self.route_ids = list(
            db.session.scalars(select(ListItem.id).where(ListItem.kind == ListKind.RETURN_ROUTE))
        )
        self.trade_ids = list(
            db.session.scalars(select(ListItem.id).where(ListItem.kind == ListKind.TRADE))
        )
        kinds = db.session.scalars(select(ServiceKind).order_by(ServiceKind.id)).all()
        self.assessment = next(kind for kind in kinds if kind.code == NEEDS_ASSESSMENT)
        self.other_kinds = [kind for kind in kinds if kind.code != NEEDS_ASSESSMENT]
        self.allowance_kinds = {}
        for code in ("CLOTHING", "HARDSHIP"):
            kind = db.session.scalar(select(AllowanceKind).where(AllowanceKind.code == code))
            rule = db.session.scalar(
                select(AllowanceRule).where(
                    AllowanceRule.kind_id == kind.id, AllowanceRule.province_id.is_(None)
                )
            )
            self.allowance_kinds[code] = (kind, rule)
        self.days_off = set(db.session.scalars(select(Holiday.day)))
        self.facilities = []
        for province in provinces:
            for number in (1, 2):
                facility = Facility(
                    code=f"{province.code}-{number}",
                    name=f"Trung tâm {province.name_vi} {number}",
                    province=province,
                    capacity=10_000,
                )
                db.session.add(facility)
                self.facilities.append(facility)
        db.session.flush()
        self.admin = create_user("bench.admin", PASSWORD, Role.ADMIN).id
        self.staff = create_user(
            "bench.staff", PASSWORD, Role.SHELTER_STAFF, facility=self.facilities[0]
        ).id
        self.officer = create_user(
            "bench.officer", PASSWORD, Role.PROVINCIAL_OFFICER, province=provinces[0]
        ).id
        self.worker = create_user(
            "bench.worker", PASSWORD, Role.CASE_WORKER, province=provinces[0]
        ).id
        self.trainer = create_user("bench.trainer", PASSWORD, Role.TRAINER).id
        facilities = [(f.id, f.province_id, f.province.code) for f in self.facilities]
        counters: dict[tuple[int, int], int] = {}
        for case_id in range(1, self.cases + 1):
            days_ago = (self.cases - case_id) * SPAN // self.cases
            received = self.today - timedelta(days=days_ago)
            self.received.append(received.toordinal())
            facility = rng.choice(facilities)
            key = (facility[1], received.year)
            counters[key] = counters.get(key, 0) + 1
            self.case(case_id, received, days_ago, facility, counters[key])
            if case_id % BATCH == 0:
                self.flush()
        self.flush()
        for course_id in range(1, max(5, self.cases // 200) + 1):
            self.course(course_id, rng.choice(provinces).id)
            if course_id % 50 == 0:
                self.flush()
        self.flush()

    def case(self, case_id: int, received: date, days_ago: int, facility, number: int) -> None:
        rng, today = self.rng, self.today
        # A resident leaves after about two months; a few overstay by up to a month.
        open_stay = rng.random() < (0.95 if days_ago < 60 else 0.15 if days_ago < 90 else 0)
        discharged = None
        if not open_stay:
            discharged = received + timedelta(days=min(rng.randint(25, 60), days_ago))
        planned_end = received + timedelta(days=60)
        closed = discharged is not None and days_ago > 420 and rng.random() < 0.3
        if open_stay:
            stage = Stage.IN_SHELTER
        elif closed:
            stage = Stage.CLOSED
        elif days_ago > 240 and rng.random() < 0.3:
            stage = Stage.EMPLOYED
        else:
            stage = Stage.DISCHARGED
        consent = rng.random() < 0.97
        consent_date = received if consent else None
        # Most people renew their consent each year; a fifth let it lapse.
        if consent and days_ago >= 365 and rng.random() < 0.8:
            consent_date = today - timedelta(days=rng.randint(0, 364))
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        self.add(
            Case,
            {
                "id": case_id,
                "code": f"{facility[2]}-{received.year}-{number:05d}",
                "province_id": facility[1],
                "facility_id": facility[0],
                "stage": stage,
                "full_name": name,
                "sex": Sex.FEMALE,
                "date_of_birth": received - timedelta(days=rng.randint(16 * 365, 45 * 365)),
                "home_province_id": facility[1],
                "received_on": received,
                "receiving_agency": "Bộ đội Biên phòng",
                "return_route_id": rng.choice(self.route_ids),
                "identification_status": IdentificationStatus.IDENTIFIED,
                "consent_given": consent,
                "consent_date": consent_date,
                "consent_storage": consent,
                "created_by_id": self.admin,
                "created_at": CREATED,
            },
        )
        ending_soon = open_stay and 0 <= (planned_end - today).days <= 15
        self.add(
            Stay,
            {
                "id": case_id,
                "case_id": case_id,
                "facility_id": facility[0],
                "admitted_on": received,
                "planned_end": planned_end,
                "discharged_on": discharged,
                "discharge_planned_on": planned_end if ending_soon and rng.random() < 0.5 else None,
                "created_at": CREATED,
            },
        )
        self.services(case_id, received, discharged or today)
        agreed = received + timedelta(days=rng.randint(5, 28))
        if agreed <= today and rng.random() < 0.97:
            self.add(
                Plan,
                {"case_id": case_id, "agreed_on": agreed, "created_at": CREATED},
            )
        if discharged is not None:
            self.followups(case_id, discharged)
        self.allowance(case_id, facility[0], "CLOTHING", received, received + timedelta(days=1))
        if discharged is not None and rng.random() < 0.8:
            applied = discharged + timedelta(days=rng.randint(0, 10))
            self.allowance(case_id, facility[0], "HARDSHIP", applied, applied)

    def services(self, case_id: int, admitted: date, end: date) -> None:
        rng = self.rng
        span = (end - admitted).days
        # One resident in twelve waits for a needs assessment that never comes.
        assessed = rng.random() >= 0.08
        kinds = self.other_kinds
        rows = self.rows.setdefault(Service, [])
        for number in range(self.services_per_case):
            if number == 0 and assessed:
                kind = self.assessment
                provided = admitted + timedelta(days=min(rng.randint(0, 2), span))
            else:
                kind = kinds[(case_id + number) % len(kinds)]
                provided = admitted + timedelta(days=number * span // self.services_per_case)
            rows.append(
                {
                    "case_id": case_id,
                    "stay_id": case_id,
                    "kind_id": kind.id,
                    "support_type_id": kind.support_type_id,
                    "provided_on": provided,
                    "provider": "Cán bộ công tác xã hội",
                    "cost": 50_000 * (number % 5),
                    "created_at": CREATED,
                }
            )

    def followups(self, case_id: int, discharged: date) -> None:
        rng, today = self.rng, self.today
        for months in current_app.config["FOLLOW_UP_MONTHS"]:
            self.followup_id += 1
            planned = add_months(discharged, months)
            if planned < today - timedelta(days=14):
                done = rng.random() < 0.96
            elif planned <= today:
                done = rng.random() < 0.5
            else:
                done = False
            done_on = min(planned + timedelta(days=rng.randint(-3, 10)), today) if done else None
            self.add(
                FollowUp,
                {
                    "id": self.followup_id,
                    "case_id": case_id,
                    "reason": FollowUpReason.DISCHARGE,
                    "stay_id": case_id,
                    "mark_months": months,
                    "planned_on": planned,
                    "done_on": done_on,
                    "done_by_id": self.worker if done else None,
                    "method": ContactMethod.HOME_VISIT if done else None,
                    "contact_made": True if done else None,
                    "created_at": CREATED,
                },
            )
            if done and rng.random() < 0.01:
                self.flag(case_id, done_on)

    def flag(self, case_id: int, raised: date) -> None:
        rng, today = self.rng, self.today
        resolved = None
        if rng.random() < (0.9 if raised < today - timedelta(days=30) else 0.3):
            resolved = min(raised + timedelta(days=rng.randint(1, 30)), today)
        self.add(
            RiskFlag,
            {
                "case_id": case_id,
                "followup_id": self.followup_id,
                "raised_on": raised,
                "resolved_on": resolved,
                "resolved_by_id": self.worker if resolved else None,
                "resolution_note": "Đã gặp gia đình" if resolved else "",
                "created_at": CREATED,
            },
        )

    def allowance(self, case_id: int, facility_id: int, code: str, start: date, applied: date):
        rng, today = self.rng, self.today
        if applied > today:
            return
        kind, rule = self.allowance_kinds[code]
        age = (today - applied).days
        roll = rng.random()
        # Old requests are settled but for a few stragglers; recent ones are at every step.
        if age > 30:
            status = (
                AllowanceStatus.PAID if roll < 0.95
                else AllowanceStatus.APPROVED if roll < 0.96
                else AllowanceStatus.REQUESTED if roll < 0.965
                else AllowanceStatus.REFUSED if roll < 0.985
                else AllowanceStatus.CANCELLED
            )  # fmt: skip
        else:
            status = (
                AllowanceStatus.REQUESTED if roll < 0.35
                else AllowanceStatus.APPROVED if roll < 0.65
                else AllowanceStatus.PAID
            )  # fmt: skip
        decided = status not in (AllowanceStatus.REQUESTED, AllowanceStatus.CANCELLED)
        decided_on = applied + timedelta(days=rng.randint(0, min(age, 9)))
        self.add(
            Allowance,
            {
                "case_id": case_id,
                "kind_id": kind.id,
                "rule_id": rule.id,
                "facility_id": facility_id,
                "period_from": start,
                "amount": rule.amount,
                "computation": [{"fixed": rule.amount}],
                "applied_on": applied,
                "documents": "Mẫu 07",
                "decision_due_on": (
                    self.working_days_after(applied, kind.decision_days)
                    if kind.decision_days
                    else None
                ),
                "status": status,
                "requested_by_id": self.staff,
                "requested_at": datetime(applied.year, applied.month, applied.day, 2, tzinfo=UTC),
                "decided_by_id": self.officer if decided else None,
                "decided_at": (
                    datetime(decided_on.year, decided_on.month, decided_on.day, 3, tzinfo=UTC)
                    if decided
                    else None
                ),
                "reason": "" if status != AllowanceStatus.CANCELLED else "Đã về nhà",
                "cancelled_by_id": self.staff if status == AllowanceStatus.CANCELLED else None,
            },
        )

    def working_days_after(self, start: date, count: int) -> date:
        """As allowances.policy.add_working_days, with the holidays read once."""
        current = start
        while count > 0:
            current += timedelta(days=1)
            if current.weekday() < 5 and current not in self.days_off:
                count -= 1
        return current

    def course(self, course_id: int, province_id: int) -> None:
        rng, today = self.rng, self.today
        # The first course starts within the week and the second ends within it, so the course
        # rules find something at every size; a trainee of the second misses the last sessions.
        # The third starts today: its reminder closes the next day.
        if course_id == 1:
            start, length = today + timedelta(days=3), 60
        elif course_id == 2:
            start, length = today - timedelta(days=56), 60
        elif course_id == 3:
            start, length = today, 45
        else:
            start = today - timedelta(days=SPAN) + timedelta(days=rng.randint(0, SPAN + 30))
            length = rng.randint(40, 90)
        end = start + timedelta(days=length)
        self.add(
            Course,
            {
                "id": course_id,
                "title": f"Lớp nghề {course_id}",
                "kind": CourseKind.TRADE,
                "topic_id": rng.choice(self.trade_ids),
                "provider": "Trường trung cấp nghề",
                "province_id": province_id,
                "trainer_id": self.trainer,
                "start_on": start,
                "end_on": end,
                "schedule": "Thứ 2, 4, 6",
                "capacity": 25,
                "created_at": CREATED,
            },
        )
        sessions = []
        day = start
        while day <= min(end, today):
            if day.weekday() in (0, 2, 4):
                session_id = course_id * 1_000 + len(sessions)
                sessions.append(session_id)
                self.add(
                    TrainingSession,
                    {"id": session_id, "course_id": course_id, "held_on": day, "topic": ""},
                )
            day += timedelta(days=1)
        # Trainees come from the people received two to five months before the course.
        first = bisect.bisect_left(self.received, (start - timedelta(days=150)).toordinal())
        last = bisect.bisect_right(self.received, (start - timedelta(days=40)).toordinal())
        pool = range(first + 1, last + 1) if last - first >= 20 else range(1, self.cases + 1)
        trainees = rng.sample(pool, min(rng.randint(12, 20), len(pool)))
        running = start <= today <= end
        for number, case_id in enumerate(trainees):
            enrolment_id = course_id * 100 + number
            roll = rng.random()
            if end < today:
                status = EnrolmentStatus.COMPLETED if roll < 0.85 else EnrolmentStatus.DROPPED_OUT
            elif start > today:
                status = EnrolmentStatus.ENROLLED if roll < 0.7 else EnrolmentStatus.REFERRED
            else:
                status = (
                    EnrolmentStatus.ATTENDING if roll < 0.85
                    else EnrolmentStatus.ENROLLED if roll < 0.9
                    else EnrolmentStatus.DROPPED_OUT
                )  # fmt: skip
            if course_id == 2 and number == 0:
                status = EnrolmentStatus.ATTENDING
            held = len(sessions)
            dropped_at = rng.randint(0, held) if status == EnrolmentStatus.DROPPED_OUT else held
            self.add(
                Enrolment,
                {
                    "id": enrolment_id,
                    "course_id": course_id,
                    "case_id": case_id,
                    "status": status,
                    "referred_on": start - timedelta(days=rng.randint(7, 30)),
                    "enrolled_on": None if status == EnrolmentStatus.REFERRED else start,
                    "completed_on": end if status == EnrolmentStatus.COMPLETED else None,
                    "certificate_number": (
                        f"CC-{enrolment_id}" if status == EnrolmentStatus.COMPLETED else ""
                    ),
                    "dropped_out_on": today if status == EnrolmentStatus.DROPPED_OUT else None,
                    "dropout_reason": (
                        "Đi làm xa" if status == EnrolmentStatus.DROPPED_OUT else ""
                    ),
                    "created_by_id": self.trainer,
                    "created_at": CREATED,
                },
            )
            if status == EnrolmentStatus.REFERRED:
                continue
            absent_from = held
            stays_on = running and status != EnrolmentStatus.DROPPED_OUT
            if stays_on and ((course_id == 2 and number == 0) or rng.random() < 0.1):
                absent_from = held - rng.randint(3, 5)
            for index, session_id in enumerate(sessions[:dropped_at]):
                present = index < absent_from and rng.random() < 0.92
                self.add(
                    Attendance,
                    {"session_id": session_id, "enrolment_id": enrolment_id, "present": present},
                )


def fill(cases: int, services_per_case: int, kind: type[Filler] = Filler) -> None:
    """``kind``: another benchmark may place the same people differently."""
    filler = kind(cases, services_per_case, date.today())
    filler.run()
    if db.session.get_bind().dialect.name == "postgresql":
        # Ids were given by the fill: the sequences must follow, or the app's next insert fails.
        for table in ("cases", "stays", "followups", "courses", "training_sessions", "enrolments"):
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            db.session.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))  # noqa: S608
        db.session.commit()
        # Autovacuum would analyze the new tables soon; the passes should not race it.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    db.session.commit()


class Statements:
    """Counts what reaches the database driver: each executemany, each insertmanyvalues batch."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.count = 0
        self.last: tuple[str, object] | None = None

    def __call__(self, _conn, _cursor, statement, parameters, _context, _executemany):
        self.count += 1
        self.last = (statement, parameters)

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self)


def measure_pass(app, label: str, day: date, traced: bool) -> dict:
    with app.app_context():
        engine = db.engine
    gc.collect()
    if traced:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    with Statements(engine) as statements:
        start = time.perf_counter()
        with app.app_context(), writing():
            result = services.run_pass(day)
            db.session.commit()
            db.session.remove()
        seconds = time.perf_counter() - start
    return {
        "pass": label,
        "seconds": seconds,
        "statements": statements.count,
        "opened": result.opened,
        "closed": result.closed,
        "peak_mb": (tracemalloc.get_traced_memory()[1] - base) / 2**20 if traced else None,
    }


def run_passes(app, today: date, traced: bool) -> list[dict]:
    """The first pass, the same again, the next day's, from no reminders at all."""
    with app.app_context():
        db.session.execute(delete(Reminder))
        db.session.commit()
    if traced:
        tracemalloc.start()
    try:
        return [
            measure_pass(app, "first", today, traced),
            measure_pass(app, "again", today, traced),
            measure_pass(app, "next day", today + timedelta(days=1), traced),
        ]
    finally:
        if traced:
            tracemalloc.stop()


def explain(connection, statement: str, parameters) -> list[str]:
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return [row[0] for row in rows]
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    depth = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


def measure_rules(app, day: date, show_plans: bool) -> None:
    """Each rule's query alone, with its rows fetched, as the pass runs it."""
    print(f"\n{'query':<24}{'rows':>9}{'seconds':>9}")
    with app.app_context():
        settings = db.session.scalars(select(ReminderRule).order_by(ReminderRule.id)).all()
        queries = [
            (setting.code, RULES[setting.code].candidates(day, setting.value))
            for setting in settings
            if setting.code in RULES and setting.enabled
        ]
        # As services._live_reminders reads them.
        live = select(Reminder.id, Reminder.rule_id, Reminder.subject_id, Reminder.due_on).where(
            Reminder.closed_at.is_(None)
        )
        queries.append(("live reminders", live))
        for code, query in queries:
            with Statements(db.engine) as statements:
                start = time.perf_counter()
                rows = len(db.session.execute(query).all())
                seconds = time.perf_counter() - start
            print(f"{code:<24}{rows:>9}{seconds:>9.3f}")
            if show_plans:
                statement, parameters = statements.last
                for line in explain(db.session.connection(), statement, parameters):
                    print(f"    {line}")
        db.session.rollback()


def measure_tasks(app, today: date, runs: int = 7) -> list[list]:
    """Each role's task list at this size: the inbox query and the count in the navigation bar
    that every page shows. The rows of its table."""
    table = []
    clock.move_to(today)
    print(
        f"\n{'Tasks page of':<18}{'reminders':>10}{'median ms':>11}{'max ms':>9}{'statements':>11}"
    )
    users = ("bench.admin", "bench.officer", "bench.staff", "bench.worker", "bench.trainer")
    for username in users:
        client = app.test_client()
        client.post("/login", data={"username": username, "password": PASSWORD})
        with app.app_context():
            statements = Statements(db.engine)
        timings = []
        for _ in range(runs):
            with statements:
                start = time.perf_counter()
                response = client.get("/tasks/")
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (username, response.status_code)
        rows = response.get_data(as_text=True).count("data-rule=")
        print(
            f"{username:<18}{rows:>10}{statistics.median(timings):>11.1f}{max(timings):>9.1f}"
            f"{statements.count:>11}"
        )
        median = f"{statistics.median(timings):.1f}"
        table.append([username, rows, median, f"{max(timings):.1f}", statements.count])
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--services-per-case", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--explain", action="store_true", help="print each rule's query plan")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the second, traced round of passes"
    )
    parser.add_argument("--markdown", help="add the figures to this file as markdown tables")
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(
        os.path.dirname(os.path.abspath(__file__)),
        f"reminders-{args.cases}x{args.services_per_case}.db",
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
        # The fill's last case arrives on the day of the fill: the passes run as of that day,
        # so a file filled earlier gives the same figures.
        today = db.session.scalar(select(func.max(Case.received_on)))
        counts = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Case, Service, FollowUp, Allowance, Enrolment, Attendance)
        }
        name = db.engine.dialect.name
    print(f"{name}, as of {today}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    results = run_passes(app, today, traced=False)
    if not args.no_memory:
        # tracemalloc slows the pass several times over: the times come from the untraced
        # round, the peaks from this one, which starts again from no reminders.
        for row, traced in zip(results, run_passes(app, today, traced=True), strict=True):
            row["peak_mb"] = traced["peak_mb"]
            if (row["opened"], row["closed"]) != (traced["opened"], traced["closed"]):
                print(f"the traced {row['pass']} pass did not do the same", file=sys.stderr)
    cases = counts["cases"]
    print(
        f"\n{'cases':>7}  {'database':<11}{'pass':<10}{'seconds':>8}{'statements':>11}"
        f"{'opened':>8}{'closed':>8}{'peak MB':>9}"
    )
    for row in results:
        peak = f"{row['peak_mb']:.1f}" if row["peak_mb"] is not None else "-"
        print(
            f"{cases:>7}  {name:<11}{row['pass']:<10}{row['seconds']:>8.2f}{row['statements']:>11}"
            f"{row['opened'].total():>8}{row['closed'].total():>8}{peak:>9}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux gives kilobytes
    print(f"largest resident size of the process: {rss:.0f} MB")
    print(f"\n{'opened / closed':<24}" + "".join(f"{row['pass']:>14}" for row in results))
    for code in RULES:
        cells = "".join(f"{row['opened'][code]:>8} / {row['closed'][code]:<3}" for row in results)
        print(f"{code:<24}{cells}")
    measure_rules(app, today, args.explain)
    tasks = measure_tasks(app, today)
    passes = [
        [
            cases,
            row["pass"],
            f"{row['seconds']:.2f}",
            row["statements"],
            row["opened"].total(),
            row["closed"].total(),
            f"{row['peak_mb']:.1f}" if row["peak_mb"] is not None else "-",
        ]
        for row in results
    ]
    header = ["cases", "pass", "seconds", "statements", "opened", "closed", "peak MB"]
    add_table(args.markdown, f"reminders-{name}", header, passes)
    header = ["Tasks page of", "reminders", "median ms", "max ms", "statements"]
    add_table(args.markdown, f"tasks-{name}", header, tasks)


if __name__ == "__main__":
    main()
