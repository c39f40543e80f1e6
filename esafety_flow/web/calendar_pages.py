"""Calendar administration (DESIGN 3.2): the region's days off, and adding or removing a one-off
day with a check first.

A change to the calendar moves open deadlines of every case in the region, so it is never made in
one click: the form (a GOV.UK date input and a name) leads to a check page that says how many open
deadlines move, from which date to which, for whom, and only its confirm button changes anything.
`workflows.calendar_days` refuses a day in the past, a weekend day, a statutory bank holiday and a
day already added, with the reason shown beside the date. A one-off day added by mistake can be
removed the same way (check, then confirm), moving the deadlines back; each move is in its case's
log, each owner is told by email, and the change is in the audit trail.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from calendars import Region, UnknownRegionError, london_date
from esafety_flow.notify.jobs import queue_owner_notices
from esafety_flow.web.access import Viewer, can_add_calendar_day, can_see_calendar
from esafety_flow.web.common import (
    Forbidden,
    NotFound,
    NotSignedIn,
    ctx_of,
    form_values,
    load_viewer,
    render,
)
from esafety_flow.web.context import WebContext
from esafety_flow.web.work_forms import WorkForm
from workflows import calendar_days, queries
from workflows.audit import AuditKind, record_audit
from workflows.errors import InvalidRecord

__all__ = ["router"]

router = APIRouter(include_in_schema=False)  # pages: not in the API document

DAY = "day"
"""The name of the date field (`day-day`, `day-month`, `day-year`)."""
_NAME_LIMIT = 100
_TOLD = "each owner will be told by email."


def _viewer(request: Request) -> Viewer:
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    if not can_see_calendar(viewer):
        raise Forbidden("the calendar is for administrators and managers")
    return viewer


async def _change_form(request: Request) -> tuple[Viewer, WorkForm]:
    """A calendar change's posted form (its size and security token checked first, as every
    form's), from an administrator."""
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    form = WorkForm.of(await form_values(request))
    if not can_add_calendar_day(viewer):
        raise Forbidden("only administrators change the calendar")
    return viewer, form


def _region(raw: str | None, default: Region) -> Region:
    if not raw:
        return default
    try:
        return Region.parse(raw)
    except UnknownRegionError:
        raise NotFound(f"no region {raw}") from None


def _day_from_form(form: WorkForm) -> date | None:
    """The date of the GOV.UK date input, or None after recording the problem against it."""
    parts = {p: form.one(f"{DAY}-{p}") for p in ("day", "month", "year")}

    def wrong(message: str, *bad: str) -> None:
        form.problem(DAY, message, f"{DAY}-{bad[0]}", bad)

    missing = [p for p, v in parts.items() if not v]
    if len(missing) == 3:
        wrong("Enter the date of the day off", "day", "month", "year")
        return None
    if missing:
        wrong(f"The date must include a {' and a '.join(missing)}", *missing)
        return None
    bad = [p for p, v in parts.items() if not (v.isdigit() and len(v) <= 4)]
    if bad:
        wrong("The date must be a real date", *bad)
        return None
    if len(parts["year"]) != 4:
        wrong("The year must include 4 numbers, for example 2026", "year")
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        wrong("The date must be a real date", "day", "month", "year")
        return None


def _owners(request: Request, moves: list[calendar_days.Move]) -> list[dict[str, Any]]:
    """Who is affected: each owner (or the unallocated list) with how many of their deadlines
    move, most first."""
    names = {
        u.id: u.display_name for u in queries.list_users_brief(ctx_of(request).session_factory)
    }
    counted = Counter(m.owner_id for m in moves)
    return [
        {
            "name": names.get(owner, "Unallocated") if owner is not None else "Unallocated",
            "deadlines": n,
            "cases": len({m.case_id for m in moves if m.owner_id == owner}),
        }
        for owner, n in counted.most_common()
    ]


