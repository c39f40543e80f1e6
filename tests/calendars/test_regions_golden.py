"""Golden dates named after the bank holidays they exercise (day-0 counting, DESIGN 3.2)."""

from __future__ import annotations

from datetime import date

import pytest

from calendars import (
    BankHoliday,
    CalendarError,
    CalendarRangeError,
    CalendarSpec,
    Counting,
    Region,
    UnknownRegionError,
    build_calendar,
    calendar_for,
)

EW = Region.ENGLAND_AND_WALES
SCT = Region.SCOTLAND
NI = Region.NORTHERN_IRELAND


def days_off(region: Region, year: int) -> set[date]:
    return {h.date for h in calendar_for(region).bank_holidays(year)}


@pytest.mark.parametrize("region", list(Region))
def test_state_funeral_2022_is_a_day_off_in_every_region(region: Region) -> None:
    cal = calendar_for(region)
    assert not cal.is_working_day(date(2022, 9, 19))
    # Friday 16 September + 1 working day skips Monday 19 September.
    assert cal.add_working_days(date(2022, 9, 16), 1) == date(2022, 9, 20)
    assert cal.working_days_between(date(2022, 9, 16), date(2022, 9, 20)) == 1


def test_platinum_jubilee_2022_moves_spring_bank_holiday() -> None:
    off = days_off(EW, 2022)
    assert {date(2022, 6, 2), date(2022, 6, 3)} <= off
    assert date(2022, 5, 30) not in off  # the usual last Monday of May is a working day
    cal = calendar_for(EW)
    assert cal.add_working_days(date(2022, 6, 1), 1) == date(2022, 6, 6)


def test_diamond_jubilee_2012_moves_spring_bank_holiday() -> None:
    off = days_off(EW, 2012)
    assert {date(2012, 6, 4), date(2012, 6, 5)} <= off
    assert date(2012, 5, 28) not in off


@pytest.mark.parametrize("region", list(Region))
def test_coronation_2023(region: Region) -> None:
    assert date(2023, 5, 8) in days_off(region, 2023)
    assert calendar_for(region).add_working_days(date(2023, 5, 5), 1) == date(2023, 5, 9)


def test_ve_day_2020_moves_early_may_holiday_to_friday() -> None:
    off = days_off(EW, 2020)
    assert date(2020, 5, 8) in off
    assert date(2020, 5, 4) not in off
    assert calendar_for(EW).add_working_days(date(2020, 5, 7), 1) == date(2020, 5, 11)


def test_christmas_substitute_days_2021() -> None:
    off = days_off(EW, 2021)
    assert {date(2021, 12, 27), date(2021, 12, 28)} <= off
    # Saturday 25 and Sunday 26 December are weekend days, never listed as days off.
    assert date(2021, 12, 25) not in off
    assert date(2021, 12, 26) not in off
    assert calendar_for(EW).add_working_days(date(2021, 12, 24), 1) == date(2021, 12, 29)


def test_christmas_substitute_days_2022_boxing_day_then_christmas_substitute() -> None:
    off = days_off(EW, 2022)
    assert {date(2022, 12, 26), date(2022, 12, 27)} <= off
    assert date(2022, 12, 25) not in off
    assert calendar_for(EW).add_working_days(date(2022, 12, 23), 1) == date(2022, 12, 28)


def test_christmas_substitute_days_2027_and_new_year_2028() -> None:
    assert {date(2027, 12, 27), date(2027, 12, 28)} <= days_off(EW, 2027)
    assert date(2028, 1, 3) in days_off(EW, 2028)
    assert date(2028, 1, 1) not in days_off(EW, 2028)
    # Friday 24 Dec 2027: 27, 28 off, then 29, 30, 31, (1, 2 Jan weekend), 3 Jan off, 4 Jan.
    assert calendar_for(EW).add_working_days(date(2027, 12, 24), 4) == date(2028, 1, 4)


