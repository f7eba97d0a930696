"""Fixtures: one migrated database per run, each test inside a transaction rolled back after it.

Set DATABASE_URL to run the suite on PostgreSQL; its database name must contain "test",
because the suite drops every table in it first.
"""

import os
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import g
from flask import session as flask_session
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import make_url

from reintegration import clock, create_app
from reintegration.auth import totp
from reintegration.auth.models import Role, User
from reintegration.auth.services import create_user
from reintegration.auth.views import start_session
from reintegration.cases.models import Case, Sex
from reintegration.cases.services import create_case
from reintegration.database import MIGRATIONS
from reintegration.extensions import db
from reintegration.reference.models import (
    Commune,
    IdentificationStatus,
    ListItem,
    ListKind,
    Province,
    ServiceKind,
)
from reintegration.shelter import services as shelter
from reintegration.shelter.models import Facility
from tests.helpers import World, build_world
from tests.own_database import drop_templates, on_server

PASSWORD = "correct horse battery"
# The TOTP secret of every user Auth.login enrolls (tests/conftest.py).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# Tests run on a fixed day unless they move the clock: 15 March 2026, 09:00 in Vietnam.
TODAY = date(2026, 3, 15)
# DATABASE_URL as given, and the worker's own, when an xdist worker runs on a database of its
# own beside it.
_WORKER_URLS = pytest.StashKey[tuple[str, str]]()


def _worker_database(url: str, worker: str) -> str:
    """The PostgreSQL database of one xdist worker: the test database's name with the
    worker's id (``..._gw0``), made empty now; the workers run side by side on the server."""
    own = make_url(url)
    own = own.set(database=f"{own.database}_{worker}").render_as_string(hide_password=False)
    name = make_url(own).database
    on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    on_server(url, f'CREATE DATABASE "{name}"')
    return own


def pytest_configure(config):
    """Under pytest-xdist each worker has a database of its own, beside DATABASE_URL's, which
    every test and tests/own_database.py then take as theirs (SQLite files are already apart,
    each worker having its own temporary folder)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("DATABASE_URL")
    if not worker or not url or "test" not in (make_url(url).database or ""):
        return
    own = _worker_database(url, worker)
    config.stash[_WORKER_URLS] = (url, own)
    os.environ["DATABASE_URL"] = own


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """The worker drops its database before it tells xdist it has finished (after that, it
    may be ended at any moment), and the migrated template of the apps on a database of their
    own (tests/own_database.py)."""
    drop_templates()
    urls = session.config.stash.get(_WORKER_URLS, None)
    if urls is not None:
        shared, own = urls
        on_server(shared, f'DROP DATABASE IF EXISTS "{make_url(own).database}" WITH (FORCE)')
        os.environ["DATABASE_URL"] = shared


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    name = make_url(url).database or ""
    if "test" not in name:
        pytest.exit(f"refusing to run tests on database {name!r}: its name lacks 'test'", 2)
    return url


def _empty(connection) -> None:
    """Drop every table left by an earlier run (PostgreSQL databases are reused)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    else:
        for table in inspect(connection).get_table_names():
            connection.execute(text(f'DROP TABLE IF EXISTS "{table}"'))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": _database_url(tmp_path_factory),
            "AUTO_MIGRATE": False,
            "WTF_CSRF_ENABLED": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )
    with app.app_context():
        with db.engine.begin() as connection:
            _empty(connection)
        upgrade(directory=MIGRATIONS)
        db.session.remove()
    return app


class _ConnectionSession(FlaskSession):
    """Flask-SQLAlchemy's session picks the app's engine; in tests it must use the connection."""

    def get_bind(self, *_args, **_kwargs):
        return self.bind


@contextmanager
def rolled_back():
    """``db.session`` on one connection whose every write, including those of the requests
    made meanwhile, is rolled back at the end (in an app context); yields the connection."""
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = db._make_scoped_session(
        {
            "bind": connection,
            "join_transaction_mode": "create_savepoint",
            "class_": _ConnectionSession,
        }
    )
    try:
        yield connection
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _transaction(app):
    """Every test's writes, including those of requests it makes, are rolled back after it."""
    with app.app_context(), rolled_back():
        yield


class Clock:
    """The app's clock, frozen; tests move it with ``set`` and ``advance``."""

    def __init__(self):
        self.now = datetime.combine(TODAY, time(9, 0), tzinfo=clock.VIETNAM).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: date, at: time = time(9, 0)) -> None:
        self.now = datetime.combine(day, at, tzinfo=clock.VIETNAM).astimezone(UTC)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)

    @property
    def today(self) -> date:
        return clock.today()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(clock, "current", frozen)
    return frozen


