"""Europe/London dates and aware UTC instants.

Every instant handled by the project is an aware datetime; every date shown or counted is the
Europe/London calendar date of an instant (DESIGN 3.2).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from calendars.errors import CalendarError, NaiveDatetimeError

__all__ = ["LONDON", "end_of_london_day", "london_date", "parse_instant", "to_utc"]

LONDON = ZoneInfo("Europe/London")


def to_utc(dt: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is refused."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise NaiveDatetimeError(f"naive datetime {dt.isoformat()}: give a time zone or offset")
    return dt.astimezone(UTC)


def london_date(instant: datetime) -> date:
    """The Europe/London calendar date of an aware instant."""
    return to_utc(instant).astimezone(LONDON).date()


@lru_cache(maxsize=16_384)
def end_of_london_day(d: date) -> datetime:
    """The aware UTC instant at which London date `d` ends (00:00 London of the next day).

    Cached: the sweep and the deadline engine ask for the same few hundred dates many times."""
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse ISO 8601 into an aware UTC instant.

    A value without an offset is Europe/London local time: in the hour repeated when the clocks go
    back the later (GMT) reading is taken; a time skipped when the clocks go forward is an error.
    """
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CalendarError(f"not an ISO 8601 date-time: {text!r}") from None
    if dt.tzinfo is not None:
        return to_utc(dt)
    local = dt.replace(tzinfo=LONDON, fold=1)
    back = local.astimezone(UTC).astimezone(LONDON)
    if back.replace(tzinfo=None) != dt:
        raise CalendarError(
            f"{text!r} does not exist in Europe/London (the clocks go forward over it)"
        )
    return local.astimezone(UTC)
