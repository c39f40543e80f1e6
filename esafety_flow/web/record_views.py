"""What the case page shows of casework as it is recorded (DESIGN 2.3, 6.1; issue 8): the
timeline with both times of each event, the "Recorded late" tag and the corrections of its date,
what each event recorded (a strategy discussion's attendees, answers and decisions, a working
agreement, a conference or allegation outcome...), the facts summary with its "Change" links,
and the pieces of the case page's event forms (the date and time they happened, the problems
placed beside their fields).

No routes here (they are in `esafety_flow.web.record_pages` and `esafety_flow.web.pages`), so that
both can use these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from calendars import LONDON
from esafety_flow.web import messages
from esafety_flow.web.forms import DATE_PARTS, FieldSpec, FormProblem
from esafety_flow.web.work_forms import WHEN, WorkForm, when_defaults, when_from_form
from esafety_flow.web.work_views import describe
from states import (
    AssessmentFactor,
    CategoryOfAbuse,
    CensusCode,
    Event,
    InvalidEventData,
    PrimaryNeed,
    ReasonForClosure,
    ReferralSource,
)
from states.labels import label as label_of_code
from workflows.domain import Case, CaseEvent, CaseEventKind, effective_history

__all__ = [
    "DEFAULT_MARK",
    "FACTS",
    "OWN_PAGES",
    "TimelineEntry",
    "correction_effects",
    "data_refusal",
    "data_rows",
    "event_form",
    "fact_text",
    "fact_text_of_code",
    "facts_rows",
    "occurred_from_form",
    "place_data_error",
    "place_problems",
    "place_refusal",
    "records",
    "short_when",
    "timeline",
    "working_agreement_label",
]

OWN_PAGES: frozenset[Event] = frozenset(
    {
        Event.ALLOCATE,
        Event.TRANSFER,
        Event.ADD_NOTE,
        Event.AUTHORISE_ASSESSMENT,
        Event.RETURN_ASSESSMENT,
        Event.RECORD_FACTS,
        Event.CORRECT_DATE,
    }
)
"""Events recorded on pages of their own (the work panel's, the facts' "Change" links, "Correct
the date"): left out of the case page's generic list of actions."""

DEFAULT_MARK = f"{WHEN}-default"
"""A hidden field holding the date and time a form was shown with ("now" then): posted unchanged,
the event is dated the moment it is recorded, so that a form shown in the same minute as the
case's last event never dates the new one before it."""

FACTS: Mapping[str, str] = {
    "category": "Category",
    "children": "Children",
    "alleged_abuser": "Alleged abuser",
    "imagery": "Imagery",
    "significant_harm_suspected": "Significant harm suspected",
    "risk_factors": "Risk factors",
    "leave_home_decision": "Leave-home decision",
    "working_agreement": "Working agreement",
}
"""The facts of a case (DESIGN 6.1) by their names, in the order the summary shows them."""

_SLUGS: Mapping[str, str] = {
    "category": "category",
    "alleged_abuser": "alleged-abuser",
    "imagery": "imagery",
    "children": "children",
    "significant_harm_suspected": "significant-harm",
    "risk_factors": "risk-factors",
    "leave_home_decision": "leave-home",
    "working_agreement": "working-agreement",
}
"""The facts with a "Change" page, and the last part of its address."""

_CATEGORY: Mapping[str, str] = {
    "youth_produced_sexual_imagery": "Youth-produced sexual imagery",
    "adult_indecent_images": "Adult with indecent images of children",
    "online_grooming": "Online grooming",
    "sexual_communication": "Sexual communication with a child",
    "exposure_to_harmful_content": "Exposure to harmful content",
    "online_bullying": "Online bullying",
    "extremism": "Extremism and radicalisation",
    "financial_exploitation": "Financial exploitation (including sextortion)",
    "harmful_websites": "Harmful websites (self-harm, eating disorders)",
    "staff_online_conduct": "Online conduct of staff or volunteers",
    "other": "Other online harm",
}

_WORDS: Mapping[str, str] = {
    "police": "Police",
    "childrens_social_care": "Children's social care",
    "health": "Health",
    "education": "Education",
    "lado": "LADO",
    "employer": "Employer",
    "child_protection_plan": "Child protection plan",
    "no_plan": "No child protection plan",
    "plan_continues": "The plan continues",
    "plan_ended": "The plan ended",
    "no_further_action": "No further action",
    "child_protection_plan_ended": "Child protection plan ended",
    "early_help_completed": "Early help completed",
    "leaves": "Leaves the home during the assessment",
    "stays": "Stays in the home",
    "adult": "Adult",
    "child": "Child",
    "unknown": "Not known",
}

_LABELS: Mapping[str, str] = {
    "referred_to": "Referred to",
    "referral_source": "Referral source",
    "primary_need": "Primary need",
    "urgent": "Urgent (same day)",
    "attendees": "Attendees",
    "household_children_safety": "Safety of the children in the household and wider network",
    "image_children_safety": "Safety of the children shown in the images",
    "when_to_inform_alleged_abuser": "When the alleged abuser and partner will be told",
    "criminal_investigation": "Police criminal investigation",
    "section_47_threshold_met": "Section 47 threshold met",
    "icpc_required": "Initial child protection conference required",
    "contact_with_children_through_work": "Contact with children through work or volunteering",
    "employer_action": "Action by the employer",
    "decisions": "Decisions",
    "leave_home_decision": "Leave-home decision",
    "supervision_of_contact": "Working agreement: supervision of contact",
    "intimate_care": "Working agreement: intimate care",
    "entry_to_childrens_rooms": "Working agreement: entry to children's rooms",
    "sleepovers": "Working agreement: sleepovers",
    "review_date": "Working agreement: review date",
    "outcome": "Outcome",
    "category_of_abuse": "Category of abuse",
    "reason_for_closure": "Reason for closure",
    "reason": "Reason",
    "factors": "Factors identified",
}

_CODES: Mapping[str, type[CensusCode]] = {
    "referral_source": ReferralSource,
    "primary_need": PrimaryNeed,
    "category_of_abuse": CategoryOfAbuse,
    "reason_for_closure": ReasonForClosure,
    "factors": AssessmentFactor,
}

_ABUSER_FLAGS: Mapping[str, str] = {
    "lives_with_children": "lives with children",
    "unsupervised_contact_with_children": "has unsupervised contact with children",
    "position_of_trust": "in a position of trust",
}

RECORDED: tuple[Event, ...] = (
    Event.REFER,
    Event.CONVENE_STRATEGY_DISCUSSION,
    Event.HOLD_STRATEGY_DISCUSSION,
    Event.HOLD_CONFERENCE,
    Event.HOLD_REVIEW_CONFERENCE,
    Event.COMPLETE_ASSESSMENT,
    Event.RETURN_ASSESSMENT,
    Event.CLOSE,
    Event.HOLD_LADO_STRATEGY_MEETING,
    Event.RECORD_ALLEGATION_OUTCOME,
)
"""The events whose data the case page lists under "What was recorded"."""

_HELD = frozenset(
    {
        Event.HOLD_STRATEGY_DISCUSSION.value,
        Event.HOLD_CONFERENCE.value,
        Event.HOLD_CORE_GROUP.value,
        Event.HOLD_REVIEW_CONFERENCE.value,
        Event.HOLD_LADO_STRATEGY_MEETING.value,
    }
)


# -- times -------------------------------------------------------------------------------------


def short_when(instant: datetime, today: date) -> str:
    """ "2 March 16:00" (London time), with the year when it is not this year's."""
    local = instant.astimezone(LONDON)
    year = "" if local.year == today.year else f" {local.year}"
    return f"{local.day} {local:%B}{year} {local:%H:%M}"


def _same_minute(a: datetime, b: datetime) -> bool:
    return a.astimezone(LONDON).replace(second=0, microsecond=0) == b.astimezone(LONDON).replace(
        second=0, microsecond=0
    )


# -- the event forms -----------------------------------------------------------------------------


def event_form(now: datetime, posted: Mapping[str, Sequence[str]] | None = None) -> WorkForm:
    """A case page event form: what was posted, or a new one set to `now` (with the mark that
    says so)."""
    if posted is not None:
        return WorkForm.of(posted)
    values = when_defaults(now)
    values[DEFAULT_MARK] = [_parts_text(values)]
    return WorkForm(values)


def _parts_text(values: Mapping[str, Sequence[str]]) -> str:
    parts = [(values.get(f"{WHEN}-{p}") or [""])[0].strip() for p in ("day", "month", "year")]
    time = (values.get(f"{WHEN}-time") or [""])[0].strip()
    return "/".join(parts) + " " + time


_NEVER = datetime.max.replace(tzinfo=UTC)


def occurred_from_form(form: WorkForm, *, now: datetime, prefix: str) -> datetime | None:
    """When the event happened, as posted (None after recording the problem beside the date):
    the form's default left unchanged, or a post without the date and time at all (a form of
    an older page, a script), is the moment it is recorded, `now`."""
    if form.one(DEFAULT_MARK) and form.one(DEFAULT_MARK) == _parts_text(form.values):
        return now
    if not any(f"{WHEN}-{p}" in form.values for p in ("day", "month", "year", "time")):
        return now
    # the order rule (never in the future, never before the case's last event of its track) is
    # the service's to judge: its reason, which says which, goes beside the date
    return when_from_form(form, now=_NEVER, prefix=prefix, what="when it happened")


def field_id(prefix: str, name: str) -> str:
    """The id of a generic form field's input (as `_fields.html` makes it)."""
    return f"{prefix}-{name.replace('.', '-').replace('_', '-')}"


def place_problems(
    form: WorkForm,
    prefix: str,
    specs: Sequence[FieldSpec],
    problems: Iterable[FormProblem],
    form_name: str | None = None,
) -> None:
    """Put each problem beside its field, worded by `messages` for the form `form_name` (default
    `prefix`), linking to the field's input (a date's first part in error)."""
    labels = {s.name: s.label for s in specs}
    for p in problems:
        text = messages.message(
            form_name or prefix, p.field, p.problem, labels.get(p.field, ""), **p.values
        )
        anchor = field_id(prefix, p.field) + (f"-{p.parts[0]}" if p.parts else "")
        form.problem(p.field, text, anchor, p.parts)


def place_data_error(
    form: WorkForm,
    prefix: str,
    specs: Sequence[FieldSpec],
    error: InvalidEventData,
    form_name: str | None = None,
) -> bool:
    """Put a `states.InvalidEventData` beside the fields it names; False when it names no field
    of the form. Problems of the data's shape (its `errors`) are worded by `messages`; a refusal
    by the service's own rule ("event: data.a.b: reason") keeps its reason, which is ours."""
    by_name = {s.name: s for s in specs}

    def field_of(path: Sequence[str | int]) -> str:
        name = ".".join(str(p) for p in path if not isinstance(p, int) and not str(p).isdigit())
        while name and name not in by_name:
            name = name.rpartition(".")[0]
        return name

    if error.errors:
        found: dict[str, FormProblem] = {}
        for loc, kind in error.errors:
            name = field_of(loc)
            if name and name not in found:
                spec = by_name[name]
                parts = DATE_PARTS if spec.kind == "date" else ()
                found[name] = FormProblem(name, messages.problem_of(kind, spec.kind), parts)
        place_problems(form, prefix, specs, found.values(), form_name)
        return bool(found)
    _, _, rest = str(error).partition(": ")
    placed = False
    for part in (rest or str(error)).split("; "):
        path, _, reason = part.partition(": ")
        name = field_of(path.removeprefix("data.").split("."))
        if name:
            text = reason or part
            anchor = field_id(prefix, name)
            if by_name[name].kind == "date":
                anchor += "-day"
            form.problem(name, text[:1].upper() + text[1:], anchor)
            placed = True
    return placed


def place_refusal(
    form: WorkForm, prefix: str, specs: Sequence[FieldSpec], reason: str, form_name: str
) -> str:
    """Put a guard's refusal that names blank fields of the form by their codes ("strategy
    discussion must answer employer_action") as a missing answer beside each. Returns what is
    left of the reason for the whole form: its parts ("; ") that name none of them."""
    parts = reason.split("; ")
    named: set[int] = set()
    missing = []
    for spec in specs:
        code = spec.name.rpartition(".")[2]
        if "_" not in code or any(v.strip() for v in form.values.get(spec.name, [])):
            continue
        found = {i for i, p in enumerate(parts) if re.search(rf"\b{re.escape(code)}\b", p)}
        if found:
            named |= found
            dates = DATE_PARTS if spec.kind == "date" else ()
            missing.append(FormProblem(spec.name, messages.Problem.MISSING, dates))
    place_problems(form, prefix, specs, missing, form_name)
    return "; ".join(p for i, p in enumerate(parts) if i not in named)


def data_refusal(error: InvalidEventData) -> str:
    """A refusal of event data that names no field of the form, as a sentence for the page: the
    service's own reason, or (for data of the wrong shape) a plain request to check it."""
    if error.errors:
        return "Some of the answers could not be recorded: check them and try again"
    text = str(error)
    # "event: data.a.b: reason" -> "Reason"
    for _ in range(2):
        head, sep, tail = text.partition(": ")
        if sep and " " not in head:
            text = tail
    return text[:1].upper() + text[1:]


# -- facts ---------------------------------------------------------------------------------------


def _label(code: Any) -> str:
    text = str(code)
    return _WORDS[text] if text in _WORDS else label_of_code(text)


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _review_date(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%B %Y}"


def fact_text_of_code(code: str) -> str:
    """A code of the facts vocabulary in words ("stays" -> "Stays in the home")."""
    return _label(code)


def working_agreement_label(name: str) -> str:
    """The label of one matter of the working agreement."""
    return _LABELS[name]


def fact_text(name: str, value: Any) -> str:
    """A fact's value (as JSON) in words; "" when not recorded."""
    if value is None or (value == [] and name != "risk_factors"):
        return ""
    if name == "category":
        return _CATEGORY.get(str(value), _label(value))
    if name == "significant_harm_suspected":
        return "Yes" if value else "No"
    if name == "risk_factors":
        return _join([_label(v).capitalize() for v in value]) if value else "None"
    if name == "leave_home_decision":
        return _label(value)
    if name == "imagery" and isinstance(value, Mapping):
        shown = [_label(k).lower() for k, v in value.items() if v is True]
        return _join(shown).capitalize() if shown else "None of the triggers"
    if name == "working_agreement" and isinstance(value, Mapping):
        parts = [
            f"{_LABELS[k].removeprefix('Working agreement: ')}: {v}"
            for k in ("supervision_of_contact", "intimate_care", "entry_to_childrens_rooms")
            if (v := value.get(k))
        ]
        if value.get("sleepovers"):
            parts.append(f"sleepovers: {value['sleepovers']}")
        if value.get("review_date"):
            parts.append(f"review by {_review_date(value['review_date'])}")
        return "; ".join(parts)
    if name == "alleged_abuser" and isinstance(value, Mapping):
        bits = [_label(value.get("kind") or "unknown")]
        if value.get("name"):
            bits[0] += f" ({value['name']})"
        bits += [words for flag, words in _ABUSER_FLAGS.items() if value.get(flag)]
        if value.get("role"):
            bits.append(f"role: {value['role']}")
        if value.get("employment_sector"):
            bits.append(f"works in {_label(value['employment_sector']).lower()}")
        return ", ".join(bits)
    if name == "children" and isinstance(value, list):
        return "; ".join(_child_text(c) for c in value if isinstance(c, Mapping))
    return str(value)


_CHILD_FLAGS: Mapping[str, str] = {
    "lives_with_alleged_abuser": "lives with the alleged abuser",
    "known_to_alleged_abuser": "known to the alleged abuser",
    "shown_in_images": "shown in the images",
}


def _child_text(child: Mapping[str, Any]) -> str:
    """ "J.W., aged 14 (lives with the alleged abuser, shown in the images)"."""
    text = str(child.get("name", ""))
    if child.get("age") is not None:
        text += f", aged {child['age']}"
    flags = [words for flag, words in _CHILD_FLAGS.items() if child.get(flag)]
    return text + (f" ({', '.join(flags)})" if flags else "")


def facts_rows(case: Case, *, editable: bool) -> list[dict[str, Any]]:
    """The facts summary list: each fact in words, with a "Change" link (to its form) where the
    viewer may record facts on the open case."""
    facts = case.facts.model_dump(mode="json")
    rows: list[dict[str, Any]] = [
        {"key": {"text": "State"}, "value": {"text": _label(case.state.value)}}
    ]
    for name, label in FACTS.items():
        text = fact_text(name, facts.get(name))
        row: dict[str, Any] = {
            "key": {"text": label},
            "value": {"text": text or "Not recorded"},
        }
        if editable and name in _SLUGS and (name != "children" or case.facts.children):
            row["actions"] = {
                "items": [
                    {
                        "href": f"/cases/{case.id}/facts/{_SLUGS[name]}",
                        "text": "Change",
                        "visuallyHiddenText": label.lower(),
                        "attributes": {"id": f"change-{_SLUGS[name]}"},
                    }
                ]
            }
        rows.append(row)
    rows.append(
        {
            "key": {"text": "Required actions"},
            "value": {"text": _join([_label(a.value) for a in case.required_actions]) or "None"},
        }
    )
    return rows


def fact_slugs() -> Mapping[str, str]:
    """The facts with a "Change" page, by the last part of its address."""
    return {slug: name for name, slug in _SLUGS.items()}


# -- event data ----------------------------------------------------------------------------------


def _value_text(key: str, value: Any) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    code = _CODES.get(key)
    if isinstance(value, list):
        return _join([_value_text(key, v) for v in value]) if value else "None"
    if code is not None:
        try:
            return f"{code(str(value)).label} ({value})"
        except ValueError:
            return str(value)
    if key == "review_date":
        return _review_date(value)
    return _label(value) if str(value).isidentifier() else str(value)


def data_rows(event: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What an event recorded, as (question, answer) pairs in the order of its data (nested
    answers, a strategy discussion's considerations or working agreement, flattened)."""
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        if value in (None, "", [], {}) or key in ("event_id", "owner_id", "team_id", "late"):
            continue
        if isinstance(value, Mapping):
            for inner, answer in value.items():
                if answer not in (None, ""):
                    label = _LABELS.get(inner, _label(inner))
                    rows.append((label, _value_text(inner, answer)))
            continue
        rows.append((_LABELS.get(key, _label(key)), _value_text(key, value)))
    return rows


@dataclass(frozen=True)
class RecordCard:
    """One event's record on the case page (a GOV.UK summary card)."""

    seq: int
    title: str
    when: str
    by: str
    rows: list[tuple[str, str]]


def records(case: Case, today: date) -> list[RecordCard]:
    """What each event of `RECORDED` recorded, in the order it happened."""
    wanted = {e.value for e in RECORDED}
    found = [
        e
        for e in effective_history(case.history)
        if e.is_transition and e.event in wanted and e.data
    ]
    out = []
    for e in sorted(found, key=lambda e: (e.at, e.seq)):
        rows = data_rows(str(e.event), e.data)
        if not rows:
            continue
        title, _ = describe(str(e.event), e.data, {})
        out.append(RecordCard(e.seq, title, short_when(e.at, today), e.actor, rows))
    return out


# -- the timeline --------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    """One entry of the case's log as the timeline shows it."""

    seq: int
    what: str
    times: str
    """ "held 2 March 16:00, recorded 3 March 09:30 by pat", or "2 March 16:00 by pat"."""
    late: bool = False
    details: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    correctable: bool = False
    deadline: bool = False


_DEADLINE_WORDS: Mapping[str, str] = {
    CaseEventKind.DEADLINE_STARTED.value: "Deadline started",
    CaseEventKind.DEADLINE_MET.value: "Deadline met",
    CaseEventKind.DEADLINE_MISSED.value: "Deadline missed (met late)",
    CaseEventKind.DEADLINE_CANCELLED.value: "Deadline cancelled",
    CaseEventKind.DEADLINE_MOVED.value: "Deadline moved",
    CaseEventKind.DEADLINE_REJUDGED.value: "Deadline judged again",
}


def _day_text(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%B %Y}"


def deadline_text(e: CaseEvent) -> str:
    """A deadline entry in words: "Deadline moved: referral decision, from 5 March 2026 to..."."""
    d = e.data
    kind = _label(d.get("deadline", "")).capitalize()
    text = f"{_DEADLINE_WORDS.get(e.kind.value, _label(e.kind.value))}: {kind}"
    if e.kind is CaseEventKind.DEADLINE_MOVED:
        old, new = _day_text(d.get("old_due_date")), _day_text(d.get("new_due_date"))
        text += f", due {old} now {new}" if old != new else f", counted again, still due {new}"
    elif e.kind is CaseEventKind.DEADLINE_REJUDGED:
        old, new = str(d.get("old_status", "")), str(d.get("new_status", ""))
        text += f", {old} before, now {new}" if old != new else f", still {new}"
        if d.get("old_due_date") != d.get("new_due_date"):
            text += (
                f" (due {_day_text(d.get('old_due_date'))} now {_day_text(d.get('new_due_date'))})"
            )
        else:
            text += f" (due {_day_text(d.get('new_due_date'))})"
    elif d.get("due_date"):
        text += f", due {_day_text(d['due_date'])}"
    if d.get("reason") and e.kind in (
        CaseEventKind.DEADLINE_MOVED,
        CaseEventKind.DEADLINE_REJUDGED,
    ):
        text += f": {d['reason']}"
    return text


def _times(e: CaseEvent, today: date) -> str:
    occurred = short_when(e.at, today)
    if _same_minute(e.at, e.recorded_at):
        return f"{occurred} by {e.actor}"
    verb = (
        "held"
        if e.event in _HELD
        else "received"
        if e.event == Event.RAISE_CONCERN.value
        else "happened"
    )
    return f"{verb} {occurred}, recorded {short_when(e.recorded_at, today)} by {e.actor}"


def _facts_before(history: Iterable[CaseEvent]) -> dict[int, dict[str, Any]]:
    """For each `record_facts` entry, the facts it changed as they read just before it."""
    facts: dict[str, Any] = {}
    before: dict[int, dict[str, Any]] = {}
    for e in history:
        if not e.is_transition:
            continue
        if e.event == Event.RAISE_CONCERN.value and isinstance(e.data.get("facts"), Mapping):
            facts = dict(e.data["facts"])
        elif e.event == Event.RECORD_FACTS.value:
            before[e.seq] = {k: facts.get(k) for k in e.data}
            facts.update(e.data)
        elif e.event == Event.HOLD_STRATEGY_DISCUSSION.value:
            for k in ("leave_home_decision", "working_agreement"):
                if e.data.get(k) is not None:
                    facts[k] = e.data[k]
    return before


_CODED = frozenset(
    {"category", "imagery", "significant_harm_suspected", "risk_factors", "leave_home_decision"}
)
"""Facts whose words are the service's own (lower case mid-sentence); names stay as written."""


def _fact_changes(data: Mapping[str, Any], before: Mapping[str, Any]) -> list[str]:
    lines = []
    for name, value in data.items():
        label = FACTS.get(name, _label(name))
        new = fact_text(name, value) or "not recorded"
        old = fact_text(name, before.get(name)) or "not recorded"
        if name in _CODED and before.get(name) is not None:
            old = old[:1].lower() + old[1:]
        lines.append(f"{label}: {new} (was {old})")
    return lines


def timeline(case: Case, *, today: date, may_correct: bool) -> list[TimelineEntry]:
    """The case's log, newest first: each event at the time it happened (as corrected) and when
    and by whom it was recorded where those differ, late entries marked, each correction of its
    date beside it, what it recorded, and whether its date may be corrected here."""
    history = effective_history(case.history)
    before = _facts_before(history)
    by_seq = {e.seq: e for e in history}
    corrections: dict[int, list[str]] = {}
    for e in history:
        if e.corrects is not None and e.corrects in by_seq:
            corrections.setdefault(e.corrects, []).append(_correction_text(e, today))
    entries = []
    for e in history:
        if not e.is_transition:
            entries.append(
                TimelineEntry(e.seq, deadline_text(e), short_when(e.at, today), deadline=True)
            )
            continue
        name = str(e.event)
        what, details = describe(name, e.data, {})
        if name == Event.RECORD_FACTS.value:
            details = _fact_changes(e.data, before.get(e.seq, {}))
        elif name == Event.CORRECT_DATE.value:
            target = by_seq.get(e.corrects or -1)
            what = "Date corrected"
            if target is not None:
                what += f": {describe(str(target.event), target.data, {})[0].lower()}"
            details = [_correction_text(e, today).removeprefix("Date corrected ")]
        elif name in {ev.value for ev in RECORDED}:
            details = [f"{q}: {a}" for q, a in data_rows(name, e.data)]
        entries.append(
            TimelineEntry(
                e.seq,
                what,
                _times(e, today),
                late=e.late,
                details=details,
                corrections=corrections.get(e.seq, []),
                correctable=may_correct and name != Event.CORRECT_DATE.value,
            )
        )
    return entries[::-1]


def _correction_text(e: CaseEvent, today: date) -> str:
    d = e.data
    old = d.get("old_occurred_at")
    new = d.get("new_occurred_at")
    text = "Date corrected"
    if old and new:
        text += (
            f" from {short_when(datetime.fromisoformat(str(old)), today)}"
            f" to {short_when(datetime.fromisoformat(str(new)), today)}"
        )
    if d.get("reason"):
        text += f": {d['reason']}"
    return f"{text}, by {e.actor}"


def correction_effects(case: Case, seq: int) -> list[str]:
    """What the correction `seq` did to the deadlines (moved, judged again), in words."""
    out = []
    for e in case.history:
        if e.seq <= seq:
            continue
        if e.is_transition:
            break
        if e.kind in (CaseEventKind.DEADLINE_MOVED, CaseEventKind.DEADLINE_REJUDGED):
            out.append(deadline_text(e).split(": date corrected")[0])
    return out
