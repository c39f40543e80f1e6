"""The server-rendered pages (GOV.UK Design System): sign in, caseload, case, manager dashboard,
calendar admin and the case-view audit (the new concern and search: `people_pages`)."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import RedirectResponse, Response

from calendars import LONDON, london_date
from esafety_flow.web import charts, check_answers, next_steps, record_views, sessions, work_views
from esafety_flow.web.access import (
    Role,
    Viewer,
    actor_of,
    can_read_case,
    can_see_audit,
    can_see_dashboard,
)
from esafety_flow.web.common import (
    Forbidden,
    NotFound,
    NotSignedIn,
    calendar_of,
    case_access_of,
    ctx_of,
    due_soon_limit,
    form_values,
    load_viewer,
    rag,
    render,
    team_name_of,
    templates,
    viewer_of,
)
from esafety_flow.web.diagram import case_diagram
from esafety_flow.web.forms import EVENT_FORMS, FormError, event_data_from_form
from esafety_flow.web.security import verify_password
from esafety_flow.web.sessions import throttle_key
from esafety_flow.web.side_by_side import Reads
from esafety_flow.web.work_forms import WHEN, WorkForm, when_defaults
from states import (
    ALLEGATION_TRANSITIONS,
    CHILD_PROTECTION_TRANSITIONS,
    CaseState,
    DeadlineKind,
    Event,
    InvalidEventData,
    MachineName,
    machine_layout,
    parse_event_data,
)
from states.labels import in_words
from workflows import (
    Case,
    InvalidStep,
    StaleCase,
    TransitionRefused,
    accounts,
    audit,
    casework,
    queries,
    recording,
)
from workflows.errors import CaseNotFound
from workflows.permissions import event_refusal

__all__ = ["CASELOAD_PAGE_SIZE", "allowed_events", "event_fields_html", "pagination", "router"]

router = APIRouter(include_in_schema=False)

TIMELINESS_KINDS = (
    DeadlineKind.SINGLE_ASSESSMENT.value,
    DeadlineKind.INITIAL_CHILD_PROTECTION_CONFERENCE.value,
)


@functools.cache
def event_fields_html(event: Event) -> Markup:
    """The blank fields of the event's form, rendered once (they depend on nothing but the
    event)."""
    return event_fields_html_of(event, None)


def event_fields_html_of(event: Event, form: WorkForm | None) -> Markup:
    """The fields of the event's form with what `form` holds (typed values, problems)."""
    template = templates.env.get_template("_event_fields.html")
    return Markup(template.render(specs=EVENT_FORMS.get(event, ()), prefix=event.value, form=form))


@functools.lru_cache(maxsize=1024)
def _blank_when_html(prefix: str, parts: tuple[tuple[str, str], ...]) -> Markup:
    """The "When did it happen?" field of a blank event form set to a minute (`parts`: the
    field's day, month, year and time), rendered once per event and minute: a case page offers
    up to a dozen forms, all set to now."""
    template = templates.env.get_template("_work_fields.html")
    form = WorkForm({name: [value] for name, value in parts})
    return Markup(template.module.when_field(prefix, form, legend=WHEN_LEGEND))  # type: ignore[attr-defined]


WHEN_LEGEND = "When did it happen?"


def _require(request: Request) -> Viewer:
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    return viewer


def _home(viewer: Viewer) -> str:
    if viewer.role is Role.ADMIN:
        return "/calendar"
    if viewer.role is Role.AUDITOR:
        return "/audit"
    if viewer.role is Role.PERFORMANCE:
        return "/reports"
    return "/caseload"


@router.get("/")
def home(request: Request) -> Response:
    viewer = _require(request)
    return RedirectResponse(_home(viewer), status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "") -> Response:
    return render(
        request, "sign_in.html", {"title": "Sign in", "next_url": next, "username": ""}, viewer=None
    )


def _safe_next(value: str) -> str:
    # only a local path: never redirect to another site after signing in
    return value if value.startswith("/") and not value.startswith("//") else ""


def _sign_in_form(
    request: Request, form: dict[str, list[str]], username: str, message: str, status: int
) -> Response:
    return render(
        request,
        "sign_in.html",
        {
            "title": "Sign in",
            "next_url": _safe_next((form.get("next") or [""])[0]),
            "username": username,
            "errors": [{"text": message, "href": "#username"}],
        },
        viewer=None,
        status_code=status,
    )


