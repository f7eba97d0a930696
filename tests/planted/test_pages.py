"""Every page, with an HTML payload in every text a user can type: shown as text, never as HTML.

The records are made through the services (the world of tests/inputs, one of each kind an
address names, a few more the pages show, and an import waiting for confirmation); every typed
text column of every row holds its own payload, written with the record, and for the reference
data after (plant.py). Every GET page of the app's URL map is asked for by each
role that reaches it in Vietnamese, and by one in English (the names of lists have a column
per language). No page may hold a payload as HTML, and every planted field must be shown, escaped,
on some page, unless it is known to be shown nowhere (``SHOWN_NOWHERE``).

The world is made once for the module, in a transaction rolled back at its end.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import select, update

from reintegration import clock
from reintegration.allowances import services as allowances
from reintegration.allowances.models import Payment, PaymentMethod
from reintegration.auth.models import Role, User
from reintegration.casefile.services import close_case
from reintegration.cases.models import Case
from reintegration.cases.services import reopen_case
from reintegration.employers.models import Employer
from reintegration.employment import services as employment
from reintegration.employment.models import EndReason
from reintegration.extensions import db
from reintegration.reminders import services as reminders
from reintegration.reminders.models import Reminder
from reintegration.shelter import services as shelter
from reintegration.shelter.models import Facility, Stay
from reintegration.training import services as training
from reintegration.training.models import Course, Enrolment, EnrolmentStatus
from tests.conftest import TODAY, Clock, Factory, _Client, rolled_back
from tests.employers import helpers as employers
from tests.employment import helpers as employment_helpers
from tests.imports import helpers as imports
from tests.inputs.world import ROLES, address_values, build_world
from tests.training import helpers as training_helpers

from .plant import log_in, payload, plant_everywhere, planting, raw_in, shown_in, typed_columns

LANGUAGES = ("vi", "en")
ANONYMOUS = {"auth.login", "auth.setup"}
REFUSALS = (401, 403, 404, 405)
# Pages the world cannot reach: a background export's (no export job is made here), the
# first administrator's setup (users exist), the code step of a login (between the password
# and the code only), and the reset of a second factor (the world's other user has none).
UNREACHED = {
    "exports.job",
    "exports.download",
    "exports.progress",
    "auth.setup",
    "second_factor.code",
    "second_factor.reset",
}
# Pages of one record, asked for each record of the world of its kind.
SHOWN_ONE_BY_ONE = {"cases.show", "allowances.show", "employment.employer"}
OTHERS = {
    "case_id": ("received_case", "closed_case", "home_case", "reopened_case"),
    "allowance_id": ("requested_allowance", "paid_allowance"),
    "employer_id": ("unchecked_employer", "failed_employer"),
}
# Typed fields that no page shows (kept for the files or the audit log), each with where it is
# used instead.
SHOWN_NOWHERE = {
    "risk_flags.resolution_note": "kept in the record, shown on no page",
    "stays.discharge_note": "kept in the record, shown on no page",
    "import.full_name": "the preview names no one: counts, problems and case codes",
    "import.receiving_agency": "the preview names no one: counts, problems and case codes",
}
# Values of the import waiting for confirmation, in its workbook (the preview shows them).
IMPORTED = {
    "Full name": payload("import.full_name"),
    "Receiving agency": payload("import.receiving_agency"),
    "Sex": payload("import.sex"),  # not an allowed value: the preview quotes it
}


@dataclass
class Walk:
    """What the pages showed: per page (endpoint, role, language), the fields printed raw."""

    raw: dict[tuple, list[str]] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)
    reached: set[str] = field(default_factory=set)
    pages: int = 0


@pytest.fixture(scope="module")
def walk(app):
    app.test_client_class = _Client
    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "current", Clock())
        with rolled_back():
            with planting():
                make = Factory()
                world = build_world(make)
                _more_records(make, world)
            clients = {role: _logged_in(app, world.usernames[role]) for role in ROLES}
            world.ids["token"] = _import_preview(clients, world)
            plant_everywhere()
            db.session.commit()
            yield _walk(app, world, clients)


@pytest.fixture(autouse=True)
def _transaction(walk):
    """Overrides the suite's: the tests only read what the module's walk found."""


def _more_records(make, world) -> None:
    """What the world of tests/inputs leaves out and the case and course pages show: a service,
    an extension, a commune, a correction, a drop-out, a session's topic, an ended job,
    employers not checked and failed (their pages warn, naming them), a reopened case, a
    snoozed reminder.
    The texts given are replaced by payloads as they are written (``planting``)."""
    users = {
        role: db.session.scalar(select(User).where(User.username == name))
        for role, name in world.usernames.items()
    }
    staff = users[Role.SHELTER_STAFF]
    case = db.session.get(Case, world.ids["case_id"])
    case.home_commune = make.commune(make.province("NA"))
    shelter.record_service(
        case, make.service_kind("needs_assessment"), TODAY, "CTXH", "Ghi", 0, staff
    )
    stay = db.session.get(Stay, world.ids["stay_id"])
    shelter.extend(stay, stay.planned_end + timedelta(days=10), "Chờ", "Giám đốc", staff)
    payment = db.session.get(Payment, world.ids["payment_id"])
    allowances.correct(payment, -1000, TODAY, PaymentMethod.CASH, "PC-2", "Sai", staff)
    world.ids["paid_allowance"] = payment.allowance_id
    course = db.session.get(Course, world.ids["course_id"])
    enrolment = db.session.get(Enrolment, world.ids["enrolment_id"])
    training.record_attendance(course, TODAY, {enrolment.id}, "Kỹ năng")
    received = db.session.get(Case, world.ids["received_case"])
    training_helpers.enrolment(received, course, EnrolmentStatus.DROPPED_OUT)
    placement = employment_helpers.place(
        make, case, db.session.get(Employer, world.ids["employer_id"]), TODAY - timedelta(days=2)
    )
    employment.end_placement(placement, TODAY, EndReason.OTHER, "Về quê")
    unchecked = employers.employer(make, "NA", name="Công ty chưa kiểm tra")
    failed = employers.employer(make, "NA", name="Công ty không đạt")
    employers.check(make, failed, passed=False)
    world.ids.update(unchecked_employer=unchecked.id, failed_employer=failed.id)
    reopened = make.case(stay.facility)
    close_case(reopened, "lost_contact", TODAY, "Chuyển đi", True, staff)
    reopen_case(reopened, TODAY, "Tìm lại", staff)
    world.ids["reopened_case"] = reopened.id
    db.session.commit()  # the reminders the records close are closed now
    reminder = db.session.scalars(
        select(Reminder).where(Reminder.closed_at.is_(None)).order_by(Reminder.id)
    ).first()
    reminders.snooze(reminder, TODAY + timedelta(days=3), "Chờ", users[Role.ADMIN])
    db.session.commit()


def _logged_in(app, username: str):
    client = app.test_client()
    log_in(client, username)
    return client


def _import_preview(clients, world) -> str:
    facility = db.session.get(Facility, world.ids["facility_id"])
    rows = imports.people(1, row2=IMPORTED)
    response = imports.upload(clients[Role.SHELTER_STAFF], imports.workbook(rows), facility)
    return imports.token_of(response)


def _rules(app):
    """The app's own pages: not a page another test file added to the shared app for itself
    (tests/test_operators.py's failing page), which a worker may have run first."""
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and rule.endpoint != "static"
        and app.view_functions[rule.endpoint].__module__.startswith("reintegration.")
    ]
    return sorted(rules, key=lambda rule: rule.rule)


