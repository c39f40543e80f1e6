"""Ofsted's Annex A lists 1, 3, 4, 5 and 7 from cases recorded through the services, on SQLite
and PostgreSQL: the workbook opens, each list has the template's columns, its rows match what
was recorded, and the look-back periods hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from calendars import Region, calendar_for, parse_instant
from states import ENGLAND_2023, Event, nhs_number_check_digit
from workflows import casework, organisation
from workflows.persistence import SessionFactory
from workflows.returns.annex_a import ANNEX_A_LISTS, AnnexA, annex_a, write_workbook

CAL = calendar_for(Region.ENGLAND_AND_WALES)
AS_OF = date(2026, 12, 1)


def nhs(first_nine: str) -> str:
    check = nhs_number_check_digit(first_nine)
    assert check is not None
    return first_nine + str(check)


NHS = nhs("943476591")

DISCUSSION: dict[str, Any] = {
    "attendees": ["police", "childrens_social_care", "health"],
    "considerations": {
        "household_children_safety": "mother protective",
        "image_children_safety": "identified",
        "when_to_inform_alleged_abuser": "after the police visit",
        "criminal_investigation": True,
        "section_47_threshold_met": True,
        "icpc_required": True,
    },
}


def at(text: str) -> datetime:
    return parse_instant(text)


@dataclass
class Org:
    team: int
    pat: int
    tm: int


@pytest.fixture
def org(session_factory: SessionFactory) -> Org:
    sf = session_factory
    when = at("2025-01-01T09:00")
    team = organisation.create_team(sf, name="North Safeguarding")
    pat = organisation.create_user(
        sf,
        username="pat",
        display_name="Pat Social Worker",
        email="pat@example.org",
        role="practitioner",
        at=when,
        team_id=team,
    )
    tm = organisation.create_user(
        sf,
        username="tm",
        display_name="Terry Manager",
        email="tm@example.org",
        role="manager",
        at=when,
        team_id=team,
    )
    return Org(team, pat, tm)


def _concern(sf: SessionFactory, org: Org, facts: dict[str, Any], when: str) -> int:
    case = casework.raise_concern(
        sf,
        facts=facts,
        at=at(when),
        actor="pat",
        region=Region.ENGLAND_AND_WALES,
        policy=ENGLAND_2023,
        calendar=CAL,
        owner_id=org.pat,
        team_id=org.team,
    )
    assert case.id is not None
    return case.id


def _do(
    sf: SessionFactory,
    case_id: int,
    event: Event,
    when: str,
    data: dict[str, Any] | None = None,
    actor: str = "pat",
) -> None:
    casework.apply_event(
        sf, case_id, event, at=at(when), actor=actor, data=data, calendar=CAL, policy=ENGLAND_2023
    )


@dataclass
class Recorded:
    assessed: int
    planned: int
    old: int
    later: int


def _record(sf: SessionFactory, org: Org) -> Recorded:
    # January: a referral about Amy, stepped down: outside the six months, inside the twelve
    old = _concern(
        sf,
        org,
        {
            "category": "online_bullying",
            "children": [{"name": "Amy", "nhs_number": NHS, "date_of_birth": "2014-05-01"}],
        },
        "2026-01-12T10:00",
    )
    _do(sf, old, Event.REFER, "2026-01-12T11:00", {"referred_to": ["childrens_social_care"]})
    _do(sf, old, Event.STEP_DOWN, "2026-01-13T10:00")
    # September: Amy again (the same NHS number) and her brother, assessed and closed (RC8)
    assessed = _concern(
        sf,
        org,
        {
            "category": "online_bullying",
            "children": [
                {
                    "name": "Amy",
                    "nhs_number": NHS,
                    "date_of_birth": "2014-05-01",
                    "sex": "F",
                    "ethnicity": "WBRI",
                    "disabilities": ["NONE"],
                },
                {"name": "Ben", "age": 9},
            ],
        },
        "2026-09-01T09:30",
    )
    _do(
        sf,
        assessed,
        Event.REFER,
        "2026-09-01T10:00",
        {"referred_to": ["childrens_social_care"], "referral_source": "2A", "primary_need": "N1"},
    )
    _do(sf, assessed, Event.START_ASSESSMENT, "2026-09-02T10:00")
    _do(sf, assessed, Event.ADD_NOTE, "2026-09-08T15:00", {"kind": "visit", "text": "home visit"})
    _do(sf, assessed, Event.COMPLETE_ASSESSMENT, "2026-09-20T10:00", {"factors": ["4A"]})
    _do(sf, assessed, Event.AUTHORISE_ASSESSMENT, "2026-09-21T10:00", actor="tm")
    _do(
        sf,
        assessed,
        Event.CLOSE,
        "2026-09-25T10:00",
        {"outcome": "no_further_action", "reason": "needs met", "reason_for_closure": "RC8"},
    )
    # October: Cara, through a Section 47 enquiry to a plan; visited in November
    planned = _concern(
        sf,
        org,
        {
            "category": "adult_indecent_images",
            "children": [
                {
                    "name": "Cara",
                    "date_of_birth": "2020-02-29",
                    "sex": "F",
                    "ethnicity": "BAFR",
                    "disabilities": ["AUT"],
                    "lives_with_alleged_abuser": True,
                    "known_to_alleged_abuser": True,
                    "shown_in_images": True,
                }
            ],
            "alleged_abuser": {"kind": "adult", "lives_with_children": True},
        },
        "2026-10-05T09:00",
    )
    _do(
        sf,
        planned,
        Event.REFER,
        "2026-10-05T09:30",
        {"referred_to": ["police", "childrens_social_care"], "referral_source": "6"},
    )
    _do(sf, planned, Event.CONVENE_STRATEGY_DISCUSSION, "2026-10-05T10:00", {"urgent": True})
    _do(sf, planned, Event.HOLD_STRATEGY_DISCUSSION, "2026-10-05T15:00", DISCUSSION)
    _do(sf, planned, Event.START_SECTION_47, "2026-10-05T16:00")
    _do(
        sf,
        planned,
        Event.HOLD_CONFERENCE,
        "2026-10-20T10:00",
        {"outcome": "child_protection_plan", "category_of_abuse": "SAB"},
    )
    _do(sf, planned, Event.ADD_NOTE, "2026-11-02T14:00", {"kind": "visit", "text": "visit"})
    # December: after the as-of date, on no list
    later = _concern(
        sf,
        org,
        {"category": "online_bullying", "children": [{"name": "Dan", "age": 12}]},
        "2026-12-02T09:00",
    )
    return Recorded(assessed, planned, old, later)


def _person_ids(sf: SessionFactory, case_id: int) -> list[str]:
    return [str(c.person_id) for c in casework.get_case(sf, case_id).facts.children]


def _rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    workbook = load_workbook(path, read_only=True)
    sheets = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in workbook}
    workbook.close()
    return sheets


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)  # noqa: DTZ001 (openpyxl reads dates as naive)


def test_the_workbook_has_each_list_with_its_columns_and_rows(
    session_factory: SessionFactory, org: Org, tmp_path: Path
) -> None:
    sf = session_factory
    rec = _record(sf, org)
    amy, ben = _person_ids(sf, rec.assessed)
    [cara] = _person_ids(sf, rec.planned)
    assert _person_ids(sf, rec.old) == [amy]

    annex = annex_a(sf, as_of=AS_OF, batch_size=2)
    out = tmp_path / "annex-a.xlsx"
    write_workbook(annex, out)
    sheets = _rows(out)

    assert list(sheets) == ["List 1", "List 3", "List 4", "List 5", "List 7"]
    for spec in ANNEX_A_LISTS:
        assert sheets[spec.sheet][0] == spec.columns, spec.sheet
    body = {name: rows[1:] for name, rows in sheets.items()}

    amy_cols = (amy, "b) Female", "a) WBRI", _day(date(2014, 5, 1)), 12)
    ben_cols = (ben, "c) Not stated/recorded", None, None, 9)
    cara_cols = (cara, "b) Female", "o) BAFR", _day(date(2020, 2, 29)), 6)
    team = ("North Safeguarding", "Pat Social Worker")

    assert body["List 1"] == [
        (*amy_cols, _day(date(2026, 9, 1)), "e) 2A: Schools"),
        (*ben_cols, _day(date(2026, 9, 1)), "e) 2A: Schools"),
        (*cara_cols, _day(date(2026, 10, 5)), "q) 6: Police"),
    ]
    assert body["List 3"] == [
        # Amy's January referral counts among her referrals of the last 12 months
        (*amy_cols, _day(date(2026, 9, 1)), "e) 2A: Schools", "b) No", 2, *team),
        (*ben_cols, _day(date(2026, 9, 1)), "e) 2A: Schools", "b) No", 1, *team),
        (*cara_cols, _day(date(2026, 10, 5)), "q) 6: Police", "b) No", 1, *team),
    ]
    seen = ("a) Yes", _day(date(2026, 9, 21)), "b) No")  # closed RC8 after the assessment
    assert body["List 4"] == [
        (*amy_cols, "b) No", _day(date(2026, 9, 2)), *seen, *team),
        (*ben_cols, "c) Unknown", _day(date(2026, 9, 2)), *seen, *team),
        # the urgent strategy discussion started Cara's single assessment, still open
        (*cara_cols, "a) Yes", _day(date(2026, 10, 5)), "a) Yes", None, None, *team),
    ]
    assert body["List 5"] == [
        (
            *cara_cols,
            "a) Yes",
            _day(date(2026, 10, 5)),
            "b) No",
            _day(date(2026, 10, 20)),
            "a) Yes",
            1,
            1,
            *team,
        )
    ]
    assert body["List 7"] == [
        (
            *cara_cols,
            "a) Yes",
            _day(date(2026, 10, 20)),
            "c) Sexual abuse",
            "c) Sexual abuse",
            _day(date(2026, 11, 2)),
            None,
            None,
            None,
            None,
            0,
            *team,
        )
    ]


def test_dates_are_shown_day_month_year(
    session_factory: SessionFactory, org: Org, tmp_path: Path
) -> None:
    _record(session_factory, org)
    out = tmp_path / "annex-a.xlsx"
    write_workbook(annex_a(session_factory, as_of=AS_OF), out)
    workbook = load_workbook(out)
    cell = workbook["List 1"]["F2"]
    assert cell.is_date
    assert cell.number_format == "DD/MM/YYYY"


def _counts(annex: AnnexA) -> dict[int, int]:
    return {x.spec.number: len(x.rows) for x in annex.lists}


def test_an_earlier_as_of_date_gives_the_lists_as_they_stood(
    session_factory: SessionFactory, org: Org
) -> None:
    sf = session_factory
    _record(sf, org)
    # 15 October: Cara's enquiry is open, no conference yet, no plan
    annex = annex_a(sf, as_of=date(2026, 10, 15))
    assert _counts(annex) == {1: 3, 3: 3, 4: 3, 5: 1, 7: 0}
    [s47] = annex.list(5).rows
    assert s47[8:10] == (None, None)
    # 1 June 2027: everything of 2026 before December has left the six months; Cara's plan
    # (still open) stays on list 7, Dan's December concern is on list 1
    later = annex_a(sf, as_of=date(2027, 6, 1))
    assert _counts(later) == {1: 1, 3: 0, 4: 1, 5: 0, 7: 1}
    assert annex_a(sf, as_of=date(2026, 3, 31)).list(3).rows[0][5] == date(2026, 1, 12)


def test_look_back_is_six_calendar_months_inclusive(
    session_factory: SessionFactory, org: Org
) -> None:
    sf = session_factory
    _record(sf, org)
    # 1 March 2027 looks back to 1 September 2026: the September contact is in, on its first day
    assert annex_a(sf, as_of=date(2027, 3, 1)).since == date(2026, 9, 1)
    assert _counts(annex_a(sf, as_of=date(2027, 3, 1)))[1] == 4
    assert _counts(annex_a(sf, as_of=date(2027, 3, 2)))[1] == 2


def test_an_empty_database_gives_each_list_its_headings(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    out = tmp_path / "empty.xlsx"
    write_workbook(annex_a(session_factory, as_of=AS_OF), out)
    sheets = _rows(out)
    assert {name: len(rows) for name, rows in sheets.items()} == {
        spec.sheet: 1 for spec in ANNEX_A_LISTS
    }


def test_an_assessment_left_unauthorised_by_an_old_referral_is_not_listed(
    session_factory: SessionFactory, org: Org
) -> None:
    sf = session_factory
    case = _concern(
        sf,
        org,
        {"category": "online_bullying", "children": [{"name": "Eve", "age": 11}]},
        "2025-11-03T09:00",
    )
    _do(sf, case, Event.REFER, "2025-11-03T10:00", {"referred_to": ["childrens_social_care"]})
    _do(sf, case, Event.START_ASSESSMENT, "2025-11-04T10:00")
    _do(sf, case, Event.STEP_DOWN, "2025-11-20T10:00")  # to early help, never authorised
    _do(sf, case, Event.ESCALATE, "2026-09-14T10:00")
    _do(sf, case, Event.START_ASSESSMENT, "2026-09-15T10:00")
    annex = annex_a(sf, as_of=AS_OF)
    assert [row[6] for row in annex.list(4).rows] == [date(2026, 9, 15)]
    # the referral of September is on list 3; November 2025 is more than 12 months back
    assert [(row[5], row[8]) for row in annex.list(3).rows] == [(date(2026, 9, 14), 1)]
    assert annex_a(sf, as_of=date(2026, 10, 1)).list(3).rows[0][8] == 2
