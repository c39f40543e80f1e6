"""The pages of who does the work (DESIGN 2.5, issue 9): allocation and transfer of a case,
authorisation and return of its single assessment, case notes with their amendments, the
managers named on a restricted case, the unallocated lists, bulk reassignment (leave cover) with
its check-your-answers step, and a case's chronology with its print view and CSV download.

Each change is one page with one question (GOV.UK pattern): its problems are listed in an error
summary linking to the field, each beside its field, with what was typed kept. Every date is a
GOV.UK date input with a time (`work_forms.when_from_form`), default now. Who may do what is
`workflows.permissions` (shared with the API and the scenario replay); a case the viewer may not
see is a 404, a step their role may not take a 403 with the reason.

Changes go through `workflows.casework.apply_event` (one event, dated when it happened and
recorded now) and `workflows.allocation.reassign` (many cases in one transaction).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from starlette.responses import RedirectResponse, Response

from calendars import london_date
from esafety_flow.web import messages, record_views, work_views
from esafety_flow.web.access import Role, Viewer, actor_of, can_read_case, works_cases
from esafety_flow.web.common import (
    Forbidden,
    NotFound,
    NotSignedIn,
    ctx_of,
    form_values,
    load_viewer,
    render,
    render_form,
)
from esafety_flow.web.context import WebContext
from esafety_flow.web.forms import FieldSpec
from esafety_flow.web.messages import Problem
from esafety_flow.web.work_forms import WHEN, WorkForm, when_defaults, when_from_form
from states import Event, InvalidEventData, NoteKind
from workflows import (
    InvalidRecord,
    InvalidStep,
    StaleCase,
    TransitionRefused,
    allocation,
    casework,
    queries,
)
from workflows.audit import AuditKind, record_audit
from workflows.domain import Case
from workflows.errors import CaseNotFound
from workflows.permissions import event_refusal, may_supervise
from workflows.persistence import reading
from workflows.persistence.tables import cases

__all__ = ["WORK_FORMS", "router"]

router = APIRouter(include_in_schema=False)

NOTE_TEXT_LIMIT = 20_000
REASON_LIMIT = 2_000

WORK_FORMS: Mapping[str, tuple[FieldSpec, ...]] = {
    "allocate": (FieldSpec("owner", "Worker", "radios", required=True),),
    "transfer": (
        FieldSpec("team", "Team", "radios", required=True),
        FieldSpec("reason", "Reason", "textarea", required=True),
    ),
    "return_assessment": (FieldSpec("reason", "Reason", "textarea", required=True),),
    "add_note": (
        FieldSpec("kind", "Kind of note", "radios", required=True),
        FieldSpec("text", "Note", "textarea", required=True),
    ),
    "case_managers": (FieldSpec("managers", "Managers", "checkboxes"),),
    "reassign": (
        FieldSpec("from", "Whose cases", "radios", required=True),
        FieldSpec("to", "Who takes them over", "radios", required=True),
        FieldSpec("case", "Cases", "checkboxes", required=True),
    ),
}
"""The fields of the pages of who does the work, by the form their messages are filed under
(`messages.MESSAGES`)."""


def _say(
    form: WorkForm, form_name: str, name: str, problem: Problem, anchor: str, **values: object
) -> None:
    """A problem beside the field `name` (input `anchor`), worded by `messages`."""
    text = messages.message(form_name, name, problem, name, **values)
    form.problem(name, text, anchor)


# -- shared steps ------------------------------------------------------------------------------


def _viewer(request: Request) -> Viewer:
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    if not works_cases(viewer):
        raise Forbidden("only caseworkers work cases")
    return viewer


def _case(request: Request, viewer: Viewer, case_id: int) -> tuple[queries.CaseAccess, Case]:
    """The case if the viewer may see it; otherwise NotFound, as if it did not exist."""
    ctx = ctx_of(request)
    if not 1 <= case_id <= 2**62:
        raise NotFound(f"no case {case_id}")
    access = queries.case_access(ctx.session_factory, case_id)
    if access is None or not can_read_case(viewer, access):
        raise NotFound(f"no case {case_id}")
    try:
        case = casework.get_case(ctx.session_factory, case_id)
    except CaseNotFound:
        raise NotFound(f"no case {case_id}") from None
    return access, case


def _supervisor(viewer: Viewer, access: queries.CaseAccess, event: Event) -> None:
    refusal = event_refusal(actor_of(viewer), access, event)
    if refusal is not None:
        raise Forbidden(refusal[:1].upper() + refusal[1:])


def _version(form: WorkForm) -> int | None:
    raw = form.one("expected_version")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _fire(
    ctx: WebContext,
    case: Case,
    event: Event,
    form: WorkForm,
    *,
    at: datetime,
    actor: str,
    data: Mapping[str, Any] | None,
    field: str,
    anchor: str,
    prefix: str,
) -> bool:
    """Fire the event; a refusal is recorded on the form against `field` (input `anchor`), the
    order rule's against the date (of the inputs `prefix`-occurred). Returns whether it was
    recorded."""
    assert case.id is not None
    try:
        casework.apply_event(
            ctx.session_factory,
            case.id,
            event,
            at=at,
            recorded_at=ctx.clock.now(),
            actor=actor,
            data=data,
            expected_version=_version(form),
            calendar=ctx.calendar_for(case.region),
            policy=ctx.policy,
        )
    except InvalidStep as exc:
        form.problem(WHEN, _sentence(str(exc)), f"{prefix}-{WHEN}-day", ("day", "month", "year"))
        return False
    except InvalidEventData as exc:
        form.problem(field, record_views.data_refusal(exc), anchor)
        return False
    except TransitionRefused as exc:
        form.problem(field, _sentence(exc.reason), anchor)
        return False
    except StaleCase:
        form.problem(
            field,
            "Someone else changed this case while you were reading it: check it and try again",
            anchor,
        )
        return False
    return True


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def _done(case_id: int, event: Event) -> Response:
    return RedirectResponse(f"/cases/{case_id}?{urlencode({'done': event.value})}", status_code=303)


def _new_form(ctx: WebContext, case: Case | None = None, **values: str) -> WorkForm:
    form = WorkForm(when_defaults(ctx.clock.now()))
    if case is not None:
        form.values["expected_version"] = [str(case.version)]
    for k, v in values.items():
        form.values[k] = [v]
    return form


def _open_counts(ctx: WebContext, user_ids: Sequence[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    with reading(ctx.session_factory) as s:
        rows = s.execute(
            select(cases.c.owner_id, func.count())
            .where(cases.c.owner_id.in_(list(user_ids)), cases.c.state != "closed")
            .group_by(cases.c.owner_id)
        ).all()
    return {int(r[0]): int(r[1]) for r in rows}


def _workers(ctx: WebContext, *, team_ids: Sequence[int], lados: bool) -> list[dict[str, Any]]:
    """Who a case may be given to: the active practitioners and managers of these teams, or the
    active LADOs, each with how many open cases they hold."""
    found = [
        u
        for u in queries.list_users_brief(ctx.session_factory)
        if u.active
        and (
            u.role == "lado"
            if lados
            else u.role in ("practitioner", "manager") and u.team_id in team_ids
        )
    ]
    counts = _open_counts(ctx, [u.id for u in found])
    teams = {t.id: t.name for t in queries.list_teams(ctx.session_factory)}
    return [
        {
            "username": u.username,
            "name": u.display_name,
            "role": u.role,
            "team": teams.get(u.team_id) if u.team_id is not None else None,
            "open": counts.get(u.id, 0),
        }
        for u in sorted(found, key=lambda u: u.display_name)
    ]


def _case_workers(ctx: WebContext, case: Case) -> list[dict[str, Any]]:
    team_ids = [case.team_id] if case.team_id is not None else []
    return _workers(ctx, team_ids=team_ids, lados=case.restricted)


# -- allocate ----------------------------------------------------------------------------------


@router.get("/cases/{case_id}/allocate")
def allocate_page(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    access, case = _case(request, viewer, case_id)
    _supervisor(viewer, access, Event.ALLOCATE)
    return _allocate(request, viewer, case, _new_form(ctx_of(request), case))


def _allocate(request: Request, viewer: Viewer, case: Case, form: WorkForm, **kw: Any) -> Response:
    ctx = ctx_of(request)
    current = None
    if case.owner_id is not None:
        user = queries.user_by_id(ctx.session_factory, case.owner_id)
        current = user.display_name if user is not None else None
    return render_form(
        request,
        viewer,
        "work_allocate.html",
        f"Allocate case {case.reference}",
        form,
        case=case,
        current=current,
        workers=_case_workers(ctx, case),
        **kw,
    )


@router.post("/cases/{case_id}/allocate")
async def allocate(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    access, case = _case(request, viewer, case_id)
    _supervisor(viewer, access, Event.ALLOCATE)
    ctx = ctx_of(request)
    workers = {w["username"]: w for w in _case_workers(ctx, case)}
    owner = form.one("owner")
    if not owner:
        _say(form, "allocate", "owner", Problem.MISSING, "allocate-owner")
    elif owner not in workers:
        _say(form, "allocate", "owner", Problem.INVALID, "allocate-owner")
    at = when_from_form(form, now=ctx.clock.now(), prefix="allocate", what="the date")
    if form.ok and at is not None:
        if _fire(
            ctx,
            case,
            Event.ALLOCATE,
            form,
            at=at,
            actor=viewer.username,
            data={"owner": owner},
            field="owner",
            anchor="allocate-owner",
            prefix="allocate",
        ):
            return _done(case_id, Event.ALLOCATE)
        return _allocate(request, viewer, case, form, status=409)
    return _allocate(request, viewer, case, form)


# -- transfer ----------------------------------------------------------------------------------


def _other_teams(ctx: WebContext, case: Case) -> list[queries.TeamRow]:
    return [t for t in queries.list_teams(ctx.session_factory) if t.id != case.team_id]


@router.get("/cases/{case_id}/transfer")
def transfer_page(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    access, case = _case(request, viewer, case_id)
    _supervisor(viewer, access, Event.TRANSFER)
    return _transfer(request, viewer, case, _new_form(ctx_of(request), case))


def _transfer(request: Request, viewer: Viewer, case: Case, form: WorkForm, **kw: Any) -> Response:
    return render_form(
        request,
        viewer,
        "work_transfer.html",
        f"Transfer case {case.reference}",
        form,
        case=case,
        teams=_other_teams(ctx_of(request), case),
        **kw,
    )


@router.post("/cases/{case_id}/transfer")
async def transfer(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    access, case = _case(request, viewer, case_id)
    _supervisor(viewer, access, Event.TRANSFER)
    ctx = ctx_of(request)
    teams = {str(t.id): t.name for t in _other_teams(ctx, case)}
    team = form.one("team")
    reason = form.one("reason")
    if not team:
        _say(form, "transfer", "team", Problem.MISSING, "transfer-team")
    elif team not in teams:
        _say(form, "transfer", "team", Problem.INVALID, "transfer-team")
    if not reason:
        _say(form, "transfer", "reason", Problem.MISSING, "transfer-reason")
    elif len(reason) > REASON_LIMIT:
        _say(form, "transfer", "reason", Problem.TOO_LONG, "transfer-reason", limit=REASON_LIMIT)
    at = when_from_form(form, now=ctx.clock.now(), prefix="transfer")
    if form.ok and at is not None:
        data = {"team": teams[team], "reason": reason}
        if _fire(
            ctx,
            case,
            Event.TRANSFER,
            form,
            at=at,
            actor=viewer.username,
            data=data,
            field="team",
            anchor="transfer-team",
            prefix="transfer",
        ):
            return _done(case_id, Event.TRANSFER)
        return _transfer(request, viewer, case, form, status=409)
    return _transfer(request, viewer, case, form)


# -- authorise and return the single assessment ----------------------------------------------


def _assessment(
    request: Request,
    viewer: Viewer,
    case: Case,
    template: str,
    title: str,
    form: WorkForm,
    **kw: Any,
) -> Response:
    ctx = ctx_of(request)
    names = work_views.person_names(ctx)
    submission = case.assessment
    return render_form(
        request,
        viewer,
        template,
        title,
        form,
        case=case,
        submitted_by=names.get(submission.by, submission.by) if submission else None,
        submitted_at=submission.at if submission else None,
        own=submission is not None and submission.by == viewer.username,
        **kw,
    )


def _awaiting(case: Case) -> None:
    if case.assessment is None:
        raise NotFound("no single assessment is awaiting authorisation on this case")


@router.get("/cases/{case_id}/assessment/authorise")
def authorise_page(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    access, case = _case(request, viewer, case_id)
    _supervisor(viewer, access, Event.AUTHORISE_ASSESSMENT)
    _awaiting(case)
    return _assessment(
        request,
        viewer,
        case,
        "work_authorise.html",
        f"Authorise the single assessment of case {case.reference}",
        _new_form(ctx_of(request), case),
    )


@router.post("/cases/{case_id}/assessment/authorise")
async def authorise(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    access, case = _case(request, viewer, case_id)
    _supervisor(viewer, access, Event.AUTHORISE_ASSESSMENT)
    ctx = ctx_of(request)
    title = f"Authorise the single assessment of case {case.reference}"
    if case.assessment is None:
        form.problem(
            "assessment",
            "No single assessment is awaiting authorisation: it may have been authorised or "
            "returned already",
            "authorise-assessment",
        )
        return _assessment(request, viewer, case, "work_authorise.html", title, form, status=409)
    at = when_from_form(form, now=ctx.clock.now(), prefix="authorise_assessment")
    if at is not None and _fire(
        ctx,
        case,
        Event.AUTHORISE_ASSESSMENT,
        form,
        at=at,
        actor=viewer.username,
        data=None,
        field="assessment",
        anchor="authorise-assessment",
        prefix="authorise_assessment",
    ):
        return _done(case_id, Event.AUTHORISE_ASSESSMENT)
    status = 400 if at is None or form.error_for.get(WHEN) else 409
    return _assessment(request, viewer, case, "work_authorise.html", title, form, status=status)


@router.get("/cases/{case_id}/assessment/return")
def return_page(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    access, case = _case(request, viewer, case_id)
    _supervisor(viewer, access, Event.RETURN_ASSESSMENT)
    _awaiting(case)
    return _assessment(
        request,
        viewer,
        case,
        "work_return.html",
        f"Return the single assessment of case {case.reference}",
        _new_form(ctx_of(request), case),
    )


@router.post("/cases/{case_id}/assessment/return")
async def return_assessment(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    access, case = _case(request, viewer, case_id)
    _supervisor(viewer, access, Event.RETURN_ASSESSMENT)
    ctx = ctx_of(request)
    title = f"Return the single assessment of case {case.reference}"
    reason = form.one("reason")
    if case.assessment is None:
        form.problem(
            "reason",
            "No single assessment is awaiting authorisation: it may have been authorised or "
            "returned already",
            "return_assessment-reason",
        )
        return _assessment(request, viewer, case, "work_return.html", title, form, status=409)
    if not reason:
        _say(form, "return_assessment", "reason", Problem.MISSING, "return_assessment-reason")
    elif len(reason) > REASON_LIMIT:
        _say(
            form,
            "return_assessment",
            "reason",
            Problem.TOO_LONG,
            "return_assessment-reason",
            limit=REASON_LIMIT,
        )
    at = when_from_form(form, now=ctx.clock.now(), prefix="return_assessment")
    if form.ok and at is not None:
        if _fire(
            ctx,
            case,
            Event.RETURN_ASSESSMENT,
            form,
            at=at,
            actor=viewer.username,
            data={"reason": reason},
            field="reason",
            anchor="return_assessment-reason",
            prefix="return_assessment",
        ):
            return _done(case_id, Event.RETURN_ASSESSMENT)
        return _assessment(request, viewer, case, "work_return.html", title, form, status=409)
    return _assessment(request, viewer, case, "work_return.html", title, form)


# -- case notes ----------------------------------------------------------------------------------


def _note_kinds(viewer: Viewer, access: queries.CaseAccess) -> list[tuple[str, str]]:
    """The kinds of note the viewer may add (management oversight: a manager of the case)."""
    supervises = may_supervise(actor_of(viewer), access)
    return [
        (k, label)
        for k, label in work_views.NOTE_KIND_LABELS.items()
        if k != NoteKind.MANAGEMENT_OVERSIGHT.value or supervises
    ]


def _amended(case: Case, raw: str, names: Mapping[str, str]) -> work_views.NoteView | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound(f"no note {raw[:20]}")
    for note in work_views.notes_of(case.history, names):
        if note.event_id == int(raw):
            return note
    raise NotFound(f"no note {raw}")


def _note(
    request: Request,
    viewer: Viewer,
    access: queries.CaseAccess,
    case: Case,
    form: WorkForm,
    amends: work_views.NoteView | None,
    **kw: Any,
) -> Response:
    title = (
        f"Amend a note of case {case.reference}"
        if amends
        else (f"Add a note to case {case.reference}")
    )
    return render_form(
        request,
        viewer,
        "work_note.html",
        title,
        form,
        case=case,
        kinds=_note_kinds(viewer, access),
        amends=amends,
        **kw,
    )


@router.get("/cases/{case_id}/notes/new")
def note_page(request: Request, case_id: int, amends: str = "") -> Response:
    viewer = _viewer(request)
    access, case = _case(request, viewer, case_id)
    ctx = ctx_of(request)
    original = _amended(case, amends.strip(), work_views.person_names(ctx))
    form = _new_form(ctx, case)
    if original is not None:
        form.values["kind"] = [original.kind]
        form.values["text"] = [original.text]
        if original.significant:
            form.values["significant"] = ["yes"]
        form.values["amends"] = [str(original.event_id)]
    return _note(request, viewer, access, case, form, original)


@router.post("/cases/{case_id}/notes/new")
async def add_note(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    access, case = _case(request, viewer, case_id)
    ctx = ctx_of(request)
    original = _amended(case, form.one("amends"), work_views.person_names(ctx))
    kinds = dict(_note_kinds(viewer, access))
    kind = form.one("kind")
    text = form.one("text")
    if not kind:
        _say(form, "add_note", "kind", Problem.MISSING, "add_note-kind")
    elif kind == NoteKind.MANAGEMENT_OVERSIGHT.value and kind not in kinds:
        _say(form, "add_note", "kind", Problem.CONFLICT, "add_note-kind")
    elif kind not in kinds:
        _say(form, "add_note", "kind", Problem.INVALID, "add_note-kind")
    if not text:
        _say(form, "add_note", "text", Problem.MISSING, "add_note-text")
    elif len(text) > NOTE_TEXT_LIMIT:
        _say(form, "add_note", "text", Problem.TOO_LONG, "add_note-text", limit=NOTE_TEXT_LIMIT)
    elif original is not None and text == original.text and kind == original.kind:
        _say(form, "add_note", "text", Problem.CONFLICT, "add_note-text")
    at = when_from_form(form, now=ctx.clock.now(), prefix="add_note", what="when it happened")
    if form.ok and at is not None:
        data: dict[str, Any] = {
            "kind": kind,
            "text": text,
            "significant": "yes" in form.many("significant"),
        }
        if original is not None:
            data["amends"] = original.event_id
        if _fire(
            ctx,
            case,
            Event.ADD_NOTE,
            form,
            at=at,
            actor=viewer.username,
            data=data,
            field="text",
            anchor="add_note-text",
            prefix="add_note",
        ):
            return _done(case_id, Event.ADD_NOTE)
        return _note(request, viewer, access, case, form, original, status=409)
    return _note(request, viewer, access, case, form, original)


# -- the managers named on a restricted case ------------------------------------------------


def _managers(ctx: WebContext) -> list[queries.UserRow]:
    return sorted(
        (
            u
            for u in queries.list_users_brief(ctx.session_factory)
            if u.role == "manager" and u.active
        ),
        key=lambda u: u.display_name,
    )


def _name_managers_allowed(viewer: Viewer, case: Case) -> None:
    if viewer.role is not Role.LADO:
        raise Forbidden("Only a LADO names the managers of an allegations case")
    if not case.restricted:
        raise Forbidden("Only an allegations (LADO) case has named managers")


@router.get("/cases/{case_id}/managers")
def managers_page(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    access, case = _case(request, viewer, case_id)
    _name_managers_allowed(viewer, case)
    ctx = ctx_of(request)
    named = {u.username for u in _managers(ctx) if u.id in access.manager_ids}
    form = WorkForm({"managers": sorted(named)})
    return render_form(
        request,
        viewer,
        "work_managers.html",
        f"Managers of case {case.reference}",
        form,
        case=case,
        managers=_managers(ctx),
    )


@router.post("/cases/{case_id}/managers")
async def name_managers(request: Request, case_id: int) -> Response:
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    _access, case = _case(request, viewer, case_id)
    _name_managers_allowed(viewer, case)
    ctx = ctx_of(request)
    managers = {u.username: u.id for u in _managers(ctx)}
    chosen = form.many("managers")
    unknown = [c for c in chosen if c not in managers]
    if unknown:
        _say(form, "case_managers", "managers", Problem.INVALID, "managers")
        return render_form(
            request,
            viewer,
            "work_managers.html",
            f"Managers of case {case.reference}",
            form,
            case=case,
            managers=_managers(ctx),
        )
    assert case.id is not None
    casework.set_case_managers(ctx.session_factory, case.id, [managers[c] for c in chosen])
    return RedirectResponse(f"/cases/{case_id}?done=managers", status_code=303)


# -- the chronology ------------------------------------------------------------------------------


def _chronology(request: Request, case_id: int) -> tuple[Viewer, Case, list[Any]]:
    viewer = _viewer(request)
    _access, case = _case(request, viewer, case_id)
    ctx = ctx_of(request)
    return viewer, case, work_views.chronology_rows(case, work_views.person_names(ctx))


def _record_export(request: Request, viewer: Viewer, case: Case, what: str) -> None:
    """Printing or downloading a chronology is recorded in the audit trail."""
    ctx = ctx_of(request)
    record_audit(
        ctx.session_factory,
        kind=AuditKind.EXPORT,
        at=ctx.clock.now(),
        user_id=viewer.id,
        case_id=case.id,
        detail=what,
    )


@router.get("/cases/{case_id}/chronology")
def chronology_page(request: Request, case_id: int) -> Response:
    viewer, case, rows = _chronology(request, case_id)
    return render(
        request,
        "chronology.html",
        {"title": f"Chronology of case {case.reference}", "case": case, "rows": rows},
        viewer=viewer,
    )


@router.get("/cases/{case_id}/chronology/print")
def chronology_print(request: Request, case_id: int) -> Response:
    viewer, case, rows = _chronology(request, case_id)
    _record_export(request, viewer, case, "chronology printed")
    return render(
        request,
        "chronology_print.html",
        {
            "title": f"Chronology of case {case.reference}",
            "case": case,
            "rows": rows,
            "printed_at": ctx_of(request).clock.now(),
        },
        viewer=viewer,
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@router.get("/cases/{case_id}/chronology.csv")
def chronology_download(request: Request, case_id: int) -> Response:
    viewer, case, rows = _chronology(request, case_id)
    _record_export(request, viewer, case, "chronology downloaded as CSV")
    name = _UNSAFE.sub("-", case.reference).strip("-") or f"case-{case_id}"
    return Response(
        content="\ufeff" + work_views.chronology_csv(case.reference, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-chronology.csv"'},
    )


# -- unallocated lists and bulk reassignment (leave cover) ------------------------------------


def _may_allocate(viewer: Viewer) -> None:
    if viewer.role not in (Role.MANAGER, Role.LADO):
        raise Forbidden("Only managers and LADOs allocate cases")


@router.get("/unallocated")
def unallocated_page(request: Request) -> Response:
    viewer = _viewer(request)
    _may_allocate(viewer)
    ctx = ctx_of(request)
    today = london_date(ctx.clock.now())
    calendar = ctx.calendar_for(ctx.region)
    rows = [
        (r, calendar.working_days_between(london_date(r.waiting_since), today))
        for r in allocation.unallocated(ctx.session_factory, **work_views.grants_of(viewer))
    ]
    return render(
        request,
        "unallocated.html",
        {"title": "Unallocated cases", "rows": rows, "active": "unallocated"},
        viewer=viewer,
    )


UNALLOCATED = "unallocated"
"""The `from` of a reassignment that allocates cases from the unallocated lists."""


def _sources(ctx: WebContext, viewer: Viewer) -> list[dict[str, Any]]:
    """Whose cases the viewer may hand over: each worker of their teams (or each LADO) with
    their open cases, and the unallocated lists."""
    lado = viewer.role is Role.LADO
    people = [
        u
        for u in queries.list_users_brief(ctx.session_factory)
        if (u.role == "lado" if lado else u.team_id in viewer.team_ids and u.role != "lado")
        and u.role in ("practitioner", "manager", "lado")
    ]
    counts = _open_counts(ctx, [u.id for u in people])
    waiting = len(
        allocation.unallocated(ctx.session_factory, limit=5000, **work_views.grants_of(viewer))
    )
    out = [
        {
            "value": u.username,
            "name": u.display_name + ("" if u.active else " (account deactivated)"),
            "open": counts.get(u.id, 0),
        }
        for u in sorted(people, key=lambda u: u.display_name)
        if counts.get(u.id, 0) or u.active
    ]
    out.append({"value": UNALLOCATED, "name": "Unallocated cases", "open": waiting})
    return out


def _targets(ctx: WebContext, viewer: Viewer) -> list[dict[str, Any]]:
    if viewer.role is Role.LADO:
        return _workers(ctx, team_ids=[], lados=True)
    return _workers(ctx, team_ids=sorted(viewer.team_ids), lados=False)


def _candidates(ctx: WebContext, viewer: Viewer, source: str) -> list[dict[str, Any]]:
    """The open cases of `source` (a username, or the unallocated lists) the viewer may see,
    with each one's state and next deadline."""
    grants = work_views.grants_of(viewer)
    if source == UNALLOCATED:
        return [
            {
                "id": r.case_id,
                "reference": r.reference,
                "state": r.state,
                "due": None,
                "kind": None,
                "waiting_since": r.waiting_since,
            }
            for r in allocation.unallocated(ctx.session_factory, limit=5000, **grants)
        ]
    user = queries.user_by_username(ctx.session_factory, source)
    if user is None:
        return []
    rows = queries.caseload(ctx.session_factory, owner_id=user.id, limit=5000, **grants)
    return [
        {
            "id": r.id,
            "reference": r.reference,
            "state": r.state,
            "due": r.next_due_date,
            "kind": r.next_kind,
            "waiting_since": None,
        }
        for r in rows
    ]


