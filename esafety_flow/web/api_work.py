"""The JSON API of who does the work (DESIGN 2.5), under /api/v1 beside `esafety_flow.web.api`.

Notes, allocation, transfers, authorisation and returns are events like any other: POST
`/cases/{id}/events` with `add_note`, `allocate`, `transfer`, `complete_assessment`,
`authorise_assessment` or `return_assessment` (the same permission rules as the pages). This
module adds what works on many cases or reads across them: bulk reassignment (leave cover), the
unallocated lists, assessments awaiting authorisation, cases overdue for management oversight, a
case's notes and chronology, the managers named on a restricted case, and the signed-in user's
alerts and work notices.

Errors as in `esafety_flow.web.api`: 401, 403 (a role that may not do it, with the reason), 404 (a
case that does not exist or the caller may not see), 409 (`expected_version`), 422 (the field
and the reason).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from calendars import london_date
from esafety_flow.web.access import Role, actor_of, can_read_case
from esafety_flow.web.api import (
    CASE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ApiError,
    StrictJsonRoute,
    ViewerDep,
    _casework,
    _readable,
)
from esafety_flow.web.common import ctx_of
from esafety_flow.web.pages import caseload_filter
from workflows import (
    InvalidRecord,
    TransitionRefused,
    allocation,
    casework,
    notifications,
    oversight,
    queries,
)
from workflows.chronology import chronology_of
from workflows.domain import effective_history
from workflows.permissions import may_supervise

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["work"], route_class=StrictJsonRoute)


MAX_CASES = 5_000


def _grants(viewer: Any) -> dict[str, Any]:
    grants = caseload_filter(viewer, "team")
    del grants["owner_id"]
    return grants


class ReassignIn(BaseModel):
    """Leave cover (DESIGN 2.5): give `to_owner` either the chosen `case_ids` or every open case
    of `from_owner`; one transaction, one `allocate` entry in each case's log."""

    to_owner: str = Field(min_length=1, max_length=100)
    case_ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        default=None, max_length=MAX_CASES
    )
    from_owner: str | None = Field(default=None, min_length=1, max_length=100)


class ReassignOut(BaseModel):
    moved: int
    case_ids: list[int]


@router.post("/reassignments", response_model=ReassignOut, responses=WRITE_ERRORS)
def reassign(request: Request, viewer: ViewerDep, body: ReassignIn) -> ReassignOut:
    """Reassign many cases at once; refused (403) unless you manage every one of them."""
    _casework(viewer)
    ctx = ctx_of(request)
    sf = ctx.session_factory
    if (body.case_ids is None) == (body.from_owner is None):
        raise ApiError(422, ["body"], "give either case_ids or from_owner", "value_error")
    if body.case_ids is not None:
        case_ids = list(dict.fromkeys(body.case_ids))
    else:
        assert body.from_owner is not None
        owner = queries.user_by_username(sf, body.from_owner)
        if owner is None:
            raise ApiError(
                422, ["body", "from_owner"], f"there is no user {body.from_owner!r}", "value_error"
            )
        case_ids = allocation.open_cases_of(sf, owner.id)
    actor = actor_of(viewer)
    for case_id in case_ids:
        access = queries.case_access(sf, case_id)
        if access is None or not can_read_case(viewer, access):
            raise ApiError(404, ["body", "case_ids"], f"no case {case_id}", "not_found")
        if not may_supervise(actor, access):
            raise ApiError(
                403,
                ["body", "case_ids"],
                f"only a manager of {access.reference}'s team can reassign it",
                "forbidden",
            )
    try:
        moved = allocation.reassign(
            sf,
            case_ids,
            to_owner=body.to_owner,
            actor=viewer.username,
            at=ctx.clock.now(),
            calendar_for=ctx.calendar_for,
            policy_for=ctx.policy_for,
        )
    except TransitionRefused as exc:
        raise ApiError(422, ["body", "to_owner"], exc.reason, "value_error") from None
    except InvalidRecord as exc:
        raise ApiError(422, ["body", "case_ids"], str(exc), "value_error") from None
    return ReassignOut(moved=moved, case_ids=case_ids)


class UnallocatedOut(BaseModel):
    case_id: int
    reference: str
    state: str
    restricted: bool
    team: str | None
    waiting_since: datetime
    waiting_working_days: int


