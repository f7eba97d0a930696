"""An administrator switches rules off and retunes them; nobody else may."""

import pytest
from sqlalchemy import select

from reintegration.audit.models import AuditEntry
from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.helpers import field_errors, in_english, sign_in, text_of
from tests.reminders.helpers import setting


def _post(client, rule, **overrides):
    data = {"enabled": "y", "value": "10", "repeat_days": "7", "roles": ["shelter_staff"]}
    data.update(overrides)
    return client.post(f"/admin/reminders/{rule.id}", data=data)


def test_the_rules_page_lists_the_twelve_rules_with_their_settings(auth, make):
    sign_in(auth, make.user(Role.ADMIN))
    in_english(auth.client)
    page = text_of(auth.client.get("/admin/reminders/"))
    assert page.count('data-rule="') == 12
    assert "Days before the planned end: <strong>10</strong>" in page
    assert "Working days before the decision is due: <strong>2</strong>" in page


def test_an_administrator_retunes_a_rule_and_the_change_is_logged(auth, make):
    sign_in(auth, make.user(Role.ADMIN))
    rule = setting("stay_ending")
    response = _post(
        auth.client, rule, value="14", repeat_days="3", roles=["shelter_staff", "case_worker"]
    )
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.value, rule.repeat_days) == (14, 3)
    assert rule.audience == {Role.SHELTER_STAFF, Role.CASE_WORKER}
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity == "reminder_rules", AuditEntry.entity_id == rule.id
        )
    )
    assert entry is not None
    assert entry.changes["value"] == [10, 14]


def test_an_administrator_switches_a_rule_off(auth, make):
    sign_in(auth, make.user(Role.ADMIN))
    rule = setting("consent_old")
    data = {"value": "365", "repeat_days": "7", "roles": ["case_worker"]}
    assert auth.client.post(f"/admin/reminders/{rule.id}", data=data).status_code == 302
    db.session.refresh(rule)
    assert rule.enabled is False


@pytest.mark.parametrize(
    ("field", "value"),
    [("value", "-1"), ("value", "abc"), ("value", ""), ("repeat_days", "0"), ("roles", [])],
)
def test_bad_settings_are_refused_beside_the_field(auth, make, field, value):
    sign_in(auth, make.user(Role.ADMIN))
    in_english(auth.client)
    rule = setting("stay_ending")
    response = _post(auth.client, rule, **{field: value})
    assert response.status_code == 200
    assert field_errors(response, field)
    db.session.refresh(rule)
    assert (rule.value, rule.repeat_days, rule.audience) == (10, 7, {Role.SHELTER_STAFF})


@pytest.mark.parametrize(
    "role", [Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER, Role.CASE_WORKER, Role.TRAINER]
)
def test_only_an_administrator_sees_or_changes_the_rules(auth, make, role):
    facility = make.facility() if role == Role.SHELTER_STAFF else None
    sign_in(auth, make.user(role, facility=facility, province="NA" if not facility else None))
    rule = setting("stay_ending")
    assert auth.client.get("/admin/reminders/").status_code == 403
    assert _post(auth.client, rule, value="99").status_code == 403
    db.session.refresh(rule)
    assert rule.value == 10


def test_changing_who_is_told_is_logged(auth, make):
    sign_in(auth, make.user(Role.ADMIN))
    rule = setting("stay_ending")
    assert (
        _post(auth.client, rule, roles=["shelter_staff", "provincial_officer"]).status_code == 302
    )
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity == "reminder_rules", AuditEntry.entity_id == rule.id
        )
    )
    assert entry.changes["roles"] == ["shelter_staff", "provincial_officer, shelter_staff"]
