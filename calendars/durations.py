"""Durations: how a deadline's due moment follows from its anchor instant (DESIGN 3.2).

Each duration turns an aware anchor instant into a `Due`: the Europe/London due date, and
`due_at`, the aware UTC instant after which the deadline is overdue. For date-based durations
`due_at` is the end of the London due date; for `ElapsedHours` it is the exact instant.
"""

from __future__ import annotations

import calendar as _gregorian
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from calendars.errors import CalendarRangeError
from calendars.london import end_of_london_day, london_date, to_utc
from calendars.regions import Counting
from calendars.working_days import WorkingDayCalendar

__all__ = [
    "CalendarDays",
    "CalendarMonths",
    "Due",
    "Duration",
    "ElapsedHours",
    "SameDay",
    "WorkingDays",
    "add_months",
]


@dataclass(frozen=True, slots=True)
class Due:
    """A computed due moment: the London `due_date` and the aware UTC instant `due_at`."""

    due_date: date
    due_at: datetime


class Duration(Protocol):
    def due(self, anchor: datetime, calendar: WorkingDayCalendar) -> Due: ...

    def describe(self) -> str: ...


def _by_end_of(d: date) -> Due:
    return Due(d, end_of_london_day(d))


def _check_count(n: int, minimum: int, what: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise ValueError(f"{what}: expected a whole number >= {minimum}, got {n!r}")


def add_months(d: date, n: int) -> date:
    """The same day of the month `n` months after `d`, clamped to the month's last day."""
    months = d.year * 12 + (d.month - 1) + n
    year, month = divmod(months, 12)
    if not 1 <= year <= 9999:
        raise CalendarRangeError(f"{n} months from {d.isoformat()} is outside the calendar")
    last = _gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


@dataclass(frozen=True, slots=True)
class WorkingDays:
    """N working days from the anchor's London date, under `counting`."""

    n: int
    counting: Counting = Counting.DAY_0

    def __post_init__(self) -> None:
        _check_count(self.n, 0 if self.counting is Counting.DAY_0 else 1, "WorkingDays.n")

    def due(self, anchor: datetime, calendar: WorkingDayCalendar) -> Due:
        return _by_end_of(calendar.add_working_days(london_date(anchor), self.n, self.counting))

    def describe(self) -> str:
        unit = "working day" if self.n == 1 else "working days"
        suffix = " (start date is day 1)" if self.counting is Counting.DAY_1 else ""
        return f"{self.n} {unit}{suffix}"


@dataclass(frozen=True, slots=True)
class CalendarDays:
    """N calendar days after the anchor's London date, weekends and holidays included."""

    n: int

    def __post_init__(self) -> None:
        _check_count(self.n, 0, "CalendarDays.n")

    def due(self, anchor: datetime, calendar: WorkingDayCalendar) -> Due:
        return _by_end_of(london_date(anchor) + timedelta(days=self.n))

    def describe(self) -> str:
        return f"{self.n} calendar day" + ("" if self.n == 1 else "s")


@dataclass(frozen=True, slots=True)
class CalendarMonths:
    """N months after the anchor's London date: same day of month, clamped to the month's end,
    not moved off weekends or holidays."""

    n: int

    def __post_init__(self) -> None:
        _check_count(self.n, 0, "CalendarMonths.n")

    def due(self, anchor: datetime, calendar: WorkingDayCalendar) -> Due:
        return _by_end_of(add_months(london_date(anchor), self.n))

    def describe(self) -> str:
        return f"{self.n} month" + ("" if self.n == 1 else "s")


@dataclass(frozen=True, slots=True)
class ElapsedHours:
    """N hours of elapsed (UTC) time: a clock change neither adds nor loses an hour."""

    n: int

    def __post_init__(self) -> None:
        _check_count(self.n, 0, "ElapsedHours.n")

    def due(self, anchor: datetime, calendar: WorkingDayCalendar) -> Due:
        at = to_utc(anchor) + timedelta(hours=self.n)
        return Due(london_date(at), at)

    def describe(self) -> str:
        return f"{self.n} hour" + ("" if self.n == 1 else "s")


@dataclass(frozen=True, slots=True)
class SameDay:
    """By the end of the anchor's own London date."""

    def due(self, anchor: datetime, calendar: WorkingDayCalendar) -> Due:
        return _by_end_of(london_date(anchor))

    def describe(self) -> str:
        return "same day"
