"""Event data models (DESIGN 6.1) and `parse_event_data`.

Parsing checks shape only: unknown fields, wrong types, bad dates and codes, text and lists past
their bounds. Whether the data is enough to move the case (all six answers of a strategy
discussion, a close with its reason, a working agreement with its review date) is a guard's
decision, so the practitioner is told what is missing rather than having the record refused as
malformed (DESIGN 6: a refusal, not a malformed file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from calendars import CalendarError, parse_instant
from states.census import (
    AssessmentFactor,
    CategoryOfAbuse,
    PrimaryNeed,
    ReasonForClosure,
    ReferralSource,
)
from states.errors import InvalidEventData, UnknownEvent
from states.facts import (
    CHILDREN_LIMIT,
    AllegedAbuser,
    Category,
    Child,
    Imagery,
    LeaveHome,
    LongText,
    Name,
    NonEmptyText,
    RiskFactor,
    WorkingAgreement,
)
from states.model import Event

__all__ = [
    "EVENT_DATA",
    "AddNoteData",
    "AllegationOutcome",
    "AllegationOutcomeData",
    "AllocateData",
    "CloseData",
    "CloseOutcome",
    "CompleteAssessmentData",
    "ConferenceOutcome",
    "Considerations",
    "ConveneStrategyDiscussionData",
    "CorrectDateData",
    "HoldConferenceData",
    "HoldReviewConferenceData",
    "LadoStrategyMeetingData",
    "NoData",
    "NoteKind",
    "RecordFactsData",
    "ReferData",
    "ReferredTo",
    "ReturnAssessmentData",
    "ReviewOutcome",
    "StrategyDiscussion",
    "TransferData",
    "as_event",
    "error_kinds",
    "parse_event_data",
]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoData(_Data):
    """Data of events that carry none."""


class ReferredTo(StrEnum):
    POLICE = "police"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"


class ReferData(_Data):
    """`refer`: to whom (a refer with nobody named is refused by its guard), and the CIN census
    items that arise here: the referral's source and the child's primary need (N1 to N9)."""

    referred_to: Annotated[list[ReferredTo], Field(max_length=len(ReferredTo))] = Field(
        default_factory=list
    )
    referral_source: ReferralSource | None = None
    primary_need: PrimaryNeed | None = None

    @field_validator("primary_need")
    @classmethod
    def _stated(cls, value: PrimaryNeed | None) -> PrimaryNeed | None:
        if value is not None and not value.for_referral:
            raise ValueError("a referral's primary need is one of N1 to N9")
        return value


class ConveneStrategyDiscussionData(_Data):
    urgent: bool = False


class Considerations(_Data):
    """Answers to the must-consider list of seed 004 s2.2 (DESIGN 4.3). Each may be missing when
    parsed; the `hold_strategy_discussion` guard names the missing ones."""

    household_children_safety: NonEmptyText | None = None
    image_children_safety: NonEmptyText | None = None
    when_to_inform_alleged_abuser: NonEmptyText | None = None
    criminal_investigation: bool | None = None
    section_47_threshold_met: bool | None = None
    icpc_required: bool | None = None
    # position of trust (the LADO discussion, seed 004 s2.2)
    contact_with_children_through_work: NonEmptyText | None = None
    employer_action: NonEmptyText | None = None


def _agency_code(text: str) -> str:
    return re.sub(r"[\s\-']+", "_", text.strip().lower().replace("'", ""))


class StrategyDiscussion(_Data):
    """A strategy discussion / meeting held (the `hold_strategy_discussion` data).

    Attendee names are normalised to codes: "Children's Social Care" becomes
    `childrens_social_care`.
    """

    attendees: Annotated[list[NonEmptyText], Field(max_length=50)] = Field(default_factory=list)
    considerations: Considerations = Field(default_factory=Considerations)
    leave_home_decision: LeaveHome | None = None
    working_agreement: WorkingAgreement | None = None

    @field_validator("attendees")
    @classmethod
    def _normalise(cls, value: list[str]) -> list[str]:
        return [_agency_code(a) for a in value]


class RecordFactsData(_Data):
    """Any fact of `CaseFacts`, every one optional; merged with `CaseFacts.merged`."""

    category: Category | None = None
    children: Annotated[list[Child], Field(max_length=CHILDREN_LIMIT)] | None = None
    alleged_abuser: AllegedAbuser | None = None
    imagery: Imagery | None = None
    significant_harm_suspected: bool | None = None
    risk_factors: Annotated[list[RiskFactor], Field(max_length=len(RiskFactor))] | None = None
    leave_home_decision: LeaveHome | None = None
    working_agreement: WorkingAgreement | None = None


class ConferenceOutcome(StrEnum):
    CHILD_PROTECTION_PLAN = "child_protection_plan"
    NO_PLAN = "no_plan"


class HoldConferenceData(_Data):
    """`hold_conference`: the outcome and, with a plan, the category of abuse (CIN census); the
    reason for closure where no plan is made and the case closes."""

    outcome: ConferenceOutcome | None = None
    category_of_abuse: CategoryOfAbuse | None = None
    reason_for_closure: ReasonForClosure | None = None


class ReviewOutcome(StrEnum):
    PLAN_CONTINUES = "plan_continues"
    PLAN_ENDED = "plan_ended"


class HoldReviewConferenceData(_Data):
    """`hold_review_conference`: whether the plan continues, its latest category of abuse, and
    the reason for closure where the plan ends and the case closes."""

    outcome: ReviewOutcome = ReviewOutcome.PLAN_CONTINUES
    category_of_abuse: CategoryOfAbuse | None = None
    reason_for_closure: ReasonForClosure | None = None


def _factor_code(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


CinFactor = Annotated[AssessmentFactor, BeforeValidator(_factor_code)]
"""A CIN census factor identified at assessment, such as `4A` or `21`."""


class CompleteAssessmentData(_Data):
    """`complete_assessment`: the factors identified (CIN census codes)."""

    factors: Annotated[list[CinFactor], Field(max_length=len(AssessmentFactor))] = Field(
        default_factory=list
    )


class CloseOutcome(StrEnum):
    NO_FURTHER_ACTION = "no_further_action"
    CHILD_PROTECTION_PLAN_ENDED = "child_protection_plan_ended"
    TRANSFERRED = "transferred"
    EARLY_HELP_COMPLETED = "early_help_completed"
    OTHER = "other"


class CloseData(_Data):
    """`close`: an outcome and a reason, both required by the close guard, and the CIN census
    reason for closure."""

    outcome: CloseOutcome | None = None
    reason: NonEmptyText | None = None
    reason_for_closure: ReasonForClosure | None = None


class AllegationOutcome(StrEnum):
    """Outcomes of an allegation (allegations guidance; DESIGN 2.2)."""

    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    FALSE = "false"
    MALICIOUS = "malicious"
    UNFOUNDED = "unfounded"


class AllegationOutcomeData(_Data):
    outcome: AllegationOutcome | None = None


class LadoStrategyMeetingData(_Data):
    """`hold_lado_strategy_meeting` (seed 004 s2.2, the allegations procedure): who attended and
    what was decided, including the position-of-trust questions of the LADO discussion."""

    attendees: Annotated[list[NonEmptyText], Field(max_length=50)] = Field(default_factory=list)
    contact_with_children_through_work: NonEmptyText | None = None
    employer_action: NonEmptyText | None = None
    decisions: NonEmptyText | None = None

    @field_validator("attendees")
    @classmethod
    def _normalise(cls, value: list[str]) -> list[str]:
        return [_agency_code(a) for a in value]


def _instant(value: Any) -> Any:
    """An ISO 8601 date-time; without an offset it is Europe/London local time (DESIGN 6)."""
    if isinstance(value, str):
        try:
            return parse_instant(value)
        except CalendarError as exc:
            raise ValueError(str(exc)) from None
    if isinstance(value, datetime) and value.tzinfo is None:
        return parse_instant(value.isoformat())
    return value


Instant = Annotated[datetime, BeforeValidator(_instant)]
"""An aware instant; a naive one is read as Europe/London local time."""


class CorrectDateData(_Data):
    """`correct_date` (DESIGN 2.3): when an earlier event of the case really happened, and why
    the record was wrong. `event_id` is the corrected event's number in the case's log (its
    `seq`; a scenario names the step instead and the runner translates it). Each field may be
    missing when parsed; the guard names what is missing."""

    event_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    occurred_at: Instant | None = None
    reason: NonEmptyText | None = None


class AllocateData(_Data):
    """`allocate` (DESIGN 2.5): the worker who takes the case, by username; the service adds
    their id, so that the log alone replays the owner."""

    owner: Name | None = None
    owner_id: Annotated[int, Field(ge=1)] | None = None


class TransferData(_Data):
    """`transfer` (DESIGN 2.5): the team whose unallocated list the case goes to, and why; or,
    with `lado`, the LADOs' unallocated list (a case that has become an allegations case)."""

    team: Name | None = None
    team_id: Annotated[int, Field(ge=1)] | None = None
    lado: bool = False
    reason: NonEmptyText | None = None


