"""Benchmark: O(1) working-day arithmetic against numpy's busday functions and a day-by-day loop.

Run: ``.venv/bin/python bench/working_days.py``

Baselines, measured in the same run on the same england-and-wales holiday list:

- numpy: ``busday_offset(d, n, roll="backward")`` (day 0: rolling a non-working start back to the
  previous working day gives the n-th working day after the start) and
  ``busday_count(a + 1, b + 1)`` (numpy counts [a, b); DESIGN 3.2 counts (a, b]), both with a
  ``busdaycalendar`` holding the same holidays;
- loop: step one day at a time, testing weekday and membership of a ``holidays`` object.

Answers are checked to agree before anything is timed. Targets (issue 2): a single call at least
10x faster than numpy's single call and 50x faster than the loop; a 1,000,000-date batch at
least 5x faster than numpy's batch.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from datetime import date, timedelta

import holidays
import numpy as np

from calendars import Region, calendar_for

REGION = Region.ENGLAND_AND_WALES
BATCH = 1_000_000
N_MAX = 60


def best(fn: Callable[[], object], number: int, repeat: int = 5) -> float:
    """Best time per call, in seconds."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main() -> None:
    cal = calendar_for(REGION)
    years = range(cal.first.year, cal.last.year + 1)
    hol_dates = [h.date for y in years for h in cal.bank_holidays(y)]
    busdaycal = np.busdaycalendar(holidays=np.array(hol_dates, dtype="datetime64[D]"))
    hol_obj = holidays.country_holidays("GB", subdiv=REGION.subdivision, years=years)

    def loop_add(d: date, n: int) -> date:
        while n > 0:
            d += timedelta(days=1)
            if d.weekday() < 5 and d not in hol_obj:
                n -= 1
        return d

    def loop_between(a: date, b: date) -> int:
        count = 0
        while a < b:
            a += timedelta(days=1)
            if a.weekday() < 5 and a not in hol_obj:
                count += 1
        return count

    one_day = np.timedelta64(1, "D")

    # Single calls: a Saturday before Christmas 2022, 45 working days (the single assessment).
    d, n = date(2022, 12, 24), 45
    a, b = date(2022, 9, 16), date(2022, 12, 30)
    d64, a64, b64 = np.datetime64(d, "D"), np.datetime64(a, "D"), np.datetime64(b, "D")
    ours_add = cal.add_working_days(d, n)
    assert ours_add == loop_add(d, n)
    assert np.busday_offset(d64, n, roll="backward", busdaycal=busdaycal) == np.datetime64(
        ours_add, "D"
    )
    ours_between = cal.working_days_between(a, b)
    assert ours_between == loop_between(a, b)
    assert np.busday_count(a64 + one_day, b64 + one_day, busdaycal=busdaycal) == ours_between

    # Batches: random start dates 2012-2028, n in 1..60; random (start, end) pairs, end >= start.
    rng = np.random.default_rng(2)
    lo = np.datetime64("2012-01-01").astype(np.int64)
    hi = np.datetime64("2028-09-30").astype(np.int64)
    starts = rng.integers(lo, hi, BATCH).astype("datetime64[D]")
    counts = rng.integers(1, N_MAX + 1, BATCH)
    ends = starts + rng.integers(0, 400, BATCH).astype("timedelta64[D]")
    got_add = cal.add_working_days_batch(starts, counts)
    np_add = np.busday_offset(starts, counts, roll="backward", busdaycal=busdaycal)
    assert np.array_equal(got_add, np_add)
    got_between = cal.working_days_between_batch(starts, ends)
    np_between = np.busday_count(starts + one_day, ends + one_day, busdaycal=busdaycal)
    assert np.array_equal(got_between, np_between)
    for i in range(0, BATCH, BATCH // 200):  # spot-check the loop on a sample
        s = starts[i].item()
        assert got_add[i].item() == loop_add(s, int(counts[i]))
        assert got_between[i] == loop_between(s, ends[i].item())

    rows: list[tuple[str, float, float, str]] = []

    t_ours = best(lambda: cal.add_working_days(d, n), 200_000)
    t_np = best(lambda: np.busday_offset(d64, n, roll="backward", busdaycal=busdaycal), 20_000)
    t_loop = best(lambda: loop_add(d, n), 2_000)
    rows += [
        ("add, single call", t_ours, t_np, "numpy busday_offset"),
        ("add, single call", t_ours, t_loop, "loop over holidays"),
    ]
    t_ours = best(lambda: cal.working_days_between(a, b), 200_000)
    t_np = best(lambda: np.busday_count(a64 + one_day, b64 + one_day, busdaycal=busdaycal), 20_000)
    t_loop = best(lambda: loop_between(a, b), 500)
    rows += [
        ("between, single call", t_ours, t_np, "numpy busday_count"),
        ("between, single call", t_ours, t_loop, "loop over holidays"),
    ]
    t_ours = best(lambda: cal.add_working_days_batch(starts, counts), 1, repeat=5)
    t_np = best(
        lambda: np.busday_offset(starts, counts, roll="backward", busdaycal=busdaycal), 1, 3
    )
    rows.append((f"add, batch of {BATCH:,}", t_ours, t_np, "numpy busday_offset"))
    t_ours = best(lambda: cal.working_days_between_batch(starts, ends), 1, repeat=5)
    t_np = best(
        lambda: np.busday_count(starts + one_day, ends + one_day, busdaycal=busdaycal), 1, 3
    )
    rows.append((f"between, batch of {BATCH:,}", t_ours, t_np, "numpy busday_count"))

    print(f"region {REGION.value}, calendar {cal.version}, numpy {np.__version__}")
    print(f"{'operation':26} {'ours':>12} {'baseline':>12}  {'speed-up':>8}  baseline")
    for name, ours, base, base_name in rows:
        print(f"{name:26} {fmt(ours):>12} {fmt(base):>12}  {base / ours:7.1f}x  {base_name}")


def fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e9:.0f} ns"


if __name__ == "__main__":
    main()
