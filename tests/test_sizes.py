"""No module of the app over 400 lines, and no function over 40.

The migrations and the demo are left out: a migration is written once and never read again, and
the demo is one long script of sample data. A function is measured from its `def` to its last
line, decorators excluded; a nested function counts on its own and within its parent.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reintegration"
LEFT_OUT = (PACKAGE / "migrations", PACKAGE / "demo.py")
MODULE_LIMIT = 400
FUNCTION_LIMIT = 40


def _measured_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if not any(path == left or left in path.parents for left in LEFT_OUT)
    )


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_the_measure_reads_the_package():
    files = _measured_files()
    assert PACKAGE / "__init__.py" in files
    assert PACKAGE / "demo.py" not in files
    assert not any("migrations" in path.parts for path in files)


def test_no_module_is_over_400_lines():
    too_long = [
        f"{_name(path)}: {lines} lines"
        for path in _measured_files()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_LIMIT
    ]
    assert not too_long, "modules over 400 lines:\n" + "\n".join(too_long)


def test_no_function_is_over_40_lines():
    too_long = []
    for path in _measured_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > FUNCTION_LIMIT:
                    too_long.append(f"{_name(path)}:{node.lineno} {node.name}: {lines} lines")
    assert not too_long, "functions over 40 lines:\n" + "\n".join(too_long)
