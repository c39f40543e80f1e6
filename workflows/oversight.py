"""What a manager must act on (DESIGN 2.5): assessments awaiting authorisation, with the working
days each has left of its 45, and cases overdue for management oversight.

- `awaiting_authorisation`: single assessments a worker has submitted (`complete_assessment`)
  and no manager has yet authorised or returned, most urgent first;
- `oversight_due`: open cases with a child protection plan whose last management-oversight note
  (`add_note` of kind `management_oversight`), or the plan's start where there is none, is older
  than the policy's `management_oversight` standard (a local standard: every 20 working days by
  default), most overdue first.

Read-only; the grants are the caseload's (`workflows.queries.visible_cases`); times and
calendars are parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from calendars import Region, london_date
from states import StandardName
from workflows.lookups import CalendarFor, PolicyFor
from workflows.persistence.engine import SessionFactory, reading
from workflows.persistence.tables import case_events, cases, deadlines, users
from workflows.queries import union_of_parts, visible_parts

__all__ = ["AwaitingAuthorisation", "OversightDue", "awaiting_authorisation", "oversight_due"]


@dataclass(frozen=True)
class AwaitingAuthorisation:
    case_id: int
    reference: str
    owner_name: str | None
    submitted_by: str
    submitted_at: datetime
    due_date: date | None
    working_days_left: int | None
    """Working days from today to the due date (0 on the day itself, negative once past)."""


@dataclass(frozen=True)
class OversightDue:
    case_id: int
    reference: str
    owner_name: str | None
    last_oversight: date | None
    due: date
    working_days_overdue: int


def _grants(
    team_ids: Iterable[int], restricted_all: bool, restricted_manager_id: int | None
) -> list[ColumnElement[bool]]:
    return visible_parts(
        sorted(set(team_ids)), restricted_all=restricted_all, manager_id=restricted_manager_id
    )


def awaiting_authorisation(
    sf: SessionFactory,
    *,
    today: date,
    calendar_for: CalendarFor,
    team_ids: Iterable[int] = (),
    restricted_all: bool = False,
    restricted_manager_id: int | None = None,
) -> list[AwaitingAuthorisation]:
    parts = _grants(team_ids, restricted_all, restricted_manager_id)
    if not parts:
        return []
    due = (
        select(deadlines.c.due_date)
        .where(
            deadlines.c.case_id == cases.c.id,
            deadlines.c.kind == "single_assessment",
            deadlines.c.status == "open",
        )
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            cases.c.id,
            cases.c.reference,
            cases.c.region,
            cases.c.assessment,
            users.c.display_name,
            due.label("due_date"),
        )
        .outerjoin(users, users.c.id == cases.c.owner_id)
        .where(cases.c.assessment.is_not(None))
    )
    with reading(sf) as s:
        rows = s.execute(union_of_parts(stmt, parts)).all()
    out = []
    for r in rows:
        left = None
        if r.due_date is not None:
            left = calendar_for(Region(r.region)).working_days_between(today, r.due_date)
        out.append(
            AwaitingAuthorisation(
                case_id=r.id,
                reference=r.reference,
                owner_name=r.display_name,
                submitted_by=r.assessment["by"],
                submitted_at=datetime.fromisoformat(r.assessment["at"]),
                due_date=r.due_date,
                working_days_left=left,
            )
        )
    out.sort(key=lambda a: (a.working_days_left is None, a.working_days_left or 0, a.case_id))
    return out


def oversight_due(
    sf: SessionFactory,
    *,
    today: date,
    calendar_for: CalendarFor,
    policy_for: PolicyFor,
    team_ids: Iterable[int] = (),
    restricted_all: bool = False,
    restricted_manager_id: int | None = None,
) -> list[OversightDue]:
    parts = _grants(team_ids, restricted_all, restricted_manager_id)
    if not parts:
        return []
    kind = case_events.c.data["kind"].as_string()
    last_oversight = (
        select(func.max(case_events.c.at))
        .where(
            case_events.c.case_id == cases.c.id,
            case_events.c.event == "add_note",
            kind == "management_oversight",
        )
        .scalar_subquery()
    )
    plan_start = (
        select(func.max(case_events.c.at))
        .where(
            case_events.c.case_id == cases.c.id,
            case_events.c.event == "hold_conference",
            case_events.c.to_state == "review",
        )
        .scalar_subquery()
    )
    stmt = (
        select(
            cases.c.id,
            cases.c.reference,
            cases.c.region,
            cases.c.policy_name,
            users.c.display_name,
            last_oversight.label("last_oversight"),
            plan_start.label("plan_start"),
        )
        .outerjoin(users, users.c.id == cases.c.owner_id)
        .where(cases.c.state == "review")
    )
    with reading(sf) as s:
        rows = s.execute(union_of_parts(stmt, parts)).all()
    out = []
    for r in rows:
        since = r.last_oversight or r.plan_start
        if since is None:
            continue
        calendar = calendar_for(Region(r.region))
        every = policy_for(r.policy_name).standard(StandardName.MANAGEMENT_OVERSIGHT).duration
        due = calendar.add_working_days(london_date(since), every.n, every.counting)
        if due >= today:
            continue
        out.append(
            OversightDue(
                case_id=r.id,
                reference=r.reference,
                owner_name=r.display_name,
                last_oversight=london_date(r.last_oversight) if r.last_oversight else None,
                due=due,
                working_days_overdue=calendar.working_days_between(due, today),
            )
        )
    out.sort(key=lambda o: (-o.working_days_overdue, o.case_id))
    return out
