"""Late recording per worker (`workflows.recording`, DESIGN 2.3) and the cases of the people
offered as likely matches (`workflows.people.cases_of_people`), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from calendars import Region, calendar_for, parse_instant
from states import ENGLAND_2023, Event
from workflows import casework, organisation, people, recording
from workflows.persistence import SessionFactory

CAL = calendar_for(Region.ENGLAND_AND_WALES)
LOW = {"category": "online_bullying", "children": [{"name": "A", "age": 9}]}


def at(text: str) -> datetime:
    return parse_instant(text)


def _concern(sf: SessionFactory, team: int, actor: str, when: str, recorded: str) -> int:
    case = casework.raise_concern(
        sf,
        facts=LOW,
        at=at(when),
        recorded_at=at(recorded),
        actor=actor,
        region=Region.ENGLAND_AND_WALES,
        policy=ENGLAND_2023,
        calendar=CAL,
        team_id=team,
    )
    assert case.id is not None
    return case.id


def test_late_recording_counts_each_workers_late_entries_in_the_period(
    session_factory: SessionFactory,
) -> None:
    sf = session_factory
    north = organisation.create_team(sf, name="North")
    south = organisation.create_team(sf, name="South")
    # Monday 2 March 2026, recorded on Thursday 5: 3 working days after, late
    late = _concern(sf, north, "pat", "2026-03-02T10:00", "2026-03-05T09:00")
    _concern(sf, north, "pat", "2026-03-05T08:00", "2026-03-05T09:00")
    _concern(sf, north, "sam", "2026-03-02T10:00", "2026-03-04T17:00")  # 2 days: on time
    _concern(sf, south, "pat", "2026-03-02T10:00", "2026-03-09T09:00")  # another team's case
    # outside the period
    _concern(sf, north, "sam", "2026-01-05T10:00", "2026-01-20T10:00")
    found = recording.late_recording(
        sf, team_ids=[north], since=at("2026-03-01T00:00"), until=at("2026-03-09T12:00")
    )
    assert [(w.actor, w.recorded, w.late) for w in found] == [("pat", 2, 1), ("sam", 1, 0)]
    # a correction judges the entry again: the concern came in on the Thursday after all
    casework.apply_event(
        sf,
        late,
        Event.CORRECT_DATE,
        at=at("2026-03-06T09:00"),
        actor="sam",
        data={"event_id": 1, "occurred_at": "2026-03-05T08:30", "reason": "the email's date"},
        calendar=CAL,
        policy=ENGLAND_2023,
    )
    found = recording.late_recording(
        sf, team_ids=[north], since=at("2026-03-01T00:00"), until=at("2026-03-09T12:00")
    )
    assert [(w.actor, w.recorded, w.late) for w in found] == [("pat", 2, 0), ("sam", 2, 0)]
    assert (
        recording.late_recording(
            sf, team_ids=[], since=at("2026-03-01T00:00"), until=at("2026-03-09T12:00")
        )
        == []
    )


def test_cases_of_people_says_which_cases_may_be_opened(session_factory: SessionFactory) -> None:
    sf = session_factory
    north = organisation.create_team(sf, name="North")
    first = _concern(sf, north, "pat", "2026-03-02T10:00", "2026-03-02T10:00")
    case = casework.get_case(sf, first, with_history=False)
    person = case.facts.children[0].person_id
    assert person is not None
    with sf() as s:
        found = people.cases_of_people(s, [person], readable=lambda ids: set())
        empty = people.cases_of_people(s, [], readable=set)
    assert [(c.case_id, c.visible) for c in found[person]] == [(first, False)]
    assert empty == {}


def test_late_recording_counts_the_restricted_cases_naming_the_manager_once(
    session_factory: SessionFactory,
) -> None:
    """The team's unrestricted cases and the restricted ones naming the manager are each counted
    once (`queries.visible_parts`: one statement per grant, joined); a restricted case naming
    someone else is not counted."""
    sf = session_factory
    north = organisation.create_team(sf, name="North")
    manager, other = (
        organisation.create_user(
            sf,
            username=name,
            display_name=name.capitalize(),
            email=f"{name}@example.org",
            role="manager",
            at=at("2026-03-01T00:00"),
            team_id=north,
        )
        for name in ("morgan", "hannah")
    )
    _concern(sf, north, "pat", "2026-03-02T10:00", "2026-03-05T09:00")  # late
    named = _concern(sf, north, "lee", "2026-03-03T10:00", "2026-03-03T11:00")
    elsewhere = _concern(sf, north, "kim", "2026-03-03T10:00", "2026-03-03T11:00")
    for case_id, manager_id in ((named, manager), (elsewhere, other)):
        casework.apply_event(
            sf,
            case_id,
            Event.RECORD_FACTS,
            at=at("2026-03-03T12:00"),
            actor="lee",
            data={"alleged_abuser": {"kind": "adult", "position_of_trust": True}},
            calendar=CAL,
            policy=ENGLAND_2023,
        )
        casework.set_case_managers(sf, case_id, [manager_id])
    assert casework.get_case(sf, named).restricted
    found = recording.late_recording(
        sf,
        team_ids=[north],
        since=at("2026-03-01T00:00"),
        until=at("2026-03-09T12:00"),
        manager_id=manager,
    )
    assert [(w.actor, w.recorded, w.late) for w in found] == [("pat", 1, 1), ("lee", 2, 0)]
