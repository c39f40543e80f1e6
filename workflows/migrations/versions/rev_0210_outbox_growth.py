"""The alert outbox's cost follows new work (a "not yet queued" mark, archives); alert hours;
teams' regions.

Revision ID: 0210
Revises: 0200
Create Date: 2026-12-02

- `alerts.queued_at`: when the alert's delivery rows were written, with a partial index on the
  alerts not yet queued, so queueing reads the new alerts only (before: an anti-join over every
  alert ever written). Every existing alert with a delivery row is marked queued at its
  creation; the others stay NULL and are queued by the next run, as before.
- `alert_deliveries.not_before`: an email alert held until the authority's alert hours open
  (NULL: send at once, which every existing row keeps).
- `teams.region`: the team's bank-holiday region, so its morning digest follows its own
  working days (NULL, as every existing team: the service's region).
- `alerts_archive`, `alert_deliveries_archive`, `notices_archive`: where rows past the retention
  period go (`workflows.outbox_archive`), each with the original's columns and `archived_at`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from workflows.persistence.types import UTCDateTime

revision = "0210"
down_revision = "0200"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _archive(name: str, *columns: sa.Column[Any]) -> None:
    op.create_table(
        name,
        sa.Column("id", ID, nullable=False, autoincrement=False),
        *columns,
        sa.Column("archived_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("queued_at", UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE alerts SET queued_at = created_at WHERE EXISTS "
        "(SELECT 1 FROM alert_deliveries d WHERE d.alert_id = alerts.id)"
    )
    op.create_index(
        "ix_alerts_unqueued",
        "alerts",
        ["id"],
        sqlite_where=sa.text("queued_at IS NULL"),
        postgresql_where=sa.text("queued_at IS NULL"),
    )
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.add_column(sa.Column("not_before", UTCDateTime(), nullable=True))
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("region", sa.String(length=40), nullable=True))
    _archive(
        "alerts_archive",
        sa.Column("deadline_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("recipient_role", sa.String(length=20), nullable=False),
        sa.Column("recipient_user_id", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("recipient_key", sa.BigInteger(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
    )
    _archive(
        "alert_deliveries_archive",
        sa.Column("alert_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("not_before", UTCDateTime(), nullable=True),
    )
    _archive(
        "notices_archive",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("notices_archive")
    op.drop_table("alert_deliveries_archive")
    op.drop_table("alerts_archive")
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("region")
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.drop_column("not_before")
    op.drop_index("ix_alerts_unqueued", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("queued_at")
