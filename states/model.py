"""The contract names: states, events, machines and deadline kinds (DESIGN 2.1, 2.2, 3.1)."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CASE_LEVEL_EVENTS",
    "AllegationState",
    "CaseState",
    "DeadlineKind",
    "Event",
    "MachineName",
]


class CaseState(StrEnum):
    """States of the `child_protection` machine (DESIGN 2.1), model attribute `state`."""

    CONCERN = "concern"
    REFERRAL = "referral"
    EARLY_HELP = "early_help"
    ASSESSMENT = "assessment"
    STRATEGY_DISCUSSION = "strategy_discussion"
    SECTION_47 = "section_47"
    REVIEW = "review"
    CLOSED = "closed"


class AllegationState(StrEnum):
    """States of the `allegation` (LADO) machine (DESIGN 2.2), model attribute `allegation_state`.

    A case with no allegations track has `allegation_state = None`; inside the machine that is the
    sentinel state `states.machines.NO_ALLEGATION` ("none").
    """

    LADO_REFERRAL = "lado_referral"
    INVESTIGATION = "investigation"
    CONCLUDED = "concluded"
    CLOSED = "closed"


class Event(StrEnum):
    """Every event of DESIGN 2.1 and 2.2; the value is the contract name."""

    RAISE_CONCERN = "raise_concern"
    REFER = "refer"
    START_ASSESSMENT = "start_assessment"
    CONVENE_STRATEGY_DISCUSSION = "convene_strategy_discussion"
    HOLD_STRATEGY_DISCUSSION = "hold_strategy_discussion"
    START_SECTION_47 = "start_section_47"
    HOLD_CONFERENCE = "hold_conference"
    HOLD_CORE_GROUP = "hold_core_group"
    HOLD_REVIEW_CONFERENCE = "hold_review_conference"
    COMPLETE_ASSESSMENT = "complete_assessment"
    STEP_DOWN = "step_down"
    ESCALATE = "escalate"
    CLOSE = "close"
    RECORD_FACTS = "record_facts"
    CORRECT_DATE = "correct_date"
    # who does the work (DESIGN 2.5)
    ALLOCATE = "allocate"
    TRANSFER = "transfer"
    AUTHORISE_ASSESSMENT = "authorise_assessment"
    RETURN_ASSESSMENT = "return_assessment"
    ADD_NOTE = "add_note"
    REFER_TO_LADO = "refer_to_lado"
    HOLD_LADO_STRATEGY_MEETING = "hold_lado_strategy_meeting"
    RECORD_ALLEGATION_OUTCOME = "record_allegation_outcome"
    CLOSE_ALLEGATION = "close_allegation"


CASE_LEVEL_EVENTS: frozenset[Event] = frozenset(
    {Event.RECORD_FACTS, Event.ADD_NOTE, Event.ALLOCATE, Event.TRANSFER, Event.CORRECT_DATE}
)
"""Events about the case as a whole rather than a step of either machine (DESIGN 6): they may be
dated before other events (a visit written up later), but never in the future and never before
the concern was raised. The order rule compares every other event with the previous event of its
own machine."""


class MachineName(StrEnum):
    """The two machines a case runs; `attribute` is the model attribute holding its state."""

    CHILD_PROTECTION = "child_protection"
    ALLEGATION = "allegation"

    @property
    def attribute(self) -> str:
        return "state" if self is MachineName.CHILD_PROTECTION else "allegation_state"


class DeadlineKind(StrEnum):
    """The twelve deadline kinds of DESIGN 3.1 (their rules live in `states.policy`)."""

    IMMEDIATE_REFERRAL = "immediate_referral"
    REFERRAL_DECISION = "referral_decision"
    STRATEGY_DISCUSSION = "strategy_discussion"
    SINGLE_ASSESSMENT = "single_assessment"
    INITIAL_CHILD_PROTECTION_CONFERENCE = "initial_child_protection_conference"
    CORE_GROUP = "core_group"
    FIRST_REVIEW_CONFERENCE = "first_review_conference"
    REVIEW_CONFERENCE = "review_conference"
    LADO_REFERRAL = "lado_referral"
    LADO_STRATEGY_MEETING = "lado_strategy_meeting"
    ALLEGATION_RESOLUTION = "allegation_resolution"
    WORKING_AGREEMENT_REVIEW = "working_agreement_review"
