"""What the pages of who does the work show (DESIGN 2.5), read from the services: the case page's
"who does the work" panel, the dashboard's work sections, a user's work notices and a case's
chronology in plain words (page, print view and CSV).

No routes here (they are in `esafety_flow.web.work_pages`), so that the pages of
`esafety_flow.web.pages` can use these too. `case_work` is a template global: the case page
includes `_case_work.html`, which calls it with the case the page shows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fastapi import Request
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import select

from calendars import LONDON, Region, WorkingDayCalendar, london_date
from esafety_flow.web.access import Role, Viewer, actor_of
from esafety_flow.web.common import (
    calendar_of,
    case_access_of,
    ctx_of,
    per_request,
    team_name_of,
    templates,
)
from esafety_flow.web.context import WebContext
from states import AssessmentFactor, DeadlineKind, Event, NoteKind, StandardName
from workflows import allocation, notifications, oversight, queries
from workflows.casework import SYSTEM_ACTOR
from workflows.chronology import ChronologyEntry, chronology_of
from workflows.domain import Case, CaseEvent, effective_history
from workflows.notifications import NoticeKind
from workflows.permissions import may_supervise
from workflows.persistence import reading
from workflows.persistence.tables import cases
from workflows.queries import visible_cases

__all__ = [
    "NOTE_KIND_LABELS",
    "ChronologyRow",
    "NoteView",
    "case_work",
    "chronology_csv",
    "chronology_rows",
    "dashboard_work",
    "describe",
    "grants_of",
    "names_of",
    "notes_of",
    "notice_rows",
    "person_names",
    "when_text",
]

NOTE_KIND_LABELS: Mapping[str, str] = {
    NoteKind.VISIT.value: "Visit",
    NoteKind.CONTACT.value: "Contact",
    NoteKind.DISCUSSION.value: "Discussion",
    NoteKind.MANAGEMENT_OVERSIGHT.value: "Management oversight",
    NoteKind.SUPERVISION.value: "Supervision",
    NoteKind.OTHER.value: "Other",
}

_EVENT_WORDS: Mapping[str, str] = {
    "raise_concern": "Concern recorded",
    "refer": "Referral made",
    "start_assessment": "Single assessment started",
    "convene_strategy_discussion": "Strategy discussion convened",
    "hold_strategy_discussion": "Strategy discussion held",
    "start_section_47": "Section 47 enquiry started",
    "hold_conference": "Initial child protection conference held",
    "hold_core_group": "Core group meeting held",
    "hold_review_conference": "Review conference held",
    "complete_assessment": "Single assessment submitted for authorisation",
    "authorise_assessment": "Single assessment authorised",
    "return_assessment": "Single assessment returned to the worker",
    "step_down": "Stepped down to early help",
    "escalate": "Escalated from early help to a referral",
    "close": "Case closed",
    "record_facts": "Facts updated",
    "correct_date": "Date corrected",
    "allocate": "Case allocated",
    "transfer": "Case transferred",
    "add_note": "Case note",
    "refer_to_lado": "Referred to the LADO",
    "hold_lado_strategy_meeting": "LADO strategy meeting held",
    "record_allegation_outcome": "Allegation outcome recorded",
    "close_allegation": "Allegation closed",
}

_VALUE_WORDS: Mapping[str, str] = {
    "police": "the police",
    "childrens_social_care": "children's social care",
    "health": "health",
    "education": "education",
    "lado": "the LADO",
    "employer": "the employer",
    "child_protection_plan": "child protection plan",
    "no_plan": "no child protection plan",
    "no_further_action": "no further action",
    "child_protection_plan_ended": "child protection plan ended",
    "early_help_completed": "early help completed",
    "leaves": "leaves the home during the assessment",
    "stays": "stays in the home",
}

_CATEGORY_WORDS: Mapping[str, str] = {
    "youth_produced_sexual_imagery": "youth-produced sexual imagery",
    "adult_indecent_images": "adult with indecent images of children",
    "online_grooming": "online grooming",
    "sexual_communication": "sexual communication with a child",
    "exposure_to_harmful_content": "exposure to harmful content",
    "online_bullying": "online bullying",
    "extremism": "extremism and radicalisation",
    "financial_exploitation": "financial exploitation (including sextortion)",
    "harmful_websites": "harmful websites (self-harm, eating disorders)",
    "staff_online_conduct": "online conduct of staff or volunteers",
    "other": "other online harm",
}

_QUESTIONS: Mapping[str, str] = {
    "household_children_safety": "Safety of the children in the household",
    "image_children_safety": "Safety of the children shown in the images",
    "when_to_inform_alleged_abuser": "When the alleged abuser and partner will be told",
    "criminal_investigation": "Police criminal investigation",
    "section_47_threshold_met": "Section 47 threshold met",
    "icpc_required": "Initial child protection conference required",
    "contact_with_children_through_work": "Contact with children through work",
    "employer_action": "Action by the employer",
}

_SKIPPED_KEYS = frozenset(
    {
        "owner_id",
        "team_id",
        "amends",
        "kind",
        "text",
        "significant",
        "event_id",
        "late",
        "facts",
        "region",
        "policy",
        "reference",
        "person_id",
    }
)


def _words(value: Any) -> str:
    """A stored value in plain words (codes by their wording, yes or no, lists joined)."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return _join([_words(v) for v in value])
    if isinstance(value, dict):
        return "; ".join(f"{_key(k)}: {_words(v)}" for k, v in value.items() if v is not None)
    text = str(value)
    if text in _VALUE_WORDS:
        return _VALUE_WORDS[text]
    return text.replace("_", " ") if text.isidentifier() and "_" in text else text


