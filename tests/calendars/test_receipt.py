"""Out-of-hours receipt (DESIGN 3.2): received out of hours, treated as received at the opening of
the next working day. England and Wales 2026: Good Friday 3 April, Easter Monday 6 April; the
clocks go forward on Sunday 29 March."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from calendars import LONDON, OfficeHours, Region, calendar_for, to_utc

CAL = calendar_for(Region.ENGLAND_AND_WALES)
HOURS = OfficeHours()


def london(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return to_utc(datetime(y, m, d, hh, mm, tzinfo=LONDON))


@pytest.mark.parametrize(
    ("received", "treated_as"),
    [
        # in hours, and before opening on a working day: that day, as received
        (london(2026, 3, 5, 10), london(2026, 3, 5, 10)),
        (london(2026, 3, 5, 7, 30), london(2026, 3, 5, 7, 30)),
        (london(2026, 3, 5, 16, 59), london(2026, 3, 5, 16, 59)),
        # at or after closing: the next working day's opening
        (london(2026, 3, 5, 17), london(2026, 3, 6, 9)),
        (london(2026, 3, 6, 18, 30), london(2026, 3, 9, 9)),
        # a weekend, across the spring clock change: Monday 09:00 BST is 08:00 UTC
        (london(2026, 3, 28, 11), london(2026, 3, 30, 9)),
        # Good Friday and the Easter weekend: Tuesday after Easter Monday
        (london(2026, 4, 3, 10), london(2026, 4, 7, 9)),
        (london(2026, 4, 6, 12), london(2026, 4, 7, 9)),
    ],
)
def test_out_of_hours_receipt_moves_to_next_working_day_opening(
    received: datetime, treated_as: datetime
) -> None:
    assert HOURS.effective_receipt(received, CAL) == treated_as


def test_monday_opening_after_the_spring_clock_change_is_0800_utc() -> None:
    assert HOURS.effective_receipt(london(2026, 3, 28, 11), CAL).hour == 8


def test_office_hours_are_checked() -> None:
    with pytest.raises(ValueError, match="open before it closes"):
        OfficeHours(opens=time(17), closes=time(9))
    late = OfficeHours(opens=time(8), closes=time(20))
    assert late.effective_receipt(london(2026, 3, 5, 19), CAL) == london(2026, 3, 5, 19)


ALERT_HOURS = OfficeHours(time(8, 0), time(18, 0))


@pytest.mark.parametrize(
    ("at", "opens"),
    [
        # open: nothing waits
        (london(2026, 3, 5, 8), None),
        (london(2026, 3, 5, 17, 59), None),
        # a due-today alert written just after midnight waits for 08:00 the same day
        (london(2026, 3, 5, 0, 0), london(2026, 3, 5, 8)),
        # after closing: the next working day
        (london(2026, 3, 5, 18), london(2026, 3, 6, 8)),
        (london(2026, 3, 6, 23, 30), london(2026, 3, 9, 8)),
        # the weekend of the spring clock change: Monday 08:00 BST is 07:00 UTC
        (london(2026, 3, 28, 11), london(2026, 3, 30, 8)),
        # Good Friday to Easter Monday: Tuesday; an escalation never goes out on a bank holiday
        (london(2026, 4, 3, 10), london(2026, 4, 7, 8)),
        (london(2026, 4, 6, 7), london(2026, 4, 7, 8)),
    ],
)
def test_alert_hours_next_opening(at: datetime, opens: datetime | None) -> None:
    assert ALERT_HOURS.next_opening(at, CAL) == opens
    if opens is not None:
        assert opens.utcoffset() == timedelta(0)


def test_next_opening_follows_the_region() -> None:
    # 17 March 2026 (St Patrick's Day) is a bank holiday in Northern Ireland only
    tuesday = london(2026, 3, 17, 9)
    assert ALERT_HOURS.next_opening(tuesday, CAL) is None
    assert ALERT_HOURS.next_opening(tuesday, calendar_for(Region.NORTHERN_IRELAND)) == london(
        2026, 3, 18, 8
    )