def _page(
    request: Request,
    viewer: Viewer,
    region: Region,
    year: int | None,
    *,
    form: WorkForm | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = ctx_of(request)
    calendar = ctx.calendar_for(region)
    today = london_date(ctx.clock.now())
    year = year or today.year
    try:
        holidays = calendar.bank_holidays(year)
    except ValueError:
        holidays = []
    form = form or WorkForm()
    return render(
        request,
        "calendar.html",
        {
            "title": "Calendar",
            "region": region.value,
            "regions": [r.value for r in Region],
            "year": year,
            "holidays": holidays,
            "today": today,
            "can_add": can_add_calendar_day(viewer),
            "form": form,
            "done": done,
            "errors": form.summary,
            "error_for": form.error_for,
            "active": "calendar",
        },
        viewer=viewer,
        status_code=status_code,
    )


@router.get("/calendar")
def calendar_page(request: Request, region: str | None = None, year: int | None = None) -> Response:
    viewer = _viewer(request)
    ctx = ctx_of(request)
    if year is not None and not 1900 <= year <= 2100:
        raise NotFound(f"no calendar for {year}")
    return _page(request, viewer, _region(region, ctx.region), year)


def _check(
    request: Request, viewer: Viewer, region: Region, day: date, name: str, *, remove: bool
) -> Response:
    ctx = ctx_of(request)
    moves = calendar_days.preview_calendar_change(
        ctx.session_factory,
        region=region,
        day=day,
        name=name,
        at=ctx.clock.now(),
        policy_for=ctx.policy_for,
        remove=remove,
        closures_enabled=ctx.closures_enabled,
    )
    return render(
        request,
        "calendar_check.html",
        {
            "title": "Remove the day off?" if remove else "Add the day off?",
            "region": region.value,
            "day": day,
            "name": name,
            "remove": remove,
            "moves": moves[:200],
            "more": max(0, len(moves) - 200),
            "total": len(moves),
            "cases": len({m.case_id for m in moves}),
            "owners": _owners(request, moves),
            "active": "calendar",
        },
        viewer=viewer,
    )


def _posted_day(form: WorkForm) -> date | None:
    """The confirm step's date (posted as ISO by the check page itself)."""
    try:
        return date.fromisoformat(form.one("date"))
    except ValueError:
        return None


@router.post("/calendar/days")
async def check_new_day(request: Request) -> Response:
    """The form's answers, checked: the check page, or the form again with the problems."""
    viewer, form = await _change_form(request)
    ctx = ctx_of(request)
    region = _region(form.one("region"), ctx.region)
    day = _day_from_form(form)
    name = form.one("name")
    if not name:
        form.problem("name", "Enter the name of the day off", "day-name")
    elif len(name) > _NAME_LIMIT:
        form.problem("name", f"The name must be {_NAME_LIMIT} characters or fewer", "day-name")
    if day is None or not form.ok:
        return _page(request, viewer, region, None, form=form, status_code=400)
    try:
        return _check(request, viewer, region, day, name, remove=False)
    except InvalidRecord as exc:
        form.problem(DAY, _plain(str(exc)), f"{DAY}-day", ("day", "month", "year"))
        return _page(request, viewer, region, day.year, form=form, status_code=400)


_REGION_NAMES = {
    Region.ENGLAND_AND_WALES.value: "England and Wales",
    Region.SCOTLAND.value: "Scotland",
    Region.NORTHERN_IRELAND.value: "Northern Ireland",
}
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _plain(message: str) -> str:
    """A service refusal as a sentence for the page: its ISO dates as the page writes dates
    ("3 April 2026") and its regions by their names ("England and Wales")."""

    def day(found: re.Match[str]) -> str:
        try:
            value = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        except ValueError:
            return found.group(0)
        return f"{value.day} {value:%B %Y}"

    text = _ISO_DAY.sub(day, message)
    for code, name in _REGION_NAMES.items():
        text = text.replace(code, name)
    return text[:1].upper() + text[1:]


@router.post("/calendar/days/confirm")
async def add_day(request: Request) -> Response:
    viewer, form = await _change_form(request)
    ctx = ctx_of(request)
    region = _region(form.one("region"), ctx.region)
    day, name = _posted_day(form), form.one("name")[:_NAME_LIMIT]
    if day is None or not name:
        form.problem(DAY, "Enter the date and the name of the day off again", f"{DAY}-day")
        return _page(request, viewer, region, None, form=form, status_code=400)
    at = ctx.clock.now()
    try:
        moved = calendar_days.add_calendar_day(
            ctx.session_factory,
            region=region,
            day=day,
            name=name,
            kind="one_off",
            added_by=viewer.username,
            at=at,
            policy_for=ctx.policy_for,
            closures_enabled=ctx.closures_enabled,
        )
    except InvalidRecord as exc:
        form.problem(DAY, _plain(str(exc)), f"{DAY}-day", ("day", "month", "year"))
        return _page(request, viewer, region, day.year, form=form, status_code=400)
    _changed(
        ctx,
        viewer,
        at,
        region,
        f"added {day.isoformat()}",
        moved,
        reason=f"{day.isoformat()} ({name}) was added as a day off",
    )
    done = f"{name} ({day:%-d %B %Y}) added: {_deadlines(moved)} moved; {_TOLD}"
    return _page(request, viewer, region, day.year, done=done)


def _changed(
    ctx: WebContext,
    viewer: Viewer,
    at: datetime,
    region: Region,
    what: str,
    moved: int,
    *,
    reason: str,
) -> None:
    """A calendar change made: in the audit trail, and each owner whose deadline moved told by
    email (queued in the notice outbox here, sent by the next delivery pass, so the page never
    waits on a mail server)."""
    record_audit(
        ctx.session_factory,
        kind=AuditKind.CALENDAR_CHANGE,
        at=at,
        user_id=viewer.id,
        detail=f"{what} in {region.value}: {moved} deadlines moved",
    )
    queue_owner_notices(
        ctx.session_factory,
        region=region,
        at=at,
        reason=reason,
        base_url=ctx.base_url,
        mail_from=ctx.mail_from,
    )


def _deadlines(n: int) -> str:
    return f"{n} open deadline{'' if n == 1 else 's'}"


@router.post("/calendar/days/remove")
async def check_removal(request: Request) -> Response:
    viewer, form = await _change_form(request)
    ctx = ctx_of(request)
    region = _region(form.one("region"), ctx.region)
    day = _posted_day(form)
    if day is None:
        raise NotFound("no such day off")
    names = {d.date: d.name for d in calendar_days.list_calendar_days(ctx.session_factory, region)}
    if day not in names:
        raise NotFound("no such day off")
    try:
        return _check(request, viewer, region, day, names[day], remove=True)
    except InvalidRecord as exc:
        form = WorkForm()
        form.problem(DAY, _plain(str(exc)), "holidays")
        return _page(request, viewer, region, day.year, form=form, status_code=400)


@router.post("/calendar/days/remove/confirm")
async def remove_day(request: Request) -> Response:
    viewer, form = await _change_form(request)
    ctx = ctx_of(request)
    region = _region(form.one("region"), ctx.region)
    day = _posted_day(form)
    if day is None:
        raise NotFound("no such day off")
    at = ctx.clock.now()
    try:
        name, moved = calendar_days.remove_calendar_day(
            ctx.session_factory,
            region=region,
            day=day,
            removed_by=viewer.username,
            at=at,
            policy_for=ctx.policy_for,
            closures_enabled=ctx.closures_enabled,
        )
    except InvalidRecord as exc:
        form = WorkForm()
        form.problem(DAY, _plain(str(exc)), "holidays")
        return _page(request, viewer, region, day.year, form=form, status_code=400)
    _changed(
        ctx,
        viewer,
        at,
        region,
        f"removed {day.isoformat()}",
        moved,
        reason=f"{day.isoformat()} ({name}) is no longer a day off",
    )
    done = f"{name} ({day:%-d %B %Y}) removed: {_deadlines(moved)} moved back; {_TOLD}"
    return _page(request, viewer, region, day.year, done=done)
