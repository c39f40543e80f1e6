"""What an operations engineer watches: the scheduled jobs' last runs, the delivery backlog, and
whether the database is the one this release expects (docs/operations.md).

- `record_run(sf, name, ...)` keeps each job's last run (`service_runs`, one row per job name:
  when it started and finished, the moment it worked for, ok or failed, a count-only detail).
  The jobs of `esafety_flow.notify.jobs` call it; nothing here reads the clock.
- `readiness(sf, now)`: the database answers and is at this release's migration head,
  with the age of the oldest undelivered alert and notice and the last sweep, for `/readyz`.
- `service_metrics(sf, now)`: the same and the open and overdue deadlines as numbers, for the
  Prometheus text format of `/metrics` (`esafety_flow.web.health`). No personal data: counts,
  ages and times only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alembic.migration import MigrationContext
from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from calendars import to_utc
from workflows.delivery import delivery_due
from workflows.persistence.engine import SessionFactory
from workflows.persistence.migrate import head_revision, revision_mismatch
from workflows.persistence.tables import (
    alert_deliveries,
    alerts,
    cases,
    deadlines,
    notices,
    service_runs,
)

__all__ = [
    "JOB_NAMES",
    "Readiness",
    "RunRecord",
    "ServiceMetrics",
    "last_runs",
    "readiness",
    "record_run",
    "service_metrics",
]

JOB_NAMES = ("sweep",)
"""The jobs whose last run is kept."""

_DETAIL_LENGTH = 200


@dataclass(frozen=True)
class RunRecord:
    name: str
    started_at: datetime
    finished_at: datetime
    as_of: datetime | None
    outcome: str
    detail: str | None


def record_run(
    sf: SessionFactory,
    name: str,
    *,
    started_at: datetime,
    finished_at: datetime,
    ok: bool,
    as_of: datetime | None = None,
    detail: str | None = None,
) -> None:
    """Keep `name`'s last run (replacing the one before), in a transaction of its own."""
    if name not in JOB_NAMES:
        raise ValueError(f"job {name!r}: expected one of {', '.join(JOB_NAMES)}")
    row = {
        "name": name,
        "started_at": to_utc(started_at),
        "finished_at": to_utc(finished_at),
        "as_of": None if as_of is None else to_utc(as_of),
        "outcome": "ok" if ok else "failed",
        "detail": None if detail is None else " ".join(detail.split())[:_DETAIL_LENGTH],
    }
    with sf.begin() as session:
        session.execute(delete(service_runs).where(service_runs.c.name == name))
        session.execute(insert(service_runs).values(**row))


def last_runs(sf: SessionFactory) -> dict[str, RunRecord]:
    """Each job's last run, by name."""
    with sf() as session:
        return {
            r.name: RunRecord(r.name, r.started_at, r.finished_at, r.as_of, r.outcome, r.detail)
            for r in session.execute(select(service_runs))
        }


@dataclass(frozen=True)
class Backlog:
    pending_deliveries: dict[str, int]
    """Per channel, those due now (not those waiting for the alert hours)."""
    oldest_pending_delivery: datetime | None
    """When the oldest alert due and not yet delivered on some channel was written (or, for an
    email held for the alert hours, when they opened)."""
    pending_notices: int
    oldest_pending_notice: datetime | None
    waiting_for_alert_hours: int = 0
    """Email alerts held until the alert hours open."""


def _backlog(sf: SessionFactory, now: datetime) -> Backlog:
    pending = alert_deliveries.c.status == "pending"
    due = delivery_due(now)
    with sf() as session:
        per_channel = {
            str(channel): int(count)
            for channel, count in session.execute(
                select(alert_deliveries.c.channel, func.count())
                .where(pending, due)
                .group_by(alert_deliveries.c.channel)
            )
        }
        waiting = session.execute(
            select(func.count()).select_from(alert_deliveries).where(pending, ~due)
        ).scalar_one()
        # an email held for the alert hours is late only from when they opened
        due_from = case(
            (alert_deliveries.c.not_before > alerts.c.created_at, alert_deliveries.c.not_before),
            else_=alerts.c.created_at,
        )
        oldest = session.execute(
            select(func.min(due_from))
            .select_from(alert_deliveries)
            .join(alerts, alerts.c.id == alert_deliveries.c.alert_id)
            .where(pending, due)
        ).scalar_one()
        notice_count, notice_oldest = session.execute(
            select(func.count(), func.min(notices.c.created_at)).where(
                notices.c.status == "pending"
            )
        ).one()
    return Backlog(per_channel, oldest, int(notice_count), notice_oldest, int(waiting))


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str | None
    """Why not ready (the database does not answer, or is not at this release's revision)."""
    revision: str | None
    head: str
    oldest_pending_delivery_seconds: float | None
    oldest_pending_notice_seconds: float | None
    last_sweep: RunRecord | None


def _current_revision(sf: SessionFactory) -> str | None:
    with sf() as session:
        return MigrationContext.configure(session.connection()).get_current_revision()


def readiness(sf: SessionFactory, now: datetime) -> Readiness:
    """Whether this process can serve: the database answers and carries this release's schema.
    A backlog or a late sweep does not make it unready (the web app still serves casework);
    they are reported for monitoring to alert on."""
    now = to_utc(now)
    head = head_revision()
    try:
        revision = _current_revision(sf)
    except SQLAlchemyError as exc:
        return Readiness(
            False,
            f"the database does not answer ({type(exc).__name__})",
            None,
            head,
            None,
            None,
            None,
        )
    mismatch = revision_mismatch(revision, head)
    if mismatch is not None:
        return Readiness(
            False,
            mismatch,
            revision,
            head,
            None,
            None,
            None,
        )
    backlog = _backlog(sf, now)
    return Readiness(
        True,
        None,
        revision,
        head,
        _age(now, backlog.oldest_pending_delivery),
        _age(now, backlog.oldest_pending_notice),
        last_runs(sf).get("sweep"),
    )


@dataclass(frozen=True)
class ServiceMetrics:
    open_cases: int
    open_deadlines: int
    overdue_deadlines: int
    pending_deliveries: dict[str, int]
    oldest_pending_delivery_seconds: float | None
    pending_notices: int
    oldest_pending_notice_seconds: float | None
    runs: dict[str, RunRecord]
    waiting_for_alert_hours: int = 0


def service_metrics(sf: SessionFactory, now: datetime) -> ServiceMetrics:
    """The numbers `/metrics` exposes, read in a few aggregate queries."""
    now = to_utc(now)
    with sf() as session:
        open_cases = session.execute(
            select(func.count()).select_from(cases).where(cases.c.state != "closed")
        ).scalar_one()
        open_deadlines, overdue = session.execute(
            select(
                func.count(),
                func.count().filter(deadlines.c.due_at < now),
            ).where(deadlines.c.status == "open")
        ).one()
    backlog = _backlog(sf, now)
    return ServiceMetrics(
        open_cases=int(open_cases),
        open_deadlines=int(open_deadlines),
        overdue_deadlines=int(overdue),
        pending_deliveries=backlog.pending_deliveries,
        oldest_pending_delivery_seconds=_age(now, backlog.oldest_pending_delivery),
        pending_notices=backlog.pending_notices,
        oldest_pending_notice_seconds=_age(now, backlog.oldest_pending_notice),
        runs=last_runs(sf),
        waiting_for_alert_hours=backlog.waiting_for_alert_hours,
    )
