from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..types import LabelledEnum, created_at_column, enum_type

if TYPE_CHECKING:
    from ..auth.models import User


class Action(LabelledEnum):
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"
    LOGOUT = "logout"
    EXPORT = "export"
    TOTP_ENROLLED = "totp_enrolled"
    TOTP_FAILED = "totp_failed"
    TOTP_DISABLED = "totp_disabled"
    TOTP_RESET = "totp_reset"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_RENEWED = "recovery_codes_renewed"
    SESSIONS_ENDED = "sessions_ended"

    @classmethod
    def labels(cls):
        return {
            cls.VIEW: _l("Viewed"),
            cls.CREATE: _l("Created"),
            cls.UPDATE: _l("Changed"),
            cls.DELETE: _l("Deleted"),
            cls.LOGIN: _l("Logged in"),
            cls.LOGIN_FAILED: _l("Failed login"),
            cls.LOCKOUT: _l("Too many attempts"),
            cls.LOGOUT: _l("Logged out"),
            cls.EXPORT: _l("Exported"),
            cls.TOTP_ENROLLED: _l("Two-factor login turned on"),
            cls.TOTP_FAILED: _l("Wrong two-factor code"),
            cls.TOTP_DISABLED: _l("Two-factor login turned off"),
            cls.TOTP_RESET: _l("Two-factor login reset by an administrator"),
            cls.RECOVERY_CODE_USED: _l("Recovery code used"),
            cls.RECOVERY_CODES_RENEWED: _l("Recovery codes renewed"),
            cls.SESSIONS_ENDED: _l("Sessions ended"),
        }


class AuditEntry(Model):
    """One line of the audit log. Rows are never updated or deleted (database triggers); each
    is chained to the one before by a keyed hash, so a change by hand shows (chain.py)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_case", "case_id"),
        Index("ix_audit_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = created_at_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Kept as written at the time, so renaming a user does not rewrite history.
    username: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[Action] = mapped_column(enum_type(Action), index=True)
    entity: Mapped[str] = mapped_column(String(40), default="")
    entity_id: Mapped[int | None]
    case_id: Mapped[int | None]
    changes: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str] = mapped_column(String(64), default="")
    # Keyed hash of this entry and the one before it (reintegration/audit/chain.py).
    chain: Mapped[str | None] = mapped_column(String(64))

    user: Mapped["User | None"] = relationship()
