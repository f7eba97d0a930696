"""Support workbooks made in the background: the job, and its finished workbook, sealed."""

import enum
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, db
from ..reference.models import Province
from ..shelter.models import Facility
from ..types import UTCDateTime
from .filters import Filters


class State(enum.StrEnum):
    """running -> done or failed; failed -> running when its requester starts it again;
    running -> running when another process picks up a job whose worker stopped."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportJob(Model):
    """A workbook being made, or made, for the user who asked for it: its order in plain
    values, so that any process can make it (again), and its progress and heartbeat, so that
    any process can show it."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        Index("ix_export_jobs_started_at", "started_at"),
        Index("ix_export_jobs_state_heartbeat_at", "state", "heartbeat_at"),
    )

    token: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    language: Mapped[str] = mapped_column(String(8))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    names: Mapped[bool]
    filename: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10), default=State.RUNNING.value)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    rows_expected: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Written by the process making the workbook every few seconds: a job whose heartbeat is
    # older than EXPORT_STALE_SECONDS lost its process.
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    # "<host>-<pid>/<random>": the process, and the attempt, making it now.
    runner: Mapped[str | None] = mapped_column(String(200))

    @property
    def percent(self) -> int:
        """100 once made; until then at most 99, the rows having been counted beforehand."""
        if self.state == State.DONE:
            return 100
        if not self.rows_expected:
            return 0
        return min(99, self.rows_written * 100 // self.rows_expected)

    @property
    def expected(self) -> int:
        return self.rows_expected

    @property
    def written(self) -> int:
        return self.rows_written

    @property
    def expires_at(self) -> datetime:
        return self.started_at + lifetime()

    def filters(self) -> Filters:
        return Filters(
            start=self.start_date,
            end=self.end_date,
            province=db.session.get(Province, self.province_id) if self.province_id else None,
            facility=db.session.get(Facility, self.facility_id) if self.facility_id else None,
            names=self.names,
        )

    # What the audit log records of the export: the place and the filters, as codes and dates.
    @property
    def entity(self) -> str:
        return "facilities" if self.facility_id else "provinces"

    @property
    def entity_id(self) -> int | None:
        return self.facility_id or self.province_id

    @property
    def audit(self) -> dict:
        return self.filters().audit()


class ExportJobPart(Model):
    """A few megabytes of a finished workbook, sealed (reintegration/sealing.py) for its job's
    token and its number, so that a copy of the database does not carry names in clear."""

    __tablename__ = "export_job_parts"

    token: Mapped[str] = mapped_column(
        ForeignKey("export_jobs.token", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


def lifetime() -> timedelta:
    return timedelta(hours=current_app.config["EXPORT_FILE_HOURS"])
