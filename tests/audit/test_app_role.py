"""On PostgreSQL the app can run as a role that owns nothing, migrations as the owner
(MIGRATION_DATABASE_URL): then the app's own database user cannot drop or disable the audit
log's triggers, nor change, delete or empty entries (docs/audit.md)."""

import os

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from reintegration import create_app
from reintegration.audit import verification
from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.operations import startup
from tests.conftest import PASSWORD, Factory
from tests.migrations.released import on_postgresql
from tests.own_database import SETTINGS, own_sessions, race_database

pytestmark = pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL's roles")

# As docs/audit.md says, with the roles' names of this test. {db}: the database.
AS_SUPERUSER = [
    "CREATE ROLE {owner} LOGIN",
    "CREATE ROLE {app} LOGIN",
    "ALTER DATABASE {db} OWNER TO {owner}",
]
IN_THE_DATABASE = [
    "REVOKE ALL ON SCHEMA public FROM PUBLIC",
    "GRANT USAGE ON SCHEMA public TO {app}",
    "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
    "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
    "GRANT USAGE, SELECT ON SEQUENCES TO {app}",
]
REFUSED = [
    "ALTER TABLE audit_entries DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_entries_no_change ON audit_entries",
    "UPDATE audit_entries SET username = 'someone'",
    "DELETE FROM audit_entries",
    "TRUNCATE audit_entries",
    "ALTER TABLE audit_entries DROP COLUMN chain",
]


def _run(url: str, statements: list[str], names: dict) -> None:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement.format(**names))


@pytest.fixture
def roles(tmp_path_factory):
    names = {}
    try:
        with race_database(tmp_path_factory, "roles") as url:
            database = make_url(url).database
            names.update(db=database, owner=f"{database}_owner", app=f"{database}_app")
            _run(url, ["DROP ROLE IF EXISTS {owner}", "DROP ROLE IF EXISTS {app}"], names)
            _run(url, AS_SUPERUSER, names)
            _run(url, IN_THE_DATABASE, names)
            as_role = {
                role: make_url(url).set(username=names[role]).render_as_string(hide_password=False)
                for role in ("owner", "app")
            }
            yield as_role, names
    finally:
        if names:  # once their database is gone, the roles own nothing
            _run(os.environ["DATABASE_URL"], ["DROP ROLE {owner}", "DROP ROLE {app}"], names)


def test_the_app_works_as_a_role_that_cannot_touch_the_audit_logs_triggers(roles):
    as_role, names = roles
    app = create_app(
        {
            **SETTINGS,
            "DATABASE_URL": as_role["app"],
            "MIGRATION_DATABASE_URL": as_role["owner"],
            "SESSION_COOKIE_SECURE": False,
        }
    )
    try:
        startup.migrate_on_start(app)  # as the app starts: migrated as the owner
        with own_sessions(), app.app_context():
            owners = (
                db.session.execute(
                    text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
                )
                .scalars()
                .all()
            )
            make = Factory()
            facility = make.facility("NA")
            user = make.user(Role.SHELTER_STAFF, facility=facility, language="en")
            case = make.case(facility)
            db.session.commit()
            username, case_id = user.username, case.id
            db.session.remove()

        with own_sessions():
            client = app.test_client()
            login = client.post("/login", data={"username": username, "password": PASSWORD})
            page = client.get(f"/cases/{case_id}")

        with own_sessions(), app.app_context():
            verdict = verification.check()
            actions = set(db.session.scalars(select(AuditEntry.action)))
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()

    assert owners == [names["owner"]]
    assert (login.status_code, page.status_code) == (302, 200)
    assert {Action.CREATE, Action.LOGIN, Action.VIEW} <= actions
    assert verdict.broken is None
    assert verdict.entries >= 3
    for statement in REFUSED:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _run(as_role["app"], [statement], names)
