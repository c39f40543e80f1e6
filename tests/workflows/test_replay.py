"""Replay: the transition events of a case's log alone rebuild it (state, allegation state, facts,
strategy discussions and deadlines). A property test over random event sequences."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendars import WorkingDayCalendar
from states import ENGLAND_2023, Event
from tests.workflows.helpers import (
    AGREEMENT,
    ANSWERS,
    DISCUSSION,
    LOW_LEVEL,
    OWN_CHILDREN,
    TEACHER,
    calendar,
    london,
    new_case,
    step,
)
from workflows import Case, CaseEventKind, InvalidStep, TransitionRefused, replay

RISKY: dict[str, Any] = {**OWN_CHILDREN, "risk_factors": ["previous_history"]}

STEPS: list[tuple[Event, dict[str, Any] | None]] = [
    (Event.REFER, {"referred_to": ["police"]}),
    (Event.START_ASSESSMENT, None),
    (Event.CONVENE_STRATEGY_DISCUSSION, None),
    (Event.CONVENE_STRATEGY_DISCUSSION, {"urgent": False}),
    (Event.HOLD_STRATEGY_DISCUSSION, DISCUSSION),
    (
        Event.HOLD_STRATEGY_DISCUSSION,
        {**DISCUSSION, "leave_home_decision": "stays", "working_agreement": AGREEMENT},
    ),
    (
        Event.HOLD_STRATEGY_DISCUSSION,
        {**DISCUSSION, "considerations": {**ANSWERS, "section_47_threshold_met": False}},
    ),
    (Event.START_SECTION_47, None),
    (Event.HOLD_CONFERENCE, {"outcome": "child_protection_plan"}),
    (Event.HOLD_CONFERENCE, {"outcome": "no_plan"}),
    (Event.HOLD_CORE_GROUP, None),
    (Event.HOLD_REVIEW_CONFERENCE, None),
    (Event.HOLD_REVIEW_CONFERENCE, {"outcome": "plan_ended"}),
    (Event.COMPLETE_ASSESSMENT, {"factors": ["2A"]}),
    (Event.STEP_DOWN, None),
    (Event.ESCALATE, None),
    (Event.RECORD_FACTS, {"leave_home_decision": "leaves"}),
    (Event.RECORD_FACTS, {"working_agreement": {**AGREEMENT, "review_date": "2026-06-01"}}),
    (Event.RECORD_FACTS, {"risk_factors": ["absence_of_cooperation"]}),
    (Event.REFER_TO_LADO, None),
    (Event.HOLD_LADO_STRATEGY_MEETING, None),
    (Event.RECORD_ALLEGATION_OUTCOME, {"outcome": "unsubstantiated"}),
    (Event.CLOSE_ALLEGATION, None),
]


# closing ends a sequence, so it comes only last (drawn in one example in two)
CLOSE: tuple[Event, dict[str, Any]] = (Event.CLOSE, {"outcome": "other", "reason": "moved away"})


def _calendar_for(version: str) -> WorkingDayCalendar:
    cal = calendar()
    assert version == cal.version
    return cal


def _comparable(case: Case) -> tuple[Any, ...]:
    return (
        case.state,
        case.allegation_state,
        case.facts,
        case.required_actions,
        case.restricted,
        case.do_not_inform_family,
        case.outcome,
        case.strategy_discussions,
        case.section_47_started_at,
        case.referral_at,
        case.deadlines,
        case.last_event_at,
        case.last_seq,
    )


def _run(facts: dict[str, Any], plan: list[tuple[int, int]], *, close: bool = False) -> Case:
    at = london(2026, 3, 2, 9)
    case = new_case(facts, at=at)
    steps = [(STEPS[index], hours) for index, hours in plan]
    if close:
        steps.append((CLOSE, 1))
    for (event, data), hours in steps:
        at += timedelta(hours=hours)
        try:
            step(case, event, at, data)
        except TransitionRefused:
            continue
    return case


@settings(max_examples=150, deadline=None)
@given(
    facts=st.sampled_from([OWN_CHILDREN, TEACHER, LOW_LEVEL, RISKY]),
    plan=st.lists(st.tuples(st.integers(0, len(STEPS) - 1), st.integers(0, 24 * 12)), max_size=40),
)
def test_replay_of_any_log_rebuilds_the_case(
    facts: dict[str, Any], plan: list[tuple[int, int]]
) -> None:
    case = _run(facts, plan)
    rebuilt = replay(list(case.history), _calendar_for, ENGLAND_2023)
    assert _comparable(rebuilt) == _comparable(case)
    assert [(e.kind, e.event, e.data) for e in rebuilt.history] == [
        (e.kind, e.event, e.data) for e in case.history
    ]


def test_replay_of_a_full_pathway() -> None:
    plan = [(0, 1), (2, 1), (4, 2), (7, 20), (8, 200), (10, 100), (11, 1500), (12, 3000)]
    case = _run(OWN_CHILDREN, plan)
    assert case.state == "closed"
    rebuilt = replay(case.history, _calendar_for, ENGLAND_2023)
    assert _comparable(rebuilt) == _comparable(case)
    assert rebuilt.pending_events == []


def test_replay_needs_raise_concern_first() -> None:
    case = _run(OWN_CHILDREN, [(0, 1)])
    transitions = [e for e in case.history if e.kind is CaseEventKind.TRANSITION]
    with pytest.raises(InvalidStep, match="starts with its raise_concern"):
        replay(transitions[1:], _calendar_for, ENGLAND_2023)
