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

from sqlalchemy import bindparam, select, update
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
