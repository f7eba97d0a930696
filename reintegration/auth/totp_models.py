"""A user's second factor: a TOTP secret (sealed) and one-time recovery codes (keyed hashes)."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..types import UTCDateTime, created_at_column


class SecondFactor(Model):
    """One row per user who has turned two-factor login on; none while it is off."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # The TOTP secret sealed with sealing.seal(purpose "totp", bound to the user id): a copy
    # of the database does not carry it in clear, and it opens for no other user.
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    enrolled_at: Mapped[datetime] = created_at_column()
    # The time step (30 s) of the last code accepted: a code is never accepted twice.
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Model):
    """A one-time code for the day the phone is lost: kept as a keyed hash, used once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