def _minutes_until(later: datetime, now: datetime) -> int:
    return max(1, -(-int((later - now).total_seconds()) // 60))


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Sign in with a username and password. Throttled per typed username and per client
    address (ESAFETY_SIGN_IN_*); every attempt is recorded, failures in the audit trail. The
    failure text is the same whether or not the username exists."""
    form = await form_values(request)
    username = (form.get("username") or [""])[0].strip()[:200]
    password = (form.get("password") or [""])[0][:1000]
    ctx = ctx_of(request)
    now = ctx.clock.now()
    username_key = throttle_key(ctx, "username", username.casefold())
    address_key = throttle_key(ctx, "address", request.client.host if request.client else "-")
    user = (
        queries.user_by_username(ctx.session_factory, username, with_password_hash=True)
        if username
        else None
    )
    throttle = accounts.sign_in_throttle(
        ctx.session_factory,
        username_key=username_key,
        address_key=address_key,
        at=now,
        window=ctx.sign_in_window,
        max_per_account=ctx.sign_in_max_failures_per_account,
        max_per_address=ctx.sign_in_max_failures_per_address,
    )
    if throttle.blocked:
        assert throttle.until is not None
        accounts.record_sign_in(
            ctx.session_factory,
            at=now,
            outcome="throttled",
            username_key=username_key,
            address_key=address_key,
            user_id=user.id if user else None,
            throttled_by=throttle.reason,
        )
        minutes = _minutes_until(throttle.until, now)
        message = (
            "There have been too many failed attempts to sign in. "
            f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again"
        )
        response = _sign_in_form(request, form, username, message, 429)
        response.headers["Retry-After"] = str(minutes * 60)
        return response
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        outcome = "unknown_user" if user is None else "wrong_password" if not ok else "inactive"
        accounts.record_sign_in(
            ctx.session_factory,
            at=now,
            outcome=outcome,
            username_key=username_key,
            address_key=address_key,
            user_id=user.id if user else None,
        )
        return _sign_in_form(request, form, username, "Enter a correct username and password", 400)
    accounts.record_sign_in(
        ctx.session_factory,
        at=now,
        outcome="ok",
        username_key=username_key,
        address_key=address_key,
        user_id=user.id,
    )
    found = queries.user_with_grants(ctx.session_factory, user_id=user.id)
    assert found is not None
    target = _safe_next((form.get("next") or [""])[0])
    response = RedirectResponse(target or _home(viewer_of(found)), status_code=303)
    sessions.begin(request, response, user.id)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """End this session on the server (a copy of its cookie opens nothing afterwards)."""
    await form_values(request)
    response = RedirectResponse("/sign-in", status_code=303)
    sessions.finish(request, response)
    return response


def caseload_filter(viewer: Viewer, scope: str) -> dict[str, Any]:
    """The `queries.caseload` arguments for what the viewer may see (`mine`: their own cases)."""
    return {
        "owner_id": viewer.id if scope == "mine" else None,
        "team_ids": viewer.team_ids,
        "restricted_all": viewer.role is Role.LADO,
        "restricted_manager_id": viewer.id if viewer.role is Role.MANAGER else None,
    }


CASELOAD_PAGE_SIZE = 25
"""Rows per caseload page (GOV.UK pagination): a practitioner with 200 open cases gets 8 pages."""


def _page_number(raw: str) -> int | None:
    """The `page` query parameter as a page number from 1, or None when it is not one (ASCII
    digits only: `str.isdigit` also accepts "²", which `int` refuses)."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    number = int(text)
    return number if number >= 1 else None


def pagination(
    path: str,
    params: dict[str, str],
    page: int,
    pages: int,
    label: str = "Caseload pages",
) -> dict[str, Any] | None:
    """The `govukPagination` parameters for page `page` of `pages` (None for a single page): the
    first and last pages, the current one and its neighbours, ellipses between."""
    if pages <= 1:
        return None

    def href(number: int) -> str:
        return f"{path}?{urlencode({**params, 'page': str(number)})}"

    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    for number in shown:
        if items and number - items[-1].get("number", number) > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == page})
    return {
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
        "items": items,
        "landmarkLabel": label,
    }


