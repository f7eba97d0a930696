"""A province's team at once, on a real threaded server: no error page, no lost edit, nothing
saved twice.

Twelve people at the same time open the case list and case pages, search by name, record
services (some sending the same form twice, as after a slow answer), and edit one shared case.
Every request is served by a thread of its own with its own database connection, committing
for real, on a database of the test's own (SQLite file or PostgreSQL database).
"""

import random
import re
import threading
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.shelter.models import Service
from tests.browsing import Browser, serving
from tests.conftest import PASSWORD, Factory
from tests.own_database import app_on_own_database, own_sessions

SHELTER_SESSIONS = 8
EDITING_SESSIONS = 4
ROUNDS = 3
CASES = 12
CONFLICT = "Someone else saved this record while you had this form open"


@dataclass
class World:
    base: str
    case_ids: list[int]
    shared_case_id: int
    shelter_users: list[str]
    editors: list[str]


@dataclass
class Outcomes:
    statuses: list[tuple[str, int]] = field(default_factory=list)
    services_meant: set[str] = field(default_factory=set)
    case_pages_shown: int = 0
    saved_edits: list[tuple[str, str]] = field(default_factory=list)  # (address read, posted)
    conflicts: int = 0
    failures: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str, page) -> None:
        with self.lock:
            self.statuses.extend((what, status) for status in page.statuses)
            # A case page, or the form to edit a case, shows the person: a view to log.
            shown = re.fullmatch(r"/cases/\d+", page.path) or what == "case edit"
            self.case_pages_shown += bool(shown and page.status == 200)


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    with app_on_own_database(
        tmp_path_factory,
        "team",
        WTF_CSRF_ENABLED=True,
        SESSION_COOKIE_SECURE=False,
        # Exceptions become 500 answers, as in production, instead of reaching the server.
        PROPAGATE_EXCEPTIONS=False,
    ) as app:
        yield app


def _seed(app) -> tuple[list[int], int, list[str], list[str]]:
    with own_sessions(), app.app_context():
        make = Factory()
        facility = make.facility("NA", capacity=50)
        shelter = [
            make.user(Role.SHELTER_STAFF, facility=facility, language="en").username
            for _ in range(SHELTER_SESSIONS)
        ]
        editors = [
            make.user(Role.SHELTER_STAFF, facility=facility, language="en").username
            for _ in range(EDITING_SESSIONS)
        ]
        cases = [make.case(facility, full_name=f"Lò Thị Hoa {n}") for n in range(CASES)]
        for case in cases:
            make.stay(case, facility)
        db.session.commit()
        ids = [case.id for case in cases]
        db.session.remove()
    return ids, ids[0], shelter, editors


def _shelter_work(world: World, username: str, number: int, outcomes: Outcomes) -> None:
    browser = Browser(world.base)
    browser.login(username, PASSWORD)
    pick = random.Random(number)
    for round_ in range(ROUNDS):
        outcomes.note("list", browser.get("/cases/"))
        search = dict(browser.get("/cases/").form("/cases/"))
        search["q"] = "hoa"
        outcomes.note("search", page := browser.post("/cases/", search))
        assert "Lò Thị Hoa" in page.text
        case_id = pick.choice(world.case_ids)
        outcomes.note("case page", browser.get(f"/cases/{case_id}"))
        _record_service(browser, case_id, f"session {number} round {round_}", outcomes)


def _record_service(browser: Browser, case_id: int, provider: str, outcomes: Outcomes) -> None:
    path = f"/cases/{case_id}/services/new"
    fields = dict(browser.get(path).form())
    fields.update(provider=provider, cost="150.000", notes="Tư vấn tâm lý")
    with outcomes.lock:
        outcomes.services_meant.add(provider)
    first = browser.post(path, fields)
    outcomes.note("service", first)
    # The answer looked slow: the same form is sent again. One service must come of both.
    again = browser.post(path, fields)
    outcomes.note("service sent again", again)
    assert first.path == again.path == f"/cases/{case_id}", (first.path, again.path)


