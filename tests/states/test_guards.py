"""Guards and table decisions (DESIGN 2, 4.3, 4.4; seed 004_feb1ad46cb8c5f0d.txt s2.2)."""

from __future__ import annotations

from typing import Any

import pytest

from states import (
    GUARDS,
    CaseFacts,
    CaseState,
    DeadlineKind,
    Event,
    GuardContext,
    MachineName,
    StrategyDiscussion,
    build_machine,
    decide,
    parse_event_data,
)

ANSWERS: dict[str, Any] = {
    "household_children_safety": "two children at home, mother protective",
    "image_children_safety": "children in images not identified yet",
    "when_to_inform_alleged_abuser": "after the warrant is executed",
    "criminal_investigation": True,
    "section_47_threshold_met": True,
    "icpc_required": True,
}
AGREEMENT = {
    "supervision_of_contact": "all contact supervised by mother",
    "intimate_care": "mother only",
    "entry_to_childrens_rooms": "not allowed",
    "sleepovers": "none",
    "review_date": "2026-04-01",
}


def facts(**extra: Any) -> CaseFacts:
    return CaseFacts.model_validate({"category": "adult_indecent_images", **extra})


def discussion(**raw: Any) -> StrategyDiscussion:
    parsed = parse_event_data(
        Event.HOLD_STRATEGY_DISCUSSION,
        {"attendees": ["police", "childrens_social_care", "health"], "considerations": ANSWERS}
        | raw,
    )
    assert isinstance(parsed, StrategyDiscussion)
    return parsed


def hold(ctx_facts: CaseFacts, **raw: Any) -> str | None:
    return GUARDS["strategy_discussion_complete"](GuardContext(ctx_facts, data=discussion(**raw)))


def test_complete_strategy_discussion_is_allowed() -> None:
    assert hold(facts()) is None


def test_strategy_discussion_names_missing_health() -> None:
    assert hold(facts(), attendees=["police", "childrens_social_care"]) == (
        "strategy discussion must include health: add it to the attendees"
    )


def test_strategy_discussion_names_every_missing_agency() -> None:
    assert hold(facts(), attendees=["education"]) == (
        "strategy discussion must include police, childrens_social_care and health: "
        "add them to the attendees"
    )


def test_strategy_discussion_names_missing_answers() -> None:
    partial = {
        k: v for k, v in ANSWERS.items() if k not in {"icpc_required", "image_children_safety"}
    }
    assert hold(facts(), considerations=partial) == (
        "strategy discussion must answer image_children_safety and icpc_required"
    )


def test_position_of_trust_needs_two_more_answers() -> None:
    trusted = facts(alleged_abuser={"kind": "adult", "position_of_trust": True})
    assert hold(trusted) == (
        "strategy discussion must answer contact_with_children_through_work and employer_action"
    )
    full = ANSWERS | {
        "contact_with_children_through_work": "teaches year 4",
        "employer_action": "suspended pending investigation",
    }
    assert hold(trusted, considerations=full) is None


def test_strategy_discussion_without_data_is_refused() -> None:
    reason = GUARDS["strategy_discussion_complete"](GuardContext(facts()))
    assert reason is not None
    assert "attendees" in reason


def start_s47(ctx: GuardContext) -> str | None:
    return decide(Event.START_SECTION_47, CaseState.STRATEGY_DISCUSSION, ctx).reason


def test_section_47_needs_a_discussion() -> None:
    assert start_s47(GuardContext(facts())) == (
        "no strategy discussion has been held: hold one before starting a section 47 enquiry"
    )


def test_section_47_needs_the_threshold_met_at_the_latest_discussion() -> None:
    no = discussion(considerations=ANSWERS | {"section_47_threshold_met": False})
    reason = start_s47(GuardContext(facts(), strategy_discussions=(discussion(), no)))
    assert reason is not None
    assert "section 47 threshold" in reason
    assert start_s47(GuardContext(facts(), strategy_discussions=(no, discussion()))) is None


def test_risk_factor_gate_needs_leave_home_decision() -> None:
    ctx = GuardContext(
        facts(risk_factors=["images_of_own_children"]), strategy_discussions=(discussion(),)
    )
    assert (
        start_s47(ctx) == "risk factors present: record whether the alleged abuser leaves the home"
    )


def test_risk_factor_gate_stays_needs_working_agreement() -> None:
    ctx = GuardContext(
        facts(risk_factors=["previous_history"]),
        strategy_discussions=(discussion(leave_home_decision="stays"),),
    )
    assert start_s47(ctx) == (
        "alleged abuser stays in the home: record a written working agreement with a review date"
    )


@pytest.mark.parametrize(
    ("fact_extra", "discussion_extra"),
    [
        ({"leave_home_decision": "leaves"}, {}),
        ({}, {"leave_home_decision": "leaves"}),
        ({"leave_home_decision": "stays", "working_agreement": AGREEMENT}, {}),
        ({}, {"leave_home_decision": "stays", "working_agreement": AGREEMENT}),
    ],
)
def test_risk_factor_gate_passes_from_facts_or_discussion(
    fact_extra: dict[str, Any], discussion_extra: dict[str, Any]
) -> None:
    ctx = GuardContext(
        facts(risk_factors=["known_criminal_lifestyle"], **fact_extra),
        strategy_discussions=(discussion(**discussion_extra),),
    )
    decision = decide(Event.START_SECTION_47, CaseState.STRATEGY_DISCUSSION, ctx)
    assert decision.allowed
    assert decision.dest == CaseState.SECTION_47


