"""The deadline sweep and the alert outbox (DESIGN 3.3).

The sweep selects the open deadlines whose `next_alert_at <= as_of` through the partial index
`ix_deadlines_open_next_alert_at`, fetching only the columns it needs, asks
`workflows.alerting.alerts_due` which steps have passed, inserts each (deadline, level, recipient
role) into the `alerts` outbox with INSERT ... ON CONFLICT DO NOTHING and advances the deadline's
`next_alert_at`, one batch per transaction. A sweep that dies half way leaves whole batches done
or undone; a re-run produces nothing twice and misses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from calendars import (
    Region,
    WorkingDayCalendar,
    to_utc,
)
from states import DeadlineKind, Policy
from workflows.alerting import alerts_due
from workflows.domain import AlertStep, Deadline
from workflows.errors import InvalidRecord
from workflows.lookups import CalendarFor, PolicyFor
from workflows.persistence.engine import SessionFactory
from workflows.persistence.tables import (
    alerts,
    case_managers,
    cases,
    deadlines,
    superseded_alerts,
    teams,
    users,
)

__all__ = [
    "AlertRecord",
    "SweepResult",
    "list_alerts",
    "sweep",
]


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


def _insert_once(session: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on (deadline, level, recipient): each exactly once."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(
            index_elements=["deadline_id", "level", "recipient_role", "recipient_key"]
        )
    else:
        stmt = sqlite.insert(table).on_conflict_do_nothing(
            index_elements=["deadline_id", "level", "recipient_role", "recipient_key"]
        )
    inserted = session.execute(stmt.returning(table.c.id), rows).scalars().all()
    return len(inserted)


def _insert_alerts(session: Session, rows: list[dict[str, Any]]) -> int:
    return _insert_once(session, alerts, rows)


def _named_managers(session: Session, case_ids: set[int]) -> dict[int, list[int]]:
    """The managers named on each restricted case (`case_managers`), active ones only.

    A restricted case (LADO track) may be opened only by LADOs and the managers named on it, so
    its escalations (both the manager and the head-of-service steps) go to each named manager,
    one alert each. A restricted case with no manager named escalates to the LADOs, who may open
    it; only where there is no LADO either does it fall back to the team's manager and head of
    service by role (an escalation must reach someone; the notice carries only the reference,
    the deadline and a link)."""
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


def _lados(session: Session) -> list[int]:
    return list(
        session.execute(
            select(users.c.id).where(users.c.role == "lado", users.c.active).order_by(users.c.id)
        ).scalars()
    )


def _addressees(
    to: str, r: Any, named: list[int], lados: list[int]
) -> list[tuple[int | None, int]]:
    """Who an alert for recipient role `to` goes to, as (user id, key of the exactly-once
    constraint): the case's owner, team manager or head of service as it is now (DESIGN 3.3: an
    alert follows the case). An unallocated case's owner alerts go to its team's manager
    (DESIGN 6) or, for a restricted case, to the LADOs who hold its unallocated list. A
    restricted case's escalations go to each manager named on it, else to the LADOs: the team's
    manager and head of service may not open it (see `_named_managers`)."""
    if to == "owner":
        if r.owner_id is not None:
            return [(r.owner_id, 0)]
        if r.restricted and lados:
            return [(u, u) for u in lados]
        return [(r.manager_id, 0)]
    if r.restricted and (named or lados):
        return [(u, u) for u in (named or lados)]
    return [(r.manager_id if to == "manager" else r.head_of_service_id, 0)]


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
            lados = _lados(session) if any(r.restricted for r in rows) else []
            outbox: list[dict[str, Any]] = []
            passed_over: list[dict[str, Any]] = []
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
                for due in alerts_due(deadline, calendar, policy, as_of):
                    for user_id, key in _addressees(due.to, r, named.get(r.case_id, []), lados):
                        row = {
                            "deadline_id": r.id,
                            "case_id": r.case_id,
                            "level": due.level,
                            "recipient_role": due.to,
                            "recipient_key": key,
                            "created_at": as_of,
                            "due_at": due.at,
                        }
                        if due.superseded:
                            passed_over.append(row)
                        else:
                            outbox.append({**row, "recipient_user_id": user_id})
                level = deadline.next_alert_level
                moves.append(
                    {
                        "b_id": r.id,
                        "b_at": deadline.next_alert_at,
                        "b_level": level.value if level is not None else None,
                    }
                )
            total_alerts += _insert_alerts(session, outbox)
            _insert_once(session, superseded_alerts, passed_over)
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
