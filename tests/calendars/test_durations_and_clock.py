"""Durations (including clock changes), London time helpers and the clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from calendars import (
    LONDON,
    CalendarDays,
    CalendarError,
    CalendarMonths,
    Counting,
    Due,
    Duration,
    ElapsedHours,
    FixedClock,
    NaiveDatetimeError,
    Region,
    SameDay,
    SystemClock,
    WorkingDays,
    add_months,
    calendar_for,
    end_of_london_day,
    london_date,
    parse_instant,
    to_utc,
)

EW = calendar_for(Region.ENGLAND_AND_WALES)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def test_elapsed_24_hours_across_clocks_going_forward_2026() -> None:
    anchor = london(2026, 3, 28, 9, 0)  # Saturday, GMT
    due = ElapsedHours(24).due(anchor, EW)
    assert due.due_at == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
    local = due.due_at.astimezone(LONDON)
    assert (local.hour, local.utcoffset()) == (10, timedelta(hours=1))  # 10:00 BST Sunday
    assert due.due_date == date(2026, 3, 29)
    assert due.due_at - to_utc(anchor) == timedelta(hours=24)


def test_elapsed_24_hours_across_clocks_going_back_2026() -> None:
    anchor = london(2026, 10, 24, 9, 0)  # Saturday, BST
    due = ElapsedHours(24).due(anchor, EW)
    assert due.due_at == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    local = due.due_at.astimezone(LONDON)
    assert (local.hour, local.utcoffset()) == (8, timedelta(0))  # 08:00 GMT Sunday 25 October
    assert due.due_date == date(2026, 10, 25)


def test_working_days_due_at_end_of_london_day_in_summer_time() -> None:
    # A referral received 23:30 BST on Friday 12 June 2026 (22:30 UTC) has London date 12 June.
    anchor = datetime(2026, 6, 12, 22, 30, tzinfo=UTC)
    due = WorkingDays(1).due(anchor, EW)
    assert due == Due(date(2026, 6, 15), datetime(2026, 6, 15, 23, 0, tzinfo=UTC))


def test_working_days_day_1_counting() -> None:
    anchor = london(2026, 3, 2, 10, 0)
    assert WorkingDays(45).due(anchor, EW).due_date == date(2026, 5, 7)
    assert WorkingDays(45, Counting.DAY_1).due(anchor, EW).due_date == date(2026, 5, 6)


def test_same_day_ends_at_london_midnight() -> None:
    due = SameDay().due(london(2026, 3, 28, 23, 59), EW)
    assert due == Due(date(2026, 3, 28), datetime(2026, 3, 29, 0, 0, tzinfo=UTC))
    summer = SameDay().due(london(2026, 7, 1, 0, 30), EW)  # 23:30 UTC on 30 June
    assert summer == Due(date(2026, 7, 1), datetime(2026, 7, 1, 23, 0, tzinfo=UTC))


def test_calendar_days_count_weekends_and_holidays() -> None:
    due = CalendarDays(3).due(london(2022, 12, 23, 12, 0), EW)
    assert due.due_date == date(2022, 12, 26)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 6, date(2026, 9, 30)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 5, 9), 0, date(2026, 5, 9)),
    ],
)
def test_months_clamped_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected
    anchor = datetime.combine(start, datetime.min.time(), tzinfo=LONDON) + timedelta(hours=12)
    assert CalendarMonths(months).due(anchor, EW).due_date == expected


def test_months_not_moved_off_weekends() -> None:
    # Saturday 7 March 2026 + 3 months = Sunday 7 June 2026, left on the Sunday.
    assert CalendarMonths(3).due(london(2026, 3, 7, 12), EW).due_date == date(2026, 6, 7)


def test_describe() -> None:
    durations: list[Duration] = [
        WorkingDays(1),
        WorkingDays(45, Counting.DAY_1),
        CalendarDays(2),
        CalendarMonths(3),
        ElapsedHours(24),
        SameDay(),
    ]
    assert [d.describe() for d in durations] == [
        "1 working day",
        "45 working days (start date is day 1)",
        "2 calendar days",
        "3 months",
        "24 hours",
        "same day",
    ]


@pytest.mark.parametrize(
    "make",
    [
        lambda: WorkingDays(-1),
        lambda: WorkingDays(0, Counting.DAY_1),
        lambda: CalendarDays(-2),
        lambda: CalendarMonths(-1),
        lambda: ElapsedHours(-1),
        lambda: WorkingDays(True),
    ],
)
def test_bad_durations_are_refused(make: object) -> None:
    with pytest.raises(ValueError, match="expected a whole number"):
        make()  # type: ignore[operator]


def test_naive_anchor_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="naive datetime"):
        SameDay().due(datetime(2026, 3, 2, 10, 0), EW)  # noqa: DTZ001


def test_london_helpers() -> None:
    assert london_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)
    assert london_date(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == date(2026, 1, 31)
    assert end_of_london_day(date(2026, 3, 28)) == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert end_of_london_day(date(2026, 3, 29)) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    plus2 = timezone(timedelta(hours=2))
    assert to_utc(datetime(2026, 1, 1, 2, 0, tzinfo=plus2)) == datetime(2026, 1, 1, tzinfo=UTC)


def test_parse_instant() -> None:
    assert parse_instant("2026-03-02T10:15") == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    assert parse_instant("2026-07-02T10:15") == datetime(2026, 7, 2, 9, 15, tzinfo=UTC)
    assert parse_instant("2026-07-02T10:15+00:00") == datetime(2026, 7, 2, 10, 15, tzinfo=UTC)
    # 01:30 happens twice on 25 October 2026: the later (GMT) reading is taken.
    assert parse_instant("2026-10-25T01:30") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    with pytest.raises(CalendarError, match="does not exist in Europe/London"):
        parse_instant("2026-03-29T01:30")
    with pytest.raises(CalendarError, match="not an ISO 8601"):
        parse_instant("next tuesday")


def test_fixed_clock() -> None:
    clock = FixedClock(london(2026, 3, 28, 9, 0))
    assert clock.now() == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    clock.advance(timedelta(hours=24))
    assert clock.now() == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(NaiveDatetimeError):
        FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(NaiveDatetimeError):
        clock.set(datetime(2026, 1, 1))  # noqa: DTZ001


def test_system_clock_reads_the_frozen_time_as_aware_utc() -> None:
    with freeze_time(datetime(2026, 3, 28, 9, 0, tzinfo=UTC)):
        now = SystemClock().now()
    assert now == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert now.utcoffset() == timedelta(0)


def test_system_clock_ticks() -> None:
    with freeze_time(datetime(2026, 10, 25, 0, 0, tzinfo=UTC)) as frozen:
        clock = SystemClock()
        first = clock.now()
        frozen.tick(timedelta(hours=2))
        assert clock.now() - first == timedelta(hours=2)