def _bad_page_number(request: Request, viewer: Viewer, raw: str) -> Response:
    return render(
        request,
        "error.html",
        {
            "title": "There is a problem with the page number",
            "message": f"The page number must be a whole number from 1, not {raw[:20]!r}.",
        },
        viewer=viewer,
        status_code=400,
    )


def _past_last_page(
    request: Request, viewer: Viewer, number: int, pages: int, what: str
) -> Response:
    return render(
        request,
        "error.html",
        {
            "title": "Page not found",
            "message": f"There is no page {number}: {what} {pages} "
            f"page{'s' if pages != 1 else ''}.",
        },
        viewer=viewer,
        status_code=404,
    )


# The caseload and case pages are `async def`: they run on the event loop, a few short queries
# each (1-2 ms waits), which measured faster than a hop to the threadpool per request (closed
# loop, 2 workers: the case page 79 -> 277 requests/s; docs/benchmarks.md, Web). The dashboard
# stays `def`: its 20-25 ms of PostgreSQL time would stall every other request of the process.
@router.get("/caseload")
async def caseload_page(request: Request, scope: str = "mine", page: str = "1") -> Response:
    viewer = _require(request)
    if viewer.role not in (Role.PRACTITIONER, Role.MANAGER, Role.LADO):
        raise Forbidden("only caseworkers have a caseload")
    ctx = ctx_of(request)
    scope = "team" if scope == "team" else "mine"
    number = _page_number(page)
    if number is None:
        return _bad_page_number(request, viewer, page)
    # "mine" is the viewer's own cases among those they may read (a case they own in a team
    # they have left is not shown)
    found = queries.caseload_page(
        ctx.session_factory,
        page=number,
        per_page=CASELOAD_PAGE_SIZE,
        **caseload_filter(viewer, scope),
    )
    if number > found.pages:
        return _past_last_page(request, viewer, number, found.pages, "this caseload has")
    now = ctx.clock.now()
    soon = due_soon_limit(
        ctx.calendar_for(ctx.region), london_date(now), ctx.policy.alerts.due_soon_working_days
    )
    tagged = [
        (r, rag(r.next_due_at, r.next_due_date, now=now, soon_until=soon)) for r in found.rows
    ]
    first = (number - 1) * CASELOAD_PAGE_SIZE + 1
    return render(
        request,
        "caseload.html",
        {
            "title": "Caseload" if number == 1 else f"Caseload (page {number} of {found.pages})",
            "rows": tagged,
            "scope": scope,
            "active": "caseload",
            "total": found.total,
            "first": first,
            "last": first + len(found.rows) - 1,
            "pagination": pagination(
                "/caseload", {"scope": scope} if scope == "team" else {}, number, found.pages
            ),
        },
        viewer=viewer,
    )


def case_lookup(request: Request, viewer: Viewer, case_id: int) -> queries.CaseAccess | None:
    """The case's access facts when the viewer may see it; otherwise None, and the refused
    look-up is in the audit trail (an id past the database's range names no case)."""
    ctx = ctx_of(request)
    if not 1 <= case_id <= audit.MAX_ID:
        audit.record_audit(
            ctx.session_factory,
            kind=audit.AuditKind.REFUSED_LOOKUP,
            at=ctx.clock.now(),
            user_id=viewer.id,
            detail="case id out of range",
        )
        return None
    access = case_access_of(request, case_id)
    if access is None or not can_read_case(viewer, access):
        audit.record_audit(
            ctx.session_factory,
            kind=audit.AuditKind.REFUSED_LOOKUP,
            at=ctx.clock.now(),
            user_id=viewer.id,
            case_id=case_id,
            detail="no such case" if access is None else "not permitted",
        )
        return None
    return access


def readable_case(request: Request, viewer: Viewer, case_id: int) -> queries.CaseAccess:
    """The case's access facts, or NotFound when it does not exist or the viewer may not see it
    (the same answer, so guessing ids reveals nothing; the refusal is audited)."""
    access = case_lookup(request, viewer, case_id)
    if access is None:
        raise NotFound(f"no case {case_id}")
    return access