def test_scotland_2_january_and_substitutes() -> None:
    assert date(2024, 1, 2) in days_off(SCT, 2024)
    assert date(2024, 1, 2) not in days_off(EW, 2024)
    # 2022: New Year's Day Saturday, 2 January Sunday: Monday 3 and Tuesday 4 January.
    assert {date(2022, 1, 3), date(2022, 1, 4)} <= days_off(SCT, 2022)
    assert calendar_for(SCT).add_working_days(date(2021, 12, 31), 1) == date(2022, 1, 5)


def test_scotland_st_andrews_day_and_weekend_substitute() -> None:
    assert date(2023, 11, 30) in days_off(SCT, 2023)
    assert date(2023, 11, 30) not in days_off(EW, 2023)
    # 30 November 2024 is a Saturday: Monday 2 December; 2025 a Sunday: Monday 1 December.
    assert date(2024, 12, 2) in days_off(SCT, 2024)
    assert date(2024, 11, 30) not in days_off(SCT, 2024)
    assert date(2025, 12, 1) in days_off(SCT, 2025)


def test_scotland_has_no_easter_monday_and_an_early_august_holiday() -> None:
    assert date(2026, 4, 6) not in days_off(SCT, 2026)
    assert date(2026, 8, 3) in days_off(SCT, 2026)
    assert date(2026, 8, 31) not in days_off(SCT, 2026)


def test_northern_ireland_st_patricks_day_and_substitute() -> None:
    assert date(2026, 3, 17) in days_off(NI, 2026)
    assert date(2026, 3, 17) not in days_off(EW, 2026)
    assert date(2024, 3, 18) in days_off(NI, 2024)  # 17 March 2024 was a Sunday


def test_northern_ireland_battle_of_the_boyne_and_substitutes() -> None:
    assert date(2024, 7, 12) in days_off(NI, 2024)
    assert date(2025, 7, 14) in days_off(NI, 2025)  # Saturday 12 July 2025
    assert date(2026, 7, 13) in days_off(NI, 2026)  # Sunday 12 July 2026
    assert date(2026, 7, 12) not in days_off(NI, 2026)
    assert calendar_for(NI).add_working_days(date(2026, 7, 10), 1) == date(2026, 7, 14)


def test_bare_country_is_not_used_easter_monday_and_august_present() -> None:
    off = days_off(EW, 2026)
    assert date(2026, 4, 6) in off  # Easter Monday
    assert date(2026, 8, 31) in off  # summer bank holiday


def test_saturday_referral_decision_is_due_on_monday() -> None:
    assert calendar_for(EW).add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)


def test_day_1_counting_is_one_working_day_stricter_from_a_working_day() -> None:
    cal = calendar_for(EW)
    monday = date(2026, 3, 2)
    assert cal.add_working_days(monday, 45) == date(2026, 5, 7)
    assert cal.add_working_days(monday, 45, Counting.DAY_1) == date(2026, 5, 6)
    saturday = date(2026, 3, 7)
    assert cal.add_working_days(saturday, 1, Counting.DAY_1) == date(2026, 3, 9)
    assert cal.working_days_between(monday, monday, Counting.DAY_1) == 1
    assert cal.working_days_between(monday, monday) == 0
    assert cal.working_days_between(date(2026, 3, 3), monday, Counting.DAY_1) == -2
    assert cal.working_days_between(date(2026, 3, 3), monday) == -1


def test_add_zero_working_days_is_the_start_date() -> None:
    assert calendar_for(EW).add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 7)


def test_negative_n_is_refused() -> None:
    cal = calendar_for(EW)
    with pytest.raises(ValueError, match="n must be >= 0"):
        cal.add_working_days(date(2026, 3, 2), -1)
    with pytest.raises(ValueError, match="n must be >= 1"):
        cal.add_working_days(date(2026, 3, 2), 0, Counting.DAY_1)


