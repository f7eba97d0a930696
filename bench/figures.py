"""The benches' figures as markdown tables, and the command that puts them in bench/README.md.

Each bench given ``--markdown FILE`` adds its tables to FILE, each under a line
``<!-- table: NAME -->``. Regenerating the README's tables:

    .venv/bin/python bench/figures.py [--database-url URL] [--only case_list,reminders]

runs each bench at the size written below (SIZES), then replaces each table of bench/README.md
between ``<!-- table: NAME -->`` and ``<!-- end table -->`` with the new one, under a line that
gives the day, the machine, the commit and the command. Each bench builds its database once (a
SQLite file in bench/) and reuses it; with --database-url, give an empty PostgreSQL database for
each bench at a time (--only).
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime

BENCH = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(BENCH, "README.md")
# Moderate sizes: minutes each on the 2-core development machine, not hours.
SIZES = {
    "case_list": ["--cases", "20000", "--services-per-case", "20"],
    "reminders": ["--cases", "20000", "--services-per-case", "20"],
    "export": ["--cases", "2000", "--services-per-case", "10", "--runs", "2"],
    "load": ["--cases", "5000", "--services-per-case", "20", "--users", "8", "--seconds", "20"],
}
START = re.compile(r"^<!-- table: ([\w-]+) -->$", re.M)


def markdown(header: list[str], rows: list[list]) -> str:
    """A markdown table; numbers right-aligned."""
    numeric = [bool(rows) and all(_is_number(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" ---: " if right else " --- " for right in numeric) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _is_number(cell) -> bool:
    return re.fullmatch(r"-?[\d.,]+|-", str(cell)) is not None


def add(path: str | None, name: str, header: list[str], rows: list[list]) -> None:
    """Add the table ``name`` to the file ``path`` (nothing without --markdown)."""
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"<!-- table: {name} -->\n{markdown(header, rows)}")


def tables(text: str) -> dict[str, str]:
    """The tables of a --markdown file or of the README, by name (the README's without the
    line saying where they were measured)."""
    found = {}
    for match in START.finditer(text):
        rest = text[match.end() :].lstrip("\n")
        lines = []
        for line in rest.splitlines():
            if not line.startswith("|"):
                if lines:
                    break
                continue
            lines.append(line)
        found[match.group(1)] = "\n".join(lines) + "\n"
    return found


def shape(table: str) -> tuple[list[str], int]:
    """A table's header and how many cells each row has (-1 if the rows differ)."""
    rows = [line.strip("|").split(" | ") for line in table.strip().splitlines()]
    widths = {len(row) for row in rows}
    return [cell.strip() for cell in rows[0]], widths.pop() if len(widths) == 1 else -1


def machine() -> str:
    cores = os.cpu_count()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = re.search(r"^model name\s*:\s*(.+)$", info.read(), re.M)
        cpu = model.group(1).strip() if model else platform.processor()
    except OSError:
        cpu = platform.processor()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, load average {load}"


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        cwd=BENCH,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def replace(readme: str, new: dict[str, str], note: str) -> str:
    for name, table in new.items():
        block = re.compile(
            rf"^<!-- table: {re.escape(name)} -->\n.*?^<!-- end table -->$", re.M | re.S
        )
        if not block.search(readme):
            sys.exit(f"bench/README.md has no table {name}")
        text = f"<!-- table: {name} -->\n{note}\n\n{table}<!-- end table -->"
        readme = block.sub(lambda _, text=text: text, readme)
    return readme


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=",".join(SIZES), help="benches, comma-separated")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with open(README, encoding="utf-8") as source:
        readme = source.read()
    for bench in args.only.split(","):
        handle, path = tempfile.mkstemp(prefix=f"bench-{bench}-", suffix=".md")
        os.close(handle)
        command = [sys.executable, os.path.join(BENCH, f"{bench}.py"), *SIZES[bench]]
        if args.database_url:
            command += ["--database-url", args.database_url]
        try:
            subprocess.run([*command, "--markdown", path], check=True)  # noqa: S603
            with open(path, encoding="utf-8") as source:
                new = tables(source.read())
        finally:
            os.unlink(path)
        shown = " ".join(["bench/" + bench + ".py", *SIZES[bench]])
        database = "PostgreSQL" if args.database_url else "SQLite"
        note = (
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; commit "
            f"`{commit()}`, {database}: `{shown}`."
        )
        readme = replace(readme, new, note)
        with open(README, "w", encoding="utf-8") as out:
            out.write(readme)
        print(f"bench/README.md: {', '.join(new)} regenerated")


if __name__ == "__main__":
    main()
