"""Shared pieces of the pages and the API: templates, the signed-in viewer, CSRF, RAG status."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)
from starlette.responses import Response

from calendars import LONDON, Region, WorkingDayCalendar, london_date
from esafety_flow.web import sessions
from esafety_flow.web.access import Role, Viewer, can_read_case
from esafety_flow.web.context import WebContext
from esafety_flow.web.work_forms import WorkForm
from states.labels import label
from workflows import queries

__all__ = [
    "BadFormText",
    "CsrfRefused",
    "Forbidden",
    "NotFound",
    "NotSignedIn",
    "calendar_of",
    "case_access_of",
    "due_soon_limit",
    "ensure_csrf",
    "form_values",
    "load_viewer",
    "per_request",
    "rag",
    "readable_by",
    "render",
    "team_name_of",
    "templates",
]

_HERE = Path(__file__).parent


class NotSignedIn(Exception):
    """No signed-in user: pages redirect to sign in, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the role may not do this: the API answers 403, a page shows "page not
    found" (404), as for a case the viewer may not see."""


class CsrfRefused(Exception):
    """A form posted without this session's security token (403, with the reason)."""


class BadFormText(Exception):
    """A form field holding text that cannot be stored (a NUL character): 400, naming the
    field; nothing is saved."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class NotFound(Exception):
    """No such thing, or one the viewer may not know exists (404)."""


_label = label  # the `label` filter: a code's name from the one label table


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _when(value: datetime) -> str:
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} {local:%H:%M}"


def _describe(details: Mapping[str, Any]) -> str:
    parts = []
    for key, value in details.items():
        if key == "name" or value in (None, False, "", []):
            continue
        parts.append(_label(key).lower() if value is True else f"{_label(key).lower()} {value}")
    return ", ".join(parts)


def _item(option: tuple[str, str]) -> dict[str, str]:
    return {"value": option[0], "text": option[1]}


def _region_item(region: str, current: str) -> dict[str, Any]:
    return {"value": region, "text": _label(region), "selected": region == current}


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(_HERE / "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,  # templates ship with the package: no stat() per render
        # compiled templates kept on disk (a per-user directory under the temporary directory):
        # each worker process starts without compiling the GOV.UK macros again
        bytecode_cache=FileSystemBytecodeCache(),
    )
    env.filters.update(label=_label, day=_day, when=_when, describe=_describe, app_item=_item)
    env.filters["app_region"] = _region_item
    return env


templates = Jinja2Templates(env=_environment())


def ctx_of(request: Request) -> WebContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, WebContext)
    return ctx


_UNSET = object()


def load_viewer(request: Request) -> Viewer | None:
    """The user signed in to this browser's live server-side session, if any (re-read from the
    database on every request, so that a deactivated user is signed out at once)."""
    cached = getattr(request.state, "viewer", _UNSET)
    if cached is not _UNSET:
        assert cached is None or isinstance(cached, Viewer)
        return cached
    viewer = None
    session = sessions.current(request)
    if session is not None and session.user.user.active:
        viewer = viewer_of(session.user)  # read with the session, in the same statement
    request.state.viewer = viewer
    return viewer


T = TypeVar("T")


def per_request(request: Request, key: Hashable, make: Callable[[], T]) -> T:
    """`make()`, computed once per request under `key` however many parts of the page ask (the
    case's access facts, its team's name, a region's calendar...): what one request shows is
    read once and is the same everywhere on the page."""
    memo: dict[Hashable, Any] | None = getattr(request.state, "esafety_memo", None)
    if memo is None:
        memo = request.state.esafety_memo = {}
    if key not in memo:
        memo[key] = make()
    found: T = memo[key]
    return found


def calendar_of(request: Request, region: Region) -> WorkingDayCalendar:
    """The region's working-day calendar, built once per request (each build reads the region's
    one-off days, so a day an administrator adds counts from the next request)."""
    return per_request(request, ("calendar", region), lambda: ctx_of(request).calendar_for(region))


def case_access_of(request: Request, case_id: int) -> queries.CaseAccess | None:
    """The case's access facts (`queries.case_access`), read once per request."""
    sf = ctx_of(request).session_factory
    return per_request(request, ("case_access", case_id), lambda: queries.case_access(sf, case_id))


