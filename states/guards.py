"""Guards: the conditions of the transition tables, each returning `None` to allow or the reason a
practitioner can act on (house rule 4). Guards read; they never change anything.

The requirements come from seed 004_feb1ad46cb8c5f0d.txt s2.2 (DESIGN 4.3 and 4.4) and the
allegations procedure it points to (DESIGN 2.2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from states.events import (
    AddNoteData,
    AllegationOutcomeData,
    AllocateData,
    CloseData,
    ConferenceOutcome,
    CorrectDateData,
    HoldConferenceData,
    HoldReviewConferenceData,
    RecordFactsData,
    ReferData,
    ReturnAssessmentData,
    ReviewOutcome,
    StrategyDiscussion,
    TransferData,
)
from states.facts import CaseFacts, Category, LeaveHome, WorkingAgreement
from states.model import DeadlineKind

__all__ = [
    "DATA_GUARDS",
    "GUARDS",
    "POSITION_OF_TRUST_CONSIDERATIONS",
    "REQUIRED_ATTENDEES",
    "REQUIRED_CONSIDERATIONS",
    "RISK_FACTOR_LEAVE_HOME_REASON",
    "RISK_FACTOR_WORKING_AGREEMENT_REASON",
    "Guard",
    "GuardContext",
]


@dataclass(frozen=True)
class GuardContext:
    """What a guard may read: the case's facts, the validated event data, the open deadlines, the
    strategy discussions held so far (oldest first), whether a Section 47 enquiry has started,
    whether each machine is still open, who is acting, and the single assessment awaiting
    authorisation (who submitted it), if any."""

    facts: CaseFacts
    data: BaseModel | None = None
    open_deadlines: frozenset[DeadlineKind] = frozenset()
    strategy_discussions: tuple[StrategyDiscussion, ...] = ()
    section_47_started: bool = False
    child_protection_open: bool = True
    allegation_open: bool = False
    actor: str | None = None
    assessment_submitted_by: str | None = None


Guard = Callable[[GuardContext], str | None]

REQUIRED_ATTENDEES: tuple[str, ...] = ("police", "childrens_social_care", "health")
"""seed 004 s2.2: "will need to include the Police ..., Social Care and relevant Health
Professionals"."""

REQUIRED_CONSIDERATIONS: tuple[str, ...] = (
    "household_children_safety",
    "image_children_safety",
    "when_to_inform_alleged_abuser",
    "criminal_investigation",
    "section_47_threshold_met",
    "icpc_required",
)
"""The six must-consider answers of seed 004 s2.2 (DESIGN 4.3)."""

POSITION_OF_TRUST_CONSIDERATIONS: tuple[str, ...] = (
    "contact_with_children_through_work",
    "employer_action",
)
"""seed 004 s2.2: "In the case of staff, volunteers and carers, the LADO discussion will also
include"."""

RISK_FACTOR_LEAVE_HOME_REASON = (
    "risk factors present: record whether the alleged abuser leaves the home"
)
RISK_FACTOR_WORKING_AGREEMENT_REASON = (
    "alleged abuser stays in the home: record a written working agreement with a review date"
)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _in_position_of_trust(facts: CaseFacts) -> bool:
    return facts.alleged_abuser is not None and facts.alleged_abuser.position_of_trust


def strategy_discussion_complete(ctx: GuardContext) -> str | None:
    """DESIGN 4.3: attendees police, children's social care and health; all six answers; the two
    position-of-trust answers when the alleged abuser works or volunteers with children."""
    data = ctx.data
    if not isinstance(data, StrategyDiscussion):
        return "hold_strategy_discussion needs the discussion's attendees and considerations"
    problems: list[str] = []
    missing_agencies = [a for a in REQUIRED_ATTENDEES if a not in data.attendees]
    if missing_agencies:
        them = "it" if len(missing_agencies) == 1 else "them"
        problems.append(
            f"strategy discussion must include {_and(missing_agencies)}: "
            f"add {them} to the attendees"
        )
    wanted = list(REQUIRED_CONSIDERATIONS)
    if _in_position_of_trust(ctx.facts):
        wanted += POSITION_OF_TRUST_CONSIDERATIONS
    answers = data.considerations
    missing_answers = [name for name in wanted if getattr(answers, name) is None]
    if missing_answers:
        problems.append(f"strategy discussion must answer {_and(missing_answers)}")
    agreement = _agreement_problem(data.working_agreement)
    if agreement:
        problems.append(agreement)
    return "; ".join(problems) or None


def _agreement_problem(agreement: WorkingAgreement | None) -> str | None:
    if agreement is None or not agreement.missing():
        return None
    return f"the working agreement needs its {_and(agreement.missing())}"


def working_agreement_complete(ctx: GuardContext) -> str | None:
    """seed 004 s2.2: a written working agreement covers supervision of contact, intimate care,
    entry to children's rooms and sleepovers, and has a review date; one recorded without any of
    them is not in place."""
    agreement = getattr(ctx.data, "working_agreement", None)
    return _agreement_problem(agreement if isinstance(agreement, WorkingAgreement) else None)


