"""Hostile values sent to every page of the app, found from its own URL map.

Every rule that takes a POST is sent, as a user whose role reaches it, hostile values in the
fields of the forms its view builds (hidden ones too), the other fields valid; every rule that
takes a GET is sent hostile query strings and impossible ids. No answer is a server error, the
last line of defence (errors.value_not_stored) never answers, and a value that a field must
refuse writes nothing: no INSERT, UPDATE or DELETE but the audit log's, and the same number of
rows in every other table.

The world of records is made once for the module, in a transaction rolled back at its end;
each test, and each request inside it, runs in a savepoint rolled back after it.
"""

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from reintegration import clock, create_app
from reintegration.auth.models import Role
from reintegration.errors import value_not_stored
from reintegration.extensions import db
from reintegration.screening import MOST_INTEGER
from reintegration.shelter.models import Facility
from tests.conftest import PASSWORD, Clock, Factory, rolled_back, second_step
from tests.imports import helpers as imports

from .hostile import HOSTILE, REFUSED_BY_ALL, REFUSED_BY_VALUES, FieldInfo, FormRecorder
from .world import ROLES, World, address_values, build_world

# Examples per rule: enough to mix values across fields, few enough for CI.
EXAMPLES = 4
QUERY_EXAMPLES = 2
settings.register_profile(
    "hostile-input",
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HOSTILE_SETTINGS = settings.get_profile("hostile-input")
QUERY_SETTINGS = settings(HOSTILE_SETTINGS, max_examples=QUERY_EXAMPLES)

# Pages a visitor reaches without logging in.
ANONYMOUS = {"auth.login", "auth.setup", "auth.language"}
# Names the views read from query strings themselves (not through a filter form).
QUERY_NAMES = (
    "page",
    "year",
    "start",
    "end",
    "on",
    "next",
    "q",
    "endpoint",
    "_external",
    "_scheme",
)
# Roles tried in turn for each page: the people of the case work first, the administrator last.
PROBED_ROLES = (
    Role.SHELTER_STAFF,
    Role.PROVINCIAL_OFFICER,
    Role.CASE_WORKER,
    Role.TRAINER,
    Role.ADMIN,
)
# What a role that may not reach a page gets.
REFUSALS = (401, 403, 404, 405)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)
AUDIT_TABLE = "audit_entries"


def _rules():
    listing = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "AUTO_MIGRATE": False}
    )
    rules = [rule for rule in listing.url_map.iter_rules() if rule.endpoint != "static"]
    return sorted(rules, key=lambda rule: (rule.rule, sorted(rule.methods)))


RULES = _rules()
POST_RULES = [rule for rule in RULES if "POST" in rule.methods]
GET_RULES = [rule for rule in RULES if "GET" in rule.methods]


def _id(rule) -> str:
    return rule.endpoint


# The module's world, and each test's savepoint in it.


@dataclass
class Site:
    world: World
    connection: object
    cookies: dict
    recorder: FormRecorder
    backstop: list
    app: object

    def client(self, role) -> FlaskClient:
        client = self.app.test_client()
        if role is not None:
            client.set_cookie("session", self.cookies[role], domain="localhost")
        return client


class _Records(logging.Handler):
    """Keeps what the last line of defence (errors.value_not_stored) logs."""

    def __init__(self, records):
        super().__init__(logging.WARNING)
        self.records = records

    def emit(self, record):
        if record.funcName == value_not_stored.__name__:
            self.records.append(record)


@pytest.fixture(scope="module")
def site(app, tmp_path_factory):
    from tests.conftest import _Client

    app.test_client_class = _Client
    with (
        app.app_context(),
        pytest.MonkeyPatch.context() as patch,
        rolled_back() as connection,
    ):
        patch.setattr(clock, "current", Clock())
        backstop: list = []
        handler = _Records(backstop)
        logging.getLogger("reintegration.errors").addHandler(handler)
        try:
            world = build_world(Factory())
            cookies = {role: _log_in(app, world.usernames[role]) for role in ROLES}
            world.ids["token"] = _import_preview(app, cookies[Role.SHELTER_STAFF], world)
            recorder = FormRecorder()
            recorder.install(patch)
            yield Site(world, connection, cookies, recorder, backstop, app)
        finally:
            logging.getLogger("reintegration.errors").removeHandler(handler)


def _log_in(app, username: str) -> str:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    response = second_step(client, response)
    assert response.status_code == 302, f"{username} could not log in"
    return client.get_cookie("session", domain="localhost").value


def _import_preview(app, cookie: str, world: World) -> str:
    """The token of an import waiting for confirmation, uploaded by the shelter staff."""
    client = app.test_client()
    client.set_cookie("session", cookie, domain="localhost")
    facility = db.session.get(Facility, world.ids["facility_id"])
    return imports.token_of(imports.upload(client, imports.workbook(imports.people(2)), facility))


