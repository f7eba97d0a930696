"""Accounts: creating and changing users, and the login rules (lockout, sessions)."""

from datetime import timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select, text, update

from .. import clock
from ..audit.models import Action
from ..audit.services import record
from ..database import writing
from ..errors import DomainError
from ..extensions import db
from ..reference.models import Province
from . import sessions
from .models import Role, User
from .passwords import hash_password, needs_rehash, verify_password

MIN_PASSWORD_LENGTH = 10


class LoginRefused(DomainError):
    pass


class AccountLocked(LoginRefused):
    def __init__(self, minutes: int):
        super().__init__(
            lazy_ngettext(
                "Too many failed attempts: this account is locked. Try again in %(num)s "
                "minute or ask an administrator.",
                "Too many failed attempts: this account is locked. Try again in %(num)s "
                "minutes or ask an administrator.",
                minutes,
            )
        )
        self.minutes = minutes


# What the audit log keeps of a login attempt for a username that does not exist: the text
# typed may be a password entered in the wrong field.
UNKNOWN_USERNAME = "?"

INVALID_LOGIN = _l("Wrong username or password.")


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
    return db.session.scalar(select(func.count(User.id))) > 0


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _l("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH), "password"
        )


@cache
def _decoy_hash() -> str:
    return hash_password("decoy password, never anyone's")


def _lock_minutes_left(user: User) -> int:
    left = user.locked_until - clock.utcnow()
    return max(1, -(-int(left.total_seconds()) // 60))


def authenticate(username: str, password: str) -> User:
    """The user these credentials belong to, or LoginRefused. Counts failures, locks.

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
        return _outcome(user, correct, password)


def _outcome(user: User | None, correct: bool, password: str) -> User:
    if user is None:
        record(Action.LOGIN_FAILED, "users", username=UNKNOWN_USERNAME)
        raise LoginRefused(INVALID_LOGIN)
    if user.locked_until and user.locked_until > clock.utcnow():
        record(Action.LOGIN_FAILED, "users", user.id, user_id=user.id, username=user.username)
        raise AccountLocked(_lock_minutes_left(user))
    if not correct:
        _count_failure(user)
    if not user.active:
        record(Action.LOGIN_FAILED, "users", user.id, user_id=user.id, username=user.username)
        raise LoginRefused(INVALID_LOGIN)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = clock.utcnow()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record(Action.LOGIN, "users", user.id, user_id=user.id, username=user.username)
    return user


def _count_failure(user: User):
    """Count in the database, not in Python: guesses sent in parallel to several workers
    each add one, so no one gets more than the allowed attempts."""
    config = current_app.config
    this_user = User.id == user.id
    failures = db.session.execute(
        update(User)
        .where(this_user)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.expire(user, ["failed_logins", "locked_until"])
    record(Action.LOGIN_FAILED, "users", user.id, user_id=user.id, username=user.username)
    if failures >= config["LOGIN_MAX_ATTEMPTS"]:
        locked_until = clock.utcnow() + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
        db.session.execute(
            update(User)
            .where(this_user)
            .values(failed_logins=0, locked_until=locked_until)
            .execution_options(synchronize_session=False)
        )
        record(Action.LOCKOUT, "users", user.id, user_id=user.id, username=user.username)
        raise AccountLocked(config["LOGIN_LOCK_MINUTES"])
    raise LoginRefused(INVALID_LOGIN)


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
    check_password_rules(password)
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
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
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
