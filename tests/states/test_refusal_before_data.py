"""`refusal_before_data`: the tables asked whether an event would be refused whatever its own data
(the case page's "Not possible yet"), and `DATA_GUARDS`, the guards left to the recorded event."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from states import (
    DATA_GUARDS,
    EVENT_DATA,
    GUARDS,
    RISK_FACTOR_LEAVE_HOME_REASON,
    RISK_FACTOR_WORKING_AGREEMENT_REASON,
    CaseState,
    DeadlineKind,
    Event,
    GuardContext,
    LeaveHome,
    decide,
    parse_event_data,
    refusal_before_data,
)
from tests.states.test_guards import ANSWERS, discussion, facts

RISKY = facts(risk_factors=["previous_history"])

COMPLETE_DATA: dict[Event, list[dict[str, object]]] = {
    Event.REFER: [{"referred_to": ["police"]}],
    Event.HOLD_CONFERENCE: [{"outcome": "child_protection_plan"}, {"outcome": "no_plan"}],
    Event.HOLD_REVIEW_CONFERENCE: [{"outcome": "plan_continues"}, {"outcome": "plan_ended"}],
    Event.CLOSE: [{"outcome": "no_further_action", "reason": "safe"}],
    Event.RECORD_ALLEGATION_OUTCOME: [{"outcome": "unfounded"}],
    Event.CORRECT_DATE: [
        {"event_id": 1, "occurred_at": "2026-03-02T10:00:00+00:00", "reason": "typed wrong"}
    ],
    Event.ALLOCATE: [{"owner": "pat"}],
    Event.TRANSFER: [{"team": "North", "reason": "moved"}],
    Event.RETURN_ASSESSMENT: [{"reason": "needs the school's view"}],
    Event.ADD_NOTE: [{"kind": "visit", "text": "seen at home"}],
    Event.RECORD_FACTS: [{"working_agreement": {"sleepovers": "none"}}],
}
"""Data that satisfies (or, for the working agreement, fails) each data guard: a guard that reads
its event's data answers differently for some of these than for no data."""


def test_the_risk_factor_gate_refuses_a_section_47_enquiry_before_any_data() -> None:
    ctx = GuardContext(RISKY, strategy_discussions=(discussion(),))
    reason = refusal_before_data(Event.START_SECTION_47, CaseState.STRATEGY_DISCUSSION, ctx)
    assert reason == RISK_FACTOR_LEAVE_HOME_REASON


def test_a_leave_home_decision_lets_the_section_47_enquiry_start() -> None:
    leaves = RISKY.model_copy(update={"leave_home_decision": LeaveHome.LEAVES})
    ctx = GuardContext(leaves, strategy_discussions=(discussion(),))
    assert refusal_before_data(Event.START_SECTION_47, CaseState.STRATEGY_DISCUSSION, ctx) is None
    stays = RISKY.model_copy(update={"leave_home_decision": LeaveHome.STAYS})
    ctx = GuardContext(stays, strategy_discussions=(discussion(),))
    assert refusal_before_data(Event.START_SECTION_47, CaseState.STRATEGY_DISCUSSION, ctx) == (
        RISK_FACTOR_WORKING_AGREEMENT_REASON
    )


def test_no_discussion_is_named_before_the_risk_factors() -> None:
    reason = refusal_before_data(
        Event.START_SECTION_47, CaseState.STRATEGY_DISCUSSION, GuardContext(RISKY)
    )
    assert reason is not None
    assert reason.startswith("no strategy discussion has been held")


def test_guards_on_the_event_data_are_left_to_the_recorded_event() -> None:
    bare = GuardContext(facts())
    # decide refuses them without their data; before the data they may be allowed
    for event, state in (
        (Event.REFER, CaseState.CONCERN),
        (Event.HOLD_STRATEGY_DISCUSSION, CaseState.STRATEGY_DISCUSSION),
        (Event.HOLD_CONFERENCE, CaseState.SECTION_47),
        (Event.CLOSE, CaseState.REFERRAL),
    ):
        assert not decide(event, state, bare).allowed, event
        assert refusal_before_data(event, state, bare) is None, event
    assert refusal_before_data(Event.RECORD_ALLEGATION_OUTCOME, "investigation", bare) is None


