"""The JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/docs).

Authentication: `Authorization: Bearer <token>` (one of a user's API tokens, stored hashed;
revoked tokens and deactivated users get 401). Errors: 401 anonymous, 403 a role that may not
do this, 404 an unknown id (or a case the caller may not see, or an id past the database's
range), 409 a stale `expected_version`, 413 a body over ESAFETY_MAX_REQUEST_BYTES, 422 invalid
input or a refused event (with the field and the reason: `{"detail": [{"loc": [...], "msg":
..., "type": ...}]}`): that includes JSON that is not strict JSON (NaN or Infinity, a lone
surrogate or NUL escape, a number of more than 30 digits, nesting deeper than 32 levels).

Every answer that shows a case's facts or deadlines is a `case_view` in the audit trail, and
every refused look-up a `refused_lookup`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from calendars import LONDON, CalendarRangeError, Region, UnknownRegionError, to_utc
from esafety_flow.web.access import Viewer, actor_of, can_raise_concern, works_cases
from esafety_flow.web.common import Forbidden, ctx_of, readable_by, viewer_of
from esafety_flow.web.pages import case_lookup, caseload_filter
from states import CaseFacts, Event, InvalidEventData, parse_event_data
from workflows import (
    Case,
    InvalidStep,
    StaleCase,
    TransitionRefused,
    accounts,
    audit,
    casework,
    people,
    queries,
)
from workflows.errors import CaseNotFound
from workflows.permissions import event_refusal
from workflows.persistence import reading

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_DIGITS",
    "ApiError",
    "Problem",
    "StrictJsonRoute",
    "documented_errors",
    "json_problem",
    "router",
]

MAX_JSON_DEPTH = 32
MAX_NUMBER_DIGITS = 30


class _Bad:
    """A value strict JSON parsing refused, kept in place so that its path can be named."""

    def __init__(self, why: str) -> None:
        self.why = why


def _parse_int(text: str) -> int | _Bad:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        return _Bad(f"a number of more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float | _Bad:
    value = float(text) if len(text) <= 100 else math.inf
    return value if math.isfinite(value) else _Bad("a number too large to be stored")


def _parse_constant(name: str) -> _Bad:
    return _Bad(f"{name} is not a JSON number")


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "a string with a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a string with an invalid Unicode escape (a lone surrogate)"
    return None


def json_problem(body: bytes) -> tuple[list[str | int], str] | None:
    """Why `body` is not strict JSON, with where: (loc, message), or None when it is. Strict:
    UTF-8; no NaN or Infinity; no number of more than 30 digits or beyond a float's range; no
    lone surrogate or NUL in a string or key; at most 32 levels of nesting."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return ["body"], "the body is not UTF-8 text"
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        return ["body"], f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
    except json.JSONDecodeError as exc:
        return ["body"], f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    stack: list[tuple[list[str | int], Any]] = [(["body"], value)]
    while stack:
        loc, item = stack.pop()
        if len(loc) > MAX_JSON_DEPTH + 1:
            return loc[:MAX_JSON_DEPTH], f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
        if isinstance(item, _Bad):
            return loc, item.why
        if isinstance(item, str):
            problem = _string_problem(item)
            if problem:
                return loc, problem
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = _string_problem(key)
                if problem:
                    return loc, f"a key is {problem}"
                stack.append(([*loc, key[:60]], child))
        elif isinstance(item, list):
            stack.extend(([*loc, i], child) for i, child in enumerate(item))
    return None


class StrictJsonRoute(APIRoute):
    """An API route whose JSON body is checked by `json_problem` before FastAPI reads it: a body
    that is not strict JSON is a 422 naming where and why, and reaches no handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                kind = request.headers.get("content-type", "")
                body = await request.body()  # kept by the request: FastAPI reads it again
                if body and (not kind or "json" in kind):
                    found = json_problem(body)
                    if found is not None:
                        loc, msg = found
                        return JSONResponse(
                            {"detail": [{"loc": loc, "msg": msg, "type": "json_invalid"}]},
                            status_code=422,
                        )
            return await handler(request)

        return strict


router = APIRouter(prefix="/api/v1", tags=["cases"], route_class=StrictJsonRoute)
_bearer = HTTPBearer(auto_error=False)


class ProblemItem(BaseModel):
    loc: list[str | int] = Field(description="where: body, path, query or header, then the field")
    msg: str = Field(description="the reason, for the person who sent it")
    type: str


class Problem(BaseModel):
    """Every error answer of the API: FastAPI's validation format."""

    detail: list[ProblemItem]


