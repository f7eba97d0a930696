"""Accounts: creating and changing users, and the login rules (guess limits, sessions)."""

from functools import cache
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from .. import clock
from ..access import Role
from ..audit.models import Action
from ..audit.services import record
from ..database import writing
from ..errors import DomainError
from ..extensions import db
from ..reference.models import Province
from . import password_rules, sessions, throttle
from .models import User
from .passwords import hash_password, needs_rehash, verify_password

MIN_PASSWORD_LENGTH = password_rules.MIN_LENGTH


class LoginRefused(DomainError):
    pass


# What the audit log keeps of a login attempt for a username that does not exist: the text
# typed may be a password entered in the wrong field.
UNKNOWN_USERNAME = "?"

# One answer for an unknown username, a wrong password, a deactivated account and an attempt
# held back by the guess limits (auth/throttle.py), so that none tells which accounts exist.
INVALID_LOGIN = _l("Wrong username or password, or too many attempts: wait a moment and try again.")


def normalise_username(username: str) -> str:
    return username.strip().lower()


# Held while the first administrator is made (PostgreSQL; SQLite has one writer anyway).
SETUP_LOCK = 748_204


def lock_setup() -> None:
    """The setup form sent twice at once (a double click) makes one administrator: the second
    sending waits for the first, then finds a user."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK})


def any_user_exists() -> bool:
    return db.session.execute(select(func.count(User.id))).scalar_one() > 0


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def check_password_rules(password: str, username: str = "", full_name: str = "") -> None:
    """A DomainError on the password field when the new password breaks a rule
    (auth/password_rules.py): too short, too common, too close to the username or name."""
    password_rules.check(password, username, full_name)


@cache
def _decoy_hash() -> str:
    return hash_password("decoy password, never anyone's")


def authenticate(username: str, password: str, address: str | None) -> User:
    """The user these credentials belong to, or LoginRefused. Counts failed guesses per
    username and per ``address`` (auth/throttle.py); an attempt they hold back is refused
    whatever the password, with the same answer, after the same check of the password.

    The password is checked first, in a read, and the outcome written after, in a transaction
    that takes SQLite's write lock (``database.writing``): the hash is slow on purpose, and held
    under that lock a burst of logins, or of guesses sent by anyone, would make every
    colleague's save wait behind it, then fail. The caller commits.
    """
    found = find_user(username)
    # A username that does not exist is checked against a decoy, so that the time of the
    # answer does not tell which usernames exist.
    stored = found.password_hash if found is not None else _decoy_hash()
    correct = verify_password(stored, password)
    db.session.rollback()  # ends the read: the outcome's transaction begins writing
    with writing():
        user = find_user(username)
        if user is not None and user.password_hash != stored:  # changed while it was checked
            correct = verify_password(user.password_hash, password)
        return _outcome(user, correct, password, normalise_username(username), address)


def _outcome(
    user: User | None, correct: bool, password: str, username: str, address: str | None
) -> User:
    # Unknown usernames are counted too: the limits behave the same whether an account exists.
    if not throttle.check(throttle.LOGIN, username, address):
        _refuse(Action.LOCKOUT, user)
    if user is None or not correct or not user.active:
        throttle.failed(throttle.LOGIN, username, address)
        _refuse(Action.LOGIN_FAILED, user)
    throttle.succeeded(throttle.LOGIN, username, address)
    user.last_login_at = clock.utcnow()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record(Action.LOGIN, "users", user.id, user_id=user.id, username=user.username)
    return user


def _refuse(action: Action, user: User | None) -> NoReturn:
    """An audit entry (never what was typed), and the one answer of every refusal."""
    if user is None:
        record(action, "users", username=UNKNOWN_USERNAME)
    else:
        record(action, "users", user.id, user_id=user.id, username=user.username)
    raise LoginRefused(INVALID_LOGIN)


def current_password_accepted(user: User, password: str, address: str | None) -> bool:
    """Whether ``password`` is the user's own (the change-password page): a guess like a
    login's, limited the same way, held back or not after the same check. The caller commits
    either way, so that failures are counted."""
    correct = verify_password(user.password_hash, password)
    account = str(user.id)
    if not throttle.check(throttle.CURRENT_PASSWORD, account, address):
        record(Action.LOCKOUT, "users", user.id, user_id=user.id, username=user.username)
        return False
    if not correct:
        throttle.failed(throttle.CURRENT_PASSWORD, account, address)
        record(Action.LOGIN_FAILED, "users", user.id, user_id=user.id, username=user.username)
        return False
    throttle.succeeded(throttle.CURRENT_PASSWORD, account, address)
    return True


def _check_scope(role: Role, facility, province: Province | None) -> Province | None:
    """The province a user of ``role`` gets, or a DomainError naming the missing field."""
    if role == Role.SHELTER_STAFF and facility is None:
        raise DomainError(_l("Shelter staff belong to a facility."), "facility")
    if facility is not None:
        if province is not None and province.id != facility.province_id:
            raise DomainError(_l("The facility is in another province."), "province")
        return facility.province
    if role in (Role.PROVINCIAL_OFFICER, Role.CASE_WORKER) and province is None:
        raise DomainError(_l("This role works for a province: choose one."), "province")
    return province


def create_user(
    username: str,
    password: str,
    role: Role,
    facility=None,
    province: Province | None = None,
    full_name: str = "",
    email: str | None = None,
    language: str = "vi",
) -> User:
    username = normalise_username(username)
    if find_user(username) is not None:
        raise DomainError(_l("This username is taken."), "username")
    check_password_rules(password, username, full_name)
    province = _check_scope(role, facility, province)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        facility=facility,
        province=province,
        full_name=full_name.strip(),
        email=email or None,
        language=language,
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User, role: Role, facility, province, full_name: str, email, acting: User
) -> None:
    if user.id == acting.id and user.role == Role.ADMIN and role != Role.ADMIN:
        raise DomainError(_l("You cannot take away your own administrator role."), "role")
    province = _check_scope(role, facility, province)
    scope = (role, getattr(facility, "id", None), getattr(province, "id", None))
    if scope != (user.role, user.facility_id, user.province_id):
        # Sessions begun under the old role or scope end: the user logs in again to the new.
        ended = sessions.EndReason.ROLE_CHANGED
        sessions.end_all(user.id, ended, keep_current=user.id == acting.id)
    user.role = role
    user.facility = facility
    user.province = province
    user.full_name = full_name.strip()
    user.email = email or None


def set_password(user: User, password: str) -> None:
    check_password_rules(password, user.username, user.full_name)
    user.password_hash = hash_password(password)
    throttle.forget_account(throttle.LOGIN, user.username)  # a reset lets the user in at once
    user.session_version += 1
    sessions.end_all(user.id, sessions.EndReason.PASSWORD_CHANGED)


def set_active(user: User, active: bool, acting: User) -> None:
    if user.id == acting.id and not active:
        raise DomainError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        user.session_version += 1
        sessions.end_all(user.id, sessions.EndReason.BY_ADMINISTRATOR)


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's loader: the id carries a version that a password reset bumps."""
    try:
        raw_id, version = user_id.split(":")
        user = db.session.get(User, int(raw_id))
    except ValueError:
        return None
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user