def _edit_shared_case(world: World, username: str, number: int, outcomes: Outcomes) -> None:
    browser = Browser(world.base)
    browser.login(username, PASSWORD)
    path = f"/cases/{world.shared_case_id}/edit"
    for round_ in range(ROUNDS):
        form = browser.get(path)
        outcomes.note("case edit", form)
        fields = dict(form.form())
        read = fields.get("receiving_agency", "")
        posted = f"Đồn Biên phòng {number}-{round_}"
        fields["receiving_agency"] = posted
        page = browser.post(path, fields)
        outcomes.note("case saved", page)
        with outcomes.lock:
            if CONFLICT in page.text:
                outcomes.conflicts += 1
                assert page.path == path
                assert posted in page.text
            else:
                assert page.path == f"/cases/{world.shared_case_id}", page.path
                outcomes.saved_edits.append((read, posted))


def _everyone_at_once(world: World) -> Outcomes:
    outcomes = Outcomes()
    jobs = [(_shelter_work, name) for name in world.shelter_users]
    jobs += [(_edit_shared_case, name) for name in world.editors]
    start = threading.Barrier(len(jobs))

    def person(work, username, number):
        try:
            start.wait()
            work(world, username, number, outcomes)
        except BaseException as error:  # reported by the test
            with outcomes.lock:
                outcomes.failures.append(error)

    threads = [
        threading.Thread(target=person, args=(work, name, number))
        for number, (work, name) in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.fixture(scope="module")
def day(team):
    ids, shared, shelter, editors = _seed(team)
    with serving(team) as base:
        outcomes = _everyone_at_once(World(base, ids, shared, shelter, editors))
    return team, shared, outcomes


def test_twelve_people_at_once_get_no_error_page(day):
    _app, _shared, outcomes = day

    assert outcomes.failures == []
    errors = [(what, status) for what, status in outcomes.statuses if status >= 500]
    assert errors == []
    assert {what for what, _ in outcomes.statuses} >= {"list", "search", "case page", "service"}


def test_each_service_is_recorded_once_although_every_form_was_sent_twice(day):
    app, _shared, outcomes = day

    with own_sessions(), app.app_context():
        providers = db.session.scalars(
            select(Service.provider).where(Service.provider.like("session %"))
        ).all()

    assert sorted(providers) == sorted(outcomes.services_meant)
    assert len(providers) == SHELTER_SESSIONS * ROUNDS


def test_every_case_page_shown_is_in_the_audit_log(day):
    app, _shared, outcomes = day

    with own_sessions(), app.app_context():
        views = db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == Action.VIEW, AuditEntry.entity == "cases"
            )
        )

    assert views == outcomes.case_pages_shown


def test_no_edit_of_the_shared_case_is_lost(day):
    """Every save was made on the receiving agency as it then stood: a save from an older form was
    refused and shown as a conflict, never written over a colleague's."""
    app, shared, outcomes = day

    with own_sessions(), app.app_context():
        changes = db.session.scalars(
            select(AuditEntry.changes)
            .where(
                AuditEntry.action == Action.UPDATE,
                AuditEntry.entity == "cases",
                AuditEntry.entity_id == shared,
            )
            .order_by(AuditEntry.id)
        ).all()
        stored = db.session.get(Case, shared).receiving_agency

    written = [
        tuple(change["receiving_agency"]) for change in changes if "receiving_agency" in change
    ]
    assert sorted(written) == sorted((old or "", new) for old, new in outcomes.saved_edits)
    assert len(written) + outcomes.conflicts == EDITING_SESSIONS * ROUNDS
    chain = [new for _old, new in written]
    assert [old for old, _new in written][1:] == chain[:-1]  # each save read the one before
    assert stored == chain[-1]
    assert re.fullmatch(r"Đồn Biên phòng \d+-\d", stored)
