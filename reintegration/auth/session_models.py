"""Login sessions kept on the server, so that they can be ended (reintegration/auth/sessions.py).

Invariants:
- The cookie carries a random token; the table keeps only its SHA-256 digest, so a copy of the
  database opens no session.
- A session is open while it has no end, was seen within SESSION_MINUTES and began within
  SESSION_MAX_HOURS: one expression, ``UserSession.open_at``, used by every request's check,
  the user's list of sessions and the cleanup alike.
- An end is never undone: every statement that ends sessions leaves ended rows as they are.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, and_
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..types import LabelledEnum, UTCDateTime, enum_type


class EndReason(LabelledEnum):
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a password)
    ROLE_CHANGED = "role_changed"
    BY_USER = "by_user"
    BY_ADMINISTRATOR = "by_administrator"
    EXPIRED = "expired"

    @classmethod
    def labels(cls):
        return {
            cls.LOGOUT: _l("Logged out"),
            cls.PASSWORD_CHANGED: _l("Password changed"),
            cls.ROLE_CHANGED: _l("Role or scope changed"),
            cls.BY_USER: _l("Ended by the user"),
            cls.BY_ADMINISTRATOR: _l("Ended by an administrator"),
            cls.EXPIRED: _l("Expired"),
        }


class UserSession(Model):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the cookie's token, in hexadecimal: the one indexed read of every request.
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Written at most once a minute, after the page is made (sessions.note_activity).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[EndReason | None] = mapped_column(enum_type(EndReason))
    # What the User-Agent says, reduced to a browser and a system ("Chrome", "Android"), so the
    # user can tell the devices apart. No address is kept: it says where a person was, and the
    # list does not need it.
    browser: Mapped[str] = mapped_column(String(40), default="")
    system: Mapped[str] = mapped_column(String(40), default="")

    @property
    def device(self) -> str:
        if self.browser and self.system:
            return _("%(browser)s on %(system)s", browser=self.browser, system=self.system)
        return self.browser or self.system or _("Unknown device")

    @classmethod
    def open_at(cls, now: datetime, idle: timedelta, longest: timedelta):
        """The sessions still open at ``now``: in SQL, the conditions of ``closed_because``."""
        return and_(
            cls.ended_at.is_(None),
            cls.last_seen_at >= now - idle,
            cls.started_at >= now - longest,
        )

    def closed_because(self, now: datetime, idle: timedelta, longest: timedelta) -> str | None:
        """Why this session is no longer open at ``now`` ("ended", "idle", "lifetime"), or None
        while it is."""
        if self.ended_at is not None:
            return "ended"
        if self.last_seen_at < now - idle:
            return "idle"
        if self.started_at < now - longest:
            return "lifetime"
        return None
