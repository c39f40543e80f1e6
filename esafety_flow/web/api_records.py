"""The JSON API's reading of the record (under /api/v1, beside `esafety_flow.web.api`): a case's
timeline as it now reads, the search box, and the people already known who may be a new child.

Errors as in `esafety_flow.web.api`: 401 anonymous, 403 a role that does not work cases, 404 a
case that does not exist or the caller may not see, 422 invalid input naming the field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from esafety_flow.web.api import (
    CASE_ERRORS,
    READ_ERRORS,
    ApiError,
    StrictJsonRoute,
    ViewerDep,
    _casework,
    _readable,
)
from esafety_flow.web.common import ctx_of
from esafety_flow.web.pages import caseload_filter
from workflows import audit, casework, people, search
from workflows.domain import effective_history

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["records"], route_class=StrictJsonRoute)


class TimelineEntry(BaseModel):
    """One entry of a case's log (DESIGN 2.3): `at` when it happened (as corrected),
    `recorded_at` when it was written down, `late` when that was after the policy's recording
    timeliness; `original_at` is the time first recorded, where a correction has moved it."""

    event_id: int = Field(
        description="the entry's number in the case's log (correct_date names it)"
    )
    kind: str = Field(description="transition, deadline_started, deadline_met, ...")
    event: str | None
    machine: str | None
    from_state: str | None
    to_state: str | None
    at: datetime
    recorded_at: datetime
    by: str
    late: bool
    original_at: datetime | None
    corrects: int | None
    data: dict[str, Any]


@router.get("/cases/{case_id}/timeline", response_model=list[TimelineEntry], responses=CASE_ERRORS)
def timeline(request: Request, viewer: ViewerDep, case_id: int) -> list[TimelineEntry]:
    """Every entry of the case's log in the order recorded, each event at its corrected time."""
    _casework(viewer)
    _readable(request, viewer, case_id)
    case = casework.get_case(ctx_of(request).session_factory, case_id, with_history=True)
    return [
        TimelineEntry(
            event_id=e.seq,
            kind=e.kind.value,
            event=e.event,
            machine=e.machine,
            from_state=e.from_state,
            to_state=e.to_state,
            at=e.at,
            recorded_at=e.recorded_at,
            by=e.actor,
            late=e.late,
            original_at=e.original_at,
            corrects=e.corrects,
            data=e.data,
        )
        for e in effective_history(case.history)
    ]


class SearchHit(BaseModel):
    case_id: int
    reference: str
    state: str
    restricted: bool
    person_name: str | None
    date_of_birth: date | None
    role: str | None = Field(description="child or alleged_abuser: who matched")


class SearchAnswer(BaseModel):
    query_kind: str = Field(
        description="what the text was read as: reference, nhs_number, upn, date_of_birth, name"
    )
    results: list[SearchHit]


@router.get("/search", response_model=SearchAnswer, responses=READ_ERRORS)
def search_cases(
    request: Request,
    viewer: ViewerDep,
    q: Annotated[
        str,
        Query(max_length=200, description="a reference, name, NHS number, UPN or date of birth"),
    ],
) -> SearchAnswer:
    """The cases you may open that the text finds, best first (at most 50)."""
    _casework(viewer)
    grants = caseload_filter(viewer, "team")
    del grants["owner_id"]
    ctx = ctx_of(request)
    try:
        query, found = search.search(ctx.session_factory, q, **grants)
    except ValueError as exc:
        raise ApiError(422, ["query", "q"], str(exc), "value_error") from None
    # who searched for what, and how many cases it showed them (the auditor's page)
    audit.record_audit(
        ctx.session_factory,
        kind=audit.AuditKind.SEARCH,
        at=ctx.clock.now(),
        user_id=viewer.id,
        detail=f"api {query.kind.value} search, {len(found)} results: {q}",
    )
    return SearchAnswer(
        query_kind=query.kind.value,
        results=[
            SearchHit(
                case_id=r.case_id,
                reference=r.reference,
                state=r.state,
                restricted=r.restricted,
                person_name=r.person_name,
                date_of_birth=r.date_of_birth,
                role=r.role,
            )
            for r in found
        ],
    )


class PersonMatchOut(BaseModel):
    person_id: int
    name: str
    date_of_birth: date | None


@router.get("/people/matches", response_model=list[PersonMatchOut], responses=READ_ERRORS)
def person_matches(
    request: Request,
    viewer: ViewerDep,
    name: Annotated[str, Query(min_length=1, max_length=200)],
    date_of_birth: date | None = None,
) -> list[PersonMatchOut]:
    """People already known who may be this one (DESIGN 2.4): the same date of birth and the
    same or a similar name (with no date of birth, the same name). Give the chosen `person_id`
    with the child when raising the concern to link them; a likely match is never linked on its
    own."""
    _casework(viewer)
    with ctx_of(request).session_factory() as session:
        found = people.possible_matches(session, name=name, date_of_birth=date_of_birth)
    return [
        PersonMatchOut(person_id=m.person_id, name=m.name, date_of_birth=m.date_of_birth)
        for m in found
    ]
