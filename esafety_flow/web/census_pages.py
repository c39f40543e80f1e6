"""The CIN census page (DESIGN 8): what to fix before the census, `/returns/census?year=YYYY`.

Managers and the performance team (`workflows.permissions.may_run_returns`) see every task of the
year's return, by owner; a practitioner or LADO sees the tasks of the cases they own. Each task
names the case, the child and the field (`workflows.returns.census_check`); the case is a link
only for a viewer who may open it (the performance team opens no case). The year defaults to the
reporting year that holds today; a year outside the census's range is a 400 with the reason.
"""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Request
from starlette.responses import Response

from calendars import london_date
from esafety_flow.web.access import Role
from esafety_flow.web.common import Forbidden, NotSignedIn, ctx_of, load_viewer, render
from workflows.permissions import may_run_returns
from workflows.returns import census, census_check

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


class BadRequest(Exception):
    """A census year the page cannot show."""


@router.get("/returns/census")
def census_page(request: Request, year: int | None = None) -> Response:
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    everyone = may_run_returns(viewer.role.value)
    if not everyone and viewer.role not in (Role.PRACTITIONER, Role.LADO):
        raise Forbidden("the census tasks are for caseworkers, managers and the performance team")
    ctx = ctx_of(request)
    today = london_date(ctx.clock.now())
    chosen = year if year is not None else today.year + (1 if today.month > 3 else 0)
    try:
        census_year = census.census_year(chosen)
    except census.CensusError as exc:
        return render(
            request,
            "returns_census.html",
            {"title": "CIN census", "active": "census", "problem": str(exc), "year": chosen,
             "owners": [], "everyone": everyone, "total": 0},
            viewer=viewer,
            status_code=400,
        )  # fmt: skip
    tasks = census_check.census_tasks(ctx.session_factory, census_year)
    if not everyone:
        tasks = list(census_check.tasks_of_owner(tasks, viewer.id))
    names = census_check.owner_names(ctx.session_factory)
    by_owner = sorted(tasks, key=lambda t: (names.get(t.owner_id or 0, "~"), t))
    owners = [
        (names.get(owner or 0, "Unallocated"), list(group))
        for owner, group in groupby(by_owner, key=lambda t: t.owner_id)
    ]
    return render(
        request,
        "returns_census.html",
        {
            "title": "CIN census",
            "active": "census",
            "year": chosen,
            "start": census_year.start,
            "reference_date": census_year.reference_date,
            "owners": owners,
            "total": len(tasks),
            "everyone": everyone,
            "problem": None,
            "links": viewer.role is not Role.PERFORMANCE,
        },
        viewer=viewer,
    )
