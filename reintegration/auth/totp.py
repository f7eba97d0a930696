"""Two-factor login: TOTP (RFC 6238: 30-second steps, 6 digits) and one-time recovery codes.

The TOTP secret is sealed (sealing.py, purpose "totp", bound to the user id). Recovery codes
are random (60 bits each), so a slow password hash would add nothing but time: they are kept
as HMAC-SHA256 under a key derived from SECRET_KEY, so a copy of the database alone cannot be
searched for them, and each is bound to its user. The last accepted time step is kept per
user: a code is accepted once. Wrong codes are guesses, limited per account and per address
as passwords are (auth/throttle.py): after a few, each next attempt waits longer.
"""

import hashlib
import hmac
import secrets
from base64 import b32encode
from functools import lru_cache

import pyotp
import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from .. import clock, sealing
from ..audit.models import Action
from ..audit.services import record
from ..database import rowcount
from ..errors import DomainError
from ..extensions import db
from . import throttle
from .models import User
from .totp_models import RecoveryCode, SecondFactor

PURPOSE = "totp"
ENROLMENT_PURPOSE = "totp enrolment"
STEP_SECONDS = 30
DIGITS = 6
# A code of the step before or after the current one is accepted (a phone's clock drifts).
DRIFT_STEPS = 1
# A code of up to this many steps ago is refused as expired, not as wrong.
EXPIRED_STEPS = 20
RECOVERY_CODES = 10
RECOVERY_CODE_CHARS = 12  # base32: 60 bits

WRONG_CODE = _l("This code is not right. Type the 6 digits your app shows now.")
REUSED_CODE = _l("This code was already used; wait for the next one.")
EXPIRED_CODE = _l("This code has expired; type the one your app shows now.")
USED_RECOVERY_CODE = _l("This recovery code was already used; each one works once.")
WRONG_RECOVERY_CODE = _l("This recovery code is not right.")
NOT_A_CODE = _l("Type the 6 digits your app shows, or one of your recovery codes.")
NOT_A_TOTP_CODE = _l("Type the 6 digits your app shows.")
HELD_BACK = _l("Too many wrong codes: wait a minute, then type the code your app shows then.")
UNREADABLE = _l(
    "Your two-factor setting cannot be read on this server. Use a recovery code or ask an "
    "administrator to reset it."
)


class CodeRefused(DomainError):
    pass


def required(user: User) -> bool:
    return user.role.value in current_app.config["TOTP_REQUIRED_ROLES"]


def factor_of(user: User) -> SecondFactor | None:
    return db.session.get(SecondFactor, user.id)


def enrolled(user: User) -> bool:
    return factor_of(user) is not None


# -- secrets and codes -----------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()


def grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def issuer() -> str:
    return current_app.config["TOTP_ISSUER"]


def otpauth_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=issuer()
    )


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline <svg> element, made here (no image service)."""
    code = segno.make(uri, error="m")
    return code.svg_inline(scale=4, border=2, svgclass="totp-qr", lineclass=None, omitsize=True)


def step_at(moment=None) -> int:
    """The 30-second step of ``moment`` (by default now: the real time, even on a development
    server whose calendar is moved)."""
    moment = moment or clock.utcnow() - clock.moved
    return int(moment.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def normalise(code: str) -> str:
    """What the user typed, without spaces or dashes ("123 456", "abcd-efgh-ijkl")."""
    return "".join((code or "").split()).replace("-", "").lower()


def is_totp_code(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def is_recovery_code(code: str) -> bool:
    return len(code) == RECOVERY_CODE_CHARS and code.isascii() and code.isalnum()


def matching_step(secret: str, code: str, now_step: int) -> int | None:
    """The step whose code is ``code``: the current one or a neighbour, then older ones (to
    tell "expired" from "wrong"). None: no step's code."""
    for step in range(now_step + DRIFT_STEPS, now_step - EXPIRED_STEPS - 1, -1):
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def _open(factor: SecondFactor) -> str:
    return sealing.unseal(factor.secret, PURPOSE, str(factor.user_id)).decode("ascii")


