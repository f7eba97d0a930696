"""Asking for a support workbook reads without SQLite's write lock: counting its rows (a second
or more at a province's size) never makes colleagues' saves wait behind it."""

import pytest
from sqlalchemy import func, select, text

from reintegration import database
from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.exports import queries
from reintegration.extensions import db
from tests.conftest import PASSWORD, Factory
from tests.own_database import app_on_own_database, own_sessions


@pytest.fixture(scope="module")
def export_app(tmp_path_factory):
    # A save held up fails at once here.
    with app_on_own_database(
        tmp_path_factory, "export_lock", busy_ms=200, PROPAGATE_EXCEPTIONS=False
    ) as app:
        with own_sessions(), app.app_context():
            make = Factory()
            here = make.facility("NA")
            make.case(here)
            staff = make.user(Role.SHELTER_STAFF, facility=here, language="en")
            app.config["seed"] = {"username": staff.username, "place": f"facility-{here.id}"}
            db.session.commit()
        yield app


def test_a_colleague_saves_while_the_workbook_rows_are_counted(export_app, monkeypatch):
    seed, saves = export_app.config["seed"], []
    count = queries.rows_expected

    def counted_while_a_colleague_saves(filters, scope):
        with database.writing(), db.engine.begin() as other:
            other.execute(text("UPDATE facilities SET capacity = capacity + 1"))
        saves.append(True)
        return count(filters, scope)

    monkeypatch.setattr(queries, "rows_expected", counted_while_a_colleague_saves)
    with own_sessions():
        client = export_app.test_client()
        client.post("/login", data={"username": seed["username"], "password": PASSWORD})
        answer = client.post(
            "/exports/support",
            data={"place": seed["place"], "start": "01/01/2026", "end": "15/03/2026"},
        )

    assert saves == [True]
    assert answer.status_code == 200
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    with own_sessions(), export_app.app_context():
        exports = select(func.count(AuditEntry.id)).where(AuditEntry.action == Action.EXPORT)
        assert db.session.scalar(exports) == 1
