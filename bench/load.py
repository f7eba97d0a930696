"""A team at once: requests a second and response times under 8 and 32 concurrent users.

    .venv/bin/python bench/load.py [--cases 100000] [--services-per-case 20] [--users 8,32]
                                   [--seconds 60] [--workers 4] [--think 0]
                                   [--database-url URL] [--json FILE]

Builds (once) a SQLite file bench/load-<N>x<S>.db, or fills an empty PostgreSQL database given
by --database-url, with the people of bench/reminders.py, and runs the reminder pass once so
that Tasks has something to show. Then starts gunicorn with --workers sync workers on
127.0.0.1, as production runs the app (CSRF on, real passwords), and drives one user, then each
number of --users, for --seconds each. Every user works through the same mix, each request in
the session of the role that does it, as a browser would (forms read for their CSRF token and
hidden fields, redirects after a save followed):

    case list        a provincial officer: the first page, a later page, residents by days left
    search           the officer posts a name, a surname or a case code to /cases/
    case page        the officer opens a case of the province
    service          shelter staff open the service form of a resident, then save a service
    follow-up        a commune case worker opens a case's follow-up form, then saves one
    Tasks            the case worker's reminders inbox

By default a user sends the next request as soon as the last is answered (no time to think): 8
users are busier than 8 people, and the server always has as many requests waiting as there are
users. --think gives each user a pause between two actions (random, of that many seconds on
average), as people read a page and fill a form. Printed for each number of users and each
kind of request: requests a second, p50, p95 and p99 in milliseconds, the p99 over the single
user's median, and the errors by reason: an answer of 500 or more, a connection error, the
app's error page, a form shown again with an error where a save was expected, or another
unexpected answer. The server's own log is summed up too (the exceptions it logged). The saves
accumulate in the database from run to run (some thousands of rows beside two million). Run by
hand; tests/test_benches.py runs it at a tiny size. bench/README.md has the figures;
--markdown FILE adds them to FILE as a table (bench/figures.py).
"""

import argparse
import html.parser
import http.client
import http.cookiejar
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import desc, func, select

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The bench folder is no package: its scripts import each other by name.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reminders
from figures import add as add_table

from reintegration import clock, create_app
from reintegration.auth.models import Role, User
from reintegration.auth.services import create_user
from reintegration.cases.models import Case, Stage
from reintegration.database import writing
from reintegration.extensions import db
from reintegration.keys.keyring import TEST_KEYS
from reintegration.reference.models import Province
from reintegration.reminders import services as reminder_services
from reintegration.reminders.models import Reminder
from reintegration.shelter.models import Facility, Stay

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
PASSWORD = reminders.PASSWORD
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60
# Each user stops after this many actions even if the time is not up.
MAX_ACTIONS = 100_000
# How often each action comes in the mix.
MIX = {
    "case list": 20,
    "search": 15,
    "case page": 25,
    "service": 15,
    "follow-up": 10,
    "tasks": 15,
}
KINDS = (
    "case list", "search", "case page", "service form", "service saved",
    "follow-up form", "follow-up saved", "tasks",
)  # fmt: skip
ROLES = {
    "officer": ("load.officer", Role.PROVINCIAL_OFFICER),
    "staff": ("load.staff", Role.SHELTER_STAFF),
    "worker": ("load.worker", Role.CASE_WORKER),
}
# templates/errors/_error.html: every error page of the app, whatever its status.
ERROR_PAGE = re.compile(r'class="py-5 text-center">\s*<h1 class="display-6">')
# templates/_form.html: a message above the form or beside a field.
FORM_ERROR = re.compile(r'class="invalid-feedback|class="alert alert-danger" role="alert"')
SAVED = re.compile(r"^/cases/(\d+)$")
# The last line of a traceback in the server's log, or gunicorn killing a stuck worker.
SERVER_EXCEPTION = re.compile(r"^([\w.]+(?:Error|Exception|Timeout)\b.*|.*WORKER TIMEOUT.*)$")


# --- the database ------------------------------------------------------------------------------


@dataclass
class Targets:
    """What the users work on, read from the database before the server starts."""

    officer_cases: list[int]
    staff_cases: list[int]
    worker_cases: list[int]
    searches: list[str]
    list_paths: list[str]


