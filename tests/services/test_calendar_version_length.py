"""A region's calendar version names every one-off day added to it: the columns that store it with
each deadline and log entry are unbounded (migration 0100). Before, after 32 one-off days the
version outgrew VARCHAR(400) on PostgreSQL and every new concern of the region failed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from calendars import Region, calendar_for
from states import ENGLAND_2023
from workflows import calendar_days, casework
from workflows.persistence import SessionFactory, case_events, deadlines

EW = Region.ENGLAND_AND_WALES
UNDER_13 = {
    "category": "youth_produced_sexual_imagery",
    "children": [{"name": "A", "age": 12, "shown_in_images": True}],
    "imagery": {"sexual_acts": True},
}


def test_a_concern_after_forty_one_off_days(session_factory: SessionFactory) -> None:
    added_at = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    day = date(2027, 2, 1)
    for n in range(40):
        while day.weekday() >= 5 or not calendar_for(EW).is_working_day(day):
            day += timedelta(days=1)  # a weekend or a bank holiday is refused
        calendar_days.add_calendar_day(
            session_factory,
            region=EW,
            day=day,
            name=f"Closure {n + 1}",
            added_by="ada",
            at=added_at,
            policy_for=lambda _name: ENGLAND_2023,
        )
        day += timedelta(days=1)
    calendar = calendar_days.load_calendar(session_factory, EW)
    assert len(calendar.version) > 400
    case = casework.raise_concern(
        session_factory,
        facts=UNDER_13,
        at=datetime(2027, 1, 5, 10, 0, tzinfo=UTC),
        actor="pat",
        region=EW,
        policy=ENGLAND_2023,
        calendar=calendar,
    )
    with session_factory() as s:
        stored = s.execute(
            select(deadlines.c.calendar_version).where(deadlines.c.case_id == case.id)
        ).scalars()
        assert set(stored) == {calendar.version}
        logged = s.execute(
            select(func.max(func.length(case_events.c.calendar_version))).where(
                case_events.c.case_id == case.id
            )
        ).scalar_one()
    assert logged == len(calendar.version)
