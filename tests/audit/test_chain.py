# ruff: noqa: S608  (the SQL an attacker would type; ids come from the test itself)
"""The audit log shows tampering: every entry is chained to the one before by a keyed hash, and
``flask --app wsgi audit verify`` names the first entry changed, removed or added by hand, even
when whoever did it dropped the append-only triggers first."""

import json
import re
import sqlite3
import threading
from contextlib import closing

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DatabaseError

from reintegration import create_app
from reintegration.audit import chain, verification
from reintegration.audit.models import Action, AuditEntry
from reintegration.audit.services import record
from reintegration.auth.models import Role
from reintegration.database import MIGRATIONS, writing
from reintegration.extensions import db
from reintegration.operations import runs
from reintegration.operations.copying import copy_tables
from reintegration.reminders import tasks
from tests.browsing import Browser, serving
from tests.conftest import PASSWORD, Factory
from tests.migrations.released import RELEASED, revision_of, unpack
from tests.own_database import SETTINGS, app_on_own_database, own_sessions, race_database

INTACT = re.compile(r"^([\d,]+) entries verified, chain intact\.$", re.MULTILINE)


def _verdict() -> verification.Verdict:
    return verification.verify(db.session.connection())


def _entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _as_attacker(*statements: str) -> None:
    """Raw SQL on the database, its append-only triggers dropped first, as whoever holds the
    file or the app's database user could."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("DROP TRIGGER audit_entries_no_change ON audit_entries"))
    else:
        db.session.execute(text("DROP TRIGGER audit_entries_no_update"))
        db.session.execute(text("DROP TRIGGER audit_entries_no_delete"))
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()


@pytest.fixture
def admin(logged_in):
    return logged_in(Role.ADMIN, username="quan")


@pytest.fixture
def written(client, admin, make, frozen_clock):
    """Entries written by every path: a login, a model change (the flush hooks), an entry
    recorded by a service, and a page view (written after the page is made)."""
    case = make.case(province="NA")
    db.session.commit()
    record(Action.EXPORT, "cases", case.id, case_id=case.id, changes={"names": False})
    db.session.commit()
    frozen_clock.advance(minutes=5)
    assert client.get(f"/cases/{case.id}").status_code == 200
    # The test's own session read the case before the page: it ends, keeping what the page
    # wrote (the tests share one connection, whose savepoints nest).
    db.session.commit()
    entries = _entries()
    assert {entry.action for entry in entries} >= {
        Action.LOGIN,
        Action.CREATE,
        Action.EXPORT,
        Action.VIEW,
    }
    return entries


def test_every_path_that_writes_entries_chains_them(written):
    assert all(re.fullmatch(r"[0-9a-f]{64}", entry.chain) for entry in written)
    assert [entry.id for entry in written] == list(
        range(written[0].id, written[0].id + len(written))
    )
    assert len({entry.chain for entry in written}) == len(written)
    newest = (written[-1].id, written[-1].chain)
    assert _verdict() == verification.Verdict(len(written), None, newest)


def test_audit_verify_says_the_chain_is_intact_and_records_when(runner, written, frozen_clock):
    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 0, result.output
    assert INTACT.search(result.output).group(1) == str(len(written))
    assert f"Newest entry #{written[-1].id}, chain {written[-1].chain}." in result.output
    run = runs.last_runs()[runs.AUDIT_VERIFY]
    assert (run.succeeded_at, run.failed) == (frozen_clock.now, False)


def test_an_entry_edited_by_hand_is_found(runner, written):
    login = next(entry for entry in written if entry.action == Action.LOGIN)
    _as_attacker(f"UPDATE audit_entries SET username = 'someone' WHERE id = {login.id}")

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert f"entry #{login.id} changed" in result.output
    assert runs.last_runs()[runs.AUDIT_VERIFY].error == f"changed #{login.id}"


def test_a_change_of_an_entrys_changes_is_found(written):
    created = next(entry for entry in written if entry.action == Action.CREATE)
    tampered = created.changes | {"full_name": "Somebody Else"}
    db.session.expire_all()
    _as_attacker(
        "UPDATE audit_entries SET changes = '"
        + json.dumps(tampered).replace("'", "''")
        + f"' WHERE id = {created.id}"
    )

    assert _verdict().broken == verification.Broken(created.id, verification.CHANGED)


def test_the_same_changes_written_in_another_order_are_no_change(written):
    """The hash covers the values, not how the database spells its JSON."""
    export = next(entry for entry in written if entry.action == Action.EXPORT)
    _as_attacker(f"""UPDATE audit_entries SET changes = '{{ "names" : false }}'
                     WHERE id = {export.id}""")

    assert _verdict().broken is None


def test_values_the_app_could_not_read_are_found_not_a_crash(written):
    forged = written[1].id
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    _as_attacker(
        "UPDATE audit_entries SET action = 'forged', "
        + ("changes = '{not json', at = 'yesterday'" if sqlite else "ip = ''")
        + f" WHERE id = {forged}"
    )

    assert _verdict().broken == verification.Broken(forged, verification.CHANGED)


def test_a_deleted_entry_is_found_as_a_gap(runner, written):
    removed, after = written[1].id, written[2].id
    _as_attacker(f"DELETE FROM audit_entries WHERE id = {removed}")

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert f"entry #{removed} removed" in result.output
    assert _verdict().broken == verification.Broken(after, verification.REMOVED, (removed, removed))


def test_an_inserted_entry_is_found_even_when_the_app_writes_after_it(written, frozen_clock):
    forged = written[-1].id + 1
    _as_attacker(
        "INSERT INTO audit_entries (id, at, username, action, entity, ip) "
        f"VALUES ({forged}, '2026-03-15 02:00:00', 'quan', 'login', 'users', '10.0.0.9')"
    )
    record(Action.EXPORT, "cases")
    db.session.commit()

    assert _verdict().broken == verification.Broken(forged, verification.INSERTED)
    assert _entries()[-1].id == forged + 1  # the app's entry went on after it


def test_an_entry_slipped_between_two_others_is_found(written):
    """An entry given the chain of a real one (copied) still does not match its place."""
    _as_attacker(
        f"DELETE FROM audit_entries WHERE id = {written[2].id}",
        "INSERT INTO audit_entries (id, at, username, action, entity, ip, chain) "
        f"VALUES ({written[2].id}, '2026-03-15 02:00:00', 'quan', 'logout', 'users', '', "
        f"'{written[2].chain}')",
    )

    assert _verdict().broken == verification.Broken(written[2].id, verification.CHANGED)


def test_a_chain_rewritten_without_the_key_does_not_verify(written):
    """Whoever edits the table recomputes the chain with a key of their own: nothing matches."""
    _as_attacker(f"UPDATE audit_entries SET username = 'someone' WHERE id = {written[0].id}")
    chain.rechain(db.session.connection(), chain.derive_key("a guessed secret"))
    db.session.commit()

    assert _verdict().broken == verification.Broken(written[0].id, verification.WRONG_KEY)


def test_a_broken_chain_is_a_warning_on_the_audit_page(client, runner, written):
    _as_attacker(f"DELETE FROM audit_entries WHERE id = {written[1].id}")
    runner.invoke(args=["audit", "verify"])

    page = client.get("/admin/audit/").get_data(as_text=True)

    assert "This audit log was altered outside the app." in page
    assert f"entries just before #{written[2].id} were removed" in page


def test_the_audit_page_says_when_the_chain_was_last_checked(client, runner, written):
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "has not been checked yet" in page

    runner.invoke(args=["audit", "verify"])
    page = client.get("/admin/audit/").get_data(as_text=True)

    assert "Chain of hashes checked on 15/03/2026 09:05" in page
    assert "altered outside the app" not in page


def test_system_status_shows_the_nightly_check(client, runner, written):
    _as_attacker(f"UPDATE audit_entries SET username = 'x' WHERE id = {written[0].id}")
    runner.invoke(args=["audit", "verify"])

    page = client.get("/administration/status").get_data(as_text=True)

    card = page.split('data-task="audit_verify"')[1].split("</dl>")[0]
    assert "Audit log check" in card
    assert 'data-state="failed"' in card
    assert f"changed #{written[0].id}" in card


def test_the_scheduler_checks_the_chain_every_night(app, written, monkeypatch):
    nightly = {job_id: trigger for job_id, _function, trigger in tasks.jobs(app)}
    assert str(nightly[tasks.AUDIT_JOB]) == "cron[hour='2', minute='30']"

    _as_attacker(f"UPDATE audit_entries SET username = 'x' WHERE id = {written[-1].id}")
    monkeypatch.setattr(tasks, "_app", app)
    monkeypatch.setattr(db.session, "remove", lambda: None)  # the test's session stays
    tasks.verify_audit_chain()

    run = runs.last_runs()[runs.AUDIT_VERIFY]
    assert run.failed
    assert run.error == f"changed #{written[-1].id}"


# A change of SECRET_KEY.


def test_a_new_secret_key_without_an_anchor_is_named(runner, written, app, monkeypatch):
    monkeypatch.setitem(app.config, "SECRET_KEY", "a new secret")

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert "SECRET_KEY was changed without `audit anchor`" in result.output


def test_an_anchor_continues_the_chain_with_a_new_key(runner, written, app, monkeypatch):
    monkeypatch.setitem(app.config, "SECRET_KEY", "a new secret")

    wrong = runner.invoke(args=["audit", "anchor"], input="not the old one\n")
    anchored = runner.invoke(args=["audit", "anchor"], env={"OLD_SECRET_KEY": "test-secret"})
    record(Action.EXPORT, "cases")
    db.session.commit()
    verified = runner.invoke(args=["audit", "verify"])

    assert wrong.exit_code == 1
    assert "No anchor was written" in wrong.output
    assert anchored.exit_code == 0, anchored.output
    assert f"{len(written):,} entries verified with the old key" in anchored.output
    assert INTACT.search(verified.output).group(1) == str(len(written) + 2)
    anchor = _entries()[-2]
    assert (anchor.entity, anchor.changes["key"]) == (
        chain.ANCHOR,
        chain.fingerprint(chain.derive_key("a new secret")),
    )


def test_an_entry_changed_before_the_key_changed_is_still_found(runner, written, app, monkeypatch):
    monkeypatch.setitem(app.config, "SECRET_KEY", "a new secret")
    runner.invoke(args=["audit", "anchor"], env={"OLD_SECRET_KEY": "test-secret"})
    anchor = _entries()[-1]
    _as_attacker(f"UPDATE audit_entries SET username = 'x' WHERE id = {written[1].id}")

    assert _verdict().broken == verification.Broken(anchor.id, verification.BEFORE_ANCHOR)


def test_anchoring_with_the_current_key_is_refused(runner, written):
    result = runner.invoke(args=["audit", "anchor"], env={"OLD_SECRET_KEY": "test-secret"})

    assert result.exit_code == 1
    assert "That is the current SECRET_KEY" in result.output
    assert len(_entries()) == len(written)


# Many writers at once, on a real server.

PEOPLE = 6
ROUNDS = 3


@pytest.fixture(scope="module")
def busy_day(tmp_path_factory):
    with app_on_own_database(
        tmp_path_factory, "chain", SESSION_COOKIE_SECURE=False, PROPAGATE_EXCEPTIONS=False
    ) as app:
        with own_sessions(), app.app_context():
            make = Factory()
            facility = make.facility("NA", capacity=50)
            users = [
                make.user(Role.SHELTER_STAFF, facility=facility, language="en").username
                for _ in range(PEOPLE)
            ]
            cases = [make.case(facility) for _ in range(3)]
            for case in cases:
                make.stay(case, facility)
            db.session.commit()
            case_ids = [case.id for case in cases]
            db.session.remove()
        failures, statuses = [], []
        with serving(app) as base:
            start = threading.Barrier(PEOPLE)

            def person(number: int) -> None:
                try:
                    browser = Browser(base)
                    start.wait()
                    browser.login(users[number], PASSWORD)
                    for round_ in range(ROUNDS):
                        case_id = case_ids[(number + round_) % len(case_ids)]
                        statuses.extend(browser.get(f"/cases/{case_id}").statuses)
                        path = f"/cases/{case_id}/services/new"
                        fields = dict(browser.get(path).form())
                        fields.update(provider=f"person {number} round {round_}", cost="1000")
                        statuses.extend(browser.post(path, fields).statuses)
                except BaseException as error:  # reported by the test
                    failures.append(error)

            threads = [threading.Thread(target=person, args=(n,)) for n in range(PEOPLE)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        yield app, failures, statuses


def test_many_people_writing_at_once_leave_an_intact_chain(busy_day):
    app, failures, statuses = busy_day
    assert failures == []
    assert statuses
    assert max(statuses) < 500

    with own_sessions(), app.app_context():
        verdict = verification.verify(db.session.connection())
        count, lowest, highest = db.session.execute(
            select(func.count(), func.min(AuditEntry.id), func.max(AuditEntry.id))
        ).one()
        logins = db.session.scalar(select(func.count()).where(AuditEntry.action == Action.LOGIN))
        db.session.remove()

    assert verdict.broken is None
    assert verdict.entries == count
    assert highest - lowest + 1 == count  # no gap: every entry links to the one before
    assert logins == PEOPLE


# A database of an earlier release, upgraded.


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    """The newest released fixture's rows (about a thousand entries), upgraded to this release
    on the suite's kind of database, chained a hundred entries at a time."""
    folder = tmp_path_factory.mktemp("chain_upgrade")
    database = unpack(RELEASED[-1], folder)
    with closing(sqlite3.connect(database)) as connection:
        before = connection.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
    with (
        race_database(tmp_path_factory, "chain_upgrade") as url,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(chain, "RECHAIN_BATCH", 100)
        on_sqlite = url.startswith("sqlite")
        app = create_app(
            {**SETTINGS, "DATABASE_URL": f"sqlite:///{database}" if on_sqlite else url}
        )
        try:
            with own_sessions(), app.app_context():
                if not on_sqlite:  # the same rows, on PostgreSQL, at the fixture's revision
                    upgrade(directory=MIGRATIONS, revision=revision_of(RELEASED[-1]))
                    source = create_engine(f"sqlite:///{database}")
                    copy_tables(source, db.engine)
                    source.dispose()
                upgrade(directory=MIGRATIONS)
            yield app, before
        finally:
            with app.app_context():
                db.engine.dispose()


def test_the_upgrade_chains_every_entry_of_an_earlier_release(upgraded):
    app, before = upgraded
    assert before > 900

    with own_sessions(), app.app_context():
        verdict = verification.verify(db.session.connection(), batch=500)
        unchained = db.session.scalar(select(func.count()).where(AuditEntry.chain.is_(None)))
        db.session.rollback()

    assert (verdict.entries, verdict.broken, unchained) == (before, None, 0)


def test_after_the_upgrade_the_log_is_still_append_only_and_chained(upgraded):
    app, before = upgraded

    with own_sessions(), app.app_context():
        first = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id).limit(1))
        first.username = "someone"
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        with writing():
            record(Action.EXPORT, "cases")
            db.session.commit()
        verdict = verification.verify(db.session.connection())
        db.session.rollback()

    assert (verdict.entries, verdict.broken) == (before + 1, None)
