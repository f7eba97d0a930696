from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..types import UTCDateTime, created_at_column


class DataKeyRecord(Model):
    """A key the database's fields were encrypted with: its id and verifier, never the key."""

    __tablename__ = "data_keys"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    verifier: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = created_at_column()
    # Set once a rotation has re-encrypted everything under a newer key.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SearchToken(Model):
    """A keyed digest of a word of a case's name (and its prefixes), of the whole name, of its
    phone number or birth date: what the search and the duplicate check compare, revealing no
    name without the key. ``key_id`` names the key it was made with (for a rotation)."""

    __tablename__ = "case_search_tokens"
    __table_args__ = (Index("ix_case_search_tokens_case", "case_id"),)

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    key_id: Mapped[str] = mapped_column(String(12))
