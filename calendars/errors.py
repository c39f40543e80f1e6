"""Exceptions of the calendars package.

::

    ValueError
     +-- CalendarError                 anything wrong with a date, an instant or a calendar
          +-- CalendarRangeError       a date outside the range a calendar was built for
          +-- UnknownRegionError       a region name that is not one of `Region`
          +-- NaiveDatetimeError       a datetime without a time zone where an instant is needed
"""

from __future__ import annotations

__all__ = ["CalendarError", "CalendarRangeError", "NaiveDatetimeError", "UnknownRegionError"]


class CalendarError(ValueError):
    """Base class of every error raised by `calendars`."""


class CalendarRangeError(CalendarError):
    """A date (given or computed) lies outside the calendar's table.

    `index` is the position of the first offending element in a batch call, else `None`.
    """

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class UnknownRegionError(CalendarError):
    """A region name that is not one of the supported regions."""


class NaiveDatetimeError(CalendarError):
    """A naive datetime was given where an aware instant is required."""