_ERROR_TEXT = {
    401: "no bearer token, or one unknown, revoked or of a deactivated user",
    403: "your role may not do this (the reason is given)",
    404: "no such case, or one you may not see, or an id out of range",
    409: "`expected_version` is not the case's version: nothing was written",
    413: "the request body is over ESAFETY_MAX_REQUEST_BYTES",
    422: "invalid input or a refused event: `detail` names the field and the reason",
}


def documented_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses=` of an operation's error answers (each a `Problem`)."""
    return {s: {"model": Problem, "description": _ERROR_TEXT[s]} for s in statuses}


READ_ERRORS = documented_errors(401, 403, 422)
CASE_ERRORS = documented_errors(401, 403, 404, 422)
WRITE_ERRORS = documented_errors(401, 403, 404, 413, 422)


class ApiError(Exception):
    """An API error with its status and the `detail` list of FastAPI's validation format."""

    def __init__(self, status: int, loc: list[str], msg: str, kind: str) -> None:
        super().__init__(msg)
        self.status = status
        self.detail = [{"loc": loc, "msg": msg, "type": kind}]


def api_viewer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Viewer:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiError(
            401, ["header", "Authorization"], "a bearer token is required", "unauthorized"
        )
    ctx = ctx_of(request)
    token = credentials.credentials
    found = (
        accounts.token_grants(ctx.session_factory, token, at=ctx.clock.now())
        if len(token) <= 200
        else None
    )
    if found is None or not found.user.active:
        raise ApiError(401, ["header", "Authorization"], "unknown or revoked token", "unauthorized")
    return viewer_of(found)


ViewerDep = Annotated[Viewer, Depends(api_viewer)]


class DeadlineOut(BaseModel):
    id: int | None
    case_id: int | None
    kind: str
    due_date: date
    due_at: datetime
    status: str = Field(description="open, overdue, met, missed (met late) or cancelled")
    met_at: datetime | None


class CaseSummary(BaseModel):
    id: int
    reference: str
    state: str
    allegation_state: str | None
    restricted: bool
    owner_id: int | None
    next_deadline: str | None
    next_due_date: date | None
    version: int


class KnownCaseOut(BaseModel):
    case_id: int | None = Field(description="the other case, when you may open it")
    reference: str | None = Field(description="its reference, when you may open it")
    position_of_trust: bool


class KnownPersonOut(BaseModel):
    """A person of this case who is in other cases too (DESIGN 2.4: "known to us")."""

    person_id: int
    role: str
    earlier_cases: int
    cases: list[KnownCaseOut]


class PossibleMatchOut(BaseModel):
    """A person already known who may be one of this case's people (a child: the same date of
    birth and a similar name; the alleged abuser: the same name, and date of birth where given):
    confirm by recording them again with `person_id` (`record_facts`)."""

    role: str = Field(description="child or alleged_abuser")
    child: int | None = Field(description="the child's position in the facts, from 0")
    person_id: int
    name: str
    date_of_birth: date | None


class DiscussionOut(BaseModel):
    at: datetime
    started_section_47: bool
    record: dict[str, Any]


class AssessmentOut(BaseModel):
    submitted_by: str
    submitted_at: datetime
    factors: list[str]


class CaseOut(BaseModel):
    id: int
    reference: str
    region: str
    policy: str
    state: str
    allegation_state: str | None
    required_actions: list[str]
    do_not_inform_family: bool
    family_may_be_informed: bool = Field(
        description="false while no strategy discussion has decided when the family is told"
    )
    family_disclosure_reason: str
    restricted: bool
    owner_id: int | None
    team_id: int | None
    version: int
    facts: dict[str, Any]
    deadlines: list[DeadlineOut]
    unallocated_since: datetime | None = None
    outcome: dict[str, Any] | None = Field(
        default=None, description="the close outcome and reason, the allegation outcome"
    )
    strategy_discussions: list[DiscussionOut] = Field(default_factory=list)
    assessment_awaiting_authorisation: AssessmentOut | None = None
    known_to_us: list[KnownPersonOut] = Field(default_factory=list)
    possible_matches: list[PossibleMatchOut] = Field(default_factory=list)


class NewConcern(BaseModel):
    """Raise a concern: the facts of DESIGN 6.1 (triage runs at once)."""

    facts: CaseFacts
    region: str | None = Field(
        default=None, description="england-and-wales (default), scotland, northern-ireland"
    )
    occurred_at: datetime | None = Field(
        default=None,
        description=(
            "when the concern was received (default now); without an offset, Europe/London "
            "time; never in the future"
        ),
    )


class EventIn(BaseModel):
    event: Event
    data: dict[str, Any] | None = None
    occurred_at: datetime | None = Field(
        default=None,
        description=(
            "when it happened (DESIGN 2.3; default now). Without an offset it is Europe/London "
            "time. Deadlines start, are met and are missed by it; it may not be in the future, "
            "before the concern, or before the previous event of the same track"
        ),
    )
    expected_version: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="the case version you read; a different one gives 409",
    )


def _case_out(
    case: Case,
    now: datetime,
    *,
    known: list[KnownPersonOut] | None = None,
    matches: list[PossibleMatchOut] | None = None,
) -> CaseOut:
    assert case.id is not None
    return CaseOut(
        id=case.id,
        reference=case.reference,
        region=case.region.value,
        policy=case.policy_name,
        state=case.state.value,
        allegation_state=None if case.allegation_state is None else case.allegation_state.value,
        required_actions=[a.value for a in case.required_actions],
        do_not_inform_family=case.do_not_inform_family,
        family_may_be_informed=case.family_may_be_informed,
        family_disclosure_reason=case.family_disclosure_reason,
        restricted=case.restricted,
        owner_id=case.owner_id,
        team_id=case.team_id,
        version=case.version,
        facts=case.facts.model_dump(mode="json"),
        deadlines=[
            DeadlineOut(
                id=d.id,
                case_id=case.id,
                kind=d.kind.value,
                due_date=d.due_date,
                due_at=d.due_at,
                status=d.status_at(now),
                met_at=d.met_at,
            )
            for d in sorted(case.deadlines, key=lambda d: d.due_at)
        ],
        unallocated_since=case.unallocated_since,
        outcome=case.outcome,
        strategy_discussions=[
            DiscussionOut(
                at=h.at,
                started_section_47=h.started_section_47,
                record=h.record.model_dump(mode="json"),
            )
            for h in case.strategy_discussions
        ],
        assessment_awaiting_authorisation=(
            AssessmentOut(
                submitted_by=case.assessment.by,
                submitted_at=case.assessment.at,
                factors=list(case.assessment.factors),
            )
            if case.assessment is not None
            else None
        ),
        known_to_us=known or [],
        possible_matches=matches or [],
    )


def _known(request: Request, viewer: Viewer, case_id: int) -> list[KnownPersonOut]:
    """The case's people known from other cases, with links only to cases the viewer may
    open."""
    ctx = ctx_of(request)
    with reading(ctx.session_factory) as session:
        found = people.known_to_us(session, case_id, readable=readable_by(ctx, viewer))
    return [
        KnownPersonOut(
            person_id=k.person_id,
            role=k.role,
            earlier_cases=k.count,
            cases=[
                KnownCaseOut(
                    case_id=c.case_id if c.visible else None,
                    reference=c.reference if c.visible else None,
                    position_of_trust=c.position_of_trust,
                )
                for c in k.cases
            ],
        )
        for k in found
    ]


def _matches(request: Request, case: Case) -> list[PossibleMatchOut]:
    """Other people each child and the named alleged abuser of a new case may be (a likely match
    is offered, never linked silently: DESIGN 2.4; repeated concerns about one adult are what
    LADOs look for)."""
    out: list[PossibleMatchOut] = []
    abuser = case.facts.alleged_abuser
    with ctx_of(request).session_factory() as session:
        for i, child in enumerate(case.facts.children):
            if child.date_of_birth is None:
                continue
            for m in people.possible_matches(
                session,
                name=child.name,
                date_of_birth=child.date_of_birth,
                exclude=[child.person_id] if child.person_id else [],
            ):
                out.append(
                    PossibleMatchOut(
                        role="child",
                        child=i,
                        person_id=m.person_id,
                        name=m.name,
                        date_of_birth=m.date_of_birth,
                    )
                )
        if abuser is not None and abuser.name:
            for m in people.possible_matches(
                session,
                name=abuser.name,
                date_of_birth=abuser.date_of_birth,
                exclude=[abuser.person_id] if abuser.person_id else [],
            ):
                out.append(
                    PossibleMatchOut(
                        role="alleged_abuser",
                        child=None,
                        person_id=m.person_id,
                        name=m.name,
                        date_of_birth=m.date_of_birth,
                    )
                )
    return out


def _readable(request: Request, viewer: Viewer, case_id: int, where: str = "path") -> None:
    """404 for a case that does not exist, that the caller may not see, or whose id is out of
    range (the same answer; the refused look-up is audited)."""
    if case_lookup(request, viewer, case_id) is None:
        shown = str(case_id) if len(str(case_id)) <= 20 else "with that id"
        raise ApiError(404, [where, "case_id"], f"no case {shown}", "not_found")


def _viewed(request: Request, viewer: Viewer, case_id: int, via: str) -> None:
    ctx = ctx_of(request)
    audit.record_case_view(
        ctx.session_factory, case_id=case_id, user_id=viewer.id, at=ctx.clock.now(), via=via
    )


def _casework(viewer: Viewer) -> None:
    if not works_cases(viewer):
        raise Forbidden(f"role {viewer.role.value} does not work cases")


@router.get("/cases", response_model=list[CaseSummary], responses=READ_ERRORS)
def list_cases(
    request: Request, viewer: ViewerDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[CaseSummary]:
    """Open cases the caller may see, most urgent first."""
    _casework(viewer)
    rows = queries.caseload(
        ctx_of(request).session_factory, limit=limit, **caseload_filter(viewer, "team")
    )
    return [
        CaseSummary(
            id=r.id,
            reference=r.reference,
            state=r.state,
            allegation_state=r.allegation_state,
            restricted=r.restricted,
            owner_id=r.owner_id,
            next_deadline=r.next_kind,
            next_due_date=r.next_due_date,
            version=r.version,
        )
        for r in rows
    ]


@router.post(
    "/cases",
    response_model=CaseOut,
    status_code=201,
    responses=documented_errors(401, 403, 413, 422),
)
def create_case(request: Request, viewer: ViewerDep, body: NewConcern) -> CaseOut:
    """Raise a concern: triage sets the required actions and same-day deadlines."""
    if not can_raise_concern(viewer):
        raise Forbidden(f"role {viewer.role.value} may not raise concerns")
    ctx = ctx_of(request)
    try:
        region = Region.parse(body.region) if body.region else ctx.region
    except UnknownRegionError as exc:
        raise ApiError(422, ["body", "region"], str(exc), "value_error") from None
    now = ctx.clock.now()
    received = now if body.occurred_at is None else _aware(body.occurred_at)
    try:
        case = _raise(request, viewer, body, region, received, now)
    except CalendarRangeError as exc:
        raise ApiError(422, ["body", "occurred_at"], _no_calendar(exc), "invalid_date") from None
    except InvalidStep as exc:
        raise ApiError(422, ["body", "occurred_at"], str(exc), "invalid_date") from None
    except InvalidEventData as exc:
        raise ApiError(422, ["body", "facts"], str(exc), "value_error") from None
    assert case.id is not None
    _viewed(request, viewer, case.id, "api: new concern")
    return _case_out(
        case, now, known=_known(request, viewer, case.id), matches=_matches(request, case)
    )


def _raise(
    request: Request,
    viewer: Viewer,
    body: NewConcern,
    region: Region,
    received: datetime,
    now: datetime,
) -> Case:
    ctx = ctx_of(request)
    return casework.raise_concern(
        ctx.session_factory,
        facts=body.facts,
        at=received,
        recorded_at=now,
        actor=viewer.username,
        region=region,
        policy=ctx.policy,
        calendar=ctx.calendar_for(region),
        owner_id=viewer.id,
        team_id=viewer.team_id,
    )


@router.get("/cases/{case_id}", response_model=CaseOut, responses=CASE_ERRORS)
def get_case(request: Request, viewer: ViewerDep, case_id: int) -> CaseOut:
    _casework(viewer)
    _readable(request, viewer, case_id)
    ctx = ctx_of(request)
    now = ctx.clock.now()
    try:
        case = casework.get_case(ctx.session_factory, case_id)
    except CaseNotFound:
        raise ApiError(404, ["path", "case_id"], f"no case {case_id}", "not_found") from None
    _viewed(request, viewer, case_id, "api")
    return _case_out(case, now, known=_known(request, viewer, case_id))


@router.post(
    "/cases/{case_id}/events",
    response_model=CaseOut,
    responses=documented_errors(401, 403, 404, 409, 413, 422),
)
def apply_event(request: Request, viewer: ViewerDep, case_id: int, body: EventIn) -> CaseOut:
    """Fire an event on the case, dated `occurred_at` (default now). A refused event is 422 with
    the reason (403 when your role may not do it); a date the order rule refuses is 422 naming
    `occurred_at`; a stale `expected_version` is 409; in each case nothing is written."""
    _casework(viewer)
    access = case_lookup(request, viewer, case_id)
    if access is None:
        shown = str(case_id) if len(str(case_id)) <= 20 else "with that id"
        raise ApiError(404, ["path", "case_id"], f"no case {shown}", "not_found")
    ctx = ctx_of(request)
    now = ctx.clock.now()
    occurred = now if body.occurred_at is None else _aware(body.occurred_at)
    try:
        refusal = event_refusal(
            actor_of(viewer), access, body.event, parse_event_data(body.event, body.data)
        )
        if refusal is not None:
            raise ApiError(403, ["body", "event"], refusal, "forbidden")
        casework.apply_event(
            ctx.session_factory,
            case_id,
            body.event,
            at=occurred,
            recorded_at=now,
            actor=viewer.username,
            data=body.data,
            expected_version=body.expected_version,
            calendar=ctx.calendar_for(access.region),
            policy=ctx.policy,
        )
        case = casework.get_case(ctx.session_factory, case_id)
    except InvalidEventData as exc:
        raise ApiError(422, ["body", "data"], str(exc), "value_error") from None
    except InvalidStep as exc:
        where = "data" if body.event is Event.CORRECT_DATE else "occurred_at"
        raise ApiError(422, ["body", where], str(exc), "invalid_date") from None
    except CalendarRangeError as exc:
        where = "data" if body.event is Event.CORRECT_DATE else "occurred_at"
        raise ApiError(422, ["body", where], _no_calendar(exc), "invalid_date") from None
    except TransitionRefused as exc:
        raise ApiError(422, ["body", "event"], exc.reason, "transition_refused") from None
    except StaleCase as exc:
        raise ApiError(409, ["body", "expected_version"], str(exc), "stale") from None
    # the answer holds the case's facts: a view like any other
    _viewed(request, viewer, case_id, "api: event")
    return _case_out(case, now, known=_known(request, viewer, case_id))


def _aware(value: datetime) -> datetime:
    """An instant from the API: naive means Europe/London wall-clock time (DESIGN 6). One that
    has no UTC instant (year 1 with an offset east of Greenwich) is 422 naming `occurred_at`."""
    try:
        if value.tzinfo is None:
            return to_utc(value.replace(tzinfo=LONDON, fold=1))
        return to_utc(value)
    except (OverflowError, ValueError):
        raise ApiError(
            422, ["body", "occurred_at"], "a moment outside the range of dates", "invalid_date"
        ) from None


def _no_calendar(exc: CalendarRangeError) -> str:
    """The reason for a date no working-day calendar covers (the message names the range)."""
    return f"no deadline can be counted from that date: {exc}"


@router.get("/deadlines", response_model=list[DeadlineOut], responses=CASE_ERRORS)
def list_deadlines(
    request: Request,
    viewer: ViewerDep,
    case_id: int | None = None,
) -> list[DeadlineOut]:
    """Open deadlines of the cases the caller may see (or every deadline of one case)."""
    _casework(viewer)
    ctx = ctx_of(request)
    now = ctx.clock.now()
    if case_id is not None:
        _readable(request, viewer, case_id, where="query")
        deadlines = _case_out(casework.get_case(ctx.session_factory, case_id), now).deadlines
        _viewed(request, viewer, case_id, "api: deadlines")
        return deadlines
    rows = queries.caseload(ctx.session_factory, limit=500, **caseload_filter(viewer, "team"))
    ids = [r.id for r in rows]
    return [
        DeadlineOut(
            id=d.deadline_id,
            case_id=d.case_id,
            kind=d.kind,
            due_date=d.due_date,
            due_at=d.due_at,
            status="overdue" if now >= d.due_at else "open",
            met_at=None,
        )
        for d in queries.open_deadlines_of_cases(ctx.session_factory, ids)
    ]