def prepare(app, args) -> Targets:
    with app.app_context():
        if not db.session.scalar(select(func.count(Case.id))):
            start = time.perf_counter()
            reminders.fill(args.cases, args.services_per_case)
            print(f"filled {args.cases} cases in {time.perf_counter() - start:.0f} s", flush=True)
        if not db.session.scalar(select(func.count(Reminder.id))):
            with writing():
                reminder_services.run_pass(clock.today())
            db.session.commit()
        facility = _busiest_facility()
        _load_users(facility)
        targets = _targets(facility)
        db.session.commit()
    if not (targets.officer_cases and targets.staff_cases and targets.worker_cases):
        sys.exit("the database has no case to work on")
    return targets


def _busiest_facility() -> Facility:
    """The facility with most residents (at a tiny size, with most cases): services go there."""
    residents = (
        select(Stay.facility_id, func.count().label("n"))
        .where(Stay.discharged_on.is_(None))
        .group_by(Stay.facility_id)
        .order_by(desc("n"), Stay.facility_id)
        .limit(1)
    )
    cases = (
        select(Case.facility_id, func.count().label("n"))
        .group_by(Case.facility_id)
        .order_by(desc("n"), Case.facility_id)
        .limit(1)
    )
    row = db.session.execute(residents).first() or db.session.execute(cases).first()
    return db.session.get(Facility, row[0])


def _load_users(facility: Facility) -> None:
    """One account per role, in the facility's province; each user of the bench logs in
    again, so that every user has a session of its own."""
    for username, role in ROLES.values():
        if db.session.scalar(select(User.id).where(User.username == username)):
            continue
        if role == Role.SHELTER_STAFF:
            create_user(username, PASSWORD, role, facility=facility)
        else:
            province = db.session.get(Province, facility.province_id)
            create_user(username, PASSWORD, role, province=province)