def referral_has_recipients(ctx: GuardContext) -> str | None:
    data = ctx.data
    if not isinstance(data, ReferData) or not data.referred_to:
        return "say who the referral went to: police, children's social care or both"
    return None


def section_47_threshold_met(ctx: GuardContext) -> str | None:
    """A Section 47 enquiry starts from a strategy discussion that found the threshold met (the
    latest discussion held decides)."""
    if not ctx.strategy_discussions:
        return "no strategy discussion has been held: hold one before starting a section 47 enquiry"
    latest = ctx.strategy_discussions[-1]
    if latest.considerations.section_47_threshold_met is not True:
        return (
            "the latest strategy discussion did not find the section 47 threshold met: "
            "record section_47_threshold_met at a strategy discussion"
        )
    return None


def _latest_leave_home(ctx: GuardContext) -> LeaveHome | None:
    if ctx.facts.leave_home_decision is not None:
        return ctx.facts.leave_home_decision
    for discussion in reversed(ctx.strategy_discussions):
        if discussion.leave_home_decision is not None:
            return discussion.leave_home_decision
    return None


def _latest_working_agreement(ctx: GuardContext) -> WorkingAgreement | None:
    if ctx.facts.working_agreement is not None:
        return ctx.facts.working_agreement
    for discussion in reversed(ctx.strategy_discussions):
        if discussion.working_agreement is not None:
            return discussion.working_agreement
    return None


def risk_factor_gate(ctx: GuardContext) -> str | None:
    """DESIGN 4.4 (seed 004 s2.2): with any risk factor present, a leave-home decision must be
    recorded (in the facts or at a strategy discussion); if the alleged abuser stays, a written
    working agreement with a review date must be in place."""
    if not ctx.facts.risk_factors:
        return None
    decision = _latest_leave_home(ctx)
    if decision is None:
        return RISK_FACTOR_LEAVE_HOME_REASON
    agreement = _latest_working_agreement(ctx)
    if decision is LeaveHome.STAYS and (agreement is None or agreement.missing()):
        return RISK_FACTOR_WORKING_AGREEMENT_REASON
    return None


def _conference_outcome(ctx: GuardContext) -> ConferenceOutcome | None:
    return ctx.data.outcome if isinstance(ctx.data, HoldConferenceData) else None


def conference_plan(ctx: GuardContext) -> str | None:
    outcome = _conference_outcome(ctx)
    if outcome is None:
        return "hold_conference needs an outcome: child_protection_plan or no_plan"
    if outcome is not ConferenceOutcome.CHILD_PROTECTION_PLAN:
        return "the conference made no child protection plan"
    return None


def conference_no_plan(ctx: GuardContext) -> str | None:
    outcome = _conference_outcome(ctx)
    if outcome is None:
        return "hold_conference needs an outcome: child_protection_plan or no_plan"
    if outcome is not ConferenceOutcome.NO_PLAN:
        return "the conference made a child protection plan"
    return None


def single_assessment_open(ctx: GuardContext) -> str | None:
    if DeadlineKind.SINGLE_ASSESSMENT not in ctx.open_deadlines:
        return "no single assessment is running: there is no open single_assessment deadline"
    return None


def single_assessment_not_open(ctx: GuardContext) -> str | None:
    if DeadlineKind.SINGLE_ASSESSMENT in ctx.open_deadlines:
        return "a single assessment is still running"
    return None


def _review_outcome(ctx: GuardContext) -> ReviewOutcome:
    if isinstance(ctx.data, HoldReviewConferenceData):
        return ctx.data.outcome
    return ReviewOutcome.PLAN_CONTINUES


def review_plan_continues(ctx: GuardContext) -> str | None:
    if _review_outcome(ctx) is not ReviewOutcome.PLAN_CONTINUES:
        return "the review conference ended the plan"
    return None


def review_plan_ended(ctx: GuardContext) -> str | None:
    if _review_outcome(ctx) is not ReviewOutcome.PLAN_ENDED:
        return "the review conference continued the plan"
    return None


def close_has_outcome_and_reason(ctx: GuardContext) -> str | None:
    data = ctx.data
    if not isinstance(data, CloseData) or data.outcome is None or data.reason is None:
        return "closing a case needs an outcome and a reason"
    return None


def allegation_outcome_recorded(ctx: GuardContext) -> str | None:
    if not isinstance(ctx.data, AllegationOutcomeData) or ctx.data.outcome is None:
        return (
            "record_allegation_outcome needs an outcome: "
            "substantiated, unsubstantiated, false, malicious or unfounded"
        )
    return None


def position_of_trust(ctx: GuardContext) -> str | None:
    """seed 004 s2.2: the allegations procedure applies when the alleged abuser works or
    volunteers with children or is a foster carer; a staff online conduct concern is one by
    definition (seed 000)."""
    if ctx.facts.category is Category.STAFF_ONLINE_CONDUCT:
        return None
    if not _in_position_of_trust(ctx.facts):
        return (
            "the LADO track is for an alleged abuser who works or volunteers with children or is "
            "a foster carer: record alleged_abuser.position_of_trust first"
        )
    return None


