"""The LADO's annual figures from allegations recorded through the services, on SQLite and
PostgreSQL: by employment sector and outcome, and the shares resolved within the policy's one,
three and twelve months."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest

from calendars import Region, calendar_for, parse_instant
from states import ENGLAND_2023, Event
from workflows import casework
from workflows.persistence import SessionFactory
from workflows.returns.lado_report import lado_report, report_csv, reporting_year

CAL = calendar_for(Region.ENGLAND_AND_WALES)
NOW = parse_instant("2027-05-01T12:00")


def at(text: str) -> datetime:
    return parse_instant(text)


def allegation(
    sf: SessionFactory,
    referred: str,
    *,
    sector: str | None,
    outcome: tuple[str, str] | None = None,
    closed: str | None = None,
) -> int:
    abuser: dict[str, Any] = {"kind": "adult", "position_of_trust": True, "role": "staff"}
    if sector is not None:
        abuser["employment_sector"] = sector
    case = casework.raise_concern(
        sf,
        facts={
            "category": "staff_online_conduct",
            "children": [{"name": "A", "age": 14}],
            "alleged_abuser": abuser,
        },
        at=at(referred),
        actor="lee",
        region=Region.ENGLAND_AND_WALES,
        policy=ENGLAND_2023,
        calendar=CAL,
    )
    assert case.id is not None

    def do(event: Event, when: str, data: dict[str, Any] | None = None) -> None:
        assert case.id is not None
        casework.apply_event(
            sf, case.id, event, at=at(when), actor="lee", data=data, calendar=CAL,
            policy=ENGLAND_2023,
        )  # fmt: skip

    do(Event.REFER_TO_LADO, referred)
    if outcome is not None:
        do(Event.HOLD_LADO_STRATEGY_MEETING, referred)
        do(Event.RECORD_ALLEGATION_OUTCOME, outcome[1], {"outcome": outcome[0]})
        if closed is not None:
            do(Event.CLOSE_ALLEGATION, closed)
    return case.id


def report(sf: SessionFactory, year: int = 2027, as_of: datetime = NOW) -> Any:
    return lado_report(
        sf,
        year=year,
        as_of=as_of,
        calendar_for=calendar_for,
        policy_for=lambda _name: ENGLAND_2023,
        policy=ENGLAND_2023,
    )


def record(sf: SessionFactory) -> None:
    # 10 May 2026: resolved on 10 June (the last day of its month: in time)
    allegation(
        sf, "2026-05-10T10:00", sector="education", outcome=("substantiated", "2026-06-10T16:00")
    )
    # 31 August 2026: one month ends 30 September; resolved 1 October, within three months
    allegation(
        sf,
        "2026-08-31T10:00",
        sector="education",
        outcome=("unfounded", "2026-10-01T09:00"),
        closed="2026-10-02T09:00",
    )
    # 2 November 2026: resolved after seven months, within twelve
    allegation(sf, "2026-11-02T10:00", sector="sport", outcome=("false", "2027-06-01T09:00"))
    # 3 February 2027: still under investigation
    allegation(sf, "2027-02-03T10:00", sector=None)
    # outside the year (31 March 2026 and 1 April 2027)
    allegation(sf, "2026-03-31T23:30", sector="health", outcome=("malicious", "2026-04-02T10:00"))
    allegation(sf, "2027-04-01T00:30", sector="health")


def test_figures_by_sector_outcome_and_target(session_factory: SessionFactory) -> None:
    sf = session_factory
    record(sf)
    figures = report(sf, as_of=parse_instant("2027-07-01T12:00"))
    assert (figures.first.isoformat(), figures.last.isoformat()) == ("2026-04-01", "2027-03-31")
    assert figures.total == 4
    sectors = dict(figures.by_sector)
    assert (sectors["education"], sectors["sport"], sectors["not_recorded"]) == (2, 1, 1)
    assert sectors["health"] == 0
    assert dict(figures.by_outcome) == {
        "substantiated": 1,
        "unsubstantiated": 0,
        "false": 1,
        "malicious": 0,
        "unfounded": 1,
        "not_yet_concluded": 1,
    }
    assert [(t.label, t.resolved, t.total, t.percent) for t in figures.targets] == [
        ("1 month", 1, 4, 25.0),
        ("3 months", 2, 4, 50.0),
        ("12 months", 3, 4, 75.0),
    ]


def test_nothing_recorded_after_the_as_of_time_counts(session_factory: SessionFactory) -> None:
    sf = session_factory
    record(sf)
    # on 1 May 2027 the sport allegation (resolved 1 June 2027) is not yet concluded
    figures = report(sf, as_of=NOW)
    assert dict(figures.by_outcome)["not_yet_concluded"] == 2
    assert [t.resolved for t in figures.targets] == [1, 2, 2]


def test_a_year_with_no_allegation(session_factory: SessionFactory) -> None:
    figures = report(session_factory, year=2020)
    assert figures.total == 0
    assert [(t.label, t.resolved, t.percent) for t in figures.targets] == [
        ("1 month", 0, None),
        ("3 months", 0, None),
        ("12 months", 0, None),
    ]


def test_the_csv_has_every_measure(session_factory: SessionFactory) -> None:
    sf = session_factory
    record(sf)
    rows = list(csv.reader(io.StringIO(report_csv(report(sf, as_of=at("2027-07-01T12:00"))))))
    assert rows[0] == ["Measure", "Category", "Allegations", "Percent"]
    assert rows[1] == ["Reporting year", "2026 to 2027", "4", "100.0"]
    assert ["Employment sector", "Education", "2", "50.0"] in rows
    assert ["Employment sector", "Early years", "0", "0.0"] in rows  # names, never codes
    assert ["Outcome", "Not yet concluded", "1", "25.0"] in rows
    assert rows[-3:] == [
        ["Resolved within", "1 month", "1", "25.0"],
        ["Resolved within", "3 months", "2", "50.0"],
        ["Resolved within", "12 months", "3", "75.0"],
    ]


@pytest.mark.parametrize("year", [2000, 2041, True])
def test_a_year_outside_the_calendars_is_refused(year: int) -> None:
    with pytest.raises(ValueError, match="expected a year from 2001 to 2040"):
        reporting_year(year)
