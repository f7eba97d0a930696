"""flask db copy --to postgresql://...: a province's SQLite database moved to PostgreSQL."""

import re
from contextlib import contextmanager

import pytest

from reintegration import create_app
from reintegration.extensions import db
from reintegration.operations.backups import copy_file
from reintegration.operations.schema import sqlite_url
from tests.browsing import Browser, serving
from tests.own_database import SETTINGS, own_sessions, race_database

from .helpers import facts_of, invoke, needs_postgresql

# What differs between two servers of the same data: form tokens and nonces.
_CHANGING = re.compile(r'((?:name="csrf_token"[^>]*value|nonce)=")[^"]*')


@contextmanager
def _app_on(url: str):
    app = create_app({**SETTINGS, "DATABASE_URL": url})
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def sqlite_province(province_backup, tmp_path):
    """The demo province on SQLite (its backup, restored by copying the file)."""
    path = str(tmp_path / "province.db")
    copy_file(province_backup.path, path)
    with _app_on(sqlite_url(path)) as app:
        yield app


def _pages(app, username: str, password: str) -> dict[str, str]:
    with serving(app) as base:
        browser = Browser(base)
        browser.login(username, password)
        listed = browser.get("/cases/")
        found = re.search(r"href=\"(/cases/\d+)\"", listed.text)
        assert found, (listed.path, listed.status, listed.text[:3000])
        first_case = found.group(1)
        pages = {path: browser.get(path) for path in ["/", "/tasks/", first_case]}
    pages["/cases/"] = listed
    assert {path: page.status for path, page in pages.items()} == dict.fromkeys(pages, 200)
    return {path: _CHANGING.sub(r"\1", page.text) for path, page in pages.items()}


@needs_postgresql
def test_a_demo_moved_to_postgresql_shows_the_same_pages(
    province, sqlite_province, tmp_path_factory
):
    username, password, _role = province.config["DEMO_ACCOUNTS"][1]  # shelter staff
    with own_sessions(), race_database(tmp_path_factory, "ops_moved") as url:
        result = invoke(sqlite_province, "db", "copy", "--to", url)
        assert result.exit_code == 0, result.output
        assert "the audit log match this database" in result.output
        with _app_on(url) as moved:
            assert facts_of(moved) == facts_of(sqlite_province)
            assert _pages(moved, username, password) == _pages(sqlite_province, username, password)

            copied = facts_of(moved)
            again = invoke(sqlite_province, "db", "copy", "--to", url)
            assert again.exit_code == 1
            assert "is not empty (" in again.output
            assert "nothing was changed" in again.output
            assert facts_of(moved) == copied


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("mysql://officer@db.example/province", "must be a PostgreSQL database URL"),
        ("sqlite:///elsewhere.db", "must be a PostgreSQL database URL"),
        ("a database somewhere", "is not a database URL"),
        ("postgresql://officer:s3cret-pw@127.0.0.1:1/province", "Cannot reach postgresql://"),
    ],
    ids=["mysql", "sqlite", "not a url", "unreachable"],
)
def test_a_copy_to_a_wrong_target_is_refused_and_shows_no_password(province, target, reason):
    with own_sessions():
        before = facts_of(province)
        result = invoke(province, "db", "copy", "--to", target)
        assert result.exit_code == 1
        assert reason in result.output
        assert "s3cret-pw" not in result.output
        assert facts_of(province) == before
