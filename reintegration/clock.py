"""The one place the application asks what time it is.

Times are stored in UTC; the working day of every user is Vietnam's. Tests replace
``current`` to freeze or move time.
"""

from datetime import UTC, date, datetime, timedelta

__all__ = ["UTC", "VIETNAM", "local", "move_to", "today", "utcnow"]
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _system_now() -> datetime:
    return datetime.now(UTC)


current = _system_now
# How far ``move_to`` moved the clock: what follows the real time (the codes of a phone's
# authenticator app) takes it back.
moved = timedelta(0)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return current()


def today() -> date:
    """Today's date in Vietnam."""
    return utcnow().astimezone(VIETNAM).date()


def local(moment: datetime) -> datetime:
    """A stored time shown in Vietnam's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM)


def move_to(day: date) -> None:
    """Run on ``day`` at the present time of day (development only: see config)."""
    global current, moved
    offset = timedelta(days=(day - _system_now().astimezone(VIETNAM).date()).days)
    moved = offset
    current = lambda: _system_now() + offset  # noqa: E731
