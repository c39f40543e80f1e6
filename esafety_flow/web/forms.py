"""HTML forms for events: one spec drives both the rendering and the parsing (the new-concern
form: `esafety_flow.web.concern_form`).

Form posts are flat (`considerations.icpc_required=yes`); `event_data_from_form` turns them into the
nested event data of DESIGN 6.1, which `states.parse_event_data` then validates (so the rules of
the data live in one place). Blank fields are left out. A field the event's guard always needs
(`FieldSpec.required`: a close's outcome and reason, a strategy discussion's six answers) and the
fields of a group answered together (`FieldSpec.group`: the five matters of a working agreement)
are checked here too, so that the page can say beside each one what is missing; the guard still
decides, for the API and for what the form cannot see.

A date (`kind="date"`) is the GOV.UK date input: `<name>-day`, `<name>-month`, `<name>-year`
(`read_date`), posted into the event data as the ISO date the model expects.

Problems are `FormProblem`s (the field, the kind of problem of `messages.Problem`, the date parts
in error); the page words them from `esafety_flow.web.messages`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as default
from datetime import date
from typing import Any

from esafety_flow.web.messages import Problem
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
from states.guards import REQUIRED_CONSIDERATIONS
from states.labels import label

__all__ = [
    "DATE_PARTS",
    "EVENT_FORMS",
    "FieldSpec",
    "FormError",
    "FormProblem",
    "MultiValues",
    "event_data_from_form",
    "label_of",
    "read_date",
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
    required: bool = False
    """The event's guard always needs an answer (the page says so beside the field)."""
    group: str = ""
    """Fields answered together: once one of the group is given, each is needed."""
    shown_with: tuple[str, str] | None = None
    """(a radios field, one of its values): this field is revealed under that answer (the
    Design System's conditional reveal), e.g. the working agreement under "Stays in the home"."""


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
        group="working_agreement",
        shown_with=("leave_home_decision", "stays"),
    ),
    FieldSpec(
        "working_agreement.intimate_care",
        "Working agreement: intimate care",
        "text",
        group="working_agreement",
        shown_with=("leave_home_decision", "stays"),
    ),
    FieldSpec(
        "working_agreement.entry_to_childrens_rooms",
        "Working agreement: entry to children's rooms",
        "text",
        group="working_agreement",
        shown_with=("leave_home_decision", "stays"),
    ),
    FieldSpec(
        "working_agreement.sleepovers",
        "Working agreement: sleepovers",
        "text",
        group="working_agreement",
        shown_with=("leave_home_decision", "stays"),
    ),
    FieldSpec(
        "working_agreement.review_date",
        "Working agreement review date",
        "date",
        hint="For example, 27 4 2026",
        group="working_agreement",
        shown_with=("leave_home_decision", "stays"),
    ),
)
_LEAVE_HOME = FieldSpec(
    "leave_home_decision",
    "Will the alleged abuser leave the home during the assessment?",
    "radios",
    _options([v.value for v in LeaveHome]),
)


def _considerations(*specs: FieldSpec) -> tuple[FieldSpec, ...]:
    """A strategy discussion's answers, those its guard needs (DESIGN 4.3) marked required."""
    return tuple(
        replace(s, required=s.name.removeprefix("considerations.") in REQUIRED_CONSIDERATIONS)
        for s in specs
    )


EVENT_FORMS: Mapping[Event, tuple[FieldSpec, ...]] = {
    Event.REFER: (
        FieldSpec(
            "referred_to",
            "Referred to",
            "checkboxes",
            _options(["police", "childrens_social_care"]),
            required=True,
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
        FieldSpec("attendees", "Attendees", "checkboxes", _options(_AGENCIES), required=True),
        *_considerations(
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
                "considerations.section_47_threshold_met",
                "Is the Section 47 threshold met?",
                "yesno",
            ),
            FieldSpec(
                "considerations.icpc_required",
                "Is an initial child protection conference required?",
                "yesno",
            ),
            # the LADO discussion's questions (seed 004 s2.2), which its guard needs when the
            # alleged abuser works or volunteers with children
            FieldSpec(
                "considerations.contact_with_children_through_work",
                "Contact with children through work or volunteering",
                "textarea",
                hint="Where the alleged abuser works or volunteers with children",
            ),
            FieldSpec(
                "considerations.employer_action",
                "Action by the employer",
                "textarea",
                hint="Where the alleged abuser works or volunteers with children",
            ),
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
            required=True,
        ),
        FieldSpec(
            "category_of_abuse",
            "Category of abuse (with a child protection plan)",
            "radios",
            tuple((c.value, c.label) for c in CategoryOfAbuse),
            shown_with=("outcome", "child_protection_plan"),
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
        FieldSpec(
            "outcome",
            "Outcome",
            "radios",
            _options([v.value for v in CloseOutcome]),
            required=True,
        ),
        FieldSpec("reason", "Reason", "textarea", required=True),
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
            required=True,
        ),
    ),
}


