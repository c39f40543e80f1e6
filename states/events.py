"""Event data models (DESIGN 6.1) and `parse_event_data`.

Parsing checks shape only. Whether the data is enough to move the case (for example all six
answers of a strategy discussion) is a guard's decision, so the practitioner is told what is missing
rather than having the record refused as malformed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from states.errors import InvalidEventData, UnknownEvent
from states.facts import (
    AllegedAbuser,
    Category,
    Child,
    Imagery,
    LeaveHome,
    NonEmptyText,
    RiskFactor,
    WorkingAgreement,
)
from states.model import Event

__all__ = [
    "EVENT_DATA",
    "AllegationOutcome",
    "AllegationOutcomeData",
    "CloseData",
    "CloseOutcome",
    "CompleteAssessmentData",
    "ConferenceOutcome",
    "Considerations",
    "ConveneStrategyDiscussionData",
    "HoldConferenceData",
    "HoldReviewConferenceData",
    "NoData",
    "RecordFactsData",
    "ReferData",
    "ReferredTo",
    "ReviewOutcome",
    "StrategyDiscussion",
    "as_event",
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
    referred_to: Annotated[list[ReferredTo], Field(min_length=1)]


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

    attendees: list[NonEmptyText]
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
    children: list[Child] | None = None
    alleged_abuser: AllegedAbuser | None = None
    imagery: Imagery | None = None
    significant_harm_suspected: bool | None = None
    risk_factors: list[RiskFactor] | None = None
    leave_home_decision: LeaveHome | None = None
    working_agreement: WorkingAgreement | None = None


class ConferenceOutcome(StrEnum):
    CHILD_PROTECTION_PLAN = "child_protection_plan"
    NO_PLAN = "no_plan"


class HoldConferenceData(_Data):
    outcome: ConferenceOutcome


class ReviewOutcome(StrEnum):
    PLAN_CONTINUES = "plan_continues"
    PLAN_ENDED = "plan_ended"


class HoldReviewConferenceData(_Data):
    outcome: ReviewOutcome = ReviewOutcome.PLAN_CONTINUES


CinFactor = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9]{1,2}[A-Z]?$"),
]
"""A children-in-need census factor code, such as `4A` or `21`."""


class CompleteAssessmentData(_Data):
    factors: list[CinFactor] = Field(default_factory=list)


class CloseOutcome(StrEnum):
    NO_FURTHER_ACTION = "no_further_action"
    CHILD_PROTECTION_PLAN_ENDED = "child_protection_plan_ended"
    TRANSFERRED = "transferred"
    EARLY_HELP_COMPLETED = "early_help_completed"
    OTHER = "other"


class CloseData(_Data):
    outcome: CloseOutcome
    reason: NonEmptyText


class AllegationOutcome(StrEnum):
    """Outcomes of an allegation (allegations guidance; DESIGN 2.2)."""

    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    FALSE = "false"
    MALICIOUS = "malicious"
    UNFOUNDED = "unfounded"


class AllegationOutcomeData(_Data):
    outcome: AllegationOutcome


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
    Event.REFER_TO_LADO: NoData,
    Event.HOLD_LADO_STRATEGY_MEETING: NoData,
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


def parse_event_data(event: Event | str, raw: Mapping[str, Any] | None) -> BaseModel:
    """Validate `raw` (None means no data) against the event's model.

    Raises `UnknownEvent` for a name outside the contract and `InvalidEventData` naming the event,
    the field path and the reason, e.g.
    "hold_strategy_discussion: data.attendees: Input should be a valid list".
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
        raise InvalidEventData(f"{ev.value}: {_describe(exc)}") from None