class ReturnAssessmentData(_Data):
    """`return_assessment`: the manager's reason for sending the assessment back."""

    reason: NonEmptyText | None = None


class NoteKind(StrEnum):
    """The kinds of case note (DESIGN 2.5)."""

    VISIT = "visit"
    CONTACT = "contact"
    DISCUSSION = "discussion"
    MANAGEMENT_OVERSIGHT = "management_oversight"
    SUPERVISION = "supervision"
    OTHER = "other"


class AddNoteData(_Data):
    """`add_note`: a case note. Notes are append-only: `amends` names the note (its event id)
    that this one corrects; both stay on the record."""

    kind: NoteKind | None = None
    text: LongText | None = None
    significant: bool = False
    amends: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


EVENT_DATA: Mapping[Event, type[BaseModel]] = {
    Event.RAISE_CONCERN: NoData,
    Event.REFER: ReferData,
    Event.START_ASSESSMENT: NoData,
    Event.CONVENE_STRATEGY_DISCUSSION: ConveneStrategyDiscussionData,
    Event.HOLD_STRATEGY_DISCUSSION: StrategyDiscussion,
    Event.START_SECTION_47: NoData,
    Event.HOLD_CONFERENCE: HoldConferenceData,
    Event.HOLD_CORE_GROUP: NoData,
    Event.HOLD_REVIEW_CONFERENCE: HoldReviewConferenceData,
    Event.COMPLETE_ASSESSMENT: CompleteAssessmentData,
    Event.STEP_DOWN: NoData,
    Event.ESCALATE: NoData,
    Event.CLOSE: CloseData,
    Event.RECORD_FACTS: RecordFactsData,
    Event.CORRECT_DATE: CorrectDateData,
    Event.ALLOCATE: AllocateData,
    Event.TRANSFER: TransferData,
    Event.AUTHORISE_ASSESSMENT: NoData,
    Event.RETURN_ASSESSMENT: ReturnAssessmentData,
    Event.ADD_NOTE: AddNoteData,
    Event.REFER_TO_LADO: NoData,
    Event.HOLD_LADO_STRATEGY_MEETING: LadoStrategyMeetingData,
    Event.RECORD_ALLEGATION_OUTCOME: AllegationOutcomeData,
    Event.CLOSE_ALLEGATION: NoData,
}