@pytest.fixture(autouse=True)
def _transaction(app, site):
    """Overrides the suite's: a savepoint in the module's world instead of a new world."""
    with app.app_context():
        saved = site.connection.begin_nested()
        try:
            yield
        finally:
            db.session.remove()
            if saved.is_active:
                saved.rollback()


@contextmanager
def _undone(site: Site):
    """One request's changes, rolled back after it, the import waiting for confirmation (a row
    of the database) put back with them if the request imported it."""
    saved = site.connection.begin_nested()
    try:
        yield
    finally:
        if saved.is_active:
            saved.rollback()


# Sending a request and what it wrote.


@dataclass
class Sent:
    status: int
    writes: list[str]
    rows: dict | None
    backstop: list


def row_counts(connection) -> dict[str, int]:
    """Rows of every table but the audit log's, in one statement."""
    tables = [table for table in db.metadata.sorted_tables if table.name != AUDIT_TABLE]
    counts = [select(func.count()).select_from(table).scalar_subquery() for table in tables]
    row = connection.execute(select(*counts)).one()
    return dict(zip([table.name for table in tables], row, strict=True))


def _send(site: Site, role, method: str, url: str, count_rows: bool = False, **kwargs) -> Sent:
    """The request, in a savepoint undone after it; the statements that wrote, and the rows
    of every table after it when ``count_rows``."""
    writes: list[str] = []

    def watch(_conn, _cursor, statement, *_args):
        if WRITE.match(statement) and AUDIT_TABLE not in statement.split("(")[0]:
            writes.append(statement.split("\n")[0][:120])

    seen = len(site.backstop)
    with _undone(site):
        event.listen(db.engine, "before_cursor_execute", watch)
        try:
            response = site.client(role).open(url, method=method, **kwargs)
        finally:
            event.remove(db.engine, "before_cursor_execute", watch)
        rows = row_counts(site.connection) if count_rows else None
    return Sent(response.status_code, writes, rows, site.backstop[seen:])


# Which user reaches a rule, and the fields of the forms its view validates.


@dataclass
class Target:
    rule: object
    url: str
    role: object
    fields: dict[str, FieldInfo]

    def baseline(self) -> dict[str, list[str]]:
        return {name: info.valid for name, info in self.fields.items() if info.valid}


_TARGETS: dict[tuple, Target | None] = {}


def _reached(site: Site, rule, method: str) -> Target:
    key = (rule.rule, method)
    if key not in _TARGETS:
        _TARGETS[key] = _find_target(site, rule, method)
    if _TARGETS[key] is None:
        pytest.skip(f"no role reaches {rule.endpoint} with the world's records")
    return _TARGETS[key]


def _find_target(site: Site, rule, method: str) -> Target | None:
    """The first role that reaches the page, and the fields of the forms its view validates
    when sent an empty form, with the values the page shows in them (a GET of the same
    address: the hidden key of a new record, the version of an edited one)."""
    url = _url(site, rule)
    for role in [None] if rule.endpoint in ANONYMOUS else PROBED_ROLES:
        shown, fields = {}, {}
        if method == "POST" and _has_get(site, url):
            _probe(site, role, url, "GET")
            shown, fields = site.recorder.shown(), site.recorder.fields()
        if _probe(site, role, url, method):
            fields = site.recorder.fields() or fields
            for name, info in fields.items():
                if info.kind in ("hidden", "other") and shown.get(name):
                    info.valid = [shown[name]]
            return Target(rule, url, role, fields)
    return None


def _probe(site: Site, role, url: str, method: str) -> bool:
    """Whether ``role`` reaches the page; the forms its view built are recorded."""
    site.recorder.clear()
    with _undone(site):
        response = site.client(role).open(url, method=method, data={})
    sent_to_login = "/login?next=" in response.headers.get("Location", "")
    return response.status_code not in REFUSALS and not sent_to_login


def _has_get(site: Site, url: str) -> bool:
    adapter = site.app.url_map.bind("localhost")
    try:
        adapter.match(url, method="GET")
    except HTTPException:
        return False
    return True


def _url(site: Site, rule) -> str:
    values = address_values(site.world, rule.endpoint, rule.arguments)
    with site.app.test_request_context():
        return url_for(rule.endpoint, **values)


# POST: hostile values in the fields.


def _check(target: Target, data: dict[str, list[str]], sent: Sent) -> None:
    where = f"{target.rule.endpoint} as {target.role}"
    assert sent.status < 500, f"{where}: {sent.status} for {_shown(data)}"
    assert not sent.backstop, f"{where}: a value reached the database: {_shown(data)}"
    refused = _refused(target, data)
    if refused:
        assert not sent.writes, f"{where}: {refused} refused, yet wrote {sent.writes}"
        assert sent.rows == WORLD_ROWS[0], f"{where}: rows changed with {refused}"


def _refused(target: Target, data: dict[str, list[str]]) -> list[str]:
    return [
        name
        for name, values in data.items()
        if name in target.fields and target.fields[name].must_refuse(values)
    ]


