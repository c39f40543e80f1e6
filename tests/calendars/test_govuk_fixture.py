"""Acceptance: for every date from 2012 to 2028 the calendar agrees with GOV.UK's lists.

The fixture govuk_bank_holidays.json is in the https://www.gov.uk/bank-holidays.json format; its
provenance is in README.md beside it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendars import Region, calendar_for

FIXTURE = Path(__file__).with_name("govuk_bank_holidays.json")
FIRST = date(2012, 1, 1)
LAST = date(2028, 12, 31)


def govuk_days_off() -> dict[Region, frozenset[date]]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert set(data) == {r.value for r in Region}
    out: dict[Region, frozenset[date]] = {}
    for region in Region:
        assert data[region.value]["division"] == region.value
        events = data[region.value]["events"]
        for event in events:
            assert set(event) == {"title", "date", "notes", "bunting"}
        out[region] = frozenset(date.fromisoformat(e["date"]) for e in events)
    return out


GOVUK = govuk_days_off()


def govuk_is_working(region: Region, d: date) -> bool:
    return d.weekday() < 5 and d not in GOVUK[region]


@pytest.mark.parametrize("region", list(Region))
def test_non_working_weekdays_2012_to_2028_equal_govuk(region: Region) -> None:
    cal = calendar_for(region)
    ours: set[date] = set()
    d = FIRST
    while d <= LAST:
        if d.weekday() < 5 and not cal.is_working_day(d):
            ours.add(d)
        d += timedelta(days=1)
    assert sorted(ours - GOVUK[region]) == []  # days off we have and GOV.UK does not
    assert sorted(GOVUK[region] - ours) == []  # days off GOV.UK has and we do not


@pytest.mark.parametrize("region", list(Region))
def test_listing_equals_govuk_each_year(region: Region) -> None:
    cal = calendar_for(region)
    for year in range(2012, 2029):
        listed = [h.date for h in cal.bank_holidays(year)]
        assert listed == sorted(d for d in GOVUK[region] if d.year == year), year
        assert all(d.weekday() < 5 for d in listed)


def loop_add(region: Region, d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if govuk_is_working(region, d):
            n -= 1
    return d


def loop_between(region: Region, a: date, b: date) -> int:
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count = 0
    d = a
    while d < b:
        d += timedelta(days=1)
        count += govuk_is_working(region, d)
    return sign * count


@settings(max_examples=300, deadline=None)
@given(
    region=st.sampled_from(list(Region)),
    d=st.dates(min_value=FIRST, max_value=date(2028, 9, 30)),
    n=st.integers(min_value=0, max_value=60),
)
def test_add_agrees_with_a_loop_over_govuk(region: Region, d: date, n: int) -> None:
    assert calendar_for(region).add_working_days(d, n) == loop_add(region, d, n)


@settings(max_examples=300, deadline=None)
@given(
    region=st.sampled_from(list(Region)),
    a=st.dates(min_value=FIRST, max_value=LAST),
    b=st.dates(min_value=FIRST, max_value=LAST),
)
def test_between_agrees_with_a_loop_over_govuk(region: Region, a: date, b: date) -> None:
    assert calendar_for(region).working_days_between(a, b) == loop_between(region, a, b)
