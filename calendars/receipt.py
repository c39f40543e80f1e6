"""Out-of-hours receipt (DESIGN 3.2).

By default a referral's day 0 is the actual London date on which it was received, whether or not
that is a working day (a Saturday referral has its 1-working-day decision due on Monday). An
authority may instead treat something received out of hours as received at the opening of the
next working day: then a referral on Friday evening or at the weekend counts from Monday, and its
1-working-day decision is due on Tuesday. `OfficeHours.effective_receipt` gives that instant.
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
