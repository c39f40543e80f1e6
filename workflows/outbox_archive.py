"""Moving old outbox rows out of the working tables, so that their size follows recent work.

The alert outbox (`alerts`, `alert_deliveries`) and the notice outbox (`notices`) only grow:
every alert and notice ever sent stays. `archive_outbox` moves the rows written before a cutoff
(the retention period of `ESAFETY_OUTBOX_RETENTION_DAYS` back from now) into `alerts_archive`,
`alert_deliveries_archive` and `notices_archive`, with the moment they were moved; nothing is
deleted outright. A row moves only when nothing can still need it:

- an alert whose deadline is no longer open (met, missed or cancelled: the sweep never alerts
  on it again, so the exactly-once key it holds cannot be needed), that was queued, and all of
  whose deliveries were accepted, with those deliveries;
- a notice that was delivered.

Anything pending stays where it is, however old. Batches of `batch` rows are moved in their own
transactions, so a long archive never holds locks for long and can be stopped and run again;
on PostgreSQL rows another transaction holds are skipped until the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, exists, insert, literal, select

from workflows.persistence.engine import SessionFactory
from workflows.persistence.tables import (
    alert_deliveries,
    alert_deliveries_archive,
    alerts,
    alerts_archive,
    deadlines,
    notices,
    notices_archive,
)
from workflows.persistence.types import UTCDateTime

__all__ = ["ArchiveReport", "archive_outbox"]


@dataclass(frozen=True)
class ArchiveReport:
    alerts: int
    deliveries: int
    notices: int


def _move(
    session: Any, table: Table, archive: Table, ids: list[int], column: Any, at: datetime
) -> int:
    names = [c.name for c in table.columns]
    rows = select(*table.columns, literal(at, UTCDateTime)).where(column.in_(ids))
    session.execute(insert(archive).from_select([*names, "archived_at"], rows))
    return int(session.execute(delete(table).where(column.in_(ids))).rowcount)


def _locked(session: Any, query: Any) -> list[int]:
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query).scalars().all())


def archive_outbox(
    session_factory: SessionFactory, *, before: datetime, at: datetime, batch: int = 1000
) -> ArchiveReport:
    """Move the alerts and notices written before `before` that nothing needs any more (see the
    module) into the archive tables, recording `at`; returns how many rows of each moved."""
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    moved_alerts = moved_deliveries = moved_notices = 0
    done = select(alerts.c.id).where(
        alerts.c.created_at < before,
        alerts.c.queued_at.is_not(None),
        exists().where(deadlines.c.id == alerts.c.deadline_id, deadlines.c.status != "open"),
        ~exists().where(
            alert_deliveries.c.alert_id == alerts.c.id, alert_deliveries.c.status == "pending"
        ),
    )
    while True:
        with session_factory.begin() as session:
            ids = _locked(session, done.order_by(alerts.c.id).limit(batch))
            if not ids:
                break
            moved_deliveries += _move(
                session,
                alert_deliveries,
                alert_deliveries_archive,
                ids,
                alert_deliveries.c.alert_id,
                at,
            )
            moved_alerts += _move(session, alerts, alerts_archive, ids, alerts.c.id, at)
    delivered = select(notices.c.id).where(
        notices.c.created_at < before, notices.c.status == "delivered"
    )
    while True:
        with session_factory.begin() as session:
            ids = _locked(session, delivered.order_by(notices.c.id).limit(batch))
            if not ids:
                break
            moved_notices += _move(session, notices, notices_archive, ids, notices.c.id, at)
    return ArchiveReport(moved_alerts, moved_deliveries, moved_notices)
