"""Working-day calendars with O(1) arithmetic from a prefix-sum table (DESIGN 3.2, STYLE.md).

For the days of the table, indexed from `first` (index 0):

- `workdays[k]` is the (k+1)-th working day of the table, as a date;
- `cum[i]` is the number of working days in `first .. day i`, inclusive.

Then, with `d` the index of a date,

- working days after `a` up to and including `b` = ``cum[b] - cum[a]``;
- the n-th working day after `d` (n >= 1) = ``workdays[cum[d] + n - 1]``.

Every index is range-checked before use (a negative list index would silently wrap): a date
outside the table, or an answer beyond its last working day, raises `CalendarRangeError`.

Counting conventions (`Counting`):

- DAY_0 (default): the start date is day 0 whether or not it is a working day.
  ``add_working_days(d, n)`` is the n-th working day after d (n >= 0; n = 0 gives d itself).
  ``working_days_between(a, b)`` counts the working days in (a, b] when a <= b, and is
  ``-working_days_between(b, a)`` when b < a.
- DAY_1: the start date is day 1 when it is a working day. ``add_working_days(d, n, DAY_1)``
  (n >= 1) is ``add_working_days(d, n - 1)`` when d is a working day, else
  ``add_working_days(d, n)``.
  ``working_days_between(a, b, DAY_1)`` counts the working days in [a, b] when a <= b (and is
  ``-working_days_between(b, a, DAY_1)`` when b < a), so that between(d, add(d, n)) == n holds
  under both conventions.

A negative n is refused (ValueError naming it): deadlines only count forwards.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
import numpy.typing as npt

from calendars.errors import CalendarError, CalendarRangeError
from calendars.regions import BankHoliday, CalendarSpec, Counting, Region, statutory_holidays

__all__ = ["WorkingDayCalendar", "build_calendar", "calendar_for"]

DateArray = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY_0 = Counting.DAY_0


class WorkingDayCalendar:
    """A frozen working-day calendar for one spec; build it once with `build_calendar`."""

    __slots__ = (
        "_by_date",
        "_cum",
        "_cum_np",
        "_first_epoch",
        "_first_ord",
        "_ndays",
        "_nwork",
        "_workdays",
        "_workdays_np",
        "_working_np",
        "first",
        "last",
        "region",
        "spec",
        "version",
    )

    def __init__(self, spec: CalendarSpec) -> None:
        days_off: dict[date, BankHoliday] = {}
        for day in statutory_holidays(spec.region, spec.first_year, spec.last_year):
            days_off[day.date] = day
        for day in (*spec.extra_days, *spec.closure_days):
            days_off.setdefault(day.date, day)
        first = date(spec.first_year, 1, 1)
        last = date(spec.last_year, 12, 31)
        ndays = (last - first).days + 1
        cum: list[int] = []
        workdays: list[date] = []
        count = 0
        for i in range(ndays):
            d = first + timedelta(days=i)
            if d.weekday() < 5 and d not in days_off:
                count += 1
                workdays.append(d)
            cum.append(count)
        set_ = object.__setattr__
        set_(self, "spec", spec)
        set_(self, "region", spec.region)
        set_(self, "version", spec.version)
        set_(self, "first", first)
        set_(self, "last", last)
        set_(self, "_by_date", days_off)
        set_(self, "_first_ord", first.toordinal())
        set_(self, "_first_epoch", first.toordinal() - _EPOCH_ORDINAL)
        set_(self, "_ndays", ndays)
        set_(self, "_nwork", len(workdays))
        set_(self, "_cum", cum)
        set_(self, "_workdays", workdays)
        set_(self, "_cum_np", np.asarray(cum, dtype=np.int64))
        set_(self, "_workdays_np", np.asarray(workdays, dtype="datetime64[D]"))
        working = np.zeros(ndays, dtype=np.int64)
        working[
            np.asarray([w.toordinal() for w in workdays], dtype=np.int64) - first.toordinal()
        ] = 1
        set_(self, "_working_np", working)

    region: Region
    spec: CalendarSpec
    version: str
    first: date
    last: date
    _by_date: dict[date, BankHoliday]
    _first_ord: int
    _first_epoch: int
    _ndays: int
    _nwork: int
    _cum: list[int]
    _workdays: list[date]
    _cum_np: IntArray
    _workdays_np: DateArray
    _working_np: IntArray

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"WorkingDayCalendar is frozen: cannot set {name}")

    def __repr__(self) -> str:
        return f"WorkingDayCalendar({self.version!r}, {self.first}..{self.last})"

    # -- single dates ---------------------------------------------------------------------------

    def _index(self, d: date) -> int:
        i = d.toordinal() - self._first_ord
        if i < 0 or i >= self._ndays:
            raise CalendarRangeError(
                f"{d.isoformat()} is outside the calendar {self.version} "
                f"({self.first.isoformat()} to {self.last.isoformat()})"
            )
        return i

    def is_working_day(self, d: date) -> bool:
        """True when `d` is a weekday that is neither a bank holiday nor a closure day."""
        i = self._index(d)
        return self._cum[i] != (self._cum[i - 1] if i else 0)

    def add_working_days(self, d: date, n: int, counting: Counting = Counting.DAY_0) -> date:
        """The due date "n working days from d" under `counting` (see the module docstring)."""
        # Fast path (day 0, n >= 1, everything in range): two list look-ups.
        i = d.toordinal() - self._first_ord
        if counting is _DAY_0 and n > 0 and 0 <= i < self._ndays:
            k = self._cum[i] + n - 1
            if k < self._nwork:
                return self._workdays[k]
        return self._add_checked(d, n, counting)

    def _add_checked(self, d: date, n: int, counting: Counting) -> date:
        i = self._index(d)
        c = self._cum[i]
        if counting is Counting.DAY_0:
            if n < 0:
                raise ValueError(f"n must be >= 0 working days, got {n}")
            if n == 0:
                return d
            k = c + n - 1
        else:
            if n < 1:
                raise ValueError(f"n must be >= 1 working days when counting from day 1, got {n}")
            working = c != (self._cum[i - 1] if i else 0)
            k = c + n - 1 - working
        if k >= self._nwork:
            raise CalendarRangeError(
                f"{n} working days from {d.isoformat()} is after the end of the calendar "
                f"{self.version} ({self.last.isoformat()})"
            )
        return self._workdays[k]

    def working_days_between(
        self, start: date, end: date, counting: Counting = Counting.DAY_0
    ) -> int:
        """Working days after `start` up to and including `end` (DAY_0); negative if end < start."""
        first = self._first_ord
        a = start.toordinal() - first
        b = end.toordinal() - first
        cum = self._cum
        if counting is _DAY_0 and 0 <= a < self._ndays and 0 <= b < self._ndays:
            return cum[b] - cum[a]
        a = self._index(start)
        b = self._index(end)
        if counting is Counting.DAY_0:
            return cum[b] - cum[a]
        if b >= a:
            return cum[b] - (cum[a - 1] if a else 0)
        return -(cum[a] - (cum[b - 1] if b else 0))

    def bank_holidays(self, year: int) -> list[BankHoliday]:
        """The weekday days off of `year`: statutory, one-off and closure days, by date."""
        if not self.first.year <= year <= self.last.year:
            raise CalendarRangeError(
                f"year {year} is outside the calendar {self.version} "
                f"({self.first.year} to {self.last.year})"
            )
        return [h for d, h in sorted(self._by_date.items()) if d.year == year]

    # -- numpy batches --------------------------------------------------------------------------

    def _indices(self, dates: DateArray, what: str) -> IntArray:
        arr = np.asarray(dates)
        if arr.dtype != np.dtype("datetime64[D]"):
            raise CalendarError(f"{what}: expected a datetime64[D] array, got {arr.dtype}")
        idx = arr.astype(np.int64) - self._first_epoch
        bad = (idx < 0) | (idx >= self._ndays)
        if bad.any():
            pos = int(np.argmax(bad))
            raise CalendarRangeError(
                f"{what}[{pos}] = {arr.reshape(-1)[pos]} is outside the calendar {self.version} "
                f"({self.first.isoformat()} to {self.last.isoformat()})",
                index=pos,
            )
        return idx

    def add_working_days_batch(
        self,
        dates: DateArray,
        n: IntArray | int,
        counting: Counting = Counting.DAY_0,
    ) -> DateArray:
        """`add_working_days` over an array of dates (and an array of n, or one n for all)."""
        idx = self._indices(dates, "dates")
        nn = np.broadcast_to(np.asarray(n, dtype=np.int64), idx.shape)
        minimum = 0 if counting is Counting.DAY_0 else 1
        low = nn < minimum
        if low.any():
            pos = int(np.argmax(low))
            raise CalendarRangeError(
                f"n[{pos}] = {int(nn[pos])}: must be >= {minimum} working days", index=pos
            )
        c = self._cum_np[idx]
        k = c + nn - 1
        if counting is Counting.DAY_1:
            k = k - self._working_np[idx]
        high = k >= self._nwork
        if high.any():
            pos = int(np.argmax(high))
            raise CalendarRangeError(
                f"{int(nn[pos])} working days from {np.asarray(dates)[pos]} is after the end of "
                f"the calendar {self.version} ({self.last.isoformat()})",
                index=pos,
            )
        zero = nn == 0
        out = self._workdays_np[np.where(zero, 0, k)]
        if zero.any():
            out = np.where(zero, np.asarray(dates), out)
        return out

    def working_days_between_batch(
        self, starts: DateArray, ends: DateArray, counting: Counting = Counting.DAY_0
    ) -> IntArray:
        """`working_days_between` over two arrays of dates of the same shape."""
        a = self._indices(starts, "starts")
        b = self._indices(ends, "ends")
        if a.shape != b.shape:
            raise CalendarError(f"starts and ends differ in shape: {a.shape} and {b.shape}")
        cum = self._cum_np
        result: IntArray = cum[b] - cum[a]
        if counting is Counting.DAY_1:
            w = self._working_np
            result = result + np.where(b >= a, w[a], -w[b])
        return result


def build_calendar(spec: CalendarSpec) -> WorkingDayCalendar:
    """Build the calendar of `spec` (tens of milliseconds: build once, then share)."""
    return WorkingDayCalendar(spec)


@cache
def calendar_for(region: Region) -> WorkingDayCalendar:
    """The shared calendar of `region` with its default spec (no one-off or closure days)."""
    return build_calendar(CalendarSpec(Region(region)))
