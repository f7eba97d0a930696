"""One commit per request (reintegration/unit_of_work.py): a request that fails keeps nothing,
a page that only reads writes only what it says, and a commit writes the audit entries, then
looks again at the reminders of the cases they name."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from reintegration import unit_of_work
from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.auth.session_models import UserSession
from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.submissions import Submission
from tests.auth.conftest import logged_in, member  # noqa: F401  (fixtures of the auth tests)
from tests.auth.pages import form_values

# Looked up once the app is made: the views are imported with its blueprints.
CASE_VIEWS_REDIRECT = "reintegration.casefile.views.saved_redirect"


@pytest.fixture
def officer(logged_in):  # noqa: F811
    return logged_in(Role.PROVINCIAL_OFFICER, username="lan")


def _edit_case(client, case: Case, **changes):
    form = form_values(client.get(f"/cases/{case.id}/edit").get_data(as_text=True))
    form.update(changes)
    return client.post(f"/cases/{case.id}/edit", data=form)


def _updates_of(case: Case) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == Action.UPDATE,
                AuditEntry.entity == "cases",
                AuditEntry.entity_id == case.id,
            )
        )
    )


def _flushed_then(outcome):
    """A redirect after a save that goes wrong once the save is flushed."""

    def saved_redirect(endpoint, **values):
        db.session.flush()
        return outcome()

    return saved_redirect


def _raise():
    raise RuntimeError("a fault after the save was flushed")


def test_a_save_commits_with_its_audit_entry(client, officer, make):
    case = make.case(province="NA", receiving_agency="Công an tỉnh")
    db.session.commit()

    response = _edit_case(client, case, receiving_agency="Bộ đội Biên phòng tỉnh")

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).receiving_agency == "Bộ đội Biên phòng tỉnh"
    assert len(_updates_of(case)) == 1


def test_a_request_failing_after_a_flush_saves_nothing(client, officer, make, monkeypatch):
    case = make.case(province="NA", receiving_agency="Công an tỉnh")
    db.session.commit()
    monkeypatch.setattr(CASE_VIEWS_REDIRECT, _flushed_then(_raise))

    with pytest.raises(RuntimeError):
        _edit_case(client, case, receiving_agency="Bộ đội Biên phòng tỉnh")

    db.session.expire_all()
    assert db.session.get(Case, case.id).receiving_agency == "Công an tỉnh"
    assert _updates_of(case) == []
    assert db.session.scalars(select(Submission)).all() == []  # the form can be sent again


def test_a_request_answering_an_error_saves_nothing(client, officer, make, monkeypatch):
    case = make.case(province="NA", receiving_agency="Công an tỉnh")
    db.session.commit()
    monkeypatch.setattr(CASE_VIEWS_REDIRECT, _flushed_then(lambda: ("refused", 400)))

    response = _edit_case(client, case, receiving_agency="Bộ đội Biên phòng tỉnh")

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Case, case.id).receiving_agency == "Công an tỉnh"
    assert _updates_of(case) == []


def _every_row() -> dict[str, set[str]]:
    return {
        table.name: {repr(tuple(row)) for row in db.session.execute(table.select())}
        for table in db.metadata.sorted_tables
    }


def test_a_page_that_reads_writes_only_its_view_and_last_seen(client, officer, make, frozen_clock):
    """The case page writes what audit.services.write_views and sessions.note_activity say:
    one "viewed" entry, and the session's "last seen" once a minute has passed."""
    case = make.case(province="NA")
    db.session.commit()
    frozen_clock.advance(minutes=5)
    before = _every_row()
    last_entry = db.session.scalar(select(func.max(AuditEntry.id)))

    assert client.get(f"/cases/{case.id}").status_code == 200

    db.session.expire_all()
    after = _every_row()
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"audit_entries", "user_sessions"}
    assert before["audit_entries"] < after["audit_entries"]  # entries are only added
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.id > last_entry))
    assert (entry.action, entry.entity, entry.entity_id) == (Action.VIEW, "cases", case.id)
    [session] = db.session.scalars(select(UserSession).where(UserSession.user_id == officer.id))
    assert session.last_seen_at == frozen_clock.now
    assert len(after["user_sessions"]) == len(before["user_sessions"])


def test_the_commit_hook_writes_the_audit_then_looks_at_the_reminders(make, monkeypatch):
    calls = []
    write_changes, settle = unit_of_work.write_changes, unit_of_work.settle_changed_cases

    def audit_step(session):
        cases = write_changes(session)
        calls.append(("audit", cases))
        return cases

    def reminders_step(session, cases):
        calls.append(("reminders", set(cases)))
        settle(session, cases)

    monkeypatch.setattr(unit_of_work, "write_changes", audit_step)
    monkeypatch.setattr(unit_of_work, "settle_changed_cases", reminders_step)
    case = make.case(province="NA")
    calls.clear()

    case.receiving_agency = "Bộ đội Biên phòng tỉnh"
    db.session.commit()

    assert calls == [("audit", {case.id}), ("reminders", {case.id})]


def test_the_commit_hook_is_the_only_one_of_the_app():
    """One hook, whatever the order the domains were imported in."""
    ours = [
        listener
        for listener in db.session().dispatch.before_commit
        if listener.__module__.startswith("reintegration")
    ]
    assert ours == [unit_of_work.on_commit]


def test_a_save_whose_commit_fails_shows_no_saved_message(client, officer, make, monkeypatch):
    """The view flashes "saved" before the request commits: when the commit then fails (the
    database busy), the message must reach no page, and nothing is saved."""
    case = make.case(province="NA", receiving_agency="Công an tỉnh")
    db.session.commit()

    def busy() -> None:
        db.session.flush()
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    form = form_values(client.get(f"/cases/{case.id}/edit").get_data(as_text=True))
    form["receiving_agency"] = "Bộ đội Biên phòng tỉnh"
    monkeypatch.setattr(unit_of_work, "_commit_keeping_what_was_read", busy)
    response = client.post(f"/cases/{case.id}/edit", data=form)
    monkeypatch.undo()

    assert response.status_code == 503
    assert "The case is saved." not in response.get_data(as_text=True)
    assert "The case is saved." not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).receiving_agency == "Công an tỉnh"