@router.get("/unallocated", response_model=list[UnallocatedOut], responses=READ_ERRORS)
def unallocated(request: Request, viewer: ViewerDep) -> list[UnallocatedOut]:
    """The cases waiting for an owner that you may see, longest waiting first."""
    _casework(viewer)
    ctx = ctx_of(request)
    now = ctx.clock.now()
    calendar = ctx.calendar_for(ctx.region)
    return [
        UnallocatedOut(
            case_id=r.case_id,
            reference=r.reference,
            state=r.state,
            restricted=r.restricted,
            team=r.team_name,
            waiting_since=r.waiting_since,
            waiting_working_days=calendar.working_days_between(
                london_date(r.waiting_since), london_date(now)
            ),
        )
        for r in allocation.unallocated(ctx.session_factory, **_grants(viewer))
    ]


class AwaitingOut(BaseModel):
    case_id: int
    reference: str
    submitted_by: str
    submitted_at: datetime
    due_date: date | None
    working_days_left: int | None


@router.get(
    "/assessments/awaiting-authorisation", response_model=list[AwaitingOut], responses=READ_ERRORS
)
def awaiting(request: Request, viewer: ViewerDep) -> list[AwaitingOut]:
    """Single assessments submitted and not yet authorised, with the working days each has left
    of its 45 (negative once past), most urgent first."""
    _casework(viewer)
    ctx = ctx_of(request)
    rows = oversight.awaiting_authorisation(
        ctx.session_factory,
        today=london_date(ctx.clock.now()),
        calendar_for=ctx.calendar_for,
        **_grants(viewer),
    )
    return [
        AwaitingOut(
            case_id=r.case_id,
            reference=r.reference,
            submitted_by=r.submitted_by,
            submitted_at=r.submitted_at,
            due_date=r.due_date,
            working_days_left=r.working_days_left,
        )
        for r in rows
    ]


class OversightOut(BaseModel):
    case_id: int
    reference: str
    last_oversight: date | None
    due: date
    working_days_overdue: int


@router.get("/oversight/due", response_model=list[OversightOut], responses=READ_ERRORS)
def oversight_due(request: Request, viewer: ViewerDep) -> list[OversightOut]:
    """Cases with a child protection plan overdue for management oversight (the policy's
    `management_oversight` standard)."""
    _casework(viewer)
    ctx = ctx_of(request)
    rows = oversight.oversight_due(
        ctx.session_factory,
        today=london_date(ctx.clock.now()),
        calendar_for=ctx.calendar_for,
        policy_for=ctx.policy_for,
        **_grants(viewer),
    )
    return [
        OversightOut(
            case_id=r.case_id,
            reference=r.reference,
            last_oversight=r.last_oversight,
            due=r.due,
            working_days_overdue=r.working_days_overdue,
        )
        for r in rows
    ]


class NoteOut(BaseModel):
    """A case note; notes are never edited: an amendment is a new note naming the one it amends
    (`amends`), and `amended_by` lists the notes that amend this one."""

    event_id: int
    kind: str
    text: str
    significant: bool
    at: datetime
    recorded_at: datetime
    by: str
    late: bool
    amends: int | None
    amended_by: list[int]


@router.get("/cases/{case_id}/notes", response_model=list[NoteOut], responses=CASE_ERRORS)
def notes(request: Request, viewer: ViewerDep, case_id: int) -> list[NoteOut]:
    """The case's notes in the order they happened."""
    _casework(viewer)
    _readable(request, viewer, case_id)
    case = casework.get_case(ctx_of(request).session_factory, case_id, with_history=True)
    found = [e for e in effective_history(case.history) if e.event == "add_note"]
    amended: dict[int, list[int]] = {}
    for e in found:
        if e.data.get("amends"):
            amended.setdefault(int(e.data["amends"]), []).append(e.seq)
    return [
        NoteOut(
            event_id=e.seq,
            kind=str(e.data.get("kind")),
            text=str(e.data.get("text")),
            significant=bool(e.data.get("significant")),
            at=e.at,
            recorded_at=e.recorded_at,
            by=e.actor,
            late=e.late,
            amends=e.data.get("amends"),
            amended_by=amended.get(e.seq, []),
        )
        for e in sorted(found, key=lambda e: (e.at, e.seq))
    ]


