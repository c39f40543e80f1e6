"""`workflows.refusal_now`: a case asked whether an event would be refused as it stands, without
recording anything (pure: no database)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from calendars import Region, calendar_for, parse_instant
from states import (
    ENGLAND_2023,
    RISK_FACTOR_LEAVE_HOME_REASON,
    CaseFacts,
    CaseState,
    Event,
)
from workflows import Case, TransitionRefused, fire, raise_concern, refusal_now

EW = Region.ENGLAND_AND_WALES
CAL = calendar_for(EW)
RISKY: dict[str, Any] = {
    "category": "adult_indecent_images",
    "children": [{"name": "A", "age": 6, "shown_in_images": True}],
    "alleged_abuser": {"kind": "adult", "lives_with_children": True},
    "risk_factors": ["images_of_own_children"],
}
DISCUSSION: dict[str, Any] = {
    "attendees": ["police", "childrens_social_care", "health"],
    "considerations": {
        "household_children_safety": "mother protective",
        "image_children_safety": "child seen",
        "when_to_inform_alleged_abuser": "after arrest",
        "criminal_investigation": True,
        "section_47_threshold_met": True,
        "icpc_required": True,
    },
}


def _case_at_strategy_discussion() -> Case:
    case = raise_concern(
        CaseFacts.model_validate(RISKY),
        at=parse_instant("2026-03-02T10:00"),
        actor="pat",
        region=EW,
        policy=ENGLAND_2023,
        calendar=CAL,
        reference="C-1",
    )
    steps: list[tuple[Event, str, dict[str, Any]]] = [
        (Event.REFER, "10:10", {"referred_to": ["police", "childrens_social_care"]}),
        (Event.CONVENE_STRATEGY_DISCUSSION, "10:20", {"urgent": True}),
        (Event.HOLD_STRATEGY_DISCUSSION, "10:30", DISCUSSION),
    ]
    for event, time, data in steps:
        fire(
            case,
            event,
            at=parse_instant(f"2026-03-02T{time}"),
            actor="pat",
            data=data,
            calendar=CAL,
            policy=ENGLAND_2023,
        )
    case.drain_events()
    return case


def test_the_reason_is_the_one_fire_would_give() -> None:
    case = _case_at_strategy_discussion()
    assert refusal_now(case, Event.START_SECTION_47, actor="pat") == RISK_FACTOR_LEAVE_HOME_REASON
    with pytest.raises(TransitionRefused) as refused:
        fire(
            case,
            Event.START_SECTION_47,
            at=parse_instant("2026-03-02T10:40"),
            actor="pat",
            calendar=CAL,
            policy=ENGLAND_2023,
        )
    assert refused.value.reason == RISK_FACTOR_LEAVE_HOME_REASON


def test_asking_changes_nothing_on_the_case() -> None:
    case = _case_at_strategy_discussion()
    before = copy.deepcopy(case)
    for event in Event:
        if event is not Event.RAISE_CONCERN:
            refusal_now(case, event, actor="pat")
    assert case == before
    assert case.pending_events == []


def test_once_the_decision_is_recorded_the_enquiry_may_start() -> None:
    case = _case_at_strategy_discussion()
    fire(
        case,
        Event.RECORD_FACTS,
        at=parse_instant("2026-03-02T10:35"),
        actor="pat",
        data={"leave_home_decision": "leaves"},
        calendar=CAL,
        policy=ENGLAND_2023,
    )
    assert refusal_now(case, Event.START_SECTION_47, actor="pat") is None


def test_events_that_need_their_data_are_left_to_fire() -> None:
    case = _case_at_strategy_discussion()
    assert case.state is CaseState.STRATEGY_DISCUSSION
    # a second discussion and closing the case are judged on their data when recorded
    assert refusal_now(case, Event.HOLD_STRATEGY_DISCUSSION) is None
    assert refusal_now(case, Event.CLOSE) is None


def test_the_allegation_machine_and_the_wrong_state() -> None:
    case = _case_at_strategy_discussion()
    lado = refusal_now(case, Event.REFER_TO_LADO)
    assert lado is not None
    assert "position_of_trust" in lado
    assert refusal_now(case, Event.HOLD_LADO_STRATEGY_MEETING) == (
        "hold_lado_strategy_meeting is not allowed in no allegations track"
    )
    assert refusal_now(case, Event.REFER) == "refer is not allowed in state strategy_discussion"
