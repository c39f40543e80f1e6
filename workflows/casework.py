"""Casework use cases: recording a concern, firing events, reading a case and its deadlines.

Each function opens one transaction (`with session_factory.begin()`), loads what it needs through
the repository, calls the pure domain (`workflows.engine`) and writes back. A refusal
(`TransitionRefused`, `InvalidStep`, `InvalidEventData`, `StaleCase`) is raised inside the
transaction, so it rolls back and nothing is written.

Optimistic locking: a case row carries `version`; `save_case` updates it with
`WHERE id = :id AND version = :loaded` and raises `StaleCase` when another transaction got there
first. `apply_event(..., expected_version=n)` also refuses a change made against an older read.

Times are parameters: nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, delete, insert, select

from calendars import (
    Region,
    WorkingDayCalendar,
    to_utc,
)
from states import CaseFacts, Event, InvalidEventData, Policy, as_event
from workflows import engine as domain
from workflows.calendar_days import calendar_for_version
from workflows.domain import Case, Deadline
from workflows.errors import CaseNotFound, InvalidRecord, StaleCase
from workflows.lookups import PolicyFor
from workflows.organisation import check_users
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
    case_managers,
    case_views,
    cases,
    deadlines,
)

__all__ = [
    "DeadlineView",
    "apply_event",
    "get_case",
    "list_deadlines",
    "raise_concern",
    "record_case_view",
    "replay_case",
    "set_case_managers",
]


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
        check_users(session, user_ids)
        session.execute(delete(case_managers).where(case_managers.c.case_id == case_id))
        if user_ids:
            session.execute(
                insert(case_managers),
                [{"case_id": case_id, "user_id": u} for u in dict.fromkeys(user_ids)],
            )