def test_dates_outside_the_table_are_range_errors() -> None:
    cal = calendar_for(EW)
    with pytest.raises(CalendarRangeError, match="1999-12-31 is outside"):
        cal.add_working_days(date(1999, 12, 31), 1)
    with pytest.raises(CalendarRangeError, match="2041-01-01 is outside"):
        cal.working_days_between(date(2026, 1, 1), date(2041, 1, 1))
    with pytest.raises(CalendarRangeError, match="after the end of the calendar"):
        cal.add_working_days(date(2040, 12, 28), 5)
    with pytest.raises(CalendarRangeError, match="year 2041"):
        cal.bank_holidays(2041)
    # The first day of the table works (no negative index wraps round).
    assert cal.working_days_between(date(2000, 1, 1), date(2000, 1, 4)) == 1
    assert cal.add_working_days(date(2000, 1, 1), 1, Counting.DAY_1) == date(2000, 1, 4)


def test_region_parse() -> None:
    assert Region.parse("Scotland") is SCT
    with pytest.raises(UnknownRegionError, match="england-and-wales, scotland, northern-ireland"):
        Region.parse("wales")
    assert isinstance(UnknownRegionError("x"), ValueError)


def test_one_off_day_changes_version_and_answers() -> None:
    """An administrator adds a bank holiday the package does not know yet."""
    plain = build_calendar(CalendarSpec(EW))
    extra_day = BankHoliday(date(2031, 6, 2), "Bank holiday for a royal occasion", "one_off")
    spec = CalendarSpec(EW, extra_days=(extra_day,))
    with_extra = build_calendar(spec)
    assert plain.version != with_extra.version
    assert "extra:2031-06-02" in with_extra.version
    assert "holidays-" in with_extra.version
    friday = date(2031, 5, 30)
    assert plain.add_working_days(friday, 1) == date(2031, 6, 2)
    assert with_extra.add_working_days(friday, 1) == date(2031, 6, 3)
    assert with_extra.working_days_between(friday, date(2031, 6, 3)) == 1
    assert extra_day in with_extra.bank_holidays(2031)
    assert extra_day not in plain.bank_holidays(2031)


def test_closure_days_are_off_only_when_configured() -> None:
    closure = BankHoliday(date(2026, 12, 29), "Office closed", "closure")
    cal = build_calendar(CalendarSpec(EW, closure_days=(closure,)))
    assert not cal.is_working_day(date(2026, 12, 29))
    assert calendar_for(EW).is_working_day(date(2026, 12, 29))
    assert "closure:2026-12-29" in cal.version
    assert calendar_for(EW).version.endswith("extra:none/closure:none")


def test_many_closure_days_are_named_by_a_digest() -> None:
    days = tuple(
        BankHoliday(date(2026, 1, d), "closed", "closure")
        for d in range(5, 31)
        if date(2026, 1, d).weekday() < 5
    )
    v1 = CalendarSpec(EW, closure_days=days).version
    v2 = CalendarSpec(EW, closure_days=days[:-1]).version
    assert v1 != v2
    assert f"closure:{len(days)}days-" in v1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"extra_days": (BankHoliday(date(2026, 3, 7), "Sat", "one_off"),)}, "weekend"),
        ({"extra_days": (BankHoliday(date(2026, 3, 9), "x", "closure"),)}, "expected 'one_off'"),
        ({"closure_days": (BankHoliday(date(2026, 3, 9), "x", "one_off"),)}, "expected 'closure'"),
        ({"extra_days": (BankHoliday(date(2026, 3, 9), " ", "one_off"),)}, "needs a name"),
        (
            {"extra_days": (BankHoliday(date(2026, 3, 9), "a", "one_off"),) * 2},
            "listed twice",
        ),
        ({"extra_days": (BankHoliday(date(2050, 3, 9), "a", "one_off"),)}, "outside the years"),
        ({"first_year": 2030, "last_year": 2020}, "first <= last"),
    ],
)
def test_bad_specs_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        CalendarSpec(EW, **kwargs)  # type: ignore[arg-type]


def test_calendar_is_frozen() -> None:
    cal = calendar_for(EW)
    with pytest.raises(AttributeError, match="frozen"):
        cal.version = "x"