def as_event(name: Event | str) -> Event:
    """The `Event` named `name`; raises `UnknownEvent` listing the valid names."""
    try:
        return Event(name)
    except ValueError:
        valid = ", ".join(e.value for e in Event)
        raise UnknownEvent(f"unknown event {name!r}: expected one of {valid}") from None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        path = ".".join(str(p) for p in ("data", *item["loc"]))
        parts.append(f"{path}: {item['msg']}")
    return "; ".join(parts)


def error_kinds(error: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    """Each problem of a validation error as (location, pydantic error type)."""
    return [(tuple(item["loc"]), str(item["type"])) for item in error.errors()]


def parse_event_data(event: Event | str, raw: Mapping[str, Any] | None) -> BaseModel:
    """Validate `raw` (None means no data) against the event's model.

    Raises `UnknownEvent` for a name outside the contract and `InvalidEventData` naming the event,
    the field path and the reason, e.g.
    "hold_strategy_discussion: data.attendees: Input should be a valid list" (its `errors`: the
    location and pydantic error type of each problem, for pages to word for themselves).
    """
    ev = as_event(event)
    model = EVENT_DATA[ev]
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InvalidEventData(f"{ev.value}: data: should be a mapping of fields, got {raw!r}")
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        raise InvalidEventData(f"{ev.value}: {_describe(exc)}", error_kinds(exc)) from None