def _targets(facility: Facility) -> Targets:
    rng = random.Random(14)
    in_province = select(Case.id).where(Case.province_id == facility.province_id)
    officer_cases = list(db.session.scalars(in_province.order_by(Case.id)))
    in_facility = in_province.where(Case.facility_id == facility.id)
    staff_cases = list(
        db.session.scalars(in_facility.where(Case.stage == Stage.IN_SHELTER).order_by(Case.id))
    ) or list(db.session.scalars(in_facility.order_by(Case.id)))
    after_discharge = in_province.where(Case.stage.in_((Stage.DISCHARGED, Stage.EMPLOYED)))
    worker_cases = list(db.session.scalars(after_discharge.order_by(Case.id))) or officer_cases
    sample = rng.sample(officer_cases, min(200, len(officer_cases)))
    rows = db.session.execute(select(Case.code, Case.full_name).where(Case.id.in_(sample))).all()
    # What people type: a whole name, a surname, a case code.
    searches = [text for code, name in rows for text in (name, name.split()[0], code)]
    return Targets(
        officer_cases=officer_cases,
        staff_cases=staff_cases,
        worker_cases=worker_cases,
        searches=searches,
        list_paths=["/cases/", "/cases/?page=2", "/cases/?stage=in_shelter&sort=days"],
    )


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int):
    """gunicorn on 127.0.0.1 with production settings, stopped whatever happens.

    Its instance folder is a temporary one: cookies are not marked secure there, as the bench
    speaks plain HTTP, where production has TLS in front.
    """
    with tempfile.TemporaryDirectory(prefix="bench-load-") as instance:
        with open(os.path.join(instance, "config.py"), "w") as config:
            config.write("SESSION_COOKIE_SECURE = False\nREMEMBER_COOKIE_SECURE = False\n")
        port = free_port()
        env = dict(
            os.environ,
            REINTEGRATION_INSTANCE=instance,
            SECRET_KEY=secrets.token_hex(32),
            # The key the bench's data was encrypted with (bench/case_list.py's app).
            DATA_KEYS=TEST_KEYS,
            # Many of the bench's users share an account, and a two-factor code works once:
            # the bench measures pages, so its accounts log in with a password alone.
            TOTP_REQUIRED_ROLES="",
            DATABASE_URL=url,
            # The bench migrated the database already; the workers need not try at once.
            AUTO_MIGRATE="0",
            PYTHONPATH=ROOT,
        )
        env.pop("REINTEGRATION_ENV", None)
        command = [
            sys.executable, "-m", "gunicorn", "--workers", str(workers),
            "--bind", f"{HOST}:{port}", "--chdir", ROOT, "--graceful-timeout", "5",
            "--error-logfile", "-", "wsgi:app",
        ]  # fmt: skip
        log_path = os.path.join(instance, "server.log")
        with open(log_path, "w") as log:
            server = subprocess.Popen(  # noqa: S603
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            _wait_until_up(server, port, log_path)
            yield f"http://{HOST}:{port}", log_path
        finally:
            _stop(server)


def _wait_until_up(server: subprocess.Popen, port: int, log_path: str, seconds: int = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped at start:\n{_tail(log_path)}")
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            connection.request("GET", "/login")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer within {seconds} s:\n{_tail(log_path)}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _tail(path: str, lines: int = 30) -> str:
    with open(path, errors="replace") as log:
        return "".join(log.readlines()[-lines:])


def server_exceptions(log_path: str, start: int) -> tuple[Counter, int]:
    """The exceptions the server logged after byte ``start``, by their last line."""
    found: Counter = Counter()
    with open(log_path, "rb") as log:
        log.seek(start)
        text = log.read().decode(errors="replace")
        end = log.tell()
    for line in text.splitlines():
        match = SERVER_EXCEPTION.match(line.strip())
        if match:
            found[match.group(1)[:110]] += 1
    return found, end


# --- a browser ---------------------------------------------------------------------------------


class Form(html.parser.HTMLParser):
    """The fields of the forms of a page, with the values a browser would send untouched."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"attrs": attrs, "values": {}, "choices": defaultdict(list), "multi": set()}
            )
            return
        if not self.forms:
            return
        form, name = self.forms[-1], attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("radio", "checkbox"):
                form["choices"][name].append(attrs.get("value", "on"))
                if kind == "checkbox":
                    form["multi"].add(name)
                if "checked" in attrs:
                    form["values"][name] = attrs.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                form["values"][name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "disabled" not in attrs:
            value = attrs.get("value", "")
            form["choices"][self._select].append(value)
            if "selected" in attrs or self._select not in form["values"]:
                form["values"][self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            form["values"][name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["values"][self._textarea] += data

    def find(self, **attrs) -> dict | None:
        """The first form whose attributes include ``attrs`` (action=None: no action)."""
        for form in self.forms:
            if all(form["attrs"].get(name) == value for name, value in attrs.items()):
                return form
        return None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """The bench follows redirects itself, so that a save and the page after it are timed
    apart."""

    def redirect_request(self, *_args, **_kwargs):
        return None


@dataclass
class Answer:
    status: int
    page: str
    location: str
    seconds: float
    failure: str | None = None


class Browser:
    """One person's session: a cookie jar, and the requests it sends."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def send(self, path: str, fields: dict | None = None) -> Answer:
        data = urllib.parse.urlencode(fields, doseq=True).encode() if fields is not None else None
        # Always http://127.0.0.1:<port>: the bench speaks to nothing else.
        request = urllib.request.Request(self.base + path, data=data)  # noqa: S310
        start = time.perf_counter()
        try:
            try:
                response = self.opener.open(request, timeout=REQUEST_TIMEOUT)
            except urllib.error.HTTPError as error:
                response = error  # 3xx, 4xx and 5xx: still an answer
            with response:
                page = response.read().decode("utf-8", errors="replace")
                status, location = response.status, response.headers.get("Location", "")
        except (OSError, http.client.HTTPException) as error:
            return Answer(0, "", "", time.perf_counter() - start, type(error).__name__)
        seconds = time.perf_counter() - start
        return Answer(status, page, urllib.parse.urlsplit(location).path, seconds)

    def log_in(self, username: str) -> bool:
        page = self.send("/login")
        form = Form(page.page).find(method="post", action=None) if page.status == 200 else None
        if form is None:
            return False
        values = dict(form["values"], username=username, password=PASSWORD)
        return self.send("/login", values).status == 302


# --- the users ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """What every user saw, by kind of request."""

    sent: Counter = field(default_factory=Counter)
    # Of the answered requests: a connection error has no time.
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, answer: Answer, failure: str | None) -> None:
        with self.lock:
            self.sent[kind] += 1
            if answer.status:
                self.seconds[kind].append(answer.seconds)
            if failure:
                self.errors[kind][failure] += 1


def page_failure(answer: Answer, expected: int = 200) -> str | None:
    if answer.failure:
        return f"connection ({answer.failure})"
    if answer.status >= 500:
        return f"server error {answer.status}"
    if ERROR_PAGE.search(answer.page):
        return f"error page {answer.status}"
    if answer.status != expected:
        return f"answer {answer.status}"
    return None


def save_failure(answer: Answer) -> str | None:
    """A save answers with a redirect to the case page; the form again means it failed."""
    if answer.status == 200 and FORM_ERROR.search(answer.page):
        return "form error"
    failure = page_failure(answer, expected=302)
    if failure is None and not SAVED.match(answer.location):
        failure = "redirect elsewhere"
    return failure


class Person:
    """One person at a keyboard, with a session for each role the mix needs."""

    def __init__(
        self, number: int, base: str, targets: Targets, tally: Tally, think: float = 0
    ) -> None:
        self.rng = random.Random(number)
        self.think = think
        self.targets = targets
        self.tally = tally
        self.browsers = {role: Browser(base) for role in ROLES}
        # The search form of the list, with its CSRF token: the results page shows it again.
        self.search_form: dict | None = None

    def log_in(self) -> list[str]:
        """The roles whose login failed, after a second try."""
        return [
            role
            for role, browser in self.browsers.items()
            if not (browser.log_in(ROLES[role][0]) or browser.log_in(ROLES[role][0]))
        ]

    def run(self, deadline: float, stop: threading.Event) -> None:
        """Each action of the mix once, in an order of this user's, then as the mix draws."""
        actions = list(MIX)
        first = self.rng.sample(actions, len(actions))
        for number in range(MAX_ACTIONS):
            if number and self.think:
                pause = self.rng.expovariate(1 / self.think)
                stop.wait(min(pause, max(0, deadline - time.monotonic())))
            if stop.is_set() or time.monotonic() >= deadline:
                return
            if number < len(first):
                action = first[number]
            else:
                action = self.rng.choices(actions, list(MIX.values()))[0]
            try:
                getattr(self, action.replace(" ", "_").replace("-", "_"))()
            except Exception as error:  # a page the bench could not read: counted, not fatal
                self.tally.add(action, Answer(0, "", "", 0), f"bench: {type(error).__name__}")

    def get(self, role: str, kind: str, path: str) -> Answer:
        answer = self.browsers[role].send(path)
        self.tally.add(kind, answer, page_failure(answer))
        return answer

    def case_list(self) -> None:
        self.get("officer", "case list", self.rng.choice(self.targets.list_paths))

    def search(self) -> None:
        if self.search_form is None:
            listing = self.get("officer", "case list", "/cases/")
            form = Form(listing.page).find(id="case-search") if listing.status == 200 else None
            if form is None:
                return
            self.search_form = form["values"]
        values = dict(self.search_form, q=self.rng.choice(self.targets.searches))
        answer = self.browsers["officer"].send("/cases/", values)
        self.tally.add("search", answer, page_failure(answer))

    def case_page(self) -> None:
        case_id = self.rng.choice(self.targets.officer_cases)
        self.get("officer", "case page", f"/cases/{case_id}")

    def service(self) -> None:
        case_id = self.rng.choice(self.targets.staff_cases)
        path = f"/cases/{case_id}/services/new"
        values, choices = self.form("staff", "service form", path)
        if values is None:
            return
        kinds = [choice for choice in choices.get("kind", []) if choice]
        values.update(
            kind=self.rng.choice(kinds) if kinds else "",
            provider="Cán bộ công tác xã hội",
            cost=str(self.rng.choice((0, 50_000, 120_000))),
            notes="Tư vấn tâm lý lần " + str(self.rng.randint(1, 9)),
        )
        self.save("staff", "service saved", path, values)

    def follow_up(self) -> None:
        case_id = self.rng.choice(self.targets.worker_cases)
        path = f"/cases/{case_id}/followups/new"
        values, choices = self.form("worker", "follow-up form", path)
        if values is None:
            return
        values.update(
            method=self.rng.choice(choices.get("method") or [""]),
            contact_made="yes",
            still_in_job=self.rng.choice(("yes", "no", "na")),
            wellbeing="Sức khoẻ ổn định, đã gặp gia đình.",
        )
        self.save("worker", "follow-up saved", path, values)

    def tasks(self) -> None:
        self.get("worker", "tasks", "/tasks/")

    def form(self, role: str, kind: str, path: str) -> tuple[dict | None, dict]:
        """The page's own form, read as a browser would: the values it would send untouched
        (boxes left unticked) and the choices of each list; None when the page failed."""
        answer = self.get(role, kind, path)
        form = Form(answer.page).find(method="post", action=None) if answer.status == 200 else None
        if form is None:
            return None, {}
        values = {
            name: value for name, value in form["values"].items() if name not in form["multi"]
        }
        return values, form["choices"]

    def save(self, role: str, kind: str, path: str, values: dict) -> None:
        browser = self.browsers[role]
        answer = browser.send(path, values)
        failure = save_failure(answer)
        self.tally.add(kind, answer, failure)
        if failure is None:
            # The page after the save, as the browser shows it.
            after = browser.send(answer.location)
            self.tally.add("case page", after, page_failure(after))


# --- a run -------------------------------------------------------------------------------------


def percentile(values: list[float], share: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share / 100 * len(ordered)) - 1))]


