"""Happy paths of every pathway of DESIGN 2, with the deadlines each step meets and starts.

Golden dates are worked out by hand from the England and Wales bank holidays of 2026 (Good Friday
3 April, Easter Monday 6 April, Early May 4 May); policy `england-2023` (DESIGN 3.1).
"""

from __future__ import annotations

from datetime import date

from states import AllegationState, CaseState, DeadlineKind, Event, RequiredAction
from tests.workflows.helpers import (
    AGREEMENT,
    DISCUSSION,
    LOW_LEVEL,
    OWN_CHILDREN,
    TEACHER,
    allegation,
    deadline,
    due,
    london,
    new_case,
    state,
    step,
)
from workflows import CaseEventKind, DeadlineStatus

K = DeadlineKind


def test_raise_concern_triage_and_same_day_referral() -> None:
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10, 15))
    assert state(case) is CaseState.CONCERN
    assert allegation(case) is None
    assert RequiredAction.URGENT_STRATEGY_DISCUSSION in case.required_actions
    assert case.do_not_inform_family
    assert not case.restricted
    referral = deadline(case, K.IMMEDIATE_REFERRAL)
    assert referral.due_date == date(2026, 3, 2)
    assert referral.due_at == london(2026, 3, 3)
    first = case.pending_events[0]
    assert (first.kind, first.event, first.from_state, first.to_state) == (
        CaseEventKind.TRANSITION,
        "raise_concern",
        None,
        "concern",
    )
    assert first.data["facts"]["category"] == "adult_indecent_images"
    assert [e.kind for e in case.pending_events[1:]] == [CaseEventKind.DEADLINE_STARTED]


def test_child_protection_pathway_to_plan_and_end_of_plan() -> None:
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10, 15))
    step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["police"]})
    assert state(case) is CaseState.REFERRAL
    assert deadline(case, K.IMMEDIATE_REFERRAL).status is DeadlineStatus.MET
    assert due(case, K.REFERRAL_DECISION) == date(2026, 3, 3)

    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 12))
    assert state(case) is CaseState.STRATEGY_DISCUSSION
    assert deadline(case, K.REFERRAL_DECISION).status is DeadlineStatus.MET
    # triage required an urgent discussion, so it is due the same day (seed 004 s2.2)
    assert due(case, K.STRATEGY_DISCUSSION) == date(2026, 3, 2)
    # 45 working days from the referral on 2 March, across Easter and Early May 2026
    assert due(case, K.SINGLE_ASSESSMENT) == date(2026, 5, 7)

    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 2, 15), DISCUSSION)
    assert deadline(case, K.STRATEGY_DISCUSSION).status is DeadlineStatus.MET
    step(case, Event.START_SECTION_47, london(2026, 3, 3, 9))
    assert state(case) is CaseState.SECTION_47
    assert due(case, K.INITIAL_CHILD_PROTECTION_CONFERENCE) == date(2026, 3, 23)

    step(case, Event.HOLD_CONFERENCE, london(2026, 3, 20, 10), {"outcome": "child_protection_plan"})
    assert state(case) is CaseState.REVIEW
    assert deadline(case, K.INITIAL_CHILD_PROTECTION_CONFERENCE).status is DeadlineStatus.MET
    # 10 working days from Friday 20 March 2026 skip Good Friday and Easter Monday
    assert due(case, K.CORE_GROUP) == date(2026, 4, 7)
    # 3 months, not moved off the weekend
    assert due(case, K.FIRST_REVIEW_CONFERENCE) == date(2026, 6, 20)

    step(case, Event.HOLD_CORE_GROUP, london(2026, 4, 7, 16))
    assert deadline(case, K.CORE_GROUP).status is DeadlineStatus.MET
    step(case, Event.HOLD_REVIEW_CONFERENCE, london(2026, 6, 19, 10))
    assert state(case) is CaseState.REVIEW
    assert deadline(case, K.FIRST_REVIEW_CONFERENCE).status is DeadlineStatus.MET
    assert due(case, K.REVIEW_CONFERENCE) == date(2026, 12, 19)

    step(case, Event.HOLD_REVIEW_CONFERENCE, london(2026, 12, 18, 10), {"outcome": "plan_ended"})
    assert state(case) is CaseState.CLOSED
    assert deadline(case, K.REVIEW_CONFERENCE).status is DeadlineStatus.MET
    # the single assessment was never completed: closing cancels it
    assert deadline(case, K.SINGLE_ASSESSMENT).status is DeadlineStatus.CANCELLED
    assert not case.open_deadlines()
    assert [d.kind for d in case.deadlines if d.kind is K.REVIEW_CONFERENCE] == [
        K.REVIEW_CONFERENCE
    ]


