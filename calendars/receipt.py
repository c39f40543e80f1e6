"""Out-of-hours receipt (DESIGN 3.2).

By default a referral's day 0 is the actual London date on which it was received, whether or not
that is a working day (a Saturday referral has its 1-working-day decision due on Monday). An
authority may instead treat something received out of hours as received at the opening of the
next working day: then a referral on Friday evening or at the weekend counts from Monday, and its
1-working-day decision is due on Tuesday. `OfficeHours.effective_receipt` gives that instant.

The same hours, as the authority's alert hours (08:00 to 18:00 by default), hold email alerts
written outside them until they open: `OfficeHours.next_opening` (DESIGN 3.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from calendars.london import LONDON, london_date, to_utc
from calendars.working_days import WorkingDayCalendar

__all__ = ["OfficeHours"]


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """The office day, in Europe/London local time: from `opens` until `closes`."""

    opens: time = time(9, 0)
    closes: time = time(17, 0)

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError(
                f"the office must open before it closes: opens {self.opens}, closes {self.closes}"
            )

    def effective_receipt(self, received: datetime, calendar: WorkingDayCalendar) -> datetime:
        """`received` if it falls on a working day before closing time (something received
        before opening counts as received that day); otherwise the opening instant, as aware UTC,
        of the next working day."""
        received = to_utc(received)
        local = received.astimezone(LONDON)
        day = london_date(received)
        if calendar.is_working_day(day) and local.time() < self.closes:
            return received
        day += timedelta(days=1)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        return to_utc(datetime.combine(day, self.opens, tzinfo=LONDON))

    def next_opening(self, at: datetime, calendar: WorkingDayCalendar) -> datetime | None:
        """None while the hours are open at `at` (a working day, from `opens` until before
        `closes`); otherwise the instant, as aware UTC, they next open: later the same working
        day when `at` is before opening, else at opening on the next working day."""
        at = to_utc(at)
        local = at.astimezone(LONDON)
        day = london_date(at)
        if calendar.is_working_day(day):
            if self.opens <= local.time() < self.closes:
                return None
            if local.time() < self.opens:
                return to_utc(datetime.combine(day, self.opens, tzinfo=LONDON))
        day += timedelta(days=1)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        return to_utc(datetime.combine(day, self.opens, tzinfo=LONDON))
