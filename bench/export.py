"""How long the support workbook takes at 100,000 cases and 1,000,000 service rows, next to plain
openpyxl writing the same rows, and how much memory each takes.

    .venv/bin/python bench/export.py [--cases 100000] [--services-per-case 10]
                                     [--database-url URL] [--runs 3] [--names] [--traced]
                                     [--markdown FILE]

Builds (once) a SQLite file bench/export-<N>x<S>.db, or fills an empty PostgreSQL database given
by --database-url, with the people of bench/reminders.py (stays, services, follow-ups,
allowances, courses), all of them managed in and coming from one province, so that the workbook
of that province over the whole period of the data holds every row. Then, in turn and --runs
times over, each of these runs in a process of its own (this script with --only), writing to a
file in the temporary folder:

    app              reintegration.exports.support.write, as the page and the command call it
    openpyxl         a write-only workbook with the same sheets, rows and columns: the rows read
                     by the same queries, each cell the value the app computes for it, appended
                     as plain values (no cell styles, text cleaning, totals, filters or summary)
    openpyxl, ready  the same values read and computed before the clock starts, held in lists:
                     openpyxl's own cost of writing them
    queries only     the same queries, their rows read and dropped

The time is the best of the runs (other work shares the machine); the peak is the largest
resident size any run of the process reached (the interpreter and the app's modules included,
the size before the run given beside it). --traced adds a run of the first two, traced by
tracemalloc, for the peak of the Python objects alone (slower: its time is not shown).
Run by hand; CI runs it at a tiny size (tests/test_benches.py). --markdown adds the figures to
FILE as a table (bench/figures.py).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import desc, func, select, true

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The bench folder is no package: its scripts import each other by name.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reminders
from figures import add as add_table

from reintegration import (
    clock,
    create_app,
    models,  # noqa: F401  (every model, before the exports' queries configure the mappers)
)
from reintegration.cases.models import Case
from reintegration.exports import queries, sheets, support
from reintegration.exports.filters import Filters
from reintegration.exports.names import Reference, reference
from reintegration.exports.workbook import sheet_title
from reintegration.extensions import db
from reintegration.followups.models import FollowUp
from reintegration.reference.models import Province
from reintegration.reference.queries import province_by_code
from reintegration.shelter.models import Service

BENCH = os.path.dirname(os.path.abspath(__file__))
WHAT = {
    "app": "app",
    "openpyxl": "openpyxl",
    "ready": "openpyxl, ready",
    "queries": "queries only",
}


class OneProvince(reminders.Filler):
    """The people of bench/reminders.py, all in the first province's two facilities."""

    def case(self, case_id: int, received: date, days_ago: int, facility, number: int) -> None:
        if not hasattr(self, "home"):
            self.home = [(f.id, f.province_id, f.province.code) for f in self.facilities[:2]]
            self.numbers: Counter = Counter()
        # Numbered again: the fill counted codes per province it first drew.
        self.numbers[received.year] += 1
        home = self.home[case_id % 2]
        super().case(case_id, received, days_ago, home, self.numbers[received.year])


def table_sheets(filters: Filters, ref: Reference, today: date) -> list:
    """The table sheets of support._write_sheets: title, columns shown, query."""
    tables = [
        (_("Cases"), sheets.case_columns(ref), queries.cases),
        (_("Stays"), sheets.stay_columns(ref, filters, today), queries.stays),
        (_("Services"), sheets.service_columns(ref), queries.services),
        (_("Allowances"), sheets.allowance_columns(ref), queries.allowance_requests),
        (_("Payments"), sheets.payment_columns(ref), queries.payments),
        (_("Training"), sheets.enrolment_columns(ref), queries.enrolments),
        (_("Placements"), sheets.placement_columns(ref), queries.placements),
        (_("Follow-ups"), sheets.followup_columns(ref), queries.followups),
    ]
    return [
        (title, [c for c in columns if filters.names or not c.identifying], query)
        for title, columns, query in tables
    ]


def run_app(filters: Filters, path: str) -> tuple[float, list[int]]:
    start = time.perf_counter()
    with open(path, "wb") as target:
        rows = support.write(filters, true(), target)
    seconds = time.perf_counter() - start
    return seconds, list(rows.values())


