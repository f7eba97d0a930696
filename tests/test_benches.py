"""The benchmarks still run: each at a tiny size, in a process of its own, on a database of its
own of the kind the suite runs on (a temporary SQLite file, or a PostgreSQL database created
beside the test database and dropped after). Their figures are not checked: only that they ran,
and that the load benchmark's users met no error.
"""

import json
import os
import subprocess
import sys

from tests.own_database import race_database

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
# Well above the few seconds each takes, for a busy machine; a hung run still ends.
TIMEOUT = 240
LOAD_KINDS = {
    "case list", "search", "case page", "service form", "service saved",
    "follow-up form", "follow-up saved", "tasks",
}  # fmt: skip


def bench(script: str, url: str, *args: str) -> str:
    """The script's output; the test fails with its error output if it failed."""
    environment = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, os.path.join(BENCH, script), "--database-url", url, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=environment,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_load_bench_runs_the_whole_mix_with_no_error(tmp_path_factory, tmp_path):
    figures = tmp_path / "load.json"
    with race_database(tmp_path_factory, "bench_load") as url:
        bench(
            "load.py", url, "--cases", "40", "--services-per-case", "2", "--users", "2",
            "--seconds", "3", "--workers", "2", "--json", str(figures),
        )  # fmt: skip
    rows = json.loads(figures.read_text())["rows"]
    for users in (1, 2):
        assert {row["kind"] for row in rows if row["users"] == users} == LOAD_KINDS
    assert {row["kind"]: row["reasons"] for row in rows if row["errors"]} == {}


def test_case_list_bench_times_every_page(tmp_path_factory):
    with race_database(tmp_path_factory, "bench_cases") as url:
        output = bench(
            "case_list.py", url, "--cases", "300", "--services-per-case", "1", "--runs", "1"
        )
    assert output.count("case page, 20 services") == 2


def test_reminders_bench_runs_its_passes_and_task_lists(tmp_path_factory):
    with race_database(tmp_path_factory, "bench_reminders") as url:
        output = bench(
            "reminders.py", url, "--cases", "60", "--services-per-case", "2", "--no-memory"
        )
    assert "next day" in output
    assert "bench.worker" in output


def test_export_bench_writes_the_workbook_every_way(tmp_path_factory):
    with race_database(tmp_path_factory, "bench_export") as url:
        output = bench("export.py", url, "--cases", "60", "--services-per-case", "2", "--runs", "1")
    assert "app / openpyxl" in output
