from sqlalchemy import func, select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role, User
from reintegration.extensions import db
from tests.conftest import PASSWORD

TYPED_TWICE = f"{PASSWORD}\n{PASSWORD}\n"
# The commands speak English, like their options and prompts.


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_command_creates_shelter_staff_of_a_facility(runner, make):
    facility = make.facility(province="HT", code="HT-SWC")

    result = runner.invoke(
        args=["users", "create", "Mai.Le", "--role", "shelter_staff", "--facility", "ht-swc"],
        input=TYPED_TWICE,
    )

    assert result.exit_code == 0, result.output
    assert "Created mai.le (shelter_staff)." in result.output
    user = _user("mai.le")
    assert (user.role, user.facility, user.province) == (
        Role.SHELTER_STAFF,
        facility,
        facility.province,
    )


def test_command_creates_a_provincial_officer_of_a_province(runner, make):
    result = runner.invoke(
        args=["users", "create", "officer", "--role", "provincial_officer", "--province", "NA"],
        input=TYPED_TWICE,
    )

    assert result.exit_code == 0, result.output
    assert _user("officer").province == make.province("NA")


def test_user_created_by_command_logs_in_with_the_typed_password(runner, client, auth):
    runner.invoke(args=["users", "create", "root", "--role", "admin"], input=TYPED_TWICE)

    assert auth.login(_user("root")).location == "/"


def test_command_creation_is_in_the_audit_log(runner):
    runner.invoke(args=["users", "create", "root", "--role", "admin"], input=TYPED_TWICE)

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == Action.CREATE))
    assert (entry.entity, entry.entity_id, entry.username) == ("users", _user("root").id, "cli")
    assert entry.changes["password_hash"] == "changed"


def test_command_refuses_shelter_staff_without_facility(runner):
    result = runner.invoke(
        args=["users", "create", "mai", "--role", "shelter_staff"], input=TYPED_TWICE
    )

    assert result.exit_code != 0
    assert "Error: " + "Shelter staff belong to a facility." in result.output
    assert _users() == 0


def test_command_refuses_case_worker_without_province(runner):
    result = runner.invoke(
        args=["users", "create", "hoa", "--role", "case_worker"], input=TYPED_TWICE
    )

    assert result.exit_code != 0
    assert "This role works for a province: choose one." in result.output
    assert _users() == 0


def test_command_refuses_an_unknown_province_code(runner):
    result = runner.invoke(
        args=["users", "create", "hoa", "--role", "case_worker", "--province", "XX"],
        input=TYPED_TWICE,
    )

    assert result.exit_code != 0
    assert "no province with code XX" in result.output
    assert _users() == 0


def test_command_refuses_an_unknown_facility_code(runner):
    result = runner.invoke(
        args=["users", "create", "mai", "--role", "shelter_staff", "--facility", "NOPE"],
        input=TYPED_TWICE,
    )

    assert result.exit_code != 0
    assert "no facility with code NOPE" in result.output
    assert _users() == 0


def test_command_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["users", "create", "x", "--role", "boss"], input=TYPED_TWICE)

    assert result.exit_code != 0
    assert "Invalid value for '--role'" in result.output
    assert _users() == 0


def test_command_refuses_a_short_password(runner):
    result = runner.invoke(
        args=["users", "create", "root", "--role", "admin"], input="short\nshort\n"
    )

    assert result.exit_code != 0
    assert "Use at least 10 characters." in result.output
    assert _users() == 0


def test_command_refuses_a_username_that_is_taken(runner, make):
    make.user(Role.ADMIN, username="root")
    db.session.commit()

    result = runner.invoke(args=["users", "create", "ROOT", "--role", "admin"], input=TYPED_TWICE)

    assert result.exit_code != 0
    assert "This username is taken." in result.output
    assert _users() == 1