def _shown(data: dict) -> str:
    return repr({name: [value[:40] for value in values] for name, values in data.items()})


def _post(site: Site, target: Target, data: dict[str, list[str]], **kwargs) -> Sent:
    pairs = MultiDict([(name, value) for name, values in data.items() for value in values])
    counted = bool(_refused(target, data))
    return _send(site, target.role, "POST", target.url, counted, data=pairs, **kwargs)


# The rows of the world, counted once: every request starts from them.
WORLD_ROWS: list[dict] = []


@pytest.fixture
def world_rows(site):
    if not WORLD_ROWS:
        WORLD_ROWS.append(row_counts(site.connection))
    return WORLD_ROWS[0]


@pytest.mark.parametrize("rule", POST_RULES, ids=_id)
def test_each_field_refuses_what_no_field_may_accept(site, world_rows, rule):
    """Every field in turn gets one of NUL, a control character, a noncharacter or 100,000
    characters; every other number, choice or date one of a 30-digit number, 10^26 or an
    impossible date instead. The other fields are valid."""
    target = _reached(site, rule, "POST")
    for turn, (name, info) in enumerate(target.fields.items()):
        if info.kind == "file":
            continue
        value = REFUSED_BY_ALL[turn // 2 % len(REFUSED_BY_ALL)]
        if turn % 2 and info.kind in ("number", "choice", "multi", "day"):
            value = REFUSED_BY_VALUES[turn // 2 % len(REFUSED_BY_VALUES)]
        data = {**target.baseline(), name: [value]}
        _check(target, data, _post(site, target, data))


@st.composite
def _hostile_form(draw, fields: dict[str, FieldInfo]) -> dict[str, list[str]]:
    """Each field valid, missing, hostile, or sent twice; an unknown field now and then."""
    data = {}
    for name, info in fields.items():
        if info.kind == "file":
            continue
        how = draw(st.sampled_from(("valid", "valid", "hostile", "missing", "twice")))
        if how == "valid" and info.valid:
            data[name] = info.valid
        elif how == "hostile":
            data[name] = [draw(HOSTILE)]
        elif how == "twice":
            data[name] = [draw(HOSTILE), *(info.valid or [])]
    if draw(st.booleans()):
        data[draw(st.sampled_from(("version", "submission", "id", "user_id")))] = [draw(HOSTILE)]
    return data


@pytest.mark.parametrize("rule", POST_RULES, ids=_id)
@HOSTILE_SETTINGS
@given(data=st.data())
def test_hostile_forms_never_fail_and_save_nothing_refused(site, world_rows, rule, data):
    target = _reached(site, rule, "POST")
    form = data.draw(_hostile_form(target.fields), label="form")
    _check(target, form, _post(site, target, form))


@pytest.mark.parametrize("rule", POST_RULES, ids=_id)
def test_a_json_body_never_fails(site, rule):
    target = _reached(site, rule, "POST")
    body = '{"note": "a\\u0000b", "cost": 1e26, "kind": [1, 2], "x": {"y": null}}'
    sent = _send(site, target.role, "POST", target.url, data=body, content_type="application/json")
    assert sent.status < 500, f"{rule.endpoint}: {sent.status}"
    assert not sent.backstop


# GET: hostile query strings and impossible ids.


@pytest.mark.parametrize("rule", GET_RULES, ids=_id)
@QUERY_SETTINGS
@given(data=st.data())
def test_hostile_query_strings_never_fail_and_save_nothing(site, world_rows, rule, data):
    target = _reached(site, rule, "GET")
    names = sorted({*target.fields, *QUERY_NAMES})
    query = data.draw(
        st.lists(st.tuples(st.sampled_from(names), HOSTILE), min_size=1, max_size=6),
        label="query",
    )
    sent = _send(site, target.role, "GET", target.url, True, query_string=query)
    assert sent.status < 500, f"{rule.endpoint}: {sent.status} for {query!r:.300}"
    assert not sent.backstop
    assert not sent.writes
    assert sent.rows == world_rows


IMPOSSIBLE_IDS = (str(MOST_INTEGER + 1), "9" * 5000)


@pytest.mark.parametrize("rule", [r for r in RULES if r.arguments - {"kind", "token"}], ids=_id)
def test_an_id_no_record_can_have_is_not_found(site, rule):
    method = "GET" if "GET" in rule.methods else "POST"
    target = _reached(site, rule, method)
    for impossible in IMPOSSIBLE_IDS:
        url = _address(rule, site.world, impossible)
        sent = _send(site, target.role, method, url)
        assert sent.status == 404, f"{url[:80]}: {sent.status}"


def _address(rule, world: World, impossible: str) -> str:
    """The rule's address with the world's records, every id replaced by ``impossible``."""
    values = address_values(world, rule.endpoint, rule.arguments)
    values.update({name: impossible for name in values if name.endswith("_id")})
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda part: str(values[part[1]]), rule.rule)
