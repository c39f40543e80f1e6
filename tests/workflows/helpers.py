"""Shared builders for the pure casework tests: London instants, facts, a case and its steps."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from calendars import LONDON, Region, WorkingDayCalendar, calendar_for, to_utc
from states import ENGLAND_2023, AllegationState, CaseFacts, CaseState, DeadlineKind, Event
from workflows import Case, Deadline, FireResult, fire, raise_concern

ENGLAND = Region.ENGLAND_AND_WALES

ANSWERS: dict[str, Any] = {
    "household_children_safety": "two children at home, mother protective",
    "image_children_safety": "children in images identified",
    "when_to_inform_alleged_abuser": "after the police visit",
    "criminal_investigation": True,
    "section_47_threshold_met": True,
    "icpc_required": True,
}
DISCUSSION: dict[str, Any] = {
    "attendees": ["police", "childrens_social_care", "health"],
    "considerations": ANSWERS,
}
AGREEMENT: dict[str, Any] = {
    "supervision_of_contact": "all contact supervised by mother",
    "intimate_care": "mother only",
    "entry_to_childrens_rooms": "not allowed",
    "sleepovers": "none",
    "review_date": "2026-04-01",
}

# seed 004 s2.2: an adult with images of a child of the household, known to them
OWN_CHILDREN: dict[str, Any] = {
    "category": "adult_indecent_images",
    "children": [
        {
            "name": "A",
            "age": 6,
            "lives_with_alleged_abuser": True,
            "known_to_alleged_abuser": True,
            "shown_in_images": True,
        }
    ],
    "alleged_abuser": {"kind": "adult", "lives_with_children": True},
}
# seed 004 s2.2: a teacher with indecent images (position of trust), no child of the household
TEACHER: dict[str, Any] = {
    "category": "adult_indecent_images",
    "alleged_abuser": {"kind": "adult", "position_of_trust": True, "role": "teacher"},
}
# seed 004 s2.1: youth-produced imagery with none of the five triggers
LOW_LEVEL: dict[str, Any] = {
    "category": "youth_produced_sexual_imagery",
    "children": [{"name": "B", "age": 15}],
    "imagery": {},
}


def london(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """The aware UTC instant of a Europe/London wall-clock time."""
    return to_utc(datetime(y, m, d, hh, mm, tzinfo=LONDON))


def calendar() -> WorkingDayCalendar:
    return calendar_for(ENGLAND)


def new_case(facts: dict[str, Any] | None = None, *, at: datetime | None = None) -> Case:
    return raise_concern(
        CaseFacts.model_validate(facts if facts is not None else OWN_CHILDREN),
        at=at or london(2026, 3, 2, 10, 15),
        actor="sw1",
        region=ENGLAND,
        policy=ENGLAND_2023,
        calendar=calendar(),
        reference="C-1",
    )


def step(
    case: Case,
    event: Event | str,
    at: datetime,
    data: dict[str, Any] | None = None,
    *,
    cal: WorkingDayCalendar | None = None,
    actor: str = "sw1",
    recorded_at: datetime | None = None,
) -> FireResult:
    return fire(
        case,
        event,
        at=at,
        actor=actor,
        data=data,
        calendar=cal or calendar(),
        policy=ENGLAND_2023,
        recorded_at=recorded_at,
    )


def deadline(case: Case, kind: DeadlineKind, *, nth: int = -1) -> Deadline:
    """The `nth` deadline of that kind (the latest by default)."""
    found = [d for d in case.deadlines if d.kind is kind]
    assert found, f"no {kind.value} deadline; have {[d.kind.value for d in case.deadlines]}"
    return found[nth]


def due(case: Case, kind: DeadlineKind) -> date:
    return deadline(case, kind).due_date


def state(case: Case) -> CaseState:
    """`case.state`, read through a call so that type narrowing does not carry across steps."""
    return case.state


def allegation(case: Case) -> AllegationState | None:
    return case.allegation_state
