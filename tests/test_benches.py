"""The benchmarks still run: each at a tiny size, in a process of its own, on a database of its
own of the kind the suite runs on (a temporary SQLite file, or a PostgreSQL database created
beside the test database and dropped after), through every path a run by hand takes (the traced
rounds, the query plans). Their figures are not checked: only that they ran, that the load
benchmark's users met no error, and that the tables they print have the shape of those in
bench/README.md, which `bench/figures.py` regenerates from them.
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from tests.own_database import race_database

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
# Well above the seconds each takes alone, for a machine busy with other runs of the suite
# (the export bench starts six processes); a hung run still ends.
TIMEOUT = 480
LOAD_KINDS = {
    "case list", "search", "case page", "service form", "service saved",
    "follow-up form", "follow-up saved", "tasks",
}  # fmt: skip
# Each bench at a tiny size, with the options that take it down every path.
SMOKE = {
    "load": [
        "--cases", "40", "--services-per-case", "2", "--users", "2", "--seconds", "3",
        "--workers", "2",
    ],
    "case_list": ["--cases", "300", "--services-per-case", "1", "--runs", "1"],
    "reminders": ["--cases", "60", "--services-per-case", "2", "--explain"],
    "export": ["--cases", "30", "--services-per-case", "1", "--runs", "1", "--traced"],
}  # fmt: skip
# The tables each bench prints, by name without the database.
TABLES = {
    "load": {"load"},
    "case_list": {"case_list"},
    "reminders": {"reminders", "tasks"},
    "export": {"export"},
}


def _figures():
    spec = importlib.util.spec_from_file_location("figures", os.path.join(BENCH, "figures.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


figures = _figures()


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


def run_bench(name: str, tmp_path_factory, tmp_path, *extra: str) -> tuple[str, dict[str, str]]:
    """The bench's output and the markdown tables it printed, by name without the database."""
    tables = tmp_path / "tables.md"
    with race_database(tmp_path_factory, f"bench_{name}") as url:
        output = bench(f"{name}.py", url, *SMOKE[name], *extra, "--markdown", str(tables))
    printed = figures.tables(tables.read_text(encoding="utf-8"))
    return output, {key.rsplit("-", 1)[0]: table for key, table in printed.items()}


def readme_tables() -> dict[str, str]:
    with open(os.path.join(BENCH, "README.md"), encoding="utf-8") as readme:
        found = figures.tables(readme.read())
    return {key.rsplit("-", 1)[0]: table for key, table in found.items()}


def assert_shaped_as_the_readme(printed: dict[str, str], bench_name: str) -> None:
    assert set(printed) == TABLES[bench_name]
    documented = readme_tables()
    for name, table in printed.items():
        header, width = figures.shape(table)
        assert (header, width) == figures.shape(documented[name])
        assert width == len(header)
        assert len(table.strip().splitlines()) > 2, "a table with no row"


def test_every_bench_is_run_here_and_regenerated_into_the_readme():
    scripts = {name[:-3] for name in os.listdir(BENCH) if name.endswith(".py")} - {"figures"}
    assert scripts == set(SMOKE) == set(TABLES) == set(figures.SIZES)
    assert set(readme_tables()) == set().union(*TABLES.values())


def test_load_bench_runs_the_whole_mix_with_no_error(tmp_path_factory, tmp_path):
    numbers = tmp_path / "load.json"
    _, printed = run_bench("load", tmp_path_factory, tmp_path, "--json", str(numbers))
    rows = json.loads(numbers.read_text())["rows"]
    for users in (1, 2):
        assert {row["kind"] for row in rows if row["users"] == users} == LOAD_KINDS
    assert {row["kind"]: row["reasons"] for row in rows if row["errors"]} == {}
    assert_shaped_as_the_readme(printed, "load")


def test_case_list_bench_times_every_page(tmp_path_factory, tmp_path):
    output, printed = run_bench("case_list", tmp_path_factory, tmp_path)
    assert output.count("case page, 1 services") == 2
    assert_shaped_as_the_readme(printed, "case_list")
    assert printed["case_list"].count("| bench.") == 16


def test_reminders_bench_runs_its_passes_traced_and_explained(tmp_path_factory, tmp_path):
    output, printed = run_bench("reminders", tmp_path_factory, tmp_path)
    assert "next day" in output
    assert "bench.worker" in output
    assert_shaped_as_the_readme(printed, "reminders")
    assert "| - |" not in printed["reminders"], "the traced round gave no peak"


def test_export_bench_writes_the_workbook_every_way(tmp_path_factory, tmp_path):
    output, printed = run_bench("export", tmp_path_factory, tmp_path)
    assert "app / openpyxl" in output
    assert_shaped_as_the_readme(printed, "export")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [([["a", 1]], "| x | n |\n| --- | ---: |\n| a | 1 |\n"), ([], "| x | n |\n| --- | --- |\n")],
)
def test_a_table_is_written_as_the_readme_reads_it(rows, expected):
    assert figures.markdown(["x", "n"], rows) == expected
    assert figures.shape(expected) == (["x", "n"], 2)