def allowed_events(case: Case) -> list[Event]:
    """Events the tables allow from the case's current states, without those recorded on pages
    of their own (`record_views.OWN_PAGES`: the work panel's allocate, transfer, note, authorise
    and return; the facts' "Change" links; "Correct the date"). The case page then asks the
    guards which of them are possible now (`next_steps.judge_actions`)."""
    if case.state is CaseState.CLOSED and case.allegation_state is None:
        return []
    seen: list[Event] = []
    allegation = "none" if case.allegation_state is None else case.allegation_state.value
    for rows, state in (
        (CHILD_PROTECTION_TRANSITIONS, case.state.value),
        (ALLEGATION_TRANSITIONS, allegation),
    ):
        for row in rows:
            ev = Event(row["trigger"])
            if ev in record_views.OWN_PAGES:
                continue
            if state in [str(s) for s in row["source"]] and ev not in seen:
                seen.append(ev)
    return seen


@dataclass(frozen=True)
class Refused:
    """An event form the case page shows again: what was posted (with its problems beside their
    fields) and the reason a refusal gives for the whole form, if any."""

    event: str
    form: WorkForm | None = None
    reason: str | None = None


def _case_page(
    request: Request,
    viewer: Viewer,
    case_id: int,
    *,
    refused: Refused | None = None,
    status_code: int = 200,
) -> Response:
    ctx = ctx_of(request)
    readable_case(request, viewer, case_id)
    now = ctx.clock.now()
    try:
        case = casework.get_case(ctx.session_factory, case_id)
    except CaseNotFound:
        raise NotFound(f"no case {case_id}") from None
    audit.record_case_view(
        ctx.session_factory, case_id=case_id, user_id=viewer.id, at=now, via="page"
    )
    calendar = calendar_of(request, case.region)
    soon = due_soon_limit(calendar, london_date(now), ctx.policy.alerts.due_soon_working_days)
    deadlines = []
    for d in sorted(case.deadlines, key=lambda d: (d.due_at, d.kind.value)):
        status = d.status_at(now)
        if status == "open":
            tag = rag(d.due_at, d.due_date, now=now, soon_until=soon)
        else:
            tag = {
                "overdue": {"text": "Overdue", "classes": "govuk-tag--red"},
                "met": {"text": "Met", "classes": "govuk-tag--green"},
                "missed": {"text": "Missed (met late)", "classes": "govuk-tag--pink"},
                "cancelled": {"text": "Cancelled", "classes": "govuk-tag--grey"},
            }[status]
        deadlines.append((d, tag))
    offered, blocked = next_steps.judge_actions(case, allowed_events(case), actor=viewer.username)
    if refused is not None and any(b.event == refused.event for b in blocked):
        # a form posted anyway and refused is shown again, open, with the server's reason
        offered.append(Event(refused.event))
        blocked = [b for b in blocked if b.event != refused.event]
    named = work_views.case_names_of(request, case)
    upcoming = next_steps.what_next(
        case,
        now=now,
        soon_until=soon,
        policy=ctx.policy,
        offered=offered,
        owner=named.by_id.get(case.owner_id) if case.owner_id is not None else None,
        team=team_name_of(request, case.team_id),
        actor=viewer.username,
    )
    if upcoming.primary is not None:  # the step that meets the most urgent deadline comes first
        offered.sort(key=lambda ev: ev.value != upcoming.primary)
    actions = []
    blank_when = {name: values[0] for name, values in when_defaults(now).items()}
    for ev in offered:
        again = refused if refused is not None and refused.event == ev.value else None
        form = again.form if again is not None and again.form is not None else None
        actions.append(
            {
                "event": ev.value,
                "fields": EVENT_FORMS.get(ev, ()),
                # the blank fields are rendered once; a form shown again keeps what was typed
                "fields_html": event_fields_html(ev)
                if form is None
                else event_fields_html_of(ev, form),
                "form": form or record_views.event_form(now),
                "when_html": None
                if form is not None
                else _blank_when_html(ev.value, tuple(sorted(blank_when.items()))),
                "reason": again.reason if again is not None else None,
                "open": again is not None,
                "primary": ev.value == upcoming.primary,
            }
        )
    moves = []
    for row in CHILD_PROTECTION_TRANSITIONS:
        if case.state.value in [str(s) for s in row["source"]] and row["dest"] is not None:
            moves.append((str(row["trigger"]), str(row["dest"])))
    today = london_date(now)
    same_day = [d for d in case.deadlines if d.is_open and d.due_date == today]
    open_case = case.child_protection_open or case.allegation_open
    errors: list[dict[str, str]] = []
    if refused is not None and refused.reason:
        errors.append({"text": f"Refused: {refused.reason}", "href": f"#action-{refused.event}"})
    if refused is not None and refused.form is not None:
        errors.extend(refused.form.summary)
    return render(
        request,
        "case.html",
        {
            "title": f"Case {case.reference}",
            "case": case,
            "facts_rows": record_views.facts_rows(case, editable=open_case),
            "subjects": queries.case_subjects(ctx.session_factory, case_id),
            "deadlines": deadlines,
            "actions": actions,
            "blocked": blocked,
            "next": upcoming,
            "timeline": record_views.timeline(case, today=today, may_correct=open_case),
            "records": record_views.records(case, today),
            # in the order the diagram draws them: the order of the procedure
            "states": machine_layout(MachineName.CHILD_PROTECTION).states,
            "moves": moves,
            "diagram": case_diagram(
                case.state.value,
                case.allegation_state.value if case.allegation_state is not None else None,
            ),
            "raised": request.query_params.get("raised") == "1",
            "done": request.query_params.get("done"),
            "same_day": same_day,
            "errors": errors,
        },
        viewer=viewer,
        status_code=status_code,
    )


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: int) -> Response:
    viewer = _require(request)
    return _case_page(request, viewer, case_id)