def run_openpyxl(filters: Filters, path: str) -> tuple[float, list[int]]:
    start = time.perf_counter()
    today = clock.today()
    ref = reference(filters.names)
    book = Workbook(write_only=True)
    book.create_sheet(sheet_title(_("Summary")))
    counts = []
    for title, columns, query in table_sheets(filters, ref, today):
        ws = book.create_sheet(sheet_title(title))
        ws.append([str(column.header) for column in columns])
        values = [column.value for column in columns]
        count = 0
        for row in query(filters, true()):
            ws.append([value(row) for value in values])
            count += 1
        counts.append(count)
    book.save(path)
    return time.perf_counter() - start, counts


def run_ready(filters: Filters, path: str) -> tuple[float, list[int]]:
    ref = reference(filters.names)
    ready = []
    for title, columns, query in table_sheets(filters, ref, clock.today()):
        values = [column.value for column in columns]
        rows = [[value(row) for value in values] for row in query(filters, true())]
        ready.append((sheet_title(title), [str(column.header) for column in columns], rows))
    start = time.perf_counter()
    book = Workbook(write_only=True)
    book.create_sheet(sheet_title(_("Summary")))
    for title, headers, rows in ready:
        ws = book.create_sheet(title)
        ws.append(headers)
        for row in rows:
            ws.append(row)
    book.save(path)
    return time.perf_counter() - start, [len(rows) for _title, _headers, rows in ready]


def run_queries(filters: Filters, _path: str) -> tuple[float, list[int]]:
    start = time.perf_counter()
    ref = reference(filters.names)
    counts = []
    for _title, _columns, query in table_sheets(filters, ref, clock.today()):
        counts.append(sum(1 for _row in query(filters, true())))
    return time.perf_counter() - start, counts


RUNS = {"app": run_app, "openpyxl": run_openpyxl, "ready": run_ready, "queries": run_queries}


def resident_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak) of this process."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def measure(app, args) -> None:
    """One run in this process; its figures as one line of JSON."""
    start, end = (date.fromisoformat(day) for day in args.period)
    with app.app_context(), force_locale("vi"):
        filters = Filters(start, end, province=province_by_code(args.province), names=args.names)
        base = resident_mb("VmRSS")
        if args.traced:
            tracemalloc.start()
        seconds, rows = RUNS[args.only](filters, args.output)
        traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.traced else None
        db.session.rollback()
    figures = {
        "seconds": seconds,
        "rows": rows,
        "base_mb": base,
        "peak_mb": resident_mb("VmHWM"),
        # Linux gives kilobytes.
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "traced_mb": traced,
    }
    print(json.dumps(figures))