def test_assessment_pathway_complete_and_close() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 6, 9))
    step(case, Event.REFER, london(2026, 3, 6, 10), {"referred_to": ["childrens_social_care"]})
    step(case, Event.START_ASSESSMENT, london(2026, 3, 6, 15))
    assert state(case) is CaseState.ASSESSMENT
    assert deadline(case, K.REFERRAL_DECISION).status is DeadlineStatus.MET
    step(case, Event.COMPLETE_ASSESSMENT, london(2026, 4, 20, 12), {"factors": ["2A"]})
    # submitted, not yet authorised (DESIGN 2.5): the 45 working days still run
    assert deadline(case, K.SINGLE_ASSESSMENT).status is DeadlineStatus.OPEN
    step(case, Event.AUTHORISE_ASSESSMENT, london(2026, 4, 21, 9), actor="tm1")
    assert deadline(case, K.SINGLE_ASSESSMENT).status is DeadlineStatus.MET
    assert deadline(case, K.SINGLE_ASSESSMENT).met_at == london(2026, 4, 21, 9)
    assert state(case) is CaseState.ASSESSMENT
    step(
        case,
        Event.CLOSE,
        london(2026, 4, 21, 12),
        {"outcome": "no_further_action", "reason": "needs met"},
    )
    assert state(case) is CaseState.CLOSED
    assert case.outcome == {"outcome": "no_further_action", "reason": "needs met"}
    assert not case.open_deadlines()


def test_conference_without_plan_returns_to_running_assessment() -> None:
    case = new_case(OWN_CHILDREN)
    step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["police"]})
    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 12))
    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 2, 15), DISCUSSION)
    step(case, Event.START_SECTION_47, london(2026, 3, 3, 9))
    step(case, Event.HOLD_CONFERENCE, london(2026, 3, 20, 10), {"outcome": "no_plan"})
    assert state(case) is CaseState.ASSESSMENT
    assert not [d for d in case.deadlines if d.kind is K.CORE_GROUP]
    assert deadline(case, K.SINGLE_ASSESSMENT).is_open


def test_step_down_and_escalate_starts_fresh_referral_decision() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 2, 9))
    step(case, Event.REFER, london(2026, 3, 2, 10), {"referred_to": ["childrens_social_care"]})
    step(case, Event.STEP_DOWN, london(2026, 3, 2, 16))
    assert state(case) is CaseState.EARLY_HELP
    assert deadline(case, K.REFERRAL_DECISION).status is DeadlineStatus.MET
    step(case, Event.ESCALATE, london(2026, 3, 12, 10))
    assert state(case) is CaseState.REFERRAL
    fresh = deadline(case, K.REFERRAL_DECISION)
    assert fresh.is_open
    assert fresh.due_date == date(2026, 3, 13)
    assert len([d for d in case.deadlines if d.kind is K.REFERRAL_DECISION]) == 2
    # the assessment after escalation counts from the fresh referral
    step(case, Event.START_ASSESSMENT, london(2026, 3, 12, 11))
    assert deadline(case, K.SINGLE_ASSESSMENT).anchor_at == london(2026, 3, 12, 10)


