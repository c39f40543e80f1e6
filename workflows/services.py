"""Use-case services: the only way anything changes data (STYLE rule 6).

Each function opens one transaction (`with session_factory.begin()`), loads what it needs through
the repository, calls the pure domain (`workflows.engine`, `workflows.alerting`) and writes back.
A refusal (`TransitionRefused`, `InvalidStep`, `InvalidEventData`, `StaleCase`, `InvalidRecord`)
is raised inside the transaction, so it rolls back and nothing is written.

Optimistic locking: a case row carries `version`; `save_case` updates it with
`WHERE id = :id AND version = :loaded` and raises `StaleCase` when another transaction got there
first. `apply_event(..., expected_version=n)` also refuses a change made against an older read.

Times are parameters: nothing here reads the clock.

The sweep (DESIGN 3.3) selects the open deadlines whose `next_alert_at <= as_of` through the
partial index `ix_deadlines_open_next_alert_at`, fetching only the columns it needs, asks
`workflows.alerting.alerts_due` which steps have passed, inserts each (deadline, level, recipient
role) into the `alerts` outbox with INSERT ... ON CONFLICT DO NOTHING and advances the deadline's
`next_alert_at`, one batch per transaction. A sweep that dies half way leaves whole batches done
or undone; a re-run produces nothing twice and misses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from calendars import (
    BankHoliday,
    CalendarSpec,
    Region,
    WorkingDayCalendar,
    build_calendar,
    to_utc,
)
from states import CaseFacts, DeadlineKind, Event, InvalidEventData, Policy, as_event
from workflows import engine as domain
from workflows.alerting import alerts_due, reschedule_alerts
from workflows.domain import AlertStep, Case, CaseEventKind, Deadline, DeadlineStatus
from workflows.errors import CaseNotFound, StaleCase, WorkflowError
from workflows.persistence.engine import SessionFactory
from workflows.persistence.repository import (
    deadline_from_row,
    insert_case,
    load_case,
    load_events,
    save_case,
    snapshot_case,
    snapshot_deadlines,
)
from workflows.persistence.tables import (
    USER_ROLES,
    alerts,
    calendar_days,
    case_managers,
    case_views,
    cases,
    deadlines,
    metadata,
    teams,
    users,
)

__all__ = [
    "AlertRecord",
    "CalendarDayRecord",
    "DeadlineView",
    "InvalidRecord",
    "SweepResult",
    "TeamRecord",
    "UserRecord",
    "add_calendar_day",
    "apply_event",
    "calendar_for_version",
    "calendar_spec",
    "count_rows",
    "create_team",
    "create_user",
    "get_case",
    "list_alerts",
    "list_calendar_days",
    "list_deadlines",
    "list_teams",
    "list_users",
    "load_calendar",
    "raise_concern",
    "record_case_view",
    "replay_case",
    "set_case_managers",
    "set_team_managers",
    "sweep",
]

CalendarFor = Callable[[Region], WorkingDayCalendar]
PolicyFor = Callable[[str], Policy]


class InvalidRecord(WorkflowError):
    """An org-model or calendar record refused (duplicate name, unknown role, unknown id...)."""


# -- calendars -----------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _calendar(spec: CalendarSpec) -> WorkingDayCalendar:
    return build_calendar(spec)


@dataclass(frozen=True)
class CalendarDayRecord:
    region: Region
    date: date
    name: str
    kind: str
    added_by: str
    added_at: datetime


def list_calendar_days(sf: SessionFactory, region: Region | None = None) -> list[CalendarDayRecord]:
    """The one-off bank holidays and closure days administrators added, by date."""
    query = select(calendar_days).order_by(calendar_days.c.date)
    if region is not None:
        query = query.where(calendar_days.c.region == Region(region).value)
    with sf() as session:
        return [
            CalendarDayRecord(
                region=Region(r.region),
                date=r.date,
                name=r.name,
                kind=r.kind,
                added_by=r.added_by,
                added_at=r.added_at,
            )
            for r in session.execute(query)
        ]


def _spec_in(session: Session, region: Region, *, closures: bool) -> CalendarSpec:
    rows = session.execute(
        select(calendar_days.c.date, calendar_days.c.name, calendar_days.c.kind)
        .where(calendar_days.c.region == region.value)
        .order_by(calendar_days.c.date)
    ).all()
    extra = tuple(BankHoliday(r.date, r.name, "one_off") for r in rows if r.kind == "one_off")
    closure = tuple(BankHoliday(r.date, r.name, "closure") for r in rows if r.kind == "closure")
    return CalendarSpec(region, extra_days=extra, closure_days=closure if closures else ())


def calendar_spec(sf: SessionFactory, region: Region, *, closures: bool = False) -> CalendarSpec:
    """The region's calendar as configured: the `holidays` bank holidays, the one-off days added
    in `calendar_days` and, when `closures` (the authority's option), its local closure days."""
    with sf() as session:
        return _spec_in(session, Region(region), closures=closures)


def load_calendar(
    sf: SessionFactory, region: Region, *, closures: bool = False
) -> WorkingDayCalendar:
    """The region's current calendar (built once per distinct spec and shared)."""
    return _calendar(calendar_spec(sf, region, closures=closures))


def calendar_for_version(sf: SessionFactory, version: str) -> WorkingDayCalendar:
    """Rebuild the calendar a stored `calendar_version` names (its region, one-off and closure
    dates; names come from `calendar_days`). Used to replay a log judged with older calendars."""
    try:
        region_text, _holidays, extra_part, closure_part = version.split("/")
        region = Region.parse(region_text)
    except ValueError as exc:
        raise InvalidRecord(f"calendar version {version!r} cannot be read: {exc}") from None
    with sf() as session:
        names = {
            (r.date, r.kind): r.name
            for r in session.execute(
                select(calendar_days.c.date, calendar_days.c.kind, calendar_days.c.name).where(
                    calendar_days.c.region == region.value
                )
            )
        }
        current = _spec_in(session, region, closures=True)

    def days(part: str, prefix: str, kind: Any) -> tuple[BankHoliday, ...]:
        listed = part.removeprefix(prefix)
        if listed == "none":
            return ()
        if listed.endswith("days-") or "days-" in listed:  # a digest: today's closure list
            return current.closure_days
        found = [date.fromisoformat(t) for t in listed.split(",")]
        return tuple(BankHoliday(d, names.get((d, kind), "one-off day"), kind) for d in found)

    spec = CalendarSpec(
        region,
        extra_days=days(extra_part, "extra:", "one_off"),
        closure_days=days(closure_part, "closure:", "closure"),
    )
    return _calendar(spec)


# -- cases ---------------------------------------------------------------------------------------


def _facts(facts: CaseFacts | Mapping[str, Any]) -> CaseFacts:
    if isinstance(facts, CaseFacts):
        return facts
    try:
        return CaseFacts.model_validate(facts)
    except ValidationError as exc:
        problems = "; ".join(
            f"facts.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidEventData(f"raise_concern: {problems}") from None


def raise_concern(
    sf: SessionFactory,
    *,
    facts: CaseFacts | Mapping[str, Any],
    at: datetime,
    actor: str,
    region: Region,
    policy: Policy,
    calendar: WorkingDayCalendar,
    owner_id: int | None = None,
    team_id: int | None = None,
    reference: str | None = None,
) -> Case:
    """Record a concern: a new case in `concern`, triaged, with the deadlines triage starts."""
    parsed = _facts(facts)
    at = to_utc(at)
    case = domain.raise_concern(
        parsed,
        at=at,
        actor=actor,
        region=Region(region),
        policy=policy,
        calendar=calendar,
        reference=reference or "",  # empty: persistence assigns ESF-<id>
    )
    case.owner_id = owner_id
    case.team_id = team_id
    with sf.begin() as session:
        insert_case(session, case, at=at)
    return case


def apply_event(
    sf: SessionFactory,
    case_id: int,
    event: Event | str,
    *,
    at: datetime,
    actor: str,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    calendar: WorkingDayCalendar,
    policy: Policy,
) -> Case:
    """Fire `event` on the case and store the result (states, facts, deadlines, log).

    `expected_version`: the version the caller read (a form, an API client); a case changed since
    then raises `StaleCase`. Refusals raise and write nothing; an event name outside the contract
    raises `states.UnknownEvent` (bad input, not a refusal)."""
    event = as_event(event)
    at = to_utc(at)
    with sf.begin() as session:
        case = load_case(session, case_id)
        if expected_version is not None and case.version != expected_version:
            raise StaleCase(
                f"case {case.reference} is at version {case.version}, not {expected_version}: "
                "someone else changed it; reload it and try again"
            )
        loaded_version = case.version
        before = snapshot_deadlines(case)
        case_before = snapshot_case(case)
        domain.fire(case, event, at=at, actor=actor, data=data, calendar=calendar, policy=policy)
        save_case(
            session,
            case,
            at=at,
            loaded_version=loaded_version,
            deadlines_before=before,
            case_before=case_before,
        )
    return case


def get_case(sf: SessionFactory, case_id: int, *, with_history: bool = True) -> Case:
    """The case with its deadlines and (by default) its log; `CaseNotFound` if there is none."""
    with sf() as session:
        return load_case(session, case_id, with_history=with_history)


def replay_case(sf: SessionFactory, case_id: int, policy_for: PolicyFor) -> Case:
    """Rebuild the case from its event log alone (each event with the calendar it was judged
    with). Tests compare the result with the stored case."""
    with sf() as session:
        row = session.execute(select(cases.c.policy_name).where(cases.c.id == case_id)).first()
        if row is None:
            raise CaseNotFound(f"no case with id {case_id}")
        events = load_events(session, case_id)
    return domain.replay(events, lambda v: calendar_for_version(sf, v), policy_for(row.policy_name))


@dataclass(frozen=True)
class DeadlineView:
    """A deadline with its case, and its DESIGN 6 status as judged at `as_of`."""

    deadline: Deadline
    case_id: int
    reference: str
    owner_id: int | None
    team_id: int | None
    status: str


_VIEW_STATUSES = ("open", "overdue", "met", "missed", "cancelled")


def list_deadlines(
    sf: SessionFactory,
    *,
    as_of: datetime,
    owner_id: int | None = None,
    team_id: int | None = None,
    statuses: Iterable[str] | None = None,
    case_id: int | None = None,
) -> list[DeadlineView]:
    """Deadlines by due instant, filtered by owner, team, case and DESIGN 6 status (`open`,
    `overdue`, `met`, `missed`, `cancelled`) judged at `as_of`."""
    as_of = to_utc(as_of)
    wanted = set(statuses) if statuses is not None else set(_VIEW_STATUSES)
    unknown = wanted - set(_VIEW_STATUSES)
    if unknown:
        raise InvalidRecord(
            f"unknown deadline status {sorted(unknown)}: expected some of {list(_VIEW_STATUSES)}"
        )
    stored = {s for s in wanted if s in ("met", "missed", "cancelled")}
    if wanted & {"open", "overdue"}:
        stored.add("open")
    query = (
        select(deadlines, cases.c.reference, cases.c.owner_id, cases.c.team_id)
        .join(cases, cases.c.id == deadlines.c.case_id)
        .where(deadlines.c.status.in_(sorted(stored)))
        .order_by(deadlines.c.due_at, deadlines.c.id)
    )
    if "open" in wanted and "overdue" not in wanted:
        query = query.where(~and_(deadlines.c.status == "open", deadlines.c.due_at <= as_of))
    if "overdue" in wanted and "open" not in wanted:
        query = query.where(~and_(deadlines.c.status == "open", deadlines.c.due_at > as_of))
    if owner_id is not None:
        query = query.where(cases.c.owner_id == owner_id)
    if team_id is not None:
        query = query.where(cases.c.team_id == team_id)
    if case_id is not None:
        query = query.where(deadlines.c.case_id == case_id)
    with sf() as session:
        result = []
        for row in session.execute(query):
            d = deadline_from_row(row)
            result.append(
                DeadlineView(
                    deadline=d,
                    case_id=row.case_id,
                    reference=row.reference,
                    owner_id=row.owner_id,
                    team_id=row.team_id,
                    status=d.status_at(as_of),
                )
            )
        return result


def record_case_view(sf: SessionFactory, case_id: int, user_id: int, *, at: datetime) -> None:
    """Audit: who opened which case when."""
    with sf.begin() as session:
        if session.execute(select(cases.c.id).where(cases.c.id == case_id)).first() is None:
            raise CaseNotFound(f"no case with id {case_id}")
        session.execute(insert(case_views).values(case_id=case_id, user_id=user_id, at=to_utc(at)))


def set_case_managers(sf: SessionFactory, case_id: int, user_ids: Sequence[int]) -> None:
    """Name the managers who may see a restricted case (replaces the list)."""
    with sf.begin() as session:
        if session.execute(select(cases.c.id).where(cases.c.id == case_id)).first() is None:
            raise CaseNotFound(f"no case with id {case_id}")
        _check_users(session, user_ids)
        session.execute(delete(case_managers).where(case_managers.c.case_id == case_id))
        if user_ids:
            session.execute(
                insert(case_managers),
                [{"case_id": case_id, "user_id": u} for u in dict.fromkeys(user_ids)],
            )


# -- org model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRecord:
    id: int
    name: str
    manager_id: int | None
    head_of_service_id: int | None


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    email: str
    role: str
    team_id: int | None
    active: bool
    created_at: datetime


def _check_users(session: Session, user_ids: Iterable[int | None]) -> None:
    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return
    found = set(session.execute(select(users.c.id).where(users.c.id.in_(wanted))).scalars())
    missing = sorted(wanted - found)
    if missing:
        raise InvalidRecord(f"no user with id {', '.join(map(str, missing))}")


def create_team(
    sf: SessionFactory,
    *,
    name: str,
    manager_id: int | None = None,
    head_of_service_id: int | None = None,
) -> int:
    if not name.strip():
        raise InvalidRecord("team name: must not be empty")
    try:
        with sf.begin() as session:
            _check_users(session, (manager_id, head_of_service_id))
            team_id: int = session.execute(
                insert(teams)
                .values(name=name, manager_id=manager_id, head_of_service_id=head_of_service_id)
                .returning(teams.c.id)
            ).scalar_one()
    except IntegrityError:
        raise InvalidRecord(f"team name {name!r} is already taken") from None
    return team_id


def set_team_managers(
    sf: SessionFactory,
    team_id: int,
    *,
    manager_id: int | None,
    head_of_service_id: int | None,
) -> None:
    """Who gets a team's escalated alerts: its manager and head of service."""
    with sf.begin() as session:
        _check_users(session, (manager_id, head_of_service_id))
        result = session.execute(
            update(teams)
            .where(teams.c.id == team_id)
            .values(manager_id=manager_id, head_of_service_id=head_of_service_id)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise InvalidRecord(f"no team with id {team_id}")


def create_user(
    sf: SessionFactory,
    *,
    username: str,
    display_name: str,
    email: str,
    role: str,
    at: datetime,
    team_id: int | None = None,
    password_hash: str | None = None,
    api_token_hash: str | None = None,
    active: bool = True,
) -> int:
    if role not in USER_ROLES:
        raise InvalidRecord(f"role {role!r}: expected one of {', '.join(USER_ROLES)}")
    for field_name, value in (("username", username), ("email", email)):
        if not value.strip():
            raise InvalidRecord(f"{field_name}: must not be empty")
    try:
        with sf.begin() as session:
            if (
                team_id is not None
                and session.execute(select(teams.c.id).where(teams.c.id == team_id)).first() is None
            ):
                raise InvalidRecord(f"no team with id {team_id}")
            user_id: int = session.execute(
                insert(users)
                .values(
                    username=username,
                    display_name=display_name or username,
                    email=email,
                    role=role,
                    team_id=team_id,
                    password_hash=password_hash,
                    api_token_hash=api_token_hash,
                    active=active,
                    created_at=to_utc(at),
                )
                .returning(users.c.id)
            ).scalar_one()
    except IntegrityError:
        raise InvalidRecord(f"username {username!r} (or its API token) is already taken") from None
    return user_id


def list_users(
    sf: SessionFactory,
    *,
    team_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
) -> list[UserRecord]:
    query = select(
        users.c.id,
        users.c.username,
        users.c.display_name,
        users.c.email,
        users.c.role,
        users.c.team_id,
        users.c.active,
        users.c.created_at,
    ).order_by(users.c.username)
    if team_id is not None:
        query = query.where(users.c.team_id == team_id)
    if role is not None:
        query = query.where(users.c.role == role)
    if active is not None:
        query = query.where(users.c.active == active)
    with sf() as session:
        return [UserRecord(**row._mapping) for row in session.execute(query)]


def list_teams(sf: SessionFactory) -> list[TeamRecord]:
    with sf() as session:
        return [
            TeamRecord(**row._mapping)
            for row in session.execute(select(teams).order_by(teams.c.id))
        ]


# -- calendar changes ----------------------------------------------------------------------------


def add_calendar_day(
    sf: SessionFactory,
    *,
    region: Region,
    day: date,
    name: str,
    added_by: str,
    at: datetime,
    policy_for: PolicyFor,
    kind: str = "one_off",
    closures_enabled: bool = False,
) -> int:
    """Record a one-off bank holiday (or a local closure day), then recompute the open deadlines
    of the region's cases with the new calendar (DESIGN 3.2: 19 September 2022 was announced ten
    days ahead). Returns how many deadlines moved; each move is in its case's log."""
    region = Region(region)
    at = to_utc(at)
    if kind not in ("one_off", "closure"):
        raise InvalidRecord(f"kind {kind!r}: expected one_off or closure")
    with sf.begin() as session:
        exists = session.execute(
            select(calendar_days.c.name).where(
                calendar_days.c.region == region.value, calendar_days.c.date == day
            )
        ).first()
        if exists is not None:
            raise InvalidRecord(f"{day} is already a day off in {region.value}: {exists.name}")
        spec_before = _spec_in(session, region, closures=closures_enabled)
        extra = spec_before.extra_days
        closure = spec_before.closure_days
        new_day = BankHoliday(day, name, "one_off" if kind == "one_off" else "closure")
        try:
            spec = CalendarSpec(
                region,
                extra_days=(*extra, new_day) if kind == "one_off" else extra,
                closure_days=(*closure, new_day)
                if kind == "closure" and closures_enabled
                else closure,
            )
        except ValueError as exc:
            raise InvalidRecord(f"{day}: {exc}") from None
        session.execute(
            insert(calendar_days).values(
                region=region.value, date=day, name=name, kind=kind, added_by=added_by, added_at=at
            )
        )
        if spec == spec_before:  # a closure day while closures are off changes nothing
            return 0
        calendar = _calendar(spec)
        case_ids = (
            session.execute(
                select(cases.c.id)
                .where(
                    cases.c.region == region.value,
                    cases.c.id.in_(
                        select(deadlines.c.case_id).where(
                            deadlines.c.status == DeadlineStatus.OPEN.value,
                            deadlines.c.due_date >= day,
                        )
                    ),
                )
                .order_by(cases.c.id)
            )
            .scalars()
            .all()
        )
        moved = 0
        for case_id in case_ids:
            case = load_case(session, case_id)
            loaded_version = case.version
            before = snapshot_deadlines(case)
            policy = policy_for(case.policy_name)
            due_before = {id(d): d.due_date for d in case.deadlines}
            events = domain.recalculate(case, calendar, at=at, actor=added_by, policy=policy)
            moved += sum(1 for e in events if e.kind is CaseEventKind.DEADLINE_MOVED)
            for d in case.open_deadlines():
                if due_before.get(id(d)) != d.due_date:
                    reschedule_alerts(d, calendar, policy)
            if events or snapshot_deadlines(case) != before:
                save_case(
                    session, case, at=at, loaded_version=loaded_version, deadlines_before=before
                )
        return moved


# -- the sweep -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRecord:
    id: int
    deadline_id: int
    case_id: int
    deadline_kind: str
    level: str
    recipient_role: str
    recipient_user_id: int | None
    created_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class SweepResult:
    as_of: datetime
    deadlines: int  # deadlines whose next alert had come due
    alerts: int  # alerts written to the outbox by this sweep (each exactly once)
    batches: int


def _insert_alerts(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(alerts).on_conflict_do_nothing(
            index_elements=["deadline_id", "level", "recipient_role", "recipient_key"]
        )
    else:
        stmt = sqlite.insert(alerts).on_conflict_do_nothing(
            index_elements=["deadline_id", "level", "recipient_role", "recipient_key"]
        )
    inserted = session.execute(stmt.returning(alerts.c.id), rows).scalars().all()
    return len(inserted)


def _named_managers(session: Session, case_ids: set[int]) -> dict[int, list[int]]:
    """The managers named on each restricted case (`case_managers`), active ones only.

    A restricted case (LADO track) may be opened only by LADOs and the managers named on it, so
    its escalations (both the manager and the head-of-service steps) go to each named manager,
    one alert each. A restricted case with no manager named falls back to the team's manager and
    head of service by role: an escalation must reach someone, and the notice carries only the
    reference, the deadline and a link, so they learn that a restricted case needs a named
    manager without seeing anything of it."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(case_managers.c.case_id, case_managers.c.user_id)
        .join(users, users.c.id == case_managers.c.user_id)
        .where(case_managers.c.case_id.in_(sorted(case_ids)), users.c.active.is_(True))
        .order_by(case_managers.c.case_id, case_managers.c.user_id)
    ).all()
    named: dict[int, list[int]] = {}
    for case_id, user_id in rows:
        named.setdefault(case_id, []).append(user_id)
    return named


def sweep(
    sf: SessionFactory,
    as_of: datetime,
    calendar_for: CalendarFor,
    policy_for: PolicyFor,
    *,
    batch_size: int = 5000,
) -> SweepResult:
    """Produce every alert due by `as_of` into the outbox, exactly once (DESIGN 3.3)."""
    as_of = to_utc(as_of)
    if batch_size < 1:
        raise InvalidRecord(f"batch_size {batch_size}: must be at least 1")
    query = (
        select(
            deadlines.c.id,
            deadlines.c.case_id,
            deadlines.c.kind,
            deadlines.c.anchor_at,
            deadlines.c.due_date,
            deadlines.c.due_at,
            deadlines.c.calendar_version,
            deadlines.c.policy_name,
            deadlines.c.urgent,
            deadlines.c.next_alert_at,
            deadlines.c.next_alert_level,
            cases.c.region,
            cases.c.owner_id,
            cases.c.restricted,
            teams.c.manager_id,
            teams.c.head_of_service_id,
        )
        .select_from(deadlines)
        .join(cases, cases.c.id == deadlines.c.case_id)
        .outerjoin(teams, teams.c.id == cases.c.team_id)
        .where(deadlines.c.status == "open", deadlines.c.next_alert_at <= as_of)
        .order_by(deadlines.c.next_alert_at, deadlines.c.id)
        .limit(batch_size)
    )
    advance = (
        update(deadlines)
        .where(deadlines.c.id == bindparam("b_id"))
        .values(next_alert_at=bindparam("b_at"), next_alert_level=bindparam("b_level"))
        .execution_options(synchronize_session=False)
    )
    total_deadlines = total_alerts = batches = 0
    while True:
        # looked up once per batch, so that a long sweep sees a calendar changed meanwhile
        calendars: dict[str, WorkingDayCalendar] = {}
        policies: dict[str, Policy] = {}
        with sf.begin() as session:
            rows = session.execute(query).all()
            if not rows:
                break
            batches += 1
            named = _named_managers(session, {r.case_id for r in rows if r.restricted})
            outbox: list[dict[str, Any]] = []
            moves: list[dict[str, Any]] = []
            for r in rows:
                calendar = calendars.get(r.region)
                if calendar is None:
                    calendar = calendars[r.region] = calendar_for(Region(r.region))
                policy = policies.get(r.policy_name)
                if policy is None:
                    policy = policies[r.policy_name] = policy_for(r.policy_name)
                deadline = Deadline(
                    id=r.id,
                    case_id=r.case_id,
                    kind=DeadlineKind(r.kind),
                    anchor_at=r.anchor_at,
                    due_date=r.due_date,
                    due_at=r.due_at,
                    calendar_version=r.calendar_version,
                    policy_name=r.policy_name,
                    urgent=r.urgent,
                    next_alert_at=r.next_alert_at,
                    next_alert_level=AlertStep(r.next_alert_level),
                )
                recipients = {
                    "owner": r.owner_id,
                    "manager": r.manager_id,
                    "head_of_service": r.head_of_service_id,
                }
                for due in alerts_due(deadline, calendar, policy, as_of):
                    # a restricted case escalates to each manager named on it: the team's
                    # manager or head of service may not open it (see _named_managers)
                    to_named = due.to != "owner" and bool(named.get(r.case_id))
                    for user_id, key in (
                        [(u, u) for u in named[r.case_id]]
                        if to_named
                        else [(recipients[due.to], 0)]
                    ):
                        outbox.append(
                            {
                                "deadline_id": r.id,
                                "case_id": r.case_id,
                                "level": due.level,
                                "recipient_role": due.to,
                                "recipient_user_id": user_id,
                                "recipient_key": key,
                                "created_at": as_of,
                                "due_at": due.at,
                            }
                        )
                level = deadline.next_alert_level
                moves.append(
                    {
                        "b_id": r.id,
                        "b_at": deadline.next_alert_at,
                        "b_level": level.value if level is not None else None,
                    }
                )
            total_alerts += _insert_alerts(session, outbox)
            session.execute(advance, moves)
            total_deadlines += len(rows)
        if len(rows) < batch_size:
            break
    return SweepResult(as_of=as_of, deadlines=total_deadlines, alerts=total_alerts, batches=batches)


def list_alerts(
    sf: SessionFactory, *, case_id: int | None = None, since: datetime | None = None
) -> list[AlertRecord]:
    """The outbox, oldest first (by production time, then the level's due instant)."""
    query = (
        select(alerts, deadlines.c.kind.label("deadline_kind"))
        .join(deadlines, deadlines.c.id == alerts.c.deadline_id)
        .order_by(alerts.c.created_at, alerts.c.due_at, alerts.c.id)
    )
    if case_id is not None:
        query = query.where(alerts.c.case_id == case_id)
    if since is not None:
        query = query.where(alerts.c.created_at >= to_utc(since))
    with sf() as session:
        return [
            AlertRecord(
                id=r.id,
                deadline_id=r.deadline_id,
                case_id=r.case_id,
                deadline_kind=r.deadline_kind,
                level=r.level,
                recipient_role=r.recipient_role,
                recipient_user_id=r.recipient_user_id,
                created_at=r.created_at,
                due_at=r.due_at,
            )
            for r in session.execute(query)
        ]


def count_rows(sf: SessionFactory) -> dict[str, int]:
    """Rows per table (tests check that a refusal wrote nothing)."""
    with sf() as session:
        return {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in sorted(metadata.tables.items())
        }
