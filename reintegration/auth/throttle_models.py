"""Counts of failed guesses at a secret, per account and per address (auth/throttle.py)."""

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..types import UTCDateTime


class GuessCount(Model):
    """Failed attempts in a row at one kind of secret, by one account or from one address.

    ``digest`` is a keyed hash (HMAC) of the username, user id or address: the table tells
    neither who was guessed at nor from where, without the app's key.
    """

    __tablename__ = "guess_counts"
    __table_args__ = (Index("ix_guess_counts_last_failed_at", "last_failed_at"),)

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # login, password, totp
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)  # account or address
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