@router.post("/cases/{case_id}/events/{event_name}")
async def apply_event(request: Request, case_id: int, event_name: str) -> Response:
    """Record an event of the case page's generic forms, dated when it happened (the form's date
    and time; default now) and recorded now. Who may do it is `workflows.permissions` (403 with
    the reason); a date the order rule refuses, or a field that cannot be read, is shown beside
    its field with what was typed kept; nothing is written on any refusal.

    A close (`check_answers.CHECKED_EVENTS`) with valid answers is answered with its check page
    (the answers, the deadlines it cancels) and written only when posted again with
    `confirm=yes`; `change` takes the answers back to the form."""
    viewer = _require(request)
    posted = await form_values(request)
    access = readable_case(request, viewer, case_id)
    try:
        event = Event(event_name)
    except ValueError:
        raise NotFound(f"no event {event_name}") from None
    ctx = ctx_of(request)
    form = record_views.event_form(ctx.clock.now(), posted)

    def again(status: int, reason: str | None = None) -> Response:
        # a reason written for the API and the scenario runner names codes: in words here
        refused = Refused(event.value, form, in_words(reason) if reason else None)
        return _case_page(request, viewer, case_id, refused=refused, status_code=status)

    refusal = event_refusal(actor_of(viewer), access, event)
    if refusal is not None:
        return again(403, refusal)
    raw_version = form.one("expected_version")
    expected = None
    if raw_version:
        if not (raw_version.isascii() and raw_version.isdigit()) or len(raw_version) > 9:
            return render(
                request,
                "error.html",
                {
                    "title": "There is a problem with the form",
                    "message": "The form did not say which version of the case you read: go "
                    "back to the case, reload it and try again. Nothing was saved.",
                },
                viewer=viewer,
                status_code=400,
            )
        expected = int(raw_version)
    now = ctx.clock.now()
    specs = EVENT_FORMS.get(event, ())
    checked = event in check_answers.CHECKED_EVENTS
    if checked and check_answers.CHANGE in form.values:
        # "Change" on the check page: the form again, open, with the answers as they were
        for name in (check_answers.CHANGE, check_answers.CONFIRM):
            form.values.pop(name, None)
        return _case_page(request, viewer, case_id, refused=Refused(event.value, form))
    confirmed = form.one(check_answers.CONFIRM) == "yes"
    try:
        data = event_data_from_form(event, posted)
    except FormError as exc:
        record_views.place_problems(form, event.value, specs, exc.problems)
        data = None
    at = record_views.occurred_from_form(form, now=now, prefix=event.value)
    if data is None or at is None:
        return again(400)
    try:
        refusal = event_refusal(actor_of(viewer), access, event, parse_event_data(event, data))
        if refusal is not None:
            return again(403, refusal)
        if checked and not confirmed:
            # an event that cannot be undone is checked first: judged as it would be, not written
            preview = casework.preview_event(
                ctx.session_factory,
                case_id,
                event,
                at=at,
                recorded_at=now,
                actor=viewer.username,
                data=data,
                expected_version=expected,
                calendar=calendar_of(request, access.region),
                policy=ctx.policy,
            )
            audit.record_case_view(
                ctx.session_factory, case_id=case_id, user_id=viewer.id, at=now, via="page"
            )
            return check_answers.check_page(
                request,
                viewer,
                case_id=case_id,
                event=event,
                specs=specs,
                form=form,
                at=at,
                dated_now=at == now,
                preview=preview,
            )
        casework.apply_event(
            ctx.session_factory,
            case_id,
            event,
            at=at,
            recorded_at=now,
            actor=viewer.username,
            data=data,
            expected_version=expected,
            calendar=calendar_of(request, access.region),
            policy=ctx.policy,
        )
    except InvalidEventData as exc:
        if record_views.place_data_error(form, event.value, specs, exc):
            return again(422)
        return again(422, record_views.data_refusal(exc))
    except InvalidStep as exc:
        reason = in_words(str(exc))
        form.problem(
            WHEN,
            reason[:1].upper() + reason[1:],
            f"{event.value}-{WHEN}-day",
            ("day", "month", "year", "time"),
        )
        return again(422)
    except TransitionRefused as exc:
        rest = record_views.place_refusal(form, event.value, specs, exc.reason, event.value)
        return again(409, rest or None)
    except StaleCase:
        return again(
            409, "someone else changed this case while you were reading it: check it and try again"
        )
    return RedirectResponse(f"/cases/{case_id}?{urlencode({'done': event.value})}", status_code=303)


