"""Pages of people and search (DESIGN 2.4): the new-concern form with each child as a person, the
step that offers the people already known who may be the ones recorded, "known to us" on the case
page, and the search box.

- `/cases/new`: the form (`concern_form`); "add another child" posts it back with one more block.
  On submit, an exact NHS number or UPN match is linked by the service
  (`workflows.people.link_people`); a likely match (the same date of birth and the same or a
  similar name; an alleged abuser by name) is offered on a check step before the case is created:
  the practitioner confirms one or records a new person. A candidate shows their name, date of
  birth and the cases they are in, linked only where the practitioner may open them (the others
  are counted).
- `case_people` (a template global that `_case_people.html` calls): the case's people who are in
  other cases ("Known to us: N earlier cases"), with links only to the cases the viewer may open,
  and an alleged abuser already named in an earlier case, above all in a position of trust, at the
  top of the triage result.
- `/search`: one box for a reference, name, NHS number, UPN or date of birth
  (`workflows.search`), results only from the cases the viewer may open, each search in the audit
  trail; the header of every caseworker's page has the same box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from esafety_flow.web.access import Viewer, can_raise_concern, works_cases
from esafety_flow.web.common import (
    Forbidden,
    NotSignedIn,
    ctx_of,
    form_values,
    load_viewer,
    readable_by,
    render,
    templates,
)
from esafety_flow.web.concern_form import (
    CHILD_BLOCKS_LIMIT,
    CONCERN_CHOICES,
    anchor_of,
    child_blocks,
    read_concern,
)
from esafety_flow.web.context import WebContext
from esafety_flow.web.pages import caseload_filter
from esafety_flow.web.work_forms import WHEN, WorkForm, when_defaults
from states import CaseFacts, InvalidEventData
from workflows import audit, casework, people, search
from workflows.domain import Case
from workflows.errors import InvalidStep
from workflows.persistence import reading
from workflows.persistence.tables import persons

__all__ = ["SEARCH_MIN_LENGTH", "case_people", "router"]

router = APIRouter(include_in_schema=False)

SEARCH_MIN_LENGTH = 2
"""The shortest name a search looks for (one letter would list half the county)."""
_SEARCH_TEXT_LIMIT = 200


def _require(request: Request) -> Viewer:
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    return viewer


# -- the new concern ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A person already known who may be the one recorded, as the practitioner may see them."""

    person_id: int
    name: str
    date_of_birth: Any
    cases: tuple[people.KnownCase, ...]

    @property
    def shown(self) -> list[people.KnownCase]:
        return [c for c in self.cases if c.visible]

    @property
    def hidden(self) -> int:
        return sum(1 for c in self.cases if not c.visible)


@dataclass(frozen=True)
class Offer:
    """The likely matches of one child or of the alleged abuser, and the field that answers."""

    field: str
    who: str
    name: str
    candidates: tuple[Candidate, ...]

    @property
    def answers(self) -> set[str]:
        return {"new", *(str(c.person_id) for c in self.candidates)}


def _exact_person(session: Any, subject: Any) -> int | None:
    for field in ("nhs_number", "upn"):
        value = getattr(subject, field, None)
        if value:
            found = session.execute(
                select(persons.c.id).where(getattr(persons.c, field) == value)
            ).scalar()
            if found is not None:
                return int(found)
    return None