def team_name_of(request: Request, team_id: int | None) -> str | None:
    """A team's name (`queries.team_name`), read once per request."""
    sf = ctx_of(request).session_factory
    return per_request(request, ("team_name", team_id), lambda: queries.team_name(sf, team_id))


def readable_by(ctx: WebContext, viewer: Viewer) -> Callable[[Collection[int]], set[int]]:
    """Which of a list of case ids the viewer may open (`can_read_case`), looked up in one go
    (`queries.case_accesses`) however many cases the list names."""

    def readable(case_ids: Collection[int]) -> set[int]:
        found = queries.case_accesses(ctx.session_factory, case_ids)
        return {i for i, access in found.items() if can_read_case(viewer, access)}

    return readable


def viewer_of(found: queries.UserGrants) -> Viewer:
    """The viewer of a user and their grants, as `queries.user_with_grants` loads them in one
    query (teams managed or headed count for managers only)."""
    user = found.user
    role = Role(user.role)
    managed = found.managed_team_ids if role is Role.MANAGER else frozenset()
    return Viewer(user.id, user.username, user.display_name, role, user.team_id, managed)


def csrf_token(request: Request) -> str:
    return sessions.csrf_token(request)


async def form_values(request: Request) -> dict[str, list[str]]:
    """The posted form, every field as a list of its values, after checking the CSRF token.

    Raises `CsrfRefused` when the token is missing or does not match this session's, and
    `BadFormText` when a field or its name holds a NUL character (no database column takes
    one: PostgreSQL refuses it in text and JSON alike)."""
    form = await request.form()
    given = form.get("csrf_token")
    if not sessions.csrf_matches_request(request, given if isinstance(given, str) else None):
        raise CsrfRefused("the form's security token is missing or out of date: reload the page")
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            if "\x00" in key or "\x00" in value:
                raise BadFormText(key.replace("\x00", "")[:40] or "a field")
            values.setdefault(key, []).append(value)
    return values


def ensure_csrf(request: Request) -> str:
    return csrf_token(request)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    viewer: Viewer | None,
    status_code: int = 200,
) -> Response:
    base: dict[str, Any] = {
        "viewer": viewer,
        "csrf_token": csrf_token(request),
        "cspNonce": getattr(request.state, "csp_nonce", None),
        "errors": [],
        "error_for": {},
        "active": "",
    }
    base.update(context)
    response = templates.TemplateResponse(request, template, base, status_code=status_code)
    return sessions.apply_cookies(request, response)


def render_form(
    request: Request,
    viewer: Viewer,
    template: str,
    title: str,
    form: WorkForm,
    *,
    status: int | None = None,
    **context: Any,
) -> Response:
    """A page holding a `WorkForm`: its error summary and messages beside the fields; 400 while
    the form has problems unless `status` says otherwise."""
    return render(
        request,
        template,
        {
            "title": title,
            "form": form,
            "errors": form.summary,
            "error_for": form.error_for,
            **context,
        },
        viewer=viewer,
        status_code=status if status is not None else (200 if form.ok else 400),
    )


def due_soon_limit(calendar: WorkingDayCalendar, today: date, working_days: int) -> date:
    """The last date counted as "due soon" from `today` (DESIGN 3.3: 2 working days by default)."""
    try:
        return calendar.add_working_days(today, working_days)
    except ValueError:
        return today + timedelta(days=working_days)


def rag(
    due_at: datetime | None, due_date: date | None, *, now: datetime, soon_until: date
) -> dict[str, str]:
    """Red/amber/green as a GOV.UK tag: red overdue, amber due today or soon, green later."""
    if due_at is None or due_date is None:
        return {"text": "No deadline", "classes": "govuk-tag--grey"}
    if now >= due_at:
        return {"text": "Overdue", "classes": "govuk-tag--red"}
    if due_date <= london_date(now):
        return {"text": "Due today", "classes": "govuk-tag--orange"}
    if due_date <= soon_until:
        return {"text": "Due soon", "classes": "govuk-tag--yellow"}
    return {"text": "On track", "classes": "govuk-tag--green"}