def spawn(args, url: str, what: str, province: str, period, traced: bool = False) -> dict:
    handle, path = tempfile.mkstemp(prefix=f"bench-export-{what}-", suffix=".xlsx")
    os.close(handle)
    command = [
        sys.executable, os.path.abspath(__file__), "--database-url", url, "--only", what,
        "--province", province, "--period", *period, "--output", path,
    ]  # fmt: skip
    if args.names:
        command.append("--names")
    if traced:
        command.append("--traced")
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            sys.exit(f"{what} failed:\n{done.stderr}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        figures["file_mb"] = os.path.getsize(path) / 2**20
    finally:
        os.unlink(path)
    return figures


def prepare(app, args) -> tuple[str, tuple[str, str], dict]:
    """Fill the database if empty; the province whose workbook is timed, and the period."""
    with app.app_context():
        if not db.session.scalar(select(func.count(Case.id))):
            start = time.perf_counter()
            reminders.fill(args.cases, args.services_per_case, OneProvince)
            print(f"filled {args.cases} cases in {time.perf_counter() - start:.0f} s")
        province_id = db.session.scalar(
            select(Case.province_id)
            .group_by(Case.province_id)
            .order_by(desc(func.count()))
            .limit(1)
        )
        province = db.session.get(Province, province_id).code
        # From the first reception to the last day anything is planned for.
        start = db.session.scalar(select(func.min(Case.received_on)))
        end = max(
            db.session.scalar(select(func.max(FollowUp.planned_on))) or start,
            db.session.scalar(select(func.max(Service.provided_on))) or start,
            date.today(),
        )
        counts = {
            "cases": db.session.scalar(select(func.count(Case.id))),
            "services": db.session.scalar(select(func.count(Service.id))),
            "database": db.engine.dialect.name,
        }
    return province, (start.isoformat(), end.isoformat()), counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--services-per-case", type=int, default=10)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--names", action="store_true", help="the workbook with names")
    parser.add_argument("--markdown", help="add the figures to this file as a markdown table")
    parser.add_argument(
        "--traced", action="store_true", help="one more run of app and openpyxl, traced"
    )
    parser.add_argument(
        "--only",
        choices=RUNS,
        help="one run in this process, on a filled database (as the runs are made; by hand, "
        "under a profiler)",
    )
    parser.add_argument("--province", help=argparse.SUPPRESS)
    parser.add_argument("--period", nargs=2, metavar=("FROM", "TO"), help=argparse.SUPPRESS)
    parser.add_argument("--output", default=os.devnull, help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(
        BENCH, f"export-{args.cases}x{args.services_per_case}.db"
    )
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "TESTING": True})
    if args.only and args.province:
        measure(app, args)
        return
    province, period, counts = prepare(app, args)
    if args.only:
        args.province, args.period = province, period
        measure(app, args)
        return
    print(
        f"{counts['database']}: {counts['cases']} cases, {counts['services']} service rows; "
        f"the workbook of {province} from {period[0]} to {period[1]}"
        + (", with names" if args.names else "")
    )
    if args.runs < 1:
        return
    results: dict[str, list[dict]] = {what: [] for what in RUNS}
    for run in range(args.runs):
        # In turn, so that a busy spell of the machine falls on all of them alike.
        for what in RUNS:
            figures = spawn(args, url, what, province, period)
            results[what].append(figures)
            print(f"  run {run + 1} {WHAT[what]:<16}{figures['seconds']:8.2f} s", flush=True)
    rows = {tuple(figures["rows"]) for runs in results.values() for figures in runs}
    if len(rows) != 1:
        sys.exit(f"the runs did not write the same rows: {rows}")
    traced = {
        what: spawn(args, url, what, province, period, traced=True)
        for what in ("app", "openpyxl")
        if args.traced
    }
    best = {what: min(figures["seconds"] for figures in runs) for what, runs in results.items()}
    print(f"\nrows per sheet: {', '.join(str(count) for count in rows.pop())}")
    print(
        f"\n{'cases':>7}{'services':>10}  {'database':<11}{'what':<17}{'seconds':>8}"
        f"{'base MB':>8}{'peak MB':>8}{'traced MB':>10}{'ratio':>7}{'file MB':>8}   runs (s)"
    )
    for what, runs in results.items():
        peak = max(figures["peak_mb"] for figures in runs)
        base = max(figures["base_mb"] for figures in runs)
        traced_mb = f"{traced[what]['traced_mb']:.1f}" if what in traced else "-"
        every = " ".join(f"{figures['seconds']:.2f}" for figures in runs)
        file_mb = f"{runs[0]['file_mb']:.1f}" if what != "queries" else "-"
        print(
            f"{counts['cases']:>7}{counts['services']:>10}  {counts['database']:<11}"
            f"{WHAT[what]:<17}{best[what]:>8.2f}{base:>8.0f}{peak:>8.0f}{traced_mb:>10}"
            f"{best[what] / best['openpyxl']:>7.2f}{file_mb:>8}   {every}"
        )
    table = []
    for what, runs in results.items():
        traced_mb = f"{traced[what]['traced_mb']:.1f}" if what in traced else "-"
        table.append(
            [
                counts["cases"],
                counts["services"],
                WHAT[what],
                f"{best[what]:.2f}",
                f"{max(figures['base_mb'] for figures in runs):.0f}",
                f"{max(figures['peak_mb'] for figures in runs):.0f}",
                traced_mb,
                f"{best[what] / best['openpyxl']:.2f}",
                f"{runs[0]['file_mb']:.1f}" if what != "queries" else "-",
                " ".join(f"{figures['seconds']:.2f}" for figures in runs),
            ]
        )
    header = ["cases", "services", "what", "seconds", "base MB", "peak MB", "traced MB"]
    header += ["ratio", "file MB", "runs (s)"]
    add_table(args.markdown, f"export-{counts['database']}", header, table)
    print(
        f"\napp / openpyxl: {best['app'] / best['openpyxl']:.2f}; "
        f"app / openpyxl, ready: {best['app'] / best['ready']:.2f}"
    )


if __name__ == "__main__":
    main()