def _reassign_start(request: Request, viewer: Viewer, form: WorkForm) -> Response:
    ctx = ctx_of(request)
    return render_form(
        request,
        viewer,
        "reassign.html",
        "Reassign cases",
        form,
        sources=_sources(ctx, viewer),
        targets=_targets(ctx, viewer),
        active="unallocated",
    )


def _check_people(ctx: WebContext, viewer: Viewer, form: WorkForm) -> tuple[str, str]:
    source, target = form.one("from"), form.one("to")
    sources = {s["value"] for s in _sources(ctx, viewer)}
    targets = {t["username"] for t in _targets(ctx, viewer)}
    if not source:
        _say(form, "reassign", "from", Problem.MISSING, "from")
    elif source not in sources:
        _say(form, "reassign", "from", Problem.INVALID, "from")
    if not target:
        _say(form, "reassign", "to", Problem.MISSING, "to")
    elif target not in targets:
        _say(form, "reassign", "to", Problem.INVALID, "to")
    elif target == source:
        _say(form, "reassign", "to", Problem.CONFLICT, "to")
    return source, target


@router.get("/reassign")
def reassign_start(request: Request) -> Response:
    """Step 1: whose cases, and who takes them over."""
    viewer = _viewer(request)
    _may_allocate(viewer)
    form = WorkForm({k: request.query_params.getlist(k) for k in request.query_params})
    return _reassign_start(request, viewer, form)


