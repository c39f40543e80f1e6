"""Property tests: add and between are inverse, monotone, and agree with a day-by-day loop."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendars import (
    CalendarError,
    CalendarRangeError,
    Counting,
    Region,
    WorkingDayCalendar,
    calendar_for,
)

regions = st.sampled_from(list(Region))
FIRST = date(2000, 1, 1)
LAST = date(2040, 12, 31)
# room for 30 days and then 120 working days before the table ends
dates = st.dates(min_value=FIRST, max_value=date(2040, 5, 31))
counts = st.integers(min_value=0, max_value=120)
countings = st.sampled_from(list(Counting))


def loop_add(cal: WorkingDayCalendar, d: date, n: int, counting: Counting) -> date:
    if counting is Counting.DAY_1 and cal.is_working_day(d):
        n -= 1
    while n > 0:
        d += timedelta(days=1)
        n -= cal.is_working_day(d)
    return d


def loop_between(cal: WorkingDayCalendar, a: date, b: date, counting: Counting) -> int:
    lo, hi = min(a, b), max(a, b)
    count = sum(cal.is_working_day(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    if counting is Counting.DAY_1:
        count += cal.is_working_day(lo)
    return count if b >= a else -count


@settings(max_examples=400, deadline=None)
@given(region=regions, d=dates, n=counts, counting=countings)
def test_between_inverts_add(region: Region, d: date, n: int, counting: Counting) -> None:
    cal = calendar_for(region)
    n = max(n, 1) if counting is Counting.DAY_1 else n
    due = cal.add_working_days(d, n, counting)
    assert cal.working_days_between(d, due, counting) == n
    assert due >= d
    if n > 0 or counting is Counting.DAY_1:
        assert cal.is_working_day(due) or (counting is Counting.DAY_1 and n == 1 and due == d)


@settings(max_examples=400, deadline=None)
@given(region=regions, d=dates, n=counts, counting=countings)
def test_add_agrees_with_loop(region: Region, d: date, n: int, counting: Counting) -> None:
    cal = calendar_for(region)
    n = max(n, 1) if counting is Counting.DAY_1 else n
    assert cal.add_working_days(d, n, counting) == loop_add(cal, d, n, counting)


@settings(max_examples=300, deadline=None)
@given(region=regions, a=dates, b=dates, counting=countings)
def test_between_agrees_with_loop(region: Region, a: date, b: date, counting: Counting) -> None:
    if abs((b - a).days) > 400:  # keep the loop short; b stays inside the table
        b = min(max(a + timedelta(days=(b - a).days % 801 - 400), FIRST), LAST)
    cal = calendar_for(region)
    assert cal.working_days_between(a, b, counting) == loop_between(cal, a, b, counting)


@settings(max_examples=300, deadline=None)
@given(region=regions, d=dates, n=counts, m=counts)
def test_add_is_monotone(region: Region, d: date, n: int, m: int) -> None:
    cal = calendar_for(region)
    lo, hi = sorted((n, m))
    assert cal.add_working_days(d, lo) <= cal.add_working_days(d, hi)
    later = d + timedelta(days=m % 30)
    assert cal.add_working_days(d, n) <= cal.add_working_days(later, n)


@settings(max_examples=300, deadline=None)
@given(region=regions, a=dates, b=dates, c=dates)
def test_between_is_additive_and_antisymmetric(region: Region, a: date, b: date, c: date) -> None:
    cal = calendar_for(region)
    ab = cal.working_days_between(a, b)
    assert ab + cal.working_days_between(b, c) == cal.working_days_between(a, c)
    assert cal.working_days_between(b, a) == -ab


@settings(max_examples=100, deadline=None)
@given(
    region=regions,
    pairs=st.lists(st.tuples(dates, counts, dates), min_size=0, max_size=30),
    counting=countings,
)
def test_batches_agree_with_single_calls(
    region: Region, pairs: list[tuple[date, int, date]], counting: Counting
) -> None:
    cal = calendar_for(region)
    minimum = 1 if counting is Counting.DAY_1 else 0
    ds = np.array([p[0] for p in pairs], dtype="datetime64[D]")
    ns = np.array([max(p[1], minimum) for p in pairs], dtype=np.int64)
    es = np.array([p[2] for p in pairs], dtype="datetime64[D]")
    added = cal.add_working_days_batch(ds, ns, counting)
    between = cal.working_days_between_batch(ds, es, counting)
    for i, (d, _, e) in enumerate(pairs):
        n = int(ns[i])
        assert added[i] == np.datetime64(cal.add_working_days(d, n, counting), "D")
        assert between[i] == cal.working_days_between(d, e, counting)


def test_batch_scalar_n_and_zero() -> None:
    cal = calendar_for(Region.ENGLAND_AND_WALES)
    ds = np.array(["2022-09-16", "2022-12-24"], dtype="datetime64[D]")
    assert cal.add_working_days_batch(ds, 0).tolist() == [date(2022, 9, 16), date(2022, 12, 24)]
    assert cal.add_working_days_batch(ds, 1).tolist() == [date(2022, 9, 20), date(2022, 12, 28)]


def test_batch_errors_name_the_position() -> None:
    cal = calendar_for(Region.ENGLAND_AND_WALES)
    ds = np.array(["2022-09-16", "1999-01-01"], dtype="datetime64[D]")
    with pytest.raises(CalendarRangeError, match=r"dates\[1\] = 1999-01-01") as info:
        cal.add_working_days_batch(ds, 1)
    assert info.value.index == 1
    ok = np.array(["2022-09-16", "2040-12-31"], dtype="datetime64[D]")
    with pytest.raises(CalendarRangeError, match="after the end") as info:
        cal.add_working_days_batch(ok, np.array([1, 1]))
    assert info.value.index == 1
    with pytest.raises(CalendarRangeError, match=r"n\[0\] = -1") as info:
        cal.add_working_days_batch(ok, np.array([-1, 1]))
    assert info.value.index == 0
    with pytest.raises(CalendarError, match="datetime64"):
        cal.add_working_days_batch(np.array([1, 2]), 1)
    with pytest.raises(CalendarError, match="shape"):
        cal.working_days_between_batch(ok, ok[:1])
    with pytest.raises(CalendarRangeError, match=r"ends\[0\]"):
        cal.working_days_between_batch(ok[:1], np.array(["2041-01-01"], dtype="datetime64[D]"))
