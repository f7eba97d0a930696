"""Column types shared by the domains."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from . import clock


class LabelledEnum(enum.StrEnum):
    """A status or kind stored by its value and shown by a translated label."""

    @classmethod
    def labels(cls) -> dict:
        raise NotImplementedError

    @property
    def label(self) -> str:
        return str(self.labels()[self])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


def enum_type(enum_class: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=40,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class UTCDateTime(sa.TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(clock.UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=clock.UTC)
        return value


def created_at_column():
    return mapped_column(UTCDateTime(), default=clock.utcnow, nullable=False)


def text_length(column: sa.ColumnElement) -> int:
    """The most characters a ``String(n)`` column holds."""
    kind = column.type
    if not isinstance(kind, sa.String) or kind.length is None:
        raise TypeError(f"{column} has no length")
    return kind.length


class Versioned:
    """A record several people may edit at once: its version counts the edits.

    Every UPDATE of the row names the version it read (SQLAlchemy's version counter), so a
    change made between reading and writing is never overwritten: SQLAlchemy raises
    StaleDataError instead. reintegration/versions.py counts the edits (not bookkeeping, such
    as a user's last login) and keeps the edit forms' versions.
    """

    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    if TYPE_CHECKING:
        # What each versioned model has, for the checker: its table and its key.
        __table__: ClassVar[sa.FromClause]
        id: Mapped[int]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}
