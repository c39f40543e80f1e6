"""calendars: time.

The clock (the only code that reads the system time), Europe/London date helpers, the UK
bank-holiday regions, versioned working-day calendars with O(1) arithmetic, and durations.
Nothing here reads the clock except `SystemClock.now`, and nothing reads or writes files except
`cached_calendar`, in the directory it is given (`calendars.table_cache`). numpy is imported
only by the batch functions of `WorkingDayCalendar`, `holidays` only when a calendar is built.
"""

from calendars.clock import Clock, FixedClock, SystemClock
from calendars.durations import (
    CalendarDays,
    CalendarMonths,
    Due,
    Duration,
    ElapsedHours,
    SameDay,
    WorkingDays,
    add_months,
)
from calendars.errors import (
    CalendarError,
    CalendarRangeError,
    NaiveDatetimeError,
    UnknownRegionError,
)
from calendars.london import LONDON, end_of_london_day, london_date, parse_instant, to_utc
from calendars.receipt import OfficeHours
from calendars.regions import HOLIDAYS_VERSION, BankHoliday, CalendarSpec, Counting, Region
from calendars.table_cache import cached_calendar
from calendars.working_days import WorkingDayCalendar, build_calendar, calendar_for

__all__ = [
    "HOLIDAYS_VERSION",
    "LONDON",
    "BankHoliday",
    "CalendarDays",
    "CalendarError",
    "CalendarMonths",
    "CalendarRangeError",
    "CalendarSpec",
    "Clock",
    "Counting",
    "Due",
    "Duration",
    "ElapsedHours",
    "FixedClock",
    "NaiveDatetimeError",
    "OfficeHours",
    "Region",
    "SameDay",
    "SystemClock",
    "UnknownRegionError",
    "WorkingDayCalendar",
    "WorkingDays",
    "add_months",
    "build_calendar",
    "cached_calendar",
    "calendar_for",
    "end_of_london_day",
    "london_date",
    "parse_instant",
    "to_utc",
]
