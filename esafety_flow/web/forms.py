"""HTML forms for events: one spec drives both the rendering and the parsing (the new-concern
form: `esafety_flow.web.concern_form`).

Form posts are flat (`considerations.icpc_required=yes`); `event_data_from_form` turns them into the
nested event data of DESIGN 6.1, which `states.parse_event_data` then validates (so the rules live
in one place). Blank fields are left out, so a guard can name what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from states import (
    AllegationOutcome,
    CategoryOfAbuse,
    CloseOutcome,
    ConferenceOutcome,
    Event,
    LeaveHome,
    PrimaryNeed,
    ReasonForClosure,
    ReferralSource,
    ReviewOutcome,
    RiskFactor,
)
from states.labels import label

__all__ = [
    "EVENT_FORMS",
    "FieldSpec",
    "FormError",
    "MultiValues",
    "event_data_from_form",
    "label_of",
]

MultiValues = Mapping[str, Sequence[str]]
"""Form values by name, every name with its list of values (checkboxes post several)."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str  # text | textarea | yesno | checkboxes | radios | date | codes
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""


def label_of(code: str) -> str:
    """`childrens_social_care` -> "Children's social care"."""
    special = {
        "sen": "Special educational needs",
        "icpc_required": "Is an initial child protection conference required?",
    }
    return special.get(code) or label(code)


def _options(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((v, label_of(v)) for v in values)


_AGENCIES = ("police", "childrens_social_care", "health", "education", "lado")
_WORKING_AGREEMENT = (
    FieldSpec(
        "working_agreement.supervision_of_contact",
        "Working agreement: supervision of contact",
        "text",
    ),
    FieldSpec("working_agreement.intimate_care", "Working agreement: intimate care", "text"),
    FieldSpec(
        "working_agreement.entry_to_childrens_rooms",
        "Working agreement: entry to children's rooms",
        "text",
    ),
    FieldSpec("working_agreement.sleepovers", "Working agreement: sleepovers", "text"),
    FieldSpec(
        "working_agreement.review_date",
        "Working agreement review date",
        "date",
        hint="For example, 2026-04-27",
    ),
)
_LEAVE_HOME = FieldSpec(
    "leave_home_decision",
    "Will the alleged abuser leave the home during the assessment?",
    "radios",
    _options([v.value for v in LeaveHome]),
)

EVENT_FORMS: Mapping[Event, tuple[FieldSpec, ...]] = {
    Event.REFER: (
        FieldSpec(
            "referred_to",
            "Referred to",
            "checkboxes",
            _options(["police", "childrens_social_care"]),
        ),
        # the CIN census items of a referral (DESIGN 6.1), with the DfE's wording
        FieldSpec(
            "referral_source",
            "Who made the referral",
            "radios",
            tuple((c.value, c.label) for c in ReferralSource),
            hint="As the children in need census records it",
        ),
        FieldSpec(
            "primary_need",
            "Primary need",
            "radios",
            tuple((c.value, c.label) for c in PrimaryNeed if c.for_referral),
        ),
    ),
    Event.CONVENE_STRATEGY_DISCUSSION: (
        FieldSpec("urgent", "Is the strategy discussion urgent (same day)?", "yesno"),
    ),
    Event.HOLD_STRATEGY_DISCUSSION: (
        FieldSpec("attendees", "Attendees", "checkboxes", _options(_AGENCIES)),
        FieldSpec(
            "considerations.household_children_safety",
            "Safety of the children in the household and wider network",
            "textarea",
        ),
        FieldSpec(
            "considerations.image_children_safety",
            "Safety of the children shown in the images",
            "textarea",
        ),
        FieldSpec(
            "considerations.when_to_inform_alleged_abuser",
            "When the alleged abuser and partner will be told",
            "textarea",
        ),
        FieldSpec(
            "considerations.criminal_investigation",
            "Will the police run a criminal investigation?",
            "yesno",
        ),
        FieldSpec(
            "considerations.section_47_threshold_met", "Is the Section 47 threshold met?", "yesno"
        ),
        FieldSpec(
            "considerations.icpc_required",
            "Is an initial child protection conference required?",
            "yesno",
        ),
        _LEAVE_HOME,
        *_WORKING_AGREEMENT,
    ),
    Event.HOLD_CONFERENCE: (
        FieldSpec(
            "outcome",
            "Conference outcome",
            "radios",
            _options([v.value for v in ConferenceOutcome]),
        ),
        FieldSpec(
            "category_of_abuse",
            "Category of abuse (with a child protection plan)",
            "radios",
            tuple((c.value, c.label) for c in CategoryOfAbuse),
        ),
    ),
    Event.HOLD_REVIEW_CONFERENCE: (
        FieldSpec(
            "outcome", "Review outcome", "radios", _options([v.value for v in ReviewOutcome])
        ),
    ),
    Event.COMPLETE_ASSESSMENT: (
        FieldSpec(
            "factors",
            "Factors identified",
            "codes",
            hint="Children in need census codes separated by commas, for example 4A, 21",
        ),
    ),
    Event.CLOSE: (
        FieldSpec("outcome", "Outcome", "radios", _options([v.value for v in CloseOutcome])),
        FieldSpec("reason", "Reason", "textarea"),
        FieldSpec(
            "reason_for_closure",
            "Reason for closure (children in need census)",
            "radios",
            tuple((c.value, c.label) for c in ReasonForClosure),
        ),
    ),
    Event.RECORD_FACTS: (
        FieldSpec(
            "risk_factors",
            "Risk factors",
            "checkboxes",
            _options([v.value for v in RiskFactor]),
            hint="Recording risk factors replaces the list held",
        ),
        FieldSpec("significant_harm_suspected", "Is significant harm suspected?", "yesno"),
        _LEAVE_HOME,
        *_WORKING_AGREEMENT,
    ),
    Event.HOLD_LADO_STRATEGY_MEETING: (
        FieldSpec("attendees", "Who attended", "checkboxes", _options((*_AGENCIES, "employer"))),
        FieldSpec(
            "contact_with_children_through_work",
            "Contact with children through work or volunteering",
            "textarea",
        ),
        FieldSpec("employer_action", "Action by the employer", "textarea"),
        FieldSpec("decisions", "What was decided", "textarea"),
    ),
    Event.RECORD_ALLEGATION_OUTCOME: (
        FieldSpec(
            "outcome",
            "Allegation outcome",
            "radios",
            _options([v.value for v in AllegationOutcome]),
        ),
    ),
}


class FormError(ValueError):
    """A form field could not be read; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _first(form: MultiValues, name: str) -> str:
    values = form.get(name, ())
    return values[0].strip() if values else ""


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = target
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def _yesno(name: str, raw: str) -> bool:
    if raw == "yes":
        return True
    if raw == "no":
        return False
    raise FormError(name, f"answer yes or no, not {raw!r}")


def event_data_from_form(event: Event, form: MultiValues) -> dict[str, Any]:
    """The event data (DESIGN 6.1) posted by the event's form; blank fields are left out."""
    data: dict[str, Any] = {}
    for spec in EVENT_FORMS.get(event, ()):
        if spec.kind == "checkboxes":
            values = [v for v in form.get(spec.name, ()) if v]
            if values or event is not Event.RECORD_FACTS:
                _put(data, spec.name, values)
            continue
        raw = _first(form, spec.name)
        if not raw:
            continue
        if spec.kind == "yesno":
            _put(data, spec.name, _yesno(spec.name, raw))
        elif spec.kind == "codes":
            _put(data, spec.name, [c.strip() for c in raw.split(",") if c.strip()])
        else:
            _put(data, spec.name, raw)
    return data