def test_no_risk_factors_no_gate() -> None:
    assert start_s47(GuardContext(facts(), strategy_discussions=(discussion(),))) is None


@pytest.mark.parametrize(
    ("outcome", "open_deadlines", "dest"),
    [
        ("child_protection_plan", frozenset(), CaseState.REVIEW),
        ("no_plan", frozenset({DeadlineKind.SINGLE_ASSESSMENT}), CaseState.ASSESSMENT),
        ("no_plan", frozenset(), CaseState.CLOSED),
    ],
)
def test_conference_outcome_branches(
    outcome: str, open_deadlines: frozenset[DeadlineKind], dest: CaseState
) -> None:
    data = parse_event_data(Event.HOLD_CONFERENCE, {"outcome": outcome})
    ctx = GuardContext(facts(), data=data, open_deadlines=open_deadlines)
    assert decide(Event.HOLD_CONFERENCE, CaseState.SECTION_47, ctx).dest == dest


def test_conference_without_outcome_is_refused() -> None:
    decision = decide(Event.HOLD_CONFERENCE, CaseState.SECTION_47, GuardContext(facts()))
    assert not decision.allowed
    assert decision.reason == "hold_conference needs an outcome: child_protection_plan or no_plan"


@pytest.mark.parametrize(
    ("raw", "dest"), [({}, CaseState.REVIEW), ({"outcome": "plan_ended"}, CaseState.CLOSED)]
)
def test_review_conference_branches(raw: dict[str, Any], dest: CaseState) -> None:
    data = parse_event_data(Event.HOLD_REVIEW_CONFERENCE, raw)
    assert (
        decide(Event.HOLD_REVIEW_CONFERENCE, "review", GuardContext(facts(), data=data)).dest
        == dest
    )


def test_complete_assessment_only_while_single_assessment_runs() -> None:
    refused = decide(Event.COMPLETE_ASSESSMENT, "section_47", GuardContext(facts()))
    assert refused.reason is not None
    assert "single_assessment" in refused.reason
    running = GuardContext(facts(), open_deadlines=frozenset({DeadlineKind.SINGLE_ASSESSMENT}))
    allowed = decide(Event.COMPLETE_ASSESSMENT, "section_47", running)
    assert allowed.allowed
    assert allowed.dest == "section_47"


def test_close_needs_outcome_and_reason() -> None:
    refused = decide(Event.CLOSE, "referral", GuardContext(facts()))
    assert refused.reason == "closing a case needs an outcome and a reason"
    data = parse_event_data(Event.CLOSE, {"outcome": "no_further_action", "reason": "NFA"})
    assert decide(Event.CLOSE, "referral", GuardContext(facts(), data=data)).dest == "closed"


def test_allegation_outcome_must_be_recorded() -> None:
    refused = decide(Event.RECORD_ALLEGATION_OUTCOME, "investigation", GuardContext(facts()))
    assert refused.reason is not None
    assert "substantiated, unsubstantiated, false, malicious or unfounded" in refused.reason
    data = parse_event_data(Event.RECORD_ALLEGATION_OUTCOME, {"outcome": "unfounded"})
    ctx = GuardContext(facts(), data=data)
    assert decide(Event.RECORD_ALLEGATION_OUTCOME, "investigation", ctx).dest == "concluded"


def test_refer_to_lado_needs_position_of_trust() -> None:
    refused = decide(Event.REFER_TO_LADO, None, GuardContext(facts()))
    assert refused.reason is not None
    assert "position_of_trust" in refused.reason
    trusted = facts(alleged_abuser={"kind": "adult", "position_of_trust": True, "role": "coach"})
    assert decide(Event.REFER_TO_LADO, None, GuardContext(trusted)).dest == "lado_referral"


def test_event_not_allowed_in_state_names_both() -> None:
    decision = decide(Event.START_SECTION_47, CaseState.CONCERN, GuardContext(facts()))
    assert decision.reason == "start_section_47 is not allowed in state concern"
    lado = decide(Event.HOLD_LADO_STRATEGY_MEETING, None, GuardContext(facts()))
    assert lado.reason == "hold_lado_strategy_meeting is not allowed in no allegations track"


def test_nothing_leaves_closed() -> None:
    for event in Event:
        if event.value in {"raise_concern"}:
            continue
        machine_state = "closed"
        ctx = GuardContext(facts(), child_protection_open=False)
        assert not decide(event, machine_state, ctx).allowed


class _Model:
    state: str
    allegation_state: str


def test_build_machine_fires_and_collects_refusals() -> None:
    machine = build_machine(MachineName.CHILD_PROTECTION)
    model = _Model()
    machine.add_model(model, initial=CaseState.STRATEGY_DISCUSSION.value)
    reasons: list[str] = []
    ctx = GuardContext(
        facts(risk_factors=["previous_history"]), strategy_discussions=(discussion(),)
    )
    fired = machine.events["start_section_47"].trigger(model, guard_context=ctx, refusals=reasons)
    assert fired is False
    assert model.state == "strategy_discussion"
    assert reasons == ["risk factors present: record whether the alleged abuser leaves the home"]
    ok = GuardContext(facts(), strategy_discussions=(discussion(),))
    assert machine.events["start_section_47"].trigger(model, guard_context=ok, refusals=[])
    assert model.state == "section_47"
    machine.remove_model(model)


def test_build_machine_keeps_the_stored_state_and_has_no_auto_transitions() -> None:
    machine = build_machine(MachineName.ALLEGATION)
    model = _Model()
    machine.add_model(model, initial="investigation")
    assert model.allegation_state == "investigation"
    assert "to_closed" not in machine.events
    machine.remove_model(model)