def drive(users: list[Person], seconds: float) -> tuple[Tally, float]:
    """Every user at once for ``seconds``; a request under way when time is up is awaited."""
    tally = Tally()
    for user in users:
        user.tally = tally
    stop = threading.Event()
    start = time.monotonic()
    threads = [
        threading.Thread(target=user.run, args=(start + seconds, stop), daemon=True)
        for user in users
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            # A timeout, so that Ctrl+C reaches this thread.
            while thread.is_alive():
                thread.join(timeout=0.5)
    finally:
        stop.set()
    return tally, time.monotonic() - start


def summarise(level: int, tally: Tally, elapsed: float, single: dict | None) -> list[dict]:
    rows = []
    for kind in [*KINDS, *sorted(set(tally.sent) - set(KINDS))]:
        if not tally.sent[kind]:
            continue
        times = [second * 1000 for second in tally.seconds[kind]]
        errors = tally.errors.get(kind, Counter())
        row = {
            "users": level,
            "kind": kind,
            "requests": tally.sent[kind],
            "per_second": tally.sent[kind] / elapsed,
            "p50": statistics.median(times) if times else None,
            "p95": percentile(times, 95) if times else None,
            "p99": percentile(times, 99) if times else None,
            "errors": sum(errors.values()),
            "reasons": dict(errors),
        }
        if single and single.get(kind) and row["p99"] is not None:
            row["p99_over_single_p50"] = row["p99"] / single[kind]
        rows.append(row)
    return rows


def show(rows: list[dict], elapsed: float, exceptions: Counter) -> None:
    print(
        f"\n{'users':>5}  {'request':<16}{'count':>7}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'p99/1':>7}{'errors':>8}"
    )
    for row in rows:
        times = "".join(_cell(row[key], 9, ".0f") for key in ("p50", "p95", "p99"))
        print(
            f"{row['users']:>5}  {row['kind']:<16}{row['requests']:>7}{row['per_second']:>8.1f}"
            f"{times}{_cell(row.get('p99_over_single_p50'), 7, '.1f')}{row['errors']:>8}"
        )
    total = sum(row["requests"] for row in rows)
    print(f"{'':>5}  {'all':<16}{total:>7}{total / elapsed:>8.1f}")
    for row in rows:
        if row["reasons"]:
            reasons = ", ".join(f"{count} {reason}" for reason, count in row["reasons"].items())
            print(f"       errors of {row['kind']}: {reasons}")
    for line, count in exceptions.most_common(5):
        print(f"       server log, {count} lines: {line}")


def _cell(value: float | None, width: int, form: str) -> str:
    return f"{value:>{width}{form}}" if value is not None else f"{'-':>{width}}"


def run(args, url: str, targets: Targets, dialect: str, cases: int) -> list[dict]:
    levels = sorted({1, *args.users})
    print(
        f"\n{dialect}: {cases} cases; gunicorn, {args.workers} workers; {args.seconds:g} s for "
        f"each number of users ({', '.join(map(str, levels))}); "
        + (f"{args.think:g} s to think between actions" if args.think else "no time to think"),
        flush=True,
    )
    results: list[dict] = []
    with gunicorn(url, args.workers) as (base, log_path):
        users = [
            Person(number, base, targets, Tally(), args.think) for number in range(max(levels))
        ]
        failed = log_in(users)
        if failed:
            sys.exit(f"logins failed: {failed}\n{_tail(log_path)}")
        _warm_up(users, targets)
        position = os.path.getsize(log_path)
        single: dict | None = None
        for level in levels:
            tally, elapsed = drive(users[:level], args.seconds)
            exceptions, position = server_exceptions(log_path, position)
            rows = summarise(level, tally, elapsed, single)
            if level == 1:
                single = {row["kind"]: row["p50"] for row in rows}
            show(rows, elapsed, exceptions)
            results.extend(rows)
            sys.stdout.flush()
    return results


def log_in(users: list[Person]) -> list[str]:
    """Each user's sessions, a few at a time (a login hashes a password: it is slow on
    purpose). The failures, by user and role."""
    failed: list[str] = []
    pending = list(users)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                user = pending.pop()
            for role in user.log_in():
                with lock:
                    failed.append(role)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)
    return failed