RECORDING_PERIODS = {"1": "the last week", "4": "the last 4 weeks", "13": "the last 13 weeks"}
"""The periods the dashboard counts late recording over (weeks: words)."""


@router.get("/dashboard")
def dashboard(request: Request, recording_weeks: str = "4") -> Response:
    viewer = _require(request)
    if not can_see_dashboard(viewer):
        raise Forbidden("the dashboard is for managers")
    ctx = ctx_of(request)
    now = ctx.clock.now()
    today = london_date(now)
    if recording_weeks not in RECORDING_PERIODS:
        return render(
            request,
            "error.html",
            {
                "title": "There is a problem with the period",
                "message": "Choose the period of late recording from the list: "
                + ", ".join(RECORDING_PERIODS.values())
                + ".",
            },
            viewer=viewer,
            status_code=400,
        )
    # late recording (DESIGN 2.3) over whole London days, up to now
    first_day = today - timedelta(weeks=int(recording_weeks)) + timedelta(days=1)
    soon = due_soon_limit(
        calendar_of(request, ctx.region), today, ctx.policy.alerts.due_soon_working_days
    )
    first_week = today - timedelta(days=today.weekday()) - timedelta(weeks=11)
    reads = Reads(ctx.session_factory)  # the independent questions, side by side
    recorded_read = reads(
        recording.late_recording,
        ctx.session_factory,
        team_ids=viewer.team_ids,
        since=datetime.combine(first_day, time(0), tzinfo=LONDON),
        until=now,
        manager_id=viewer.id,
    )
    board_read = reads(
        queries.dashboard,
        ctx.session_factory,
        team_ids=viewer.team_ids,
        now=now,
        today=today,
        soon_until=soon,
        manager_id=viewer.id,
    )
    weeks_read = reads(
        queries.timeliness,
        ctx.session_factory,
        team_ids=viewer.team_ids,
        kinds=TIMELINESS_KINDS,
        first_week=first_week,
        weeks=12,
        today=today,
    )
    work_read = reads(work_views.dashboard_work, request, viewer)
    recorded = recorded_read.result()
    names = work_views.names_of(ctx, {w.actor for w in recorded})
    board, weeks, work = board_read.result(), weeks_read.result(), work_read.result()
    teams = queries.team_names(ctx.session_factory, viewer.team_ids)
    return render(
        request,
        "dashboard.html",
        {
            "title": "Team dashboard",
            "today": today,
            "team_names": [teams[t] for t in sorted(viewer.team_ids) if t in teams],
            "workers": board.workers,
            "sections": [
                ("Overdue", board.overdue, board.totals[0]),
                ("Due today", board.due_today, board.totals[1]),
                ("Due soon", board.due_soon, board.totals[2]),
            ],
            "timeliness": weeks,
            "chart": charts.timeliness_chart(weeks, TIMELINESS_KINDS),
            "work": work,
            "recording": [(names.get(w.actor, w.actor), w) for w in recorded],
            "recording_weeks": recording_weeks,
            "recording_periods": RECORDING_PERIODS,
            "recording_since": first_day,
            "active": "dashboard",
        },
        viewer=viewer,
    )