# -- the enrolment: a secret offered in the page, sealed, and confirmed by a code ------------


def offer(user: User) -> str:
    """A new secret for ``user``, sealed for the enrolment form (nothing is stored until a
    code confirms it). Hex, for a hidden field."""
    secret = new_secret()
    sealed = sealing.seal(secret.encode("ascii"), ENROLMENT_PURPOSE, str(user.id))
    return sealed.hex()


def offered_secret(user: User, token: str) -> str | None:
    try:
        sealed = bytes.fromhex(token or "")
        return sealing.unseal(sealed, ENROLMENT_PURPOSE, str(user.id)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None


def enrol(user: User, secret: str, code: str) -> list[str]:
    """Turn two-factor login on with ``secret`` once ``code`` shows the app has it; the new
    recovery codes, to be shown once. CodeRefused otherwise (nothing stored)."""
    code = normalise(code)
    if not is_totp_code(code):
        raise CodeRefused(NOT_A_TOTP_CODE, "code")
    now = step_at()
    step = matching_step(secret, code, now)
    if step is None or step < now - DRIFT_STEPS:
        raise CodeRefused(EXPIRED_CODE if step is not None else WRONG_CODE, "code")
    if factor_of(user) is not None:
        raise CodeRefused(_l("Two-factor login is already on for this account."), "code")
    factor = SecondFactor(
        user_id=user.id,
        secret=sealing.seal(secret.encode("ascii"), PURPOSE, str(user.id)),
        last_step=step,
        enrolled_at=clock.utcnow(),
    )
    db.session.add(factor)
    codes = _new_recovery_codes(user)
    record(Action.TOTP_ENROLLED, "users", user.id)
    return codes


def enrol_with_secret(user: User, secret: str) -> list[str]:
    """Enrol without a code (the demo data and tests): ``secret`` is known to the caller."""
    db.session.add(
        SecondFactor(
            user_id=user.id,
            secret=sealing.seal(secret.encode("ascii"), PURPOSE, str(user.id)),
            enrolled_at=clock.utcnow(),
        )
    )
    return _new_recovery_codes(user)


# -- recovery codes --------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _recovery_key(secret_key: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=sealing.SALT, info=b"recovery codes"
    ).derive(secret_key.encode("utf-8"))