@router.get("/reassign/cases")
def reassign_cases(request: Request) -> Response:
    """Step 2: which of their cases (all open cases are chosen to begin with: leave cover)."""
    viewer = _viewer(request)
    _may_allocate(viewer)
    ctx = ctx_of(request)
    form = WorkForm({k: request.query_params.getlist(k) for k in request.query_params})
    source, target = _check_people(ctx, viewer, form)
    if not form.ok:
        return _reassign_start(request, viewer, form)
    found = _candidates(ctx, viewer, source)
    if "case" not in form.values:
        form.values["case"] = [str(c["id"]) for c in found]
    return _reassign_cases(request, viewer, form, source, target, found)


def _person_name(ctx: WebContext, username: str) -> str:
    if username == UNALLOCATED:
        return "Unallocated cases"
    return work_views.person_names(ctx).get(username, username)


def _reassign_cases(
    request: Request,
    viewer: Viewer,
    form: WorkForm,
    source: str,
    target: str,
    found: list[dict[str, Any]],
    **kw: Any,
) -> Response:
    ctx = ctx_of(request)
    return render_form(
        request,
        viewer,
        "reassign_cases.html",
        "Choose the cases to reassign",
        form,
        source=source,
        target=target,
        source_name=_person_name(ctx, source),
        target_name=_person_name(ctx, target),
        found=found,
        active="unallocated",
        **kw,
    )