class _Client(FlaskClient):
    """Each request gets its own app context, as in production: its own ``g``, locale, login
    and database session (on the test's connection, so the test sees what it wrote)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()  # the test reads afterwards what the request stored
        return response


@pytest.fixture
def client(app):
    app.test_client_class = _Client
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Builds records through the same services the pages use."""

    def __init__(self):
        self._counter = 0

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def province(self, code: str = "NA") -> Province:
        return db.session.scalar(select(Province).where(Province.code == code))

    def item(self, kind: ListKind, code: str) -> ListItem:
        return db.session.scalar(
            select(ListItem).where(ListItem.kind == kind, ListItem.code == code)
        )

    def service_kind(self, code: str) -> ServiceKind:
        return db.session.scalar(select(ServiceKind).where(ServiceKind.code == code))

    def commune(self, province: Province | None = None, name: str | None = None) -> Commune:
        province = province or self.province()
        commune = Commune(
            province=province,
            name_vi=name or f"Xã Thử {self._next()}",
            name_en=name or f"Test commune {self._counter}",
        )
        db.session.add(commune)
        db.session.flush()
        return commune

    def facility(self, province: str = "NA", capacity: int = 20, stay_days: int = 60, **kw):
        number = self._next()
        facility = Facility(
            code=kw.pop("code", f"F{number}"),
            name=kw.pop("name", f"Trung tâm Công tác xã hội {number}"),
            province=self.province(province),
            capacity=capacity,
            standard_stay_days=stay_days,
            **kw,
        )
        db.session.add(facility)
        db.session.flush()
        return facility

    def user(self, role: Role = Role.ADMIN, facility=None, province: str | None = None, **kw):
        """A user; one whose role requires two-factor login is enrolled with TOTP_SECRET,
        unless ``second_factor=False`` (the tests of enrolment)."""
        second_factor = kw.pop("second_factor", True)
        user = create_user(
            kw.pop("username", f"user{self._next()}"),
            kw.pop("password", PASSWORD),
            role,
            facility=facility,
            province=self.province(province) if province else None,
            **kw,
        )
        if second_factor and totp.required(user):
            totp.enrol_with_secret(user, TOTP_SECRET)
        return user

    def case(self, facility=None, province: str = "NA", by: User | None = None, **fields) -> Case:
        defaults = dict(
            full_name=f"Nguyễn Thị Mai {self._next()}",
            sex=Sex.FEMALE,
            date_of_birth=date(2000, 5, 17),
            received_on=TODAY - timedelta(days=3),
            receiving_agency="Bộ đội Biên phòng",
            home_province=self.province(fields.pop("home_province", province)),
            return_route=self.item(ListKind.RETURN_ROUTE, "HANDOVER"),
            identification_status=IdentificationStatus.IDENTIFIED,
            consent_given=True,
            consent_date=TODAY - timedelta(days=3),
            consent_storage=True,
        )
        defaults.update(fields)
        case = Case(facility=facility, **defaults)
        province_row = facility.province if facility is not None else self.province(province)
        return create_case(case, province_row, by or self._system_user())

    def stay(self, case: Case, facility=None, admitted_on: date | None = None, by=None):
        facility = facility or case.facility or self.facility()
        return shelter.admit(
            case, facility, admitted_on or case.received_on, by or self._system_user()
        )

    def _system_user(self) -> User:
        user = db.session.scalar(select(User).where(User.username == "factory"))
        return user or self.user(Role.ADMIN, username="factory")


@pytest.fixture
def make(app) -> Factory:
    return Factory()


@pytest.fixture
def world_in_shelter() -> bool:
    """Whether the people of ``world`` are admitted; a domain's conftest.py may say no."""
    return True


@pytest.fixture
def world(make, world_in_shelter) -> World:
    """Two provinces, three facilities and four people in the shelter, committed
    (tests/helpers.py, World). A domain that needs more extends it in its conftest.py."""
    return build_world(make, in_shelter=world_in_shelter)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user: User, password: str = PASSWORD, second_factor: bool = True):
        """Log in as a person would, the code step included (a user whose role requires
        two-factor login and who has not enrolled is enrolled first with TOTP_SECRET), unless
        ``second_factor`` is False: the tests of the code step and of enrolment."""
        factor = totp.factor_of(user)
        if factor is not None:
            factor.last_step = None  # a test may log in again at the same frozen moment
        elif second_factor and totp.required(user):
            totp.enrol_with_secret(user, TOTP_SECRET)
        db.session.commit()
        response = self.client.post(
            "/login", data={"username": user.username, "password": password}
        )
        return second_step(self.client, response) if second_factor else response

    def begin_session(self, user: User) -> None:
        """The browser left as a right password (and code) leave it: the session that
        ``auth.views.start_session`` begins, without the two requests of the login. For the
        tests whose subject is not the login, which tests/auth tries in full (``login``)."""
        assert user.active, "a deactivated account cannot sign in: use login to see it refused"
        if totp.required(user) and totp.factor_of(user) is None:
            totp.enrol_with_secret(user, TOTP_SECRET)
        db.session.commit()
        app = self.client.application
        # The client's address and browser: the session is bound to them (Flask-Login).
        with app.test_request_context(environ_base=self.client.environ_base):
            start_session(user)
            values = dict(flask_session)
            g.pop("_login_user", None)  # the test's own context stays logged out
        with self.client.session_transaction() as browser:
            browser.clear()
            browser.update(values)

    def logout(self):
        return self.client.post("/logout")


def totp_codes(secret: str = TOTP_SECRET) -> list[str]:
    """The code an authenticator app shows now (the frozen clock's time), then the next one:
    the same user logged in twice at the same frozen moment needs a code not used yet."""
    now = totp.step_at()
    return [totp.code_at(secret, now), totp.code_at(secret, now + 1)]


def second_step(client, response, secret: str = TOTP_SECRET):
    """After a right password: type the code on the code page, as a person would."""
    if response.location != "/login/code":
        return response
    for code in totp_codes(secret):
        answer = client.post("/login/code", data={"code": code})
        if answer.status_code == 302:
            break
    return answer


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *_args, **_kwargs):
        self.count += 1


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter:`` counts the SQL statements run inside."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    return counting