class ChronologyOut(BaseModel):
    event_id: int
    kind: str = Field(description="event (a move of the procedure), decision or note")
    event: str
    at: datetime
    recorded_at: datetime
    by: str
    late: bool
    original_at: datetime | None
    from_state: str | None
    to_state: str | None
    data: dict[str, Any]


@router.get(
    "/cases/{case_id}/chronology", response_model=list[ChronologyOut], responses=CASE_ERRORS
)
def chronology(request: Request, viewer: ViewerDep, case_id: int) -> list[ChronologyOut]:
    """The case's significant events, notes and decisions in the order they happened."""
    _casework(viewer)
    _readable(request, viewer, case_id)
    case = casework.get_case(ctx_of(request).session_factory, case_id, with_history=True)
    return [
        ChronologyOut(
            event_id=c.event_id,
            kind=c.kind,
            event=c.event,
            at=c.at,
            recorded_at=c.recorded_at,
            by=c.by,
            late=c.late,
            original_at=c.original_at,
            from_state=c.from_state,
            to_state=c.to_state,
            data=c.data,
        )
        for c in chronology_of(case.history)
    ]


class ManagersIn(BaseModel):
    """The managers who may open a restricted case and receive its escalations."""

    managers: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(max_length=20)


class ManagersOut(BaseModel):
    case_id: int
    managers: list[str]


@router.put("/cases/{case_id}/managers", response_model=ManagersOut, responses=WRITE_ERRORS)
def name_managers(
    request: Request, viewer: ViewerDep, case_id: int, body: ManagersIn
) -> ManagersOut:
    """Name the managers of a restricted (allegations) case (LADOs only)."""
    _casework(viewer)
    _readable(request, viewer, case_id)
    sf = ctx_of(request).session_factory
    access = queries.case_access(sf, case_id)
    assert access is not None
    if viewer.role is not Role.LADO:
        raise ApiError(403, ["path", "case_id"], "only a LADO names a case's managers", "forbidden")
    if not access.restricted:
        raise ApiError(
            422, ["path", "case_id"], "only a restricted case has named managers", "value_error"
        )
    ids = []
    for i, name in enumerate(body.managers):
        user = queries.user_by_username(sf, name)
        if user is None or user.role != "manager" or not user.active:
            raise ApiError(
                422,
                ["body", "managers", str(i)],
                f"{name!r} is not an active manager",
                "value_error",
            )
        ids.append(user.id)
    casework.set_case_managers(sf, case_id, ids)
    return ManagersOut(case_id=case_id, managers=list(dict.fromkeys(body.managers)))


class AlertOut(BaseModel):
    case_id: int
    reference: str
    deadline: str
    level: str
    due_date: date
    created_at: datetime


class WorkNoticeOut(BaseModel):
    kind: str = Field(description="allocated, transferred, passed_on, unallocated or census")
    case_id: int
    reference: str
    created_at: datetime


class MyAlertsOut(BaseModel):
    alerts: list[AlertOut]
    total_alerts: int
    notices: list[WorkNoticeOut]


@router.get("/me/alerts", response_model=MyAlertsOut, responses=READ_ERRORS)
def my_alerts(
    request: Request,
    viewer: ViewerDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> MyAlertsOut:
    """The deadline alerts addressed to you (newest first, 50 a page, only of cases you may still
    see) and your latest work notices."""
    _casework(viewer)
    sf = ctx_of(request).session_factory
    found = queries.alerts_of_user(sf, user_id=viewer.id, page=page, per_page=50, **_grants(viewer))
    notices, _total = notifications.notices_of_user(sf, viewer.id)
    return MyAlertsOut(
        alerts=[
            AlertOut(
                case_id=a.case_id,
                reference=a.reference,
                deadline=a.deadline_kind,
                level=a.level,
                due_date=a.due_date,
                created_at=a.created_at,
            )
            for a in found.rows
        ],
        total_alerts=found.total,
        notices=[
            WorkNoticeOut(
                kind=n.kind.value, case_id=n.case_id, reference=n.reference, created_at=n.created_at
            )
            for n in notices
        ],
    )