def _offers(ctx: WebContext, viewer: Viewer, facts: CaseFacts) -> list[Offer]:
    """The likely matches to put to the practitioner (DESIGN 2.4). A child matched exactly by NHS
    number or UPN is linked by the service and not asked about; a candidate whose NHS number or
    UPN differs from the one typed is a different person."""
    found: list[tuple[str, str, str, list[people.PersonMatch]]] = []
    with reading(ctx.session_factory) as session:
        for i, child in enumerate(facts.children, start=1):
            if child.date_of_birth is None or _exact_person(session, child) is not None:
                continue
            matches = people.possible_matches(
                session, name=child.name, date_of_birth=child.date_of_birth
            )
            ids = [m.person_id for m in matches]
            known = {
                int(r.id): r
                for r in session.execute(
                    select(persons.c.id, persons.c.nhs_number, persons.c.upn).where(
                        persons.c.id.in_(ids)
                    )
                )
            }
            kept = [
                m
                for m in matches
                if not any(
                    getattr(child, f)
                    and getattr(known[m.person_id], f)
                    and getattr(known[m.person_id], f) != getattr(child, f)
                    for f in ("nhs_number", "upn")
                )
            ]
            if kept:
                found.append((f"child{i}.match", f"Child {i}", child.name, kept))
        abuser = facts.alleged_abuser
        if abuser is not None and abuser.name:
            matches = people.possible_matches(
                session, name=abuser.name, date_of_birth=abuser.date_of_birth
            )
            if matches:
                found.append(("abuser.match", "The alleged abuser", abuser.name, matches))
        offered = {m.person_id for _, _, _, ms in found for m in ms}
        their_cases = people.cases_of_people(session, offered, readable=readable_by(ctx, viewer))
    return [
        Offer(
            field,
            who,
            name,
            tuple(
                Candidate(m.person_id, m.name, m.date_of_birth, their_cases.get(m.person_id, ()))
                for m in ms
            ),
        )
        for field, who, name, ms in found
    ]


def _with_answers(facts: CaseFacts, form: WorkForm, offers: list[Offer]) -> CaseFacts:
    """The facts with each confirmed match's `person_id`."""
    children = list(facts.children)
    abuser = facts.alleged_abuser
    for offer in offers:
        answer = form.one(offer.field)
        if answer == "new":
            continue
        person_id = int(answer)
        if offer.field == "abuser.match" and abuser is not None:
            abuser = abuser.model_copy(update={"person_id": person_id})
        else:
            i = int(offer.field.removeprefix("child").split(".")[0]) - 1
            children[i] = children[i].model_copy(update={"person_id": person_id})
    return facts.model_copy(update={"children": children, "alleged_abuser": abuser})


def _concern_page(
    request: Request, viewer: Viewer, form: WorkForm, *, status_code: int = 200
) -> Response:
    blocks = child_blocks(form)
    return render(
        request,
        "new_concern.html",
        {
            "title": "New concern",
            "form": form,
            "choices": CONCERN_CHOICES,
            "blocks": blocks,
            "may_add_child": blocks < CHILD_BLOCKS_LIMIT,
            "errors": form.summary,
            "error_for": form.error_for,
            "active": "new",
        },
        viewer=viewer,
        status_code=status_code,
    )


_ANSWER_KEYS = re.compile(r"^(child\d+|abuser)\.match$")


def _check_page(
    request: Request,
    viewer: Viewer,
    form: WorkForm,
    facts: CaseFacts,
    offers: list[Offer],
    *,
    status_code: int = 200,
) -> Response:
    kept = [
        (k, v)
        for k, values in form.values.items()
        if k != "action" and not _ANSWER_KEYS.match(k)
        for v in values
    ]
    return render(
        request,
        "new_concern_check.html",
        {
            "title": "Check the people already known to us",
            "hidden_values": kept,
            "offers": offers,
            "form": form,
            "facts": facts,
            "errors": form.summary,
            "error_for": form.error_for,
            "active": "new",
        },
        viewer=viewer,
        status_code=status_code,
    )


@router.get("/cases/new")
def new_concern_page(request: Request) -> Response:
    viewer = _require(request)
    if not can_raise_concern(viewer):
        raise Forbidden("only caseworkers record concerns")
    form = WorkForm(when_defaults(ctx_of(request).clock.now(), WHEN))
    return _concern_page(request, viewer, form)


_FACT_FIELD = re.compile(r"(children\.(\d+)|alleged_abuser)\.(\w+)")