AUDIT_PAGE_SIZE = 50
"""Entries per page of the audit trail."""


DATE_PARTS = ("day", "month", "year")


def _audit_date_parts(request: Request, params: dict[str, str]) -> dict[str, dict[str, str]]:
    """The audit search's dates as the GOV.UK date inputs post them (`from-day`, `from-month`,
    `from-year`...), put into `params` as ISO text for the filter (a date that is not real
    stays as typed, so the filter refuses it); and the parts to show in the inputs, from what
    was typed or from an ISO `from` / `to` (a pagination link)."""
    shown: dict[str, dict[str, str]] = {}
    for field in ("from", "to"):
        typed = {p: request.query_params.get(f"{field}-{p}", "").strip()[:4] for p in DATE_PARTS}
        if any(typed.values()):
            day, month, year = typed["day"], typed["month"], typed["year"]
            if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
                params[field] = f"{year}-{int(month):02d}-{int(day):02d}"
            else:
                params[field] = f"{year}-{month}-{day}"  # not a date: refused by the filter
            shown[field] = typed
            continue
        raw = params[field].strip()
        try:
            iso = date.fromisoformat(raw) if len(raw) == 10 else None
        except ValueError:
            iso = None
        shown[field] = (
            {"day": str(iso.day), "month": str(iso.month), "year": str(iso.year)}
            if iso is not None
            else dict.fromkeys(DATE_PARTS, "")
        )
    return shown


