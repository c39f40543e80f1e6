"""Allocation (DESIGN 2.5): who owns each case, the unallocated lists, reassignment in bulk.

A case's owner changes only through its log: `allocate` gives it to a worker, `transfer` puts it
on another team's unallocated list (or, with `lado`, the LADOs'). Pages, the API and the scenario
replay fire them one at a time through `workflows.casework.apply_event`; this module holds what
works on many cases at once:

- `reassign`: leave cover, a chosen set of cases (or all of one worker's open cases) to another
  worker in ONE transaction; each case gets its own `allocate` entry in its log (its audit
  entry) and the new owner a notice for each;
- `release_cases_of`: a deactivated worker's open cases go to their teams' unallocated lists,
  each with a `transfer` entry, and each team's manager is told;
- `unallocated`: the cases waiting for an owner that a manager (or a LADO) may see, longest
  waiting first, with how long each has waited.

The caller checks who may do it (`workflows.permissions`); nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from calendars import Region, to_utc
from states import Event
from workflows import engine as domain
from workflows.errors import InvalidRecord, TransitionRefused
from workflows.lookups import CalendarFor, PolicyFor
from workflows.notifications import NoticeKind, notify
from workflows.persistence.engine import SessionFactory, reading
from workflows.persistence.repository import (
    load_case,
    save_case,
    snapshot_case,
    snapshot_deadlines,
)
from workflows.persistence.tables import cases, teams, users
from workflows.queries import visible_cases

__all__ = [
    "UnallocatedRow",
    "open_cases_of",
    "reassign",
    "release_cases_of",
    "unallocated",
]

BULK_LIMIT = 5_000
"""The most cases one reassignment moves (a whole caseload many times over)."""


def _fire_and_save(
    session: Session,
    case_id: int,
    event: Event,
    data: dict[str, object],
    *,
    at: datetime,
    actor: str,
    calendar_for: CalendarFor,
    policy_for: PolicyFor,
) -> None:
    case = load_case(session, case_id)
    loaded, before, case_before = case.version, snapshot_deadlines(case), snapshot_case(case)
    domain.fire(
        case,
        event,
        at=at,
        actor=actor,
        data=data,
        calendar=calendar_for(Region(case.region)),
        policy=policy_for(case.policy_name),
        recorded_at=at,
    )
    save_case(
        session,
        case,
        at=at,
        loaded_version=loaded,
        deadlines_before=before,
        case_before=case_before,
    )


def reassign(
    sf: SessionFactory,
    case_ids: Sequence[int],
    *,
    to_owner: str,
    actor: str,
    at: datetime,
    calendar_for: CalendarFor,
    policy_for: PolicyFor,
) -> int:
    """Allocate every case of `case_ids` to the worker `to_owner`, in one transaction (all or
    none); returns how many cases changed owner. A case already theirs is left as it is."""
    at = to_utc(at)
    wanted = list(dict.fromkeys(case_ids))
    if not wanted:
        raise InvalidRecord("choose at least one case to reassign")
    if len(wanted) > BULK_LIMIT:
        raise InvalidRecord(f"at most {BULK_LIMIT} cases can be reassigned at once")
    moved = 0
    with sf.begin() as session:
        owner = session.execute(
            select(users.c.id, users.c.active).where(users.c.username == to_owner)
        ).first()
        if owner is None or not owner.active:
            raise TransitionRefused(f"there is no active user called {to_owner!r}")
        owner_id = int(owner.id)
        owners = dict(
            session.execute(select(cases.c.id, cases.c.owner_id).where(cases.c.id.in_(wanted)))
            .tuples()
            .all()
        )
        missing = [c for c in wanted if c not in owners]
        if missing:
            raise InvalidRecord(f"no case with id {missing[0]}")
        for case_id in wanted:
            if owners[case_id] == owner_id:
                continue
            _fire_and_save(
                session,
                case_id,
                Event.ALLOCATE,
                {"owner": to_owner, "owner_id": owner_id},
                at=at,
                actor=actor,
                calendar_for=calendar_for,
                policy_for=policy_for,
            )
            notify(session, user_id=owner_id, kind=NoticeKind.ALLOCATED, case_id=case_id, at=at)
            moved += 1
    return moved


def open_cases_of(sf: SessionFactory, owner_id: int) -> list[int]:
    """The open cases a worker owns (leave cover takes all of them)."""
    with reading(sf) as s:
        return list(
            s.execute(
                select(cases.c.id)
                .where(cases.c.owner_id == owner_id, cases.c.state != "closed")
                .order_by(cases.c.id)
            ).scalars()
        )


def release_cases_of(
    session: Session,
    user_id: int,
    *,
    at: datetime,
    actor: str,
    calendar_for: CalendarFor,
    policy_for: PolicyFor,
) -> list[int]:
    """In the caller's transaction: put a (deactivated) worker's open cases on their teams'
    unallocated lists, each with a `transfer` entry, and tell each team's manager. Returns the
    cases released."""
    rows = session.execute(
        select(cases.c.id, cases.c.team_id, teams.c.manager_id)
        .outerjoin(teams, teams.c.id == cases.c.team_id)
        .where(cases.c.owner_id == user_id, cases.c.state != "closed")
        .order_by(cases.c.id)
    ).all()
    released = []
    for case_id, team_id, manager_id in rows:
        data: dict[str, object] = {"reason": "the owner's account was deactivated"}
        if team_id is not None:
            data["team_id"] = team_id
        else:
            data["lado"] = True
        _fire_and_save(
            session,
            case_id,
            Event.TRANSFER,
            data,
            at=to_utc(at),
            actor=actor,
            calendar_for=calendar_for,
            policy_for=policy_for,
        )
        notify(session, user_id=manager_id, kind=NoticeKind.UNALLOCATED, case_id=case_id, at=at)
        released.append(int(case_id))
    return released


@dataclass(frozen=True)
class UnallocatedRow:
    case_id: int
    reference: str
    state: str
    restricted: bool
    team_id: int | None
    team_name: str | None
    waiting_since: datetime


def unallocated(
    sf: SessionFactory,
    *,
    team_ids: Iterable[int] = (),
    restricted_all: bool = False,
    restricted_manager_id: int | None = None,
    limit: int = 200,
) -> list[UnallocatedRow]:
    """Open cases with no owner that these grants show, longest waiting first."""
    visible = visible_cases(
        sorted(set(team_ids)), restricted_all=restricted_all, manager_id=restricted_manager_id
    )
    if visible is None:
        return []
    stmt = (
        select(
            cases.c.id,
            cases.c.reference,
            cases.c.state,
            cases.c.restricted,
            cases.c.team_id,
            teams.c.name,
            cases.c.unallocated_since,
            cases.c.created_at,
        )
        .outerjoin(teams, teams.c.id == cases.c.team_id)
        .where(and_(cases.c.owner_id.is_(None), cases.c.state != "closed", visible))
        .order_by(cases.c.unallocated_since.asc().nulls_first(), cases.c.id)
        .limit(limit)
    )
    with reading(sf) as s:
        rows = s.execute(stmt).all()
    return [
        UnallocatedRow(
            case_id=r.id,
            reference=r.reference,
            state=r.state,
            restricted=bool(r.restricted),
            team_id=r.team_id,
            team_name=r.name,
            waiting_since=r.unallocated_since or r.created_at,
        )
        for r in rows
    ]
