"""The case event log's hash chain: `case_events.prev_hash` and `case_events.hash`.

Revision ID: 0400
Revises: 0120
Create Date: 2026-12-02

Each entry carries the hash of its case's entry before it and the SHA-256 of that and of its own
content (`workflows.persistence.chain`, the one encoding; DESIGN 9). The entries already
written are chained here, case by case in `seq` order, as the repository would have chained
them; then both columns become NOT NULL. The append-only triggers (revision 0001, put back by
0007 and 0100) are lifted for this one update and put back; on SQLite the NOT NULL needs a copy
of the table (Alembic's batch mode), which drops them anyway.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from workflows.persistence.chain import GENESIS, chain_rows
from workflows.persistence.types import UTCDateTime

revision = "0400"
down_revision = "0120"
branch_labels = None
depends_on = None

APPEND_ONLY_MESSAGE = "case_events is append-only: UPDATE and DELETE are refused"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
CASES_PER_BATCH = 500

_log = sa.table(
    "case_events",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("seq", sa.Integer()),
    sa.column("at", UTCDateTime()),
    sa.column("recorded_at", UTCDateTime()),
    sa.column("late", sa.Boolean()),
    sa.column("corrects", sa.Integer()),
    sa.column("actor", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("event", sa.String()),
    sa.column("machine", sa.String()),
    sa.column("from_state", sa.String()),
    sa.column("to_state", sa.String()),
    sa.column("data", JSON),
    sa.column("calendar_version", sa.Text()),
    sa.column("prev_hash", sa.String(64)),
    sa.column("hash", sa.String(64)),
)


def _postgres() -> bool:
    return op.get_context().dialect.name == "postgresql"


def _drop_append_only() -> None:
    if _postgres():
        op.execute("DROP TRIGGER IF EXISTS case_events_append_only ON case_events")
        op.execute("DROP TRIGGER IF EXISTS case_events_no_truncate ON case_events")
    else:
        op.execute("DROP TRIGGER IF EXISTS case_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS case_events_no_delete")


def _restore_append_only() -> None:
    if _postgres():
        op.execute(
            "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
            "FOR EACH ROW EXECUTE FUNCTION case_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER case_events_no_{operation.lower()} BEFORE {operation} "
                f"ON case_events BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )


def _chain_existing_entries() -> None:
    bind = op.get_bind()
    case_ids = bind.execute(sa.select(_log.c.case_id).distinct().order_by(_log.c.case_id))
    ids = [row[0] for row in case_ids]
    fill = (
        sa.update(_log)
        .where(_log.c.id == sa.bindparam("b_id"))
        .values(prev_hash=sa.bindparam("b_prev_hash"), hash=sa.bindparam("b_hash"))
    )
    columns = [c for c in _log.c if c.name not in ("prev_hash", "hash")]
    for start in range(0, len(ids), CASES_PER_BATCH):
        chunk = ids[start : start + CASES_PER_BATCH]
        rows = bind.execute(
            sa.select(*columns)
            .where(_log.c.case_id.in_(chunk))
            .order_by(_log.c.case_id, _log.c.seq)
        ).all()
        by_case: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            by_case.setdefault(row.case_id, []).append(dict(row._mapping))
        updates: list[dict[str, Any]] = []
        for entries in by_case.values():
            chain_rows(entries, GENESIS)
            updates.extend(
                {"b_id": e["id"], "b_prev_hash": e["prev_hash"], "b_hash": e["hash"]}
                for e in entries
            )
        if updates:
            bind.execute(fill, updates)


def upgrade() -> None:
    _drop_append_only()
    op.add_column("case_events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("case_events", sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("case_events") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    _restore_append_only()


def downgrade() -> None:
    _drop_append_only()
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
    _restore_append_only()