def test_a_guard_on_the_case_alone_still_refuses_an_event_with_data_guards() -> None:
    closed = GuardContext(facts(), child_protection_open=False)
    assert refusal_before_data(Event.ADD_NOTE, CaseState.CLOSED, closed) == "the case is closed"
    assert refusal_before_data(Event.COMPLETE_ASSESSMENT, "section_47", GuardContext(facts())) == (
        "no single assessment is running: there is no open single_assessment deadline"
    )
    running = GuardContext(facts(), open_deadlines=frozenset({DeadlineKind.SINGLE_ASSESSMENT}))
    assert refusal_before_data(Event.COMPLETE_ASSESSMENT, "section_47", running) is None


def test_the_lado_track_needs_a_position_of_trust() -> None:
    reason = refusal_before_data(Event.REFER_TO_LADO, None, GuardContext(facts()))
    assert reason is not None
    assert "position_of_trust" in reason
    trusted = facts(alleged_abuser={"kind": "adult", "position_of_trust": True})
    assert refusal_before_data(Event.REFER_TO_LADO, None, GuardContext(trusted)) is None


def test_an_event_from_the_wrong_state_is_refused_as_decide_refuses_it() -> None:
    ctx = GuardContext(facts())
    assert refusal_before_data(Event.START_SECTION_47, CaseState.CONCERN, ctx) == (
        decide(Event.START_SECTION_47, CaseState.CONCERN, ctx).reason
    )
    assert refusal_before_data(Event.RAISE_CONCERN, CaseState.CONCERN, ctx) is not None


def _contexts() -> list[GuardContext]:
    """Cases in many situations: with or without risk factors, a position of trust, a leave-home
    decision, discussions (threshold met or not), a running assessment, one awaiting
    authorisation, either machine closed."""
    trusted = {"alleged_abuser": {"kind": "adult", "position_of_trust": True}}
    fact_sets = [
        facts(),
        RISKY,
        RISKY.model_copy(update={"leave_home_decision": LeaveHome.STAYS}),
        facts(**trusted),
        facts(category="staff_online_conduct"),
    ]
    no = discussion(considerations=ANSWERS | {"section_47_threshold_met": False})
    discussions: list[tuple[object, ...]] = [(), (discussion(),), (no,)]
    deadlines = [frozenset(), frozenset({DeadlineKind.SINGLE_ASSESSMENT})]
    submitted = [None, "pat", "sam"]
    opens = [(True, False), (False, True), (False, False)]
    out = []
    for f, held, running, by, (cp, lado) in itertools.product(
        fact_sets, discussions, deadlines, submitted, opens
    ):
        out.append(
            GuardContext(
                f,
                open_deadlines=running,
                strategy_discussions=held,  # type: ignore[arg-type]
                child_protection_open=cp,
                allegation_open=lado,
                actor="pat",
                assessment_submitted_by=by,
            )
        )
    return out


@pytest.mark.parametrize("name", sorted(set(GUARDS) - DATA_GUARDS))
def test_a_guard_outside_data_guards_answers_the_same_whatever_the_event_data(name: str) -> None:
    """If a guard that reads the event's data were missing from DATA_GUARDS, the case page would
    judge it without the data and hide an action that is possible."""
    guard = GUARDS[name]
    datas = [parse_event_data(ev, {}) for ev in EVENT_DATA if ev is not Event.CORRECT_DATE]
    datas += [model.model_construct() for model in EVENT_DATA.values()]
    datas.append(discussion())
    datas += [parse_event_data(ev, raw) for ev, raws in COMPLETE_DATA.items() for raw in raws]
    for ctx in _contexts():
        expected = guard(ctx)
        for data in datas:
            assert guard(replace(ctx, data=data)) == expected, (name, type(data).__name__)


def test_data_guards_name_real_guards_that_read_the_data() -> None:
    assert set(GUARDS) >= DATA_GUARDS
    bare = GuardContext(facts())
    for name in DATA_GUARDS - {"facts_update_complete", "review_plan_continues"}:
        assert GUARDS[name](bare) is not None, name  # without its data it refuses


def test_never_allowed_before_data_when_decide_refuses_it_with_any_data() -> None:
    """Soundness: what `refusal_before_data` refuses, `decide` refuses with the same reason
    whatever data the event carries (here: none, and a complete strategy discussion)."""
    states = [s.value for s in CaseState]
    for ctx, event in itertools.product(_contexts()[::7], Event):
        if event is Event.RAISE_CONCERN:
            continue
        for state in [*states, None, "lado_referral", "investigation", "concluded"]:
            reason = refusal_before_data(event, state, ctx)
            if reason is None:
                continue
            for data in (None, discussion()):
                decision = decide(event, state, replace(ctx, data=data))
                assert not decision.allowed, (event, state)