def test_lado_track_beside_child_protection() -> None:
    case = new_case(TEACHER, at=london(2026, 3, 2, 9))
    assert case.restricted
    assert RequiredAction.REFER_TO_LADO in case.required_actions
    assert due(case, K.LADO_REFERRAL) == date(2026, 3, 3)
    step(case, Event.REFER_TO_LADO, london(2026, 3, 2, 14))
    assert allegation(case) is AllegationState.LADO_REFERRAL
    assert state(case) is CaseState.CONCERN
    assert deadline(case, K.LADO_REFERRAL).status is DeadlineStatus.MET
    assert due(case, K.LADO_STRATEGY_MEETING) == date(2026, 3, 9)
    assert due(case, K.ALLEGATION_RESOLUTION) == date(2026, 4, 2)
    step(case, Event.HOLD_LADO_STRATEGY_MEETING, london(2026, 3, 9, 23, 59))
    assert allegation(case) is AllegationState.INVESTIGATION
    assert deadline(case, K.LADO_STRATEGY_MEETING).status is DeadlineStatus.MET
    step(case, Event.RECORD_ALLEGATION_OUTCOME, london(2026, 3, 20), {"outcome": "unfounded"})
    assert allegation(case) is AllegationState.CONCLUDED
    assert case.outcome == {"allegation_outcome": {"outcome": "unfounded"}}
    step(case, Event.CLOSE_ALLEGATION, london(2026, 4, 3, 10))
    assert allegation(case) is AllegationState.CLOSED
    assert deadline(case, K.ALLEGATION_RESOLUTION).status is DeadlineStatus.MISSED


def test_closing_child_protection_leaves_the_lado_track_running() -> None:
    """The allegations track runs beside child protection, not instead of it (DESIGN 2.2)."""
    case = new_case(TEACHER, at=london(2026, 3, 2, 9))
    step(case, Event.REFER_TO_LADO, london(2026, 3, 2, 14))
    step(
        case,
        Event.CLOSE,
        london(2026, 3, 3, 10),
        {"outcome": "no_further_action", "reason": "no child protection concerns at home"},
    )
    assert state(case) is CaseState.CLOSED
    assert deadline(case, K.LADO_STRATEGY_MEETING).status is DeadlineStatus.OPEN
    assert deadline(case, K.ALLEGATION_RESOLUTION).status is DeadlineStatus.OPEN
    step(case, Event.HOLD_LADO_STRATEGY_MEETING, london(2026, 3, 6, 10))
    assert deadline(case, K.LADO_STRATEGY_MEETING).status is DeadlineStatus.MET


def test_working_agreement_starts_then_reanchors_its_review() -> None:
    case = new_case(OWN_CHILDREN)
    step(case, Event.RECORD_FACTS, london(2026, 3, 2, 11), {"working_agreement": AGREEMENT})
    review = deadline(case, K.WORKING_AGREEMENT_REVIEW)
    assert review.due_date == date(2026, 4, 1)
    later = {**AGREEMENT, "review_date": "2026-05-01"}
    step(case, Event.RECORD_FACTS, london(2026, 3, 20, 11), {"working_agreement": later})
    assert [d.due_date for d in case.deadlines if d.kind is K.WORKING_AGREEMENT_REVIEW] == [
        date(2026, 5, 1)
    ]
    assert review.anchor_at == london(2026, 3, 20, 11)
    moved = case.pending_events[-1]
    assert moved.kind is CaseEventKind.DEADLINE_MOVED
    assert (moved.data["old_due_date"], moved.data["new_due_date"]) == ("2026-04-01", "2026-05-01")


def test_strategy_discussion_records_leave_home_decision_in_facts() -> None:
    case = new_case(OWN_CHILDREN)
    step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["police"]})
    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 12), {"urgent": False})
    # triage required an urgent strategy discussion (images of a child known to the adult):
    # it is due the same day even when convened as not urgent (seed 004 s2.2; DESIGN 2.1)
    assert due(case, K.STRATEGY_DISCUSSION) == date(2026, 3, 2)
    step(
        case,
        Event.HOLD_STRATEGY_DISCUSSION,
        london(2026, 3, 3, 10),
        {**DISCUSSION, "leave_home_decision": "stays", "working_agreement": AGREEMENT},
    )
    assert case.facts.leave_home_decision is not None
    assert case.facts.leave_home_decision.value == "stays"
    assert due(case, K.WORKING_AGREEMENT_REVIEW) == date(2026, 4, 1)
    assert len(case.strategy_discussions) == 1