def _chosen(
    ctx: WebContext, viewer: Viewer, form: WorkForm, source: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The cases chosen among the source's (in the order listed), and the whole list."""
    found = _candidates(ctx, viewer, source)
    wanted = set(form.many("case"))
    return [c for c in found if str(c["id"]) in wanted], found


@router.post("/reassign/check")
async def reassign_check(request: Request) -> Response:
    """Step 3: check your answers before the change is made."""
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    _may_allocate(viewer)
    ctx = ctx_of(request)
    source, target = _check_people(ctx, viewer, form)
    if not form.ok:
        return _reassign_start(request, viewer, form)
    chosen, found = _chosen(ctx, viewer, form, source)
    if not chosen:
        _say(form, "reassign", "case", Problem.MISSING, "case")
        return _reassign_cases(request, viewer, form, source, target, found)
    return _reassign_check(request, viewer, form, source, target, chosen)


def _reassign_check(
    request: Request,
    viewer: Viewer,
    form: WorkForm,
    source: str,
    target: str,
    chosen: list[dict[str, Any]],
    **kw: Any,
) -> Response:
    ctx = ctx_of(request)
    change = urlencode({"from": source, "to": target})
    cases_change = urlencode(
        [("from", source), ("to", target)] + [("case", str(c["id"])) for c in chosen]
    )
    return render_form(
        request,
        viewer,
        "reassign_check.html",
        "Check the reassignment before you confirm it",
        form,
        source=source,
        target=target,
        source_name=_person_name(ctx, source),
        target_name=_person_name(ctx, target),
        chosen=chosen,
        change_people=f"/reassign?{change}",
        change_cases=f"/reassign/cases?{cases_change}",
        active="unallocated",
        **kw,
    )


@router.post("/reassign")
async def reassign(request: Request) -> Response:
    """Confirmed: every chosen case to the new owner in one transaction."""
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    _may_allocate(viewer)
    ctx = ctx_of(request)
    source, target = _check_people(ctx, viewer, form)
    if not form.ok:
        return _reassign_start(request, viewer, form)
    chosen, found = _chosen(ctx, viewer, form, source)
    asked = set(form.many("case"))
    gone = sorted(asked - {str(c["id"]) for c in chosen})
    if gone or not chosen:
        form.problem(
            "case",
            "Some of the cases you chose are no longer "
            + ("unallocated" if source == UNALLOCATED else f"{_person_name(ctx, source)}'s")
            + ": someone changed them since. Choose the cases again",
            "case",
        )
        form.values["case"] = [c for c in form.many("case") if c not in gone]
        return _reassign_cases(request, viewer, form, source, target, found, status=409)
    actor = actor_of(viewer)
    for c in chosen:
        access = queries.case_access(ctx.session_factory, c["id"])
        if access is None or not may_supervise(actor, access):
            form.problem(
                "case",
                f"You cannot reassign {c['reference']}: only a manager of its team can",
                "case",
            )
            return _reassign_cases(request, viewer, form, source, target, found, status=403)
    try:
        moved = allocation.reassign(
            ctx.session_factory,
            [c["id"] for c in chosen],
            to_owner=target,
            actor=viewer.username,
            at=ctx.clock.now(),
            calendar_for=ctx.calendar_for,
            policy_for=ctx.policy_for,
        )
    except (TransitionRefused, InvalidRecord, StaleCase) as exc:
        message = exc.reason if isinstance(exc, TransitionRefused) else str(exc)
        form.problem("case", _sentence(message), "case")
        return _reassign_check(request, viewer, form, source, target, chosen, status=409)
    query = urlencode({"moved": moved, "to": target})
    return RedirectResponse(f"/reassign/done?{query}", status_code=303)


@router.get("/reassign/done")
def reassign_done(request: Request, moved: str = "0", to: str = "") -> Response:
    viewer = _viewer(request)
    _may_allocate(viewer)
    ctx = ctx_of(request)
    count = int(moved) if moved.isdigit() and len(moved) < 7 else 0
    return render(
        request,
        "reassign_done.html",
        {
            "title": "Cases reassigned",
            "moved": count,
            "target_name": _person_name(ctx, to) if to else "",
            "active": "unallocated",
        },
        viewer=viewer,
    )
