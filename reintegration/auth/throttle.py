"""Guess limits: after a few failed attempts at a secret, each next one waits longer.

A password at the login, the current password on the change-password page, a two-factor code:
whoever guesses at them is slowed down, per account and per address, by a wait that doubles
with each failure (1 s, 2 s, 4 s ...) after ``free`` failures, up to a longest wait. An account
is never locked: its longest wait is short (a minute), so that someone guessing at the
administrator's password cannot keep the administrator out; the address doing the guessing
waits up to 15 minutes, so it gets some hundred guesses a day at the most.

How a caller uses it, inside the transaction that records the outcome (on SQLite one begun
with ``database.writing()``), after checking the secret in every case, so that the time of the
answer does not tell whether the attempt was held back::

    allowed = throttle.check(kind, account_key, address)
    if not allowed:       the same answer as a wrong secret; nothing counted
    elif wrong:           throttle.failed(kind, account_key, address)
    else:                 throttle.succeeded(kind, account_key, address)

Invariants:
- ``check`` locks the account's and the address's rows (made first if missing) until the
  transaction ends, so two workers checking at once take turns: guesses sent in parallel get
  no more attempts than guesses sent one after the other.
- A refused attempt changes nothing: hammering during the wait does not lengthen it.
- Counts are kept under keyed digests (HMAC-SHA256 with a key derived from SECRET_KEY), never
  the username or the address in clear. An IPv6 address counts as its /64 network, which one
  subscriber usually holds whole.
- A count whose last failure is older than LOGIN_FORGET_MINUTES starts again from nothing.
"""

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import case, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock
from ..extensions import db
from .throttle_models import GuessCount

# The kinds of secret guessed at; each has counts of its own.
LOGIN = "login"
CURRENT_PASSWORD = "password"  # noqa: S105  (the name of a kind)
SECOND_FACTOR = "totp"

ACCOUNT = "account"
ADDRESS = "address"

_SALT = b"reintegration guess counts"


@dataclass(frozen=True)
class Limit:
    free: int  # failures before any wait
    longest: timedelta

    def wait(self, failures: int) -> timedelta:
        """How long after the last failure the next attempt waits."""
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 30)
        return min(timedelta(seconds=2**doublings), self.longest)


def limits(kind: str | None = None) -> dict[str, Limit]:
    """The limits of a kind of guess. A two-factor code is guessed only by someone who has the
    password already: its account waits grow as long as an address's (15 minutes), so such a
    guesser gets about a hundred tries a day, not fifteen hundred."""
    config = current_app.config
    account_longest = config["LOGIN_ACCOUNT_MAX_WAIT_SECONDS"]
    if kind == SECOND_FACTOR:
        account_longest = max(account_longest, config["LOGIN_ADDRESS_MAX_WAIT_SECONDS"])
    return {
        ACCOUNT: Limit(config["LOGIN_FREE_ATTEMPTS"], timedelta(seconds=account_longest)),
        ADDRESS: Limit(
            config["LOGIN_ADDRESS_FREE_ATTEMPTS"],
            timedelta(seconds=config["LOGIN_ADDRESS_MAX_WAIT_SECONDS"]),
        ),
    }


def _forget_before(now: datetime) -> datetime:
    config = current_app.config
    longest = max(limit.longest for limit in limits(SECOND_FACTOR).values())
    return now - max(timedelta(minutes=config["LOGIN_FORGET_MINUTES"]), longest)


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"guess counts").derive(
        secret.encode("utf-8")
    )


def _digest(kind: str, scope: str, value: str) -> str:
    key = _key(str(current_app.config["SECRET_KEY"]))
    message = f"{kind}\x00{scope}\x00{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def address_key(address: str | None) -> str:
    """The address as counted: an IPv6 address by its /64 network."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _keys(kind: str, account_key: str, address: str | None) -> list[tuple[str, str, str]]:
    """The (kind, scope, digest) of both counts, in the one order every worker locks them."""
    return [
        (kind, ACCOUNT, _digest(kind, ACCOUNT, account_key)),
        (kind, ADDRESS, _digest(kind, ADDRESS, address_key(address))),
    ]


def _insert():
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(GuessCount)


def check(kind: str, account_key: str, address: str | None) -> bool:
    """Whether an attempt may be checked now: no wait of the account or the address is running.

    Locks both counts until the transaction ends (see the module's notes)."""
    keys = _keys(kind, account_key, address)
    now = clock.utcnow()
    fresh = [dict(zip(("kind", "scope", "digest"), key, strict=True)) for key in keys]
    db.session.execute(
        _insert()
        .values([{**row, "failures": 0, "last_failed_at": now} for row in fresh])
        .on_conflict_do_nothing()
    )
    columns = tuple_(GuessCount.kind, GuessCount.scope, GuessCount.digest)
    rows = db.session.execute(
        select(GuessCount.scope, GuessCount.failures, GuessCount.last_failed_at)
        .where(columns.in_(keys))
        .order_by(GuessCount.scope)
        .with_for_update()
    ).all()
    forget_before = _forget_before(now)
    scope_limits = limits(kind)
    return all(
        last < forget_before or now >= last + scope_limits[scope].wait(failures)
        for scope, failures, last in rows
    )


def failed(kind: str, account_key: str, address: str | None) -> None:
    """Count one failure for the account and the address, in one statement each way round:
    workers counting at once each add one."""
    now = clock.utcnow()
    forgotten = GuessCount.last_failed_at < _forget_before(now)
    for kind_, scope, digest in _keys(kind, account_key, address):
        statement = _insert().values(
            kind=kind_, scope=scope, digest=digest, failures=1, last_failed_at=now
        )
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["kind", "scope", "digest"],
                set_={
                    "failures": case((forgotten, 1), else_=GuessCount.failures + 1),
                    "last_failed_at": now,
                },
            )
        )


def succeeded(kind: str, account_key: str, address: str | None) -> None:
    """The account's count starts again; the address's does not (one who holds an account
    of their own must not reset the count of their guesses at others'). Old counts go."""
    account, _address = _keys(kind, account_key, address)
    columns = tuple_(GuessCount.kind, GuessCount.scope, GuessCount.digest)
    db.session.execute(delete(GuessCount).where(columns == tuple_(*account)))
    # Old counts that another login has locked are left for the next time: waiting for them
    # here, while holding this login's own rows, could deadlock with it.
    old = (
        select(GuessCount.kind, GuessCount.scope, GuessCount.digest)
        .where(GuessCount.last_failed_at < _forget_before(clock.utcnow()))
        .with_for_update(skip_locked=True)
    )
    db.session.execute(delete(GuessCount).where(columns.in_(old)))


def forget_account(kind: str, account_key: str) -> None:
    """An administrator set a new password: the account's waits end."""
    digest = _digest(kind, ACCOUNT, account_key)
    db.session.execute(
        delete(GuessCount).where(
            GuessCount.kind == kind, GuessCount.scope == ACCOUNT, GuessCount.digest == digest
        )
    )