def case_open(ctx: GuardContext) -> str | None:
    """Case-level events (facts, notes, allocation, corrections) need the case open: either
    machine still running (the LADO track may run on after child protection has closed)."""
    if ctx.child_protection_open or ctx.allegation_open:
        return None
    return "the case is closed"


def correction_complete(ctx: GuardContext) -> str | None:
    data = ctx.data
    if not isinstance(data, CorrectDateData):
        return "correct_date needs the event to correct, when it happened and why"
    missing = [
        label
        for label, value in (
            ("the event to correct", data.event_id),
            ("when it happened", data.occurred_at),
            ("the reason for the correction", data.reason),
        )
        if value is None
    ]
    if missing:
        return f"correct_date needs {_and(missing)}"
    return None


def allocation_names_owner(ctx: GuardContext) -> str | None:
    data = ctx.data
    if not isinstance(data, AllocateData) or data.owner is None:
        return "say which worker the case is allocated to"
    return None


def transfer_complete(ctx: GuardContext) -> str | None:
    data = ctx.data
    if not isinstance(data, TransferData) or (
        data.team is None and data.team_id is None and not data.lado
    ):
        return "say which team the case is transferred to"
    if data.reason is None:
        return "give the reason for the transfer"
    return None


def assessment_not_submitted(ctx: GuardContext) -> str | None:
    if ctx.assessment_submitted_by is not None:
        return (
            "the single assessment is already awaiting a manager's authorisation: it can be "
            "submitted again once it is returned"
        )
    return None


def assessment_awaiting_authorisation(ctx: GuardContext) -> str | None:
    if ctx.assessment_submitted_by is None:
        return "no single assessment is awaiting authorisation: complete_assessment submits it"
    return None


def not_own_assessment(ctx: GuardContext) -> str | None:
    """DESIGN 2.5: a manager never authorises an assessment they completed themselves."""
    if ctx.actor is not None and ctx.actor == ctx.assessment_submitted_by:
        return "you completed this assessment: another manager must authorise it"
    return None


def return_has_reason(ctx: GuardContext) -> str | None:
    data = ctx.data
    if not isinstance(data, ReturnAssessmentData) or data.reason is None:
        return "give the reason for returning the assessment"
    return None


def note_complete(ctx: GuardContext) -> str | None:
    data = ctx.data
    if not isinstance(data, AddNoteData) or data.kind is None:
        return (
            "choose the kind of note: visit, contact, discussion, management oversight, "
            "supervision or other"
        )
    if data.text is None:
        return "write the note"
    return None


def facts_update_complete(ctx: GuardContext) -> str | None:
    """`record_facts`: a working agreement recorded with the facts must be complete."""
    if isinstance(ctx.data, RecordFactsData):
        return working_agreement_complete(ctx)
    return None


GUARDS: Mapping[str, Guard] = {
    "strategy_discussion_complete": strategy_discussion_complete,
    "section_47_threshold_met": section_47_threshold_met,
    "risk_factor_gate": risk_factor_gate,
    "conference_plan": conference_plan,
    "conference_no_plan": conference_no_plan,
    "single_assessment_open": single_assessment_open,
    "single_assessment_not_open": single_assessment_not_open,
    "review_plan_continues": review_plan_continues,
    "review_plan_ended": review_plan_ended,
    "close_has_outcome_and_reason": close_has_outcome_and_reason,
    "allegation_outcome_recorded": allegation_outcome_recorded,
    "position_of_trust": position_of_trust,
    "referral_has_recipients": referral_has_recipients,
    "case_open": case_open,
    "correction_complete": correction_complete,
    "allocation_names_owner": allocation_names_owner,
    "transfer_complete": transfer_complete,
    "assessment_not_submitted": assessment_not_submitted,
    "assessment_awaiting_authorisation": assessment_awaiting_authorisation,
    "not_own_assessment": not_own_assessment,
    "return_has_reason": return_has_reason,
    "note_complete": note_complete,
    "facts_update_complete": facts_update_complete,
}

DATA_GUARDS: frozenset[str] = frozenset(
    {
        "strategy_discussion_complete",
        "referral_has_recipients",
        "conference_plan",
        "conference_no_plan",
        "review_plan_continues",
        "review_plan_ended",
        "close_has_outcome_and_reason",
        "allegation_outcome_recorded",
        "correction_complete",
        "allocation_names_owner",
        "transfer_complete",
        "return_has_reason",
        "note_complete",
        "facts_update_complete",
    }
)
"""The guards that read the event's own data (`GuardContext.data`): they can be judged only when
the event is recorded. Every other guard reads the case alone (its facts, states, deadlines,
discussions and the assessment awaiting authorisation) and can be judged before the form is
filled in (`states.machines.refusal_before_data`)."""