def _service_problem(form: WorkForm, error: InvalidEventData) -> None:
    """An `InvalidEventData` of the service put beside the field it names (data of the wrong
    shape, which the form's own checks let through, as a plain request to check it)."""
    message = str(error)
    if error.errors:
        message = "Some of the answers could not be recorded: check them and try again"
    found = None if error.errors else _FACT_FIELD.search(message)
    if found is None:
        form.problem("category", message[:1].upper() + message[1:300], "category")
        return
    if found.group(2) is not None:
        field = f"child{int(found.group(2)) + 1}.{found.group(3)}"
    else:
        field = f"abuser.{found.group(3)}"
    if field.endswith("date_of_birth"):
        field = field.removesuffix("date_of_birth") + "dob"
        anchor = anchor_of(field) + "-day"
    else:
        anchor = anchor_of(field)
    text = message[found.end() :].lstrip(": ") or message
    form.problem(field, text[:1].upper() + text[1:300], anchor)


@router.post("/cases/new")
async def raise_concern(request: Request) -> Response:
    """Record a concern: the form, then (where someone already known may be one of its people)
    the check step, then the case, triaged at once."""
    viewer = _require(request)
    posted = await form_values(request)
    if not can_raise_concern(viewer):
        raise Forbidden("only caseworkers record concerns")
    ctx = ctx_of(request)
    form = WorkForm.of(posted)
    action = form.one("action")
    if action == "add_child":
        form.values["children"] = [str(min(child_blocks(form) + 1, CHILD_BLOCKS_LIMIT))]
        return _concern_page(request, viewer, form)
    if action == "change":
        return _concern_page(request, viewer, form)
    now = ctx.clock.now()
    concern = read_concern(form, now=now)
    if concern is None:
        return _concern_page(request, viewer, form, status_code=400)
    offers = _offers(ctx, viewer, concern.facts)
    unanswered = [o for o in offers if form.one(o.field) not in o.answers]
    if unanswered:
        if action == "confirm":
            for o in unanswered:
                form.problem(
                    o.field,
                    f"Say whether {o.name} is someone already known to us, or a new person",
                    anchor_of(o.field),
                )
            return _check_page(request, viewer, form, concern.facts, offers, status_code=400)
        return _check_page(request, viewer, form, concern.facts, offers)
    facts = _with_answers(concern.facts, form, offers)
    try:
        case = casework.raise_concern(
            ctx.session_factory,
            facts=facts,
            at=concern.occurred_at,
            recorded_at=now,
            actor=viewer.username,
            region=ctx.region,
            policy=ctx.policy,
            calendar=ctx.calendar_for(ctx.region),
            owner_id=viewer.id,
            team_id=viewer.team_id,
        )
    except InvalidEventData as exc:
        _service_problem(form, exc)
        return _concern_page(request, viewer, form, status_code=400)
    except InvalidStep as exc:
        form.problem(WHEN, str(exc), f"concern-{WHEN}-day", ("day", "month", "year", "time"))
        return _concern_page(request, viewer, form, status_code=400)
    return RedirectResponse(f"/cases/{case.id}?raised=1", status_code=303)


# -- known to us on the case page ----------------------------------------------------------------


@pass_context
def case_people(context: Context, case: Case) -> dict[str, Any]:
    """The case's people known from other cases, for `_case_people.html`: each with the number
    of earlier cases, the ones the viewer may open (linked) and the number of the others; and
    whether the alleged abuser was named in an earlier case (in a position of trust there or
    here)."""
    request = context["request"]
    viewer: Viewer = context["viewer"]
    ctx = ctx_of(request)
    assert case.id is not None
    with reading(ctx.session_factory) as session:
        found = people.known_to_us(session, case.id, readable=readable_by(ctx, viewer))
    abuser = case.facts.alleged_abuser
    known = []
    repeated = None
    for k in found:
        entry = {
            "name": k.name,
            "role": k.role,
            "count": k.count,
            "shown": [c for c in k.cases if c.visible],
            "hidden": sum(1 for c in k.cases if not c.visible),
            "position_of_trust": any(c.position_of_trust for c in k.cases),
        }
        known.append(entry)
        if k.role == "alleged_abuser":
            repeated = {
                **entry,
                "trust_now": bool(abuser is not None and abuser.position_of_trust),
            }
    return {"known": known, "repeated": repeated}