def recovery_hash(user_id: int, code: str) -> str:
    key = _recovery_key(str(current_app.config["SECRET_KEY"]))
    message = f"{user_id}:{normalise(code)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _new_recovery_code() -> str:
    raw = b32encode(secrets.token_bytes(8)).decode("ascii").lower()[:RECOVERY_CODE_CHARS]
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_CHARS, 4))


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=recovery_hash(user.id, code)) for code in codes
    )
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.execute(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


def renew_recovery_codes(user: User, code: str, address: str | None) -> list[str]:
    """New recovery codes (the old ones stop working), once a current code is typed."""
    check_code(user, code, address, recovery=False)
    codes = _new_recovery_codes(user)
    record(Action.RECOVERY_CODES_RENEWED, "users", user.id)
    return codes


# -- checking a code -------------------------------------------------------------------------


class _Wrong(Exception):
    """A well-formed code that is refused: a guess, counted by the guess limits."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def check_code(user: User, code: str, address: str | None, recovery: bool = True) -> str:
    """Accept ``code`` (a TOTP code, or a recovery code when ``recovery``) for ``user``, or
    raise CodeRefused with the reason. Returns "totp" or "recovery".

    Wrong codes are guesses, limited per account and per address like passwords
    (auth/throttle.py: after a few, each next attempt waits longer); the caller commits
    whatever happens, so that they are counted."""
    factor = factor_of(user)
    if factor is None:
        raise CodeRefused(_l("Two-factor login is not on for this account."), "code")
    typed = normalise(code)
    if not (is_totp_code(typed) or (recovery and is_recovery_code(typed))):
        raise CodeRefused(NOT_A_CODE if recovery else NOT_A_TOTP_CODE, "code")  # not a guess
    account = str(user.id)
    if not throttle.check(throttle.SECOND_FACTOR, account, address):
        record(Action.TOTP_FAILED, "users", user.id, user_id=user.id, username=user.username)
        raise CodeRefused(HELD_BACK, "code")
    try:
        if is_totp_code(typed):
            _check_totp(factor, typed)
            kind = "totp"
        else:
            _use_recovery_code(user, typed)
            kind = "recovery"
    except _Wrong as wrong:
        throttle.failed(throttle.SECOND_FACTOR, account, address)
        record(Action.TOTP_FAILED, "users", user.id, user_id=user.id, username=user.username)
        raise CodeRefused(wrong.message, "code") from None
    throttle.succeeded(throttle.SECOND_FACTOR, account, address)
    return kind


def _check_totp(factor: SecondFactor, code: str) -> None:
    try:
        secret = _open(factor)
    except sealing.Unreadable:
        # Sealed under another SECRET_KEY: only a recovery code or an administrator's
        # reset lets the user in.
        raise _Wrong(UNREADABLE) from None
    now = step_at()
    step = matching_step(secret, code, now)
    if step is None:
        raise _Wrong(WRONG_CODE)
    if factor.last_step is not None and step <= factor.last_step:
        raise _Wrong(REUSED_CODE)
    if step < now - DRIFT_STEPS:
        raise _Wrong(EXPIRED_CODE)
    # Taken in the database: the same code sent twice at once is accepted once.
    taken = rowcount(
        db.session.execute(
            update(SecondFactor)
            .where(
                SecondFactor.user_id == factor.user_id,
                (SecondFactor.last_step.is_(None)) | (SecondFactor.last_step < step),
            )
            .values(last_step=step)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.expire(factor, ["last_step"])
    if not taken:
        raise _Wrong(REUSED_CODE)


def _use_recovery_code(user: User, code: str) -> None:
    hashed = recovery_hash(user.id, code)
    found = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == hashed
        )
    )
    if found is None:
        raise _Wrong(WRONG_RECOVERY_CODE)
    taken = rowcount(
        db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.id == found.id, RecoveryCode.used_at.is_(None))
            .values(used_at=clock.utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    db.session.expire(found, ["used_at"])
    if not taken:
        raise _Wrong(USED_RECOVERY_CODE)
    record(Action.RECOVERY_CODE_USED, "users", user.id, user_id=user.id, username=user.username)


# -- turning it off --------------------------------------------------------------------------


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))


def disable(user: User, code: str, address: str | None) -> None:
    if required(user):
        raise CodeRefused(_l("Your role requires two-factor login: it stays on."), "code")
    check_code(user, code, address, recovery=False)
    _remove(user)
    record(Action.TOTP_DISABLED, "users", user.id)


def reset(user: User, reason: str) -> None:
    """An administrator's reset (a lost phone): the user enrols again at the next login."""
    if factor_of(user) is None:
        raise DomainError(_l("Two-factor login is not on for this account."), "reason")
    _remove(user)
    record(Action.TOTP_RESET, "users", user.id, changes={"reason": reason.strip()})
    # A lost phone is often lost with the laptop that was logged in: those sessions end too.
    from . import sessions
    from .session_models import EndReason

    sessions.end_all(user.id, EndReason.BY_ADMINISTRATOR, keep_current=has_request_context())


def uri_parts(secret: str, username: str) -> dict:
    """What an app asks for when the code is typed by hand."""
    return {
        "issuer": issuer(),
        "account": username,
        "secret": grouped(secret),
        "uri": otpauth_uri(secret, username),
    }