DATE_PARTS = ("day", "month", "year")
"""The inputs of a GOV.UK date input, posted as `<name>-day` ..."""


@dataclass(frozen=True)
class FormProblem:
    """One answer of a form that cannot be used: the field, what is wrong (worded by
    `messages.message`), the parts of a date in error, and the placeholders of the message."""

    field: str
    problem: Problem
    parts: tuple[str, ...] = ()
    values: Mapping[str, str] = default(default_factory=dict)


class FormError(ValueError):
    """Answers of a form that cannot be used; `problems` lists each, in form order."""

    def __init__(self, problems: Sequence[FormProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.problem.value}" for p in problems))
        self.problems = tuple(problems)


def _first(form: MultiValues, name: str) -> str:
    values = form.get(name, ())
    return values[0].strip() if values else ""


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = target
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def read_date(form: MultiValues, name: str) -> date | FormProblem | None:
    """The date of the GOV.UK date input `name` (`<name>-day`, `-month`, `-year`): None when
    all three are blank, a `FormProblem` (the parts in error) when they are not a real date."""
    parts = {p: _first(form, f"{name}-{p}") for p in DATE_PARTS}
    missing = [p for p in DATE_PARTS if not parts[p]]
    if len(missing) == len(DATE_PARTS):
        return None
    if missing:
        return FormProblem(
            name,
            Problem.INCOMPLETE_DATE,
            tuple(missing),
            {"missing": " and a ".join(missing)},
        )
    # ASCII digits, short: "²" passes isdigit() but not int(), 5,000 digits neither
    bad = tuple(p for p in DATE_PARTS if not (parts[p].isascii() and parts[p].isdigit()))
    bad += tuple(p for p in DATE_PARTS if p not in bad and len(parts[p]) > 4)
    if bad:
        return FormProblem(name, Problem.NOT_A_REAL_DATE, bad)
    if len(parts["year"]) != 4:
        return FormProblem(name, Problem.SHORT_YEAR, ("year",))
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return FormProblem(name, Problem.NOT_A_REAL_DATE, DATE_PARTS)


def _given(form: MultiValues, spec: FieldSpec) -> bool:
    if spec.kind == "date":
        return any(_first(form, f"{spec.name}-{p}") for p in DATE_PARTS) or bool(
            _first(form, spec.name)
        )
    if spec.kind == "checkboxes":
        return any(v for v in form.get(spec.name, ()))
    return bool(_first(form, spec.name))


def event_data_from_form(event: Event, form: MultiValues) -> dict[str, Any]:
    """The event data (DESIGN 6.1) posted by the event's form; blank fields are left out.

    Raises `FormError` listing every answer that cannot be used: a yes or no that is neither, a
    date that is not a real one, a required answer left blank, a blank member of a group of
    which another is given."""
    data: dict[str, Any] = {}
    problems: list[FormProblem] = []
    specs = EVENT_FORMS.get(event, ())
    groups = {s.group for s in specs if s.group and _given(form, s)}
    for spec in specs:
        if (spec.required or spec.group in groups) and not _given(form, spec):
            parts = DATE_PARTS if spec.kind == "date" else ()
            problems.append(FormProblem(spec.name, Problem.MISSING, parts))
            continue
        if spec.kind == "checkboxes":
            values = [v for v in form.get(spec.name, ()) if v]
            if values or event is not Event.RECORD_FACTS:
                _put(data, spec.name, values)
            continue
        if spec.kind == "date":
            day = read_date(form, spec.name)
            if isinstance(day, FormProblem):
                problems.append(day)
            elif day is not None:
                _put(data, spec.name, day.isoformat())
            elif _first(form, spec.name):
                # a post of an older page or a script: the ISO date as typed (the model checks it)
                _put(data, spec.name, _first(form, spec.name))
            continue
        raw = _first(form, spec.name)
        if not raw:
            continue
        if spec.kind == "yesno":
            if raw not in ("yes", "no"):
                problems.append(FormProblem(spec.name, Problem.INVALID))
                continue
            _put(data, spec.name, raw == "yes")
        elif spec.kind == "codes":
            _put(data, spec.name, [c.strip() for c in raw.split(",") if c.strip()])
        else:
            _put(data, spec.name, raw)
    if problems:
        raise FormError(problems)
    return data
