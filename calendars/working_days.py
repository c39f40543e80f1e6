"""Working-day calendars with O(1) arithmetic from a prefix-sum table (DESIGN 3.2, house rules).

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

from array import array
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from calendars.errors import CalendarError, CalendarRangeError
from calendars.regions import BankHoliday, CalendarSpec, Counting, Region, statutory_holidays

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    DateArray = npt.NDArray[np.datetime64]
    IntArray = npt.NDArray[np.int64]

__all__ = ["WorkingDayCalendar", "build_calendar", "calendar_for"]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY_0 = Counting.DAY_0
_INT = "i"  # array typecode of the table: C int, numpy's intc


def _table(
    first: date, ndays: int, days_off: dict[date, BankHoliday]
) -> tuple[array[int], array[int]]:
    """The prefix sums `cum` and the working days (as ordinals) of `ndays` days from `first`."""
    cum: array[int] = array(_INT, [0]) * ndays
    workdays: array[int] = array(_INT)
    first_ordinal = first.toordinal()
    weekday = first.weekday()
    count = 0
    for i in range(ndays):
        if weekday < 5 and date.fromordinal(first_ordinal + i) not in days_off:
            count += 1
            workdays.append(first_ordinal + i)
        cum[i] = count
        weekday = weekday + 1 if weekday < 6 else 0
    return cum, workdays


class WorkingDayCalendar:
    """A frozen working-day calendar for one spec; build it once with `build_calendar`.

    The table is held twice: as lists (`_cum`, `_workdays`: the single-date calls index them,
    two look-ups a call) and as 32-bit arrays (`_cum_table`, `_workday_ordinals`: what
    `calendars.table_cache` writes and reads back). numpy is imported, and the batch functions'
    arrays made from the table, only when a batch function is first called, so that a single
    call never pays for numpy.
    """

    __slots__ = (
        "_by_date",
        "_cum",
        "_cum_table",
        "_first_epoch",
        "_first_ord",
        "_ndays",
        "_numpy",
        "_nwork",
        "_workday_ordinals",
        "_workdays",
        "first",
        "last",
        "region",
        "spec",
        "version",
    )

    def __init__(self, spec: CalendarSpec) -> None:
        days_off = {
            day.date: day
            for day in statutory_holidays(spec.region, spec.first_year, spec.last_year)
        }
        for day in (*spec.extra_days, *spec.closure_days):
            days_off.setdefault(day.date, day)
        first = date(spec.first_year, 1, 1)
        ndays = (date(spec.last_year, 12, 31) - first).days + 1
        cum, workdays = _table(first, ndays, days_off)
        self._set_table(spec, days_off, cum, workdays)

    @classmethod
    def _from_table(
        cls,
        spec: CalendarSpec,
        statutory: list[BankHoliday],
        cum: array[int],
        workday_ordinals: array[int],
    ) -> WorkingDayCalendar:
        """A calendar of `spec` from a table built before (`calendars.table_cache`).

        `statutory` are the region's days off from `holidays`, by date; the spec's one-off and
        closure days are added to them here, as `__init__` does. The caller has checked that the
        table was built for this spec.
        """
        days_off = {day.date: day for day in statutory}
        for day in (*spec.extra_days, *spec.closure_days):
            days_off.setdefault(day.date, day)
        self = cls.__new__(cls)
        self._set_table(spec, days_off, cum, workday_ordinals)
        return self

    def _set_table(
        self,
        spec: CalendarSpec,
        days_off: dict[date, BankHoliday],
        cum: array[int],
        workday_ordinals: array[int],
    ) -> None:
        first = date(spec.first_year, 1, 1)
        set_ = object.__setattr__
        set_(self, "spec", spec)
        set_(self, "region", spec.region)
        set_(self, "version", spec.version)
        set_(self, "first", first)
        set_(self, "last", date(spec.last_year, 12, 31))
        set_(self, "_by_date", days_off)
        set_(self, "_first_ord", first.toordinal())
        set_(self, "_first_epoch", first.toordinal() - _EPOCH_ORDINAL)
        set_(self, "_ndays", len(cum))
        set_(self, "_nwork", len(workday_ordinals))
        set_(self, "_cum_table", cum)
        set_(self, "_workday_ordinals", workday_ordinals)
        set_(self, "_cum", cum.tolist())
        set_(self, "_workdays", list(map(date.fromordinal, workday_ordinals)))
        set_(self, "_numpy", None)

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
    _cum_table: array[int]
    _workday_ordinals: array[int]
    _numpy: tuple[IntArray, DateArray, IntArray] | None

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"WorkingDayCalendar is frozen: cannot set {name}")

    def _arrays(self) -> tuple[IntArray, DateArray, IntArray]:
        """numpy views of the table, made on first use: cum, the working days, 1 per working day."""
        arrays = self._numpy
        if arrays is None:
            import numpy as np

            cum = np.frombuffer(self._cum_table, dtype=np.intc).astype(np.int64)
            ordinals = np.frombuffer(self._workday_ordinals, dtype=np.intc).astype(np.int64)
            workdays = (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")
            working = np.diff(cum, prepend=0)
            arrays = (cum, workdays, working)
            object.__setattr__(self, "_numpy", arrays)  # the same values in any thread
        return arrays

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
        import numpy as np

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
        import numpy as np

        cum, workdays, working = self._arrays()
        idx = self._indices(dates, "dates")
        nn = np.broadcast_to(np.asarray(n, dtype=np.int64), idx.shape)
        minimum = 0 if counting is Counting.DAY_0 else 1
        low = nn < minimum
        if low.any():
            pos = int(np.argmax(low))
            raise CalendarRangeError(
                f"n[{pos}] = {int(nn[pos])}: must be >= {minimum} working days", index=pos
            )
        c = cum[idx]
        k = c + nn - 1
        if counting is Counting.DAY_1:
            k = k - working[idx]
        high = k >= self._nwork
        if high.any():
            pos = int(np.argmax(high))
            raise CalendarRangeError(
                f"{int(nn[pos])} working days from {np.asarray(dates)[pos]} is after the end of "
                f"the calendar {self.version} ({self.last.isoformat()})",
                index=pos,
            )
        zero = nn == 0
        out = workdays[np.where(zero, 0, k)]
        if zero.any():
            out = np.where(zero, np.asarray(dates), out)
        return out

    def working_days_between_batch(
        self, starts: DateArray, ends: DateArray, counting: Counting = Counting.DAY_0
    ) -> IntArray:
        """`working_days_between` over two arrays of dates of the same shape."""
        import numpy as np

        cum, _, working = self._arrays()
        a = self._indices(starts, "starts")
        b = self._indices(ends, "ends")
        if a.shape != b.shape:
            raise CalendarError(f"starts and ends differ in shape: {a.shape} and {b.shape}")
        result: IntArray = cum[b] - cum[a]
        if counting is Counting.DAY_1:
            result = result + np.where(b >= a, working[a], -working[b])
        return result


def build_calendar(spec: CalendarSpec) -> WorkingDayCalendar:
    """Build the calendar of `spec` (tens of milliseconds: build once, then share)."""
    return WorkingDayCalendar(spec)


@cache
def calendar_for(region: Region) -> WorkingDayCalendar:
    """The shared calendar of `region` with its default spec (no one-off or closure days)."""
    return build_calendar(CalendarSpec(Region(region)))