def _warm_up(users: list[Person], targets: Targets) -> None:
    """Each worker compiles its templates on first use: a few pages first, not timed."""
    user = users[0]
    for _ in range(3):
        user.get("officer", "warm-up", "/cases/")
        user.get("officer", "warm-up", f"/cases/{targets.officer_cases[0]}")
        user.get("staff", "warm-up", f"/cases/{targets.staff_cases[0]}/services/new")
        user.get("worker", "warm-up", f"/cases/{targets.worker_cases[0]}/followups/new")
        user.get("worker", "warm-up", "/tasks/")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--services-per-case", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--users",
        default="8,32",
        type=lambda text: [int(number) for number in text.split(",")],
        help="numbers of users at once, comma-separated; one user always runs first",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=60,
        help="for each number of users (0: only build the database)",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--think",
        type=float,
        default=0,
        help="seconds a user pauses between two actions, on average (0: none)",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--markdown", help="add the figures to this file as a markdown table")
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(
        BENCH, f"load-{args.cases}x{args.services_per_case}.db"
    )
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "DATA_KEYS": TEST_KEYS})
    targets = prepare(app, args)
    if args.seconds <= 0:
        return
    with app.app_context():
        dialect = db.engine.dialect.name
        cases = db.session.scalar(select(func.count(Case.id)))
        db.session.rollback()
        db.engine.dispose()
    # SIGTERM stops the bench as Ctrl+C does, so that gunicorn is stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        results = run(args, url, targets, dialect, cases)
    except KeyboardInterrupt:
        sys.exit("interrupted; gunicorn is stopped")
    if args.json:
        with open(args.json, "w") as output:
            json.dump({"database": dialect, "cases": cases, "rows": results}, output, indent=1)
    header = ["users", "request", "count", "per s", "p50 ms", "p95 ms", "p99 ms", "p99/1"]
    add_table(args.markdown, f"load-{dialect}", [*header, "errors"], markdown_rows(results))


def markdown_rows(results: list[dict]) -> list[list]:
    def cell(value: float | None, form: str) -> str:
        return "-" if value is None else f"{value:{form}}"

    return [
        [
            row["users"],
            row["kind"],
            row["requests"],
            f"{row['per_second']:.1f}",
            *(cell(row[key], ".0f") for key in ("p50", "p95", "p99")),
            cell(row.get("p99_over_single_p50"), ".1f"),
            row["errors"],
        ]
        for row in results
    ]


if __name__ == "__main__":
    main()
