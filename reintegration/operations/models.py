"""The last run of each background task, for the administrator's page and /health."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..types import UTCDateTime


class TaskRun(Model):
    """One row per task (``reminder_pass``, ``digest``, ``backup``), updated at every run.

    A failure keeps only the error's class name: an error's message may quote a value (a
    name, an address) and this table is shown on a page.
    """

    __tablename__ = "task_runs"

    task: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failed: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(String(80))
    # The schema revision a backup was made at: PostgreSQL migrates at start only after one.
    schema_revision: Mapped[str | None] = mapped_column(String(32))
