"""Refusals explain themselves (house rule 4); a refused or invalid step changes nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from states import CaseState, Event, InvalidEventData
from tests.workflows.helpers import (
    AGREEMENT,
    ANSWERS,
    DISCUSSION,
    LOW_LEVEL,
    OWN_CHILDREN,
    TEACHER,
    london,
    new_case,
    step,
)
from workflows import Case, InvalidStep, TransitionRefused, WorkflowError

RISKY: dict[str, Any] = {**OWN_CHILDREN, "risk_factors": ["images_of_own_children"]}


def _at_strategy_discussion(facts: dict[str, Any] = OWN_CHILDREN) -> Case:
    case = new_case(facts)
    step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["police"]})
    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 12))
    return case


def _refused(case: Case, event: Event, data: dict[str, Any] | None = None) -> str:
    before = copy.deepcopy(case)
    with pytest.raises(TransitionRefused) as caught:
        step(case, event, london(2026, 3, 4, 9), data)
    assert case == before, "a refused event changed the case"
    assert isinstance(caught.value, WorkflowError)
    return caught.value.reason


def test_wrong_state_names_the_states_it_is_allowed_from() -> None:
    case = new_case(OWN_CHILDREN)
    assert _refused(case, Event.START_SECTION_47) == (
        "cannot start_section_47 from state concern: allowed from strategy_discussion"
    )


def test_allegation_event_without_track_says_so() -> None:
    case = new_case(TEACHER)
    assert _refused(case, Event.HOLD_LADO_STRATEGY_MEETING) == (
        "cannot hold_lado_strategy_meeting from state none (no LADO track): "
        "allowed from lado_referral"
    )


def test_incomplete_strategy_discussion_names_missing_agency() -> None:
    case = _at_strategy_discussion()
    reason = _refused(
        case,
        Event.HOLD_STRATEGY_DISCUSSION,
        {"attendees": ["police", "childrens_social_care"], "considerations": ANSWERS},
    )
    assert reason == "strategy discussion must include health: add it to the attendees"


def test_section_47_needs_a_discussion_held() -> None:
    case = _at_strategy_discussion()
    assert _refused(case, Event.START_SECTION_47).startswith("no strategy discussion has been held")


def test_section_47_needs_threshold_met() -> None:
    case = _at_strategy_discussion()
    answers = {**ANSWERS, "section_47_threshold_met": False}
    step(
        case,
        Event.HOLD_STRATEGY_DISCUSSION,
        london(2026, 3, 2, 15),
        {**DISCUSSION, "considerations": answers},
    )
    assert "section 47 threshold" in _refused(case, Event.START_SECTION_47)


def test_risk_factor_gate_asks_for_leave_home_decision() -> None:
    case = _at_strategy_discussion(RISKY)
    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 2, 15), DISCUSSION)
    assert _refused(case, Event.START_SECTION_47) == (
        "risk factors present: record whether the alleged abuser leaves the home"
    )


def test_risk_factor_gate_asks_for_working_agreement_when_abuser_stays() -> None:
    case = _at_strategy_discussion(RISKY)
    step(
        case,
        Event.HOLD_STRATEGY_DISCUSSION,
        london(2026, 3, 2, 15),
        {**DISCUSSION, "leave_home_decision": "stays"},
    )
    assert _refused(case, Event.START_SECTION_47) == (
        "alleged abuser stays in the home: record a written working agreement with a review date"
    )
    step(case, Event.RECORD_FACTS, london(2026, 3, 3, 9), {"working_agreement": AGREEMENT})
    assert step(case, Event.START_SECTION_47, london(2026, 3, 3, 10)).state is CaseState.SECTION_47


def test_complete_assessment_without_one_running() -> None:
    case = new_case(LOW_LEVEL)
    assert _refused(case, Event.COMPLETE_ASSESSMENT, {"factors": []}).startswith(
        "no single assessment is running"
    )


def test_lado_referral_needs_position_of_trust() -> None:
    case = new_case(OWN_CHILDREN)
    assert "position_of_trust" in _refused(case, Event.REFER_TO_LADO)


def test_closed_case_refuses_further_events() -> None:
    case = new_case(LOW_LEVEL)
    step(
        case,
        Event.CLOSE,
        london(2026, 3, 3, 9),
        {"outcome": "no_further_action", "reason": "handled by the school"},
    )
    assert _refused(case, Event.RECORD_FACTS, {}) == "the case is closed"
    assert _refused(case, Event.REFER, {"referred_to": ["police"]}).startswith(
        "cannot refer from state closed"
    )


def test_unknown_event_is_refused_with_the_known_names() -> None:
    case = new_case(LOW_LEVEL)
    with pytest.raises(TransitionRefused, match="unknown event 'teleport'"):
        step(case, "teleport", london(2026, 3, 3, 9))


def test_bad_data_raises_invalid_event_data_and_changes_nothing() -> None:
    case = new_case(OWN_CHILDREN)
    before = copy.deepcopy(case)
    with pytest.raises(InvalidEventData, match="referred_to"):
        step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["the press"]})
    assert case == before


def test_step_before_the_last_event_is_invalid() -> None:
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10))
    before = copy.deepcopy(case)
    with pytest.raises(InvalidStep, match="before the concern was raised"):
        step(case, Event.REFER, london(2026, 3, 2, 9), {"referred_to": ["police"]})
    assert case == before


def test_raise_concern_cannot_be_fired_on_a_case() -> None:
    case = new_case(OWN_CHILDREN)
    with pytest.raises(InvalidStep, match="opens a case"):
        step(case, Event.RAISE_CONCERN, london(2026, 3, 2, 11))