def _walk(app, world, clients) -> Walk:
    found = Walk()
    anonymous = app.test_client()
    # The administrator first: in the second language, the one role that sees most.
    ordered = dict(sorted(clients.items(), key=lambda item: item[0] != Role.ADMIN))
    for language in LANGUAGES:
        db.session.execute(update(User).values(language=language))
        db.session.commit()
        for rule in _rules(app):
            visitors = {None: anonymous} if rule.endpoint in ANONYMOUS else ordered
            for url in _addresses(app, world, rule):
                for role, client in visitors.items():
                    reached = _visit(found, client, url, (rule.endpoint, role, language))
                    if reached and language != LANGUAGES[0]:
                        break  # the other language: one role that reaches the page
    return found


def _addresses(app, world, rule) -> list[str]:
    """The page's address with the world's records, and with each other record of its kind
    when the page shows one record (every case of the world has its own page)."""
    values = address_values(world, rule.endpoint, rule.arguments)
    variants = [values]
    if rule.endpoint in SHOWN_ONE_BY_ONE:
        for name in rule.arguments & set(OTHERS):
            variants += [{**values, name: world.ids[other]} for other in OTHERS[name]]
    with app.test_request_context():
        return [url_for(rule.endpoint, **variant) for variant in variants]


def _visit(found: Walk, client, url: str, page_key: tuple) -> bool:
    """Whether the role reached the page; what it printed is added to ``found``."""
    response = client.get(url)
    if response.status_code in REFUSALS or response.status_code in (301, 302, 303):
        return False
    assert response.status_code == 200, f"{url} as {page_key[1]}: {response.status_code}"
    found.reached.add(page_key[0])
    if response.mimetype == "text/html":
        found.pages += 1
        page = response.get_data(as_text=True)
        found.raw[(*page_key, url)] = raw_in(page)
        found.shown |= shown_in(page)
    return True


def test_no_page_prints_a_planted_text_as_html(walk):
    printed = [
        f"{url} as {role} ({language}): {', '.join(fields)}"
        for (_endpoint, role, language, url), fields in walk.raw.items()
        if fields
    ]

    assert walk.pages > 100
    assert not printed, "printed as HTML:\n" + "\n".join(printed)


def test_every_typed_text_is_shown_as_text_somewhere(walk):
    planted = {column.field for column in typed_columns()} | {
        f"import.{name}" for name in ("full_name", "receiving_agency", "sex")
    }

    missing = planted - walk.shown - set(SHOWN_NOWHERE)

    assert not missing, f"shown on no page: {sorted(missing)}"


def test_every_page_is_reached_by_some_role(app, walk):
    endpoints = {rule.endpoint for rule in _rules(app)}

    assert sorted(endpoints - walk.reached - UNREACHED) == []


def test_the_records_hold_the_payload_as_typed(walk):
    """The values are stored as typed, not escaped or stripped on the way in."""
    names = db.session.scalars(select(Facility.name)).all()

    assert names
    assert all(name.startswith("<form action=//x.example><b>") for name in names)