def _checked(options: Any, values: list[str]) -> list[dict[str, Any]]:
    """Checkbox or radio items with what was posted checked."""
    return [{"value": v, "text": t, "checked": v in values} for v, t in options]


def _disability_items(options: Any, values: list[str]) -> list[dict[str, Any]]:
    """The disabilities as checkboxes with "None" last, after "or", exclusive of the others (the
    GOV.UK pattern; without JavaScript the server refuses both)."""
    items = _checked(options, values)
    none = [i for i in items if i["value"] == "NONE"]
    rest = [i for i in items if i["value"] != "NONE"]
    return rest + [{"divider": "or"}] + [{**i, "behaviour": "exclusive"} for i in none]


def _selected(options: Any, value: str, blank: str) -> list[dict[str, Any]]:
    """Select items, the one posted selected, after a blank first choice."""
    items: list[dict[str, Any]] = [{"value": "", "text": blank}]
    return items + [{"value": v, "text": t, "selected": v == value} for v, t in options]


def _error(error_for: Any, name: str) -> dict[str, str] | None:
    message = error_for.get(name)
    return {"text": message} if message else None


templates.env.globals.update(
    case_people=case_people,
    app_checked=_checked,
    app_selected=_selected,
    app_error=_error,
    app_disability_items=_disability_items,
)


# -- search ------------------------------------------------------------------------------------


@router.get("/search")
def search_page(request: Request, q: str | None = None) -> Response:
    """The search box: the cases the viewer may open that a reference, name, NHS number, UPN or
    date of birth finds. An empty, too short or too long text is a message (the page, 200)."""
    viewer = _require(request)
    if not works_cases(viewer):
        raise Forbidden("only caseworkers search cases")
    ctx = ctx_of(request)
    context: dict[str, Any] = {
        "title": "Search",
        "q": (q or "")[:_SEARCH_TEXT_LIMIT],
        "results": None,
        "message": None,
        "active": "search",
    }
    if q is None:
        return render(request, "search.html", context, viewer=viewer)
    problem = None
    text = " ".join(q.split())
    if len(text) > _SEARCH_TEXT_LIMIT:
        problem = f"A search is at most {_SEARCH_TEXT_LIMIT} characters: shorten it"
    else:
        try:
            query = search.parse_query(text)
        except ValueError:
            problem = "Enter a name, a case reference, an NHS number, a UPN or a date of birth"
        else:
            if query.kind is search.QueryKind.NAME and len(query.value.replace(" ", "")) < (
                SEARCH_MIN_LENGTH
            ):
                problem = f"Enter at least {SEARCH_MIN_LENGTH} letters of a name"
    if problem is not None:
        context.update(
            {
                "title": "Search",
                "message": problem,
                "errors": [{"text": problem, "href": "#search-q"}],
                "error_for": {"q": problem},
            }
        )
        return render(request, "search.html", context, viewer=viewer)
    grants = caseload_filter(viewer, "team")
    del grants["owner_id"]
    query, found = search.search(ctx.session_factory, text, **grants)
    audit.record_audit(
        ctx.session_factory,
        kind=audit.AuditKind.SEARCH,
        at=ctx.clock.now(),
        user_id=viewer.id,
        detail=f"page {query.kind.value} search, {len(found)} results: {text}",
    )
    summaries = search.case_summaries(ctx.session_factory, [r.case_id for r in found])
    rows = []
    seen: set[int] = set()
    for r in found:
        if r.case_id in seen:
            continue
        seen.add(r.case_id)
        rows.append((r, summaries.get(r.case_id)))
    context.update({"results": rows, "kind": query.kind.value})
    return render(request, "search.html", context, viewer=viewer)