def _audit_filters(
    request: Request, params: dict[str, str]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The `search_audit` arguments of the page's query, and the errors (each naming its field)."""
    ctx = ctx_of(request)
    found: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    username = params.get("user", "").strip()
    if username:
        user = queries.user_by_username(ctx.session_factory, username[:100])
        if user is None:
            errors.append({"field": "user", "text": "There is no user with that username"})
        else:
            found["user_id"] = user.id
    case = params.get("case", "").strip()
    if case:
        case_id = audit.case_id_of(ctx.session_factory, case[:60])
        if case_id is None:
            errors.append(
                {"field": "case", "text": "Enter a case number or reference, like 12 or ESF-12"}
            )
        else:
            found["case_id"] = case_id
    kind = params.get("kind", "").strip()
    if kind:
        try:
            found["kinds"] = [audit.AuditKind(kind)]
        except ValueError:
            errors.append({"field": "kind", "text": "Choose a kind of entry from the list"})
    for field, key, shift in (("from", "since", 0), ("to", "until", 1)):
        raw = params.get(field, "").strip()
        if not raw:
            continue
        try:
            day = date.fromisoformat(raw[:10]) if len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None:
            errors.append(
                {"field": f"{field}-day", "text": f"The '{field}' date must be a real date"}
            )
            continue
        # London days: from the start of `from` to the end of `to`
        found[key] = datetime.combine(day + timedelta(days=shift), time(0), tzinfo=LONDON)
    if "since" in found and "until" in found and found["since"] >= found["until"]:
        errors.append(
            {"field": "to-day", "text": "The 'to' date must not be before the 'from' date"}
        )
    return found, errors


@router.get("/audit")
def audit_page(request: Request, page: str = "1") -> Response:
    """The audit trail for auditors: every case view, refused look-up, sign-in (and failure),
    sign-out and account change, searched by user, case, kind and London dates, 50 a page."""
    viewer = _require(request)
    if not can_see_audit(viewer):
        raise Forbidden("the audit trail is for auditors")
    ctx = ctx_of(request)
    number = _page_number(page)
    if number is None:
        return _bad_page_number(request, viewer, page)
    params = {
        k: request.query_params.get(k, "")[:100] for k in ("user", "case", "kind", "from", "to")
    }
    parts = _audit_date_parts(request, params)
    filters, errors = _audit_filters(request, params)
    context: dict[str, Any] = {
        "title": "Audit trail",
        "active": "audit",
        "params": params,
        "kinds": [k.value for k in audit.AuditKind],
        "errors": [{"text": e["text"], "href": f"#{e['field']}"} for e in errors],
        "error_for": defaultdict(str, {e["field"]: e["text"] for e in errors}),
        "rows": [],
        "total": 0,
        "pagination": None,
        "parts": parts,
    }
    if errors:
        return render(request, "audit.html", context, viewer=viewer, status_code=400)
    found = audit.search_audit(
        ctx.session_factory, page=number, per_page=AUDIT_PAGE_SIZE, **filters
    )
    if number > found.pages:
        return _past_last_page(request, viewer, number, found.pages, "this search has")
    if any(params.values()) or number > 1:
        described = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("user", filters.get("user_id")),
                ("case", filters.get("case_id")),
                ("kind", params["kind"]),
                ("from", params["from"]),
                ("to", params["to"]),
            )
            if v
        )
        audit.record_audit(
            ctx.session_factory,
            kind=audit.AuditKind.SEARCH,
            at=ctx.clock.now(),
            user_id=viewer.id,
            detail=f"audit trail page {number}" + (f": {described}" if described else ""),
        )
    first = (number - 1) * AUDIT_PAGE_SIZE + 1
    shown = {k: v for k, v in params.items() if v}
    context.update(
        {
            "title": "Audit trail" if number == 1 else f"Audit trail (page {number})",
            "rows": found.rows,
            "total": found.total,
            "first": first,
            "last": first + len(found.rows) - 1,
            "pagination": pagination("/audit", shown, number, found.pages, label="Audit pages"),
        }
    )
    return render(request, "audit.html", context, viewer=viewer)


ALERTS_PAGE_SIZE = 50
"""Rows per page of the in-app alert list."""

ALERT_TAGS = {
    "due_soon": {"text": "Due soon", "classes": "govuk-tag--yellow"},
    "due_today": {"text": "Due today", "classes": "govuk-tag--orange"},
    "overdue": {"text": "Overdue", "classes": "govuk-tag--red"},
    "escalated": {"text": "Escalated", "classes": "govuk-tag--pink"},
}


@router.get("/alerts")
async def alerts_page(request: Request, page: str = "1") -> Response:
    """The in-app alert list (DESIGN 3.3): the alerts the sweep addressed to the signed-in user,
    newest first, of the cases they may still see."""
    viewer = _require(request)
    if viewer.role not in (Role.PRACTITIONER, Role.MANAGER, Role.LADO):
        raise Forbidden("only caseworkers receive deadline alerts")
    number = _page_number(page)
    if number is None:
        return _bad_page_number(request, viewer, page)
    grants = caseload_filter(viewer, "team")
    del grants["owner_id"]
    found = queries.alerts_of_user(
        ctx_of(request).session_factory,
        user_id=viewer.id,
        page=number,
        per_page=ALERTS_PAGE_SIZE,
        **grants,
    )
    if number > found.pages:
        return _past_last_page(request, viewer, number, found.pages, "your alerts have")
    nav = pagination("/alerts", {}, number, found.pages, label="Alert pages")
    first = (number - 1) * ALERTS_PAGE_SIZE + 1
    notices, notices_total = work_views.notice_rows(ctx_of(request), viewer)
    return render(
        request,
        "alerts.html",
        {
            "title": "Alerts" if number == 1 else f"Alerts (page {number} of {found.pages})",
            "rows": [(r, ALERT_TAGS[r.level]) for r in found.rows],
            "active": "alerts",
            "total": found.total,
            "first": first,
            "last": first + len(found.rows) - 1,
            "pagination": nav,
            "notices": notices,
            "notices_total": notices_total,
        },
        viewer=viewer,
    )