def _key(name: str) -> str:
    if name in _QUESTIONS:
        return _QUESTIONS[name]
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def when_text(value: datetime) -> str:
    """ "4 March 2026 at 09:15" (London time)."""
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def _day_text(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def case_names(ctx: WebContext, case: Case, *, ids: Iterable[int] = ()) -> queries.UserNames:
    """The display names of the people a case's page names: its worker, who recorded each entry
    of its log and whom each allocation chose, the assessment's author, and the users `ids`
    (one statement, not every account); the service itself by name."""
    usernames = {e.actor for e in case.history}
    usernames.update(
        str(e.data["owner"]) for e in case.history if e.event == "allocate" and e.data.get("owner")
    )
    if case.assessment is not None:
        usernames.add(case.assessment.by)
    wanted = set(ids) | ({case.owner_id} if case.owner_id is not None else set())
    found = queries.user_names(ctx.session_factory, ids=wanted, usernames=usernames)
    return queries.UserNames(found.by_id, _with_service(found.by_username))


SYSTEM_NAME = "esafety-flow (automatically)"


def case_names_of(request: Request, case: Case) -> queries.UserNames:
    """`case_names` of the case (its named managers included), read once per request."""
    assert case.id is not None
    access = case_access_of(request, case.id)
    managers = access.manager_ids if access is not None else frozenset()
    return per_request(
        request, ("case_names", case.id), lambda: case_names(ctx_of(request), case, ids=managers)
    )


def names_of(ctx: WebContext, usernames: Iterable[str]) -> dict[str, str]:
    """The display names of these users by username (one statement for just them), and of the
    service itself, for what it did on its own."""
    return _with_service(queries.user_names(ctx.session_factory, usernames=usernames).by_username)


def person_names(ctx: WebContext) -> dict[str, str]:
    """Display names by username (and the service itself, for what it did on its own)."""
    brief = queries.list_users_brief(ctx.session_factory)
    return _with_service({u.username: u.display_name for u in brief})


def _with_service(names: Mapping[str, str]) -> dict[str, str]:
    """Display names by username, and the service's own for what it did on its own."""
    return {**names, SYSTEM_ACTOR: SYSTEM_NAME}


def describe(
    event: str, data: Mapping[str, Any], names: Mapping[str, str]
) -> tuple[str, list[str]]:
    """What an event was, in words, and the details of its data (one line each)."""
    what = _EVENT_WORDS.get(event, event.replace("_", " ").capitalize())
    details: list[str] = []
    if event == "raise_concern":
        raw = data.get("facts")
        facts: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        category = str(facts.get("category") or "")
        if category:
            what = f"Concern recorded: {_CATEGORY_WORDS.get(category, _words(category))}"
        return what, details
    if event == "refer" and data.get("referred_to"):
        what = f"Referred to {_words(data['referred_to'])}"
    elif event == "convene_strategy_discussion" and data.get("urgent"):
        what = "Urgent strategy discussion convened (same day)"
    elif event == "allocate" and data.get("owner"):
        owner = str(data["owner"])
        what = f"Allocated to {names.get(owner, owner)}"
    elif event == "transfer":
        if data.get("lado"):
            what = "Passed to the LADOs' unallocated list"
        elif data.get("team"):
            what = f"Transferred to {data['team']}"
        else:
            what = "Put on the team's unallocated list"
    elif event == "add_note":
        kind = NOTE_KIND_LABELS.get(str(data.get("kind")), "Case")
        what = f"{kind} note" + (" (amendment)" if data.get("amends") else "")
        if data.get("text"):
            details.append(str(data["text"]))
        return what, details
    elif event == "complete_assessment":
        factors = []
        for code in data.get("factors") or ():
            try:
                factors.append(AssessmentFactor(code).label)
            except ValueError:
                factors.append(str(code))
        if factors:
            details.append("Factors identified: " + "; ".join(factors))
        return what, details
    elif event == "correct_date":
        old, new = data.get("old_occurred_at"), data.get("new_occurred_at")
        if old and new:
            details.append(
                f"From {when_text(datetime.fromisoformat(old))} "
                f"to {when_text(datetime.fromisoformat(new))}"
            )
        if data.get("reason"):
            details.append(f"Reason: {data['reason']}")
        return what, details
    for key, value in data.items():
        if key in _SKIPPED_KEYS or key in ("referred_to", "owner", "lado", "team", "urgent"):
            continue
        if value in (None, "", [], {}):
            continue
        if key == "considerations" and isinstance(value, dict):
            details.extend(
                f"{_key(k)}: {_words(v)}" for k, v in value.items() if v not in (None, "")
            )
        elif key == "outcome" and isinstance(value, str):
            details.append(f"Outcome: {_words(value)}")
        else:
            details.append(f"{_key(key)}: {_words(value)}")
    return what, details


# -- notes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteView:
    event_id: int
    kind: str
    kind_label: str
    text: str
    significant: bool
    at: datetime
    recorded_at: datetime
    by: str
    late: bool
    amends: int | None
    amended_by: tuple[int, ...]


def notes_of(history: Sequence[CaseEvent], names: Mapping[str, str]) -> list[NoteView]:
    """A case's notes in the order they happened; each amendment names the note it amends and
    each amended note the notes that amend it (both stay on the record)."""
    found = [e for e in effective_history(history) if e.is_transition and e.event == Event.ADD_NOTE]
    amended: dict[int, list[int]] = {}
    for e in found:
        if e.data.get("amends"):
            amended.setdefault(int(e.data["amends"]), []).append(e.seq)
    return [
        NoteView(
            event_id=e.seq,
            kind=str(e.data.get("kind")),
            kind_label=NOTE_KIND_LABELS.get(str(e.data.get("kind")), "Other"),
            text=str(e.data.get("text") or ""),
            significant=bool(e.data.get("significant")),
            at=e.at,
            recorded_at=e.recorded_at,
            by=names.get(e.actor, e.actor),
            late=e.late,
            amends=int(e.data["amends"]) if e.data.get("amends") else None,
            amended_by=tuple(amended.get(e.seq, ())),
        )
        for e in sorted(found, key=lambda e: (e.at, e.seq))
    ]


# -- the case page's panel --------------------------------------------------------------------


def grants_of(viewer: Viewer) -> dict[str, Any]:
    """The visibility grants of the viewer, as the work services take them."""
    return {
        "team_ids": viewer.team_ids,
        "restricted_all": viewer.role is Role.LADO,
        "restricted_manager_id": viewer.id if viewer.role is Role.MANAGER else None,
    }


@pass_context
def case_work(context: Context, case: Case) -> dict[str, Any]:
    """The "who does the work" panel of `case` for the signed-in viewer: owner and team, how long
    an unallocated case has waited, the named managers of a restricted case, the assessment
    awaiting authorisation, the notes with their amendments, and what the viewer may do."""
    request = context["request"]
    viewer: Viewer = context["viewer"]
    ctx = ctx_of(request)
    assert case.id is not None
    access = case_access_of(request, case.id)
    assert access is not None
    named = case_names_of(request, case)
    names = named.by_username
    now = ctx.clock.now()
    calendar = calendar_of(request, case.region)
    waited = None
    if case.owner_id is None and case.unallocated_since is not None:
        waited = calendar.working_days_between(
            london_date(case.unallocated_since), london_date(now)
        )
    actor = actor_of(viewer)
    supervises = may_supervise(actor, access)
    assessment = None
    if case.assessment is not None:
        due = case.open_deadline(DeadlineKind.SINGLE_ASSESSMENT)
        left = None
        if due is not None:
            left = calendar.working_days_between(london_date(now), due.due_date)
        assessment = {
            "by": names.get(case.assessment.by, case.assessment.by),
            "by_username": case.assessment.by,
            "at": case.assessment.at,
            "due_date": due.due_date if due is not None else None,
            "left": left,
            "own": case.assessment.by == viewer.username,
        }
    open_case = case.child_protection_open or case.allegation_open
    return {
        "owner": named.by_id.get(case.owner_id) if case.owner_id is not None else None,
        "team": team_name_of(request, case.team_id),
        "unallocated_since": case.unallocated_since if case.owner_id is None else None,
        "waited": waited,
        "managers": [named.by_id[m] for m in sorted(access.manager_ids) if m in named.by_id],
        "may_supervise": supervises and open_case,
        "may_name_managers": viewer.role is Role.LADO and case.restricted,
        "may_note": open_case,
        "assessment": assessment,
        "last_assessment": _last_assessment(case, names),
        "notes": notes_of(case.history, names),
        "open": open_case,
    }


_ASSESSMENT_STEPS = {
    Event.AUTHORISE_ASSESSMENT.value: "Last authorised",
    Event.RETURN_ASSESSMENT.value: "Returned to the worker",
}


def _last_assessment(case: Case, names: Mapping[str, str]) -> dict[str, Any] | None:
    """The latest authorisation or return of the single assessment (when none is awaiting)."""
    steps = [
        e
        for e in effective_history(case.history)
        if e.is_transition and e.event in _ASSESSMENT_STEPS
    ]
    if not steps:
        return None
    last = max(steps, key=lambda e: (e.at, e.seq))
    return {
        "what": _ASSESSMENT_STEPS[str(last.event)],
        "by": names.get(last.actor, last.actor),
        "at": last.at,
        "reason": last.data.get("reason"),
    }


def _worker_item(worker: Mapping[str, Any], chosen: str) -> dict[str, Any]:
    """A worker as a radio button: name, with their team and open cases as its hint."""
    count = int(worker["open"])
    hint = f"{count} open case{'' if count == 1 else 's'}"
    if worker.get("team"):
        hint = f"{worker['team']}: {hint}"
    return {
        "value": worker["username"],
        "text": worker["name"],
        "hint": {"text": hint},
        "checked": worker["username"] == chosen,
    }


_STATE_WORDS: Mapping[str, str] = {
    "concern": "Concern",
    "referral": "Referral",
    "early_help": "Early help",
    "assessment": "Single assessment",
    "strategy_discussion": "Strategy discussion",
    "section_47": "Section 47 enquiry",
    "review": "Child protection plan",
    "closed": "Closed",
}


def _state_text(state: str) -> str:
    return _STATE_WORDS.get(state, state.replace("_", " ").capitalize())


def _deadline_text(kind: str) -> str:
    """A deadline kind in words (lower case, for the middle of a sentence)."""
    return kind.replace("_", " ").replace("section 47", "Section 47").replace("lado", "LADO")


templates.env.globals["case_work"] = case_work
templates.env.filters.update(
    work_when=when_text,
    work_day=_day_text,
    work_worker_item=_worker_item,
    work_state=_state_text,
    work_deadline=_deadline_text,
)


# -- the dashboard ----------------------------------------------------------------------------


def dashboard_work(request: Request, viewer: Viewer, *, limit: int = 20) -> dict[str, Any]:
    """The dashboard's sections of who does the work: the unallocated cases with how long each has
    waited, the assessments awaiting authorisation with the working days left of their 45, and
    the cases overdue for management oversight (each region's calendar built once)."""
    ctx = ctx_of(request)
    sf = ctx.session_factory
    now = ctx.clock.now()
    today = london_date(now)
    calendar = calendar_of(request, ctx.region)

    def calendar_for(region: Region) -> WorkingDayCalendar:
        return calendar_of(request, region)

    grants = grants_of(viewer)
    waiting = allocation.unallocated(sf, limit=500, **grants)
    unallocated = [
        (r, calendar.working_days_between(london_date(r.waiting_since), today))
        for r in waiting[:limit]
    ]
    awaiting = oversight.awaiting_authorisation(
        sf, today=today, calendar_for=calendar_for, **grants
    )
    overdue = oversight.oversight_due(
        sf, today=today, calendar_for=calendar_for, policy_for=ctx.policy_for, **grants
    )
    return {
        "unallocated": unallocated,
        "unallocated_total": len(waiting),
        "awaiting": awaiting[:limit],
        "awaiting_total": len(awaiting),
        "oversight": overdue[:limit],
        "oversight_total": len(overdue),
        "names": names_of(ctx, {a.submitted_by for a in awaiting[:limit]}),
        "oversight_every": ctx.policy.standard(StandardName.MANAGEMENT_OVERSIGHT).duration,
    }


# -- work notices ----------------------------------------------------------------------------

_NOTICE_WORDS: Mapping[NoticeKind, str] = {
    NoticeKind.ALLOCATED: "was allocated to you",
    NoticeKind.TRANSFERRED: "was transferred to your team's unallocated list",
    NoticeKind.PASSED_ON: (
        "became an allegations (LADO) case and was passed to the LADOs: it has left your caseload"
    ),
    NoticeKind.UNALLOCATED: (
        "is on your team's unallocated list: its owner's account was deactivated"
    ),
    NoticeKind.CENSUS: "has records to fix before the CIN census (see the census page)",
}


@dataclass(frozen=True)
class NoticeRow:
    kind: str
    reference: str
    case_id: int
    created_at: datetime
    text: str
    link: bool
    """Whether the viewer may still open the case (a case passed to the LADOs they may not)."""


def _readable_ids(ctx: WebContext, viewer: Viewer, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    grants = grants_of(viewer)
    visible = visible_cases(
        sorted(grants["team_ids"]),
        restricted_all=grants["restricted_all"],
        manager_id=grants["restricted_manager_id"],
    )
    if not wanted or visible is None:
        return set()
    with reading(ctx.session_factory) as s:
        return set(s.execute(select(cases.c.id).where(cases.c.id.in_(wanted), visible)).scalars())


def notice_rows(ctx: WebContext, viewer: Viewer, *, limit: int = 50) -> tuple[list[NoticeRow], int]:
    """The viewer's work notices, newest first, and how many they have."""
    found, total = notifications.notices_of_user(ctx.session_factory, viewer.id, limit=limit)
    readable = _readable_ids(ctx, viewer, (n.case_id for n in found))
    return [
        NoticeRow(
            kind=n.kind.value,
            reference=n.reference,
            case_id=n.case_id,
            created_at=n.created_at,
            text=_NOTICE_WORDS[n.kind],
            link=n.case_id in readable,
        )
        for n in found
    ], total


# -- the chronology ---------------------------------------------------------------------------

_KIND_WORDS = {"event": "Step in the procedure", "decision": "Decision", "note": "Case note"}


@dataclass(frozen=True)
class ChronologyRow:
    event_id: int
    kind: str
    kind_label: str
    what: str
    details: list[str]
    at: datetime
    recorded_at: datetime
    by: str
    late: bool
    original_at: datetime | None
    amends: int | None = None
    amended_by: list[int] = field(default_factory=list)


def chronology_rows(case: Case, names: Mapping[str, str]) -> list[ChronologyRow]:
    """The case's chronology (`workflows.chronology.chronology_of`) in words, oldest first."""
    entries: list[ChronologyEntry] = chronology_of(case.history)
    amended: dict[int, list[int]] = {}
    for e in entries:
        if e.event == Event.ADD_NOTE and e.data.get("amends"):
            amended.setdefault(int(e.data["amends"]), []).append(e.event_id)
    rows = []
    for e in entries:
        what, details = describe(e.event, e.data, names)
        rows.append(
            ChronologyRow(
                event_id=e.event_id,
                kind=e.kind,
                kind_label=_KIND_WORDS.get(e.kind, e.kind),
                what=what,
                details=details,
                at=e.at,
                recorded_at=e.recorded_at,
                by=names.get(e.by, e.by),
                late=e.late,
                original_at=e.original_at,
                amends=int(e.data["amends"]) if e.data.get("amends") else None,
                amended_by=amended.get(e.event_id, []),
            )
        )
    return rows


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_time(value: datetime) -> str:
    return f"{value.astimezone(LONDON):%Y-%m-%d %H:%M}"


def chronology_csv(reference: str, rows: Sequence[ChronologyRow]) -> str:
    """The chronology as CSV: one row per entry, both times (UK time), who, what, in words."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "Case",
            "Happened (UK time)",
            "Recorded (UK time)",
            "Recorded by",
            "Entry",
            "What",
            "Details",
            "Recorded late",
            "Date corrected from",
        ]
    )
    for r in rows:
        details = list(r.details)
        if r.amends:
            details.append(f"Amends entry {r.amends}")
        if r.amended_by:
            details.append("Amended by entry " + ", ".join(str(a) for a in r.amended_by))
        writer.writerow(
            [
                reference,
                _csv_time(r.at),
                _csv_time(r.recorded_at),
                _cell(r.by),
                r.kind_label,
                _cell(r.what),
                _cell(" | ".join(details)),
                "yes" if r.late else "no",
                _csv_time(r.original_at) if r.original_at else "",
            ]
        )
    return out.getvalue()
