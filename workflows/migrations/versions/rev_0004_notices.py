"""The notice outbox: manager digests and deadline-moved notices, rendered once and kept until
the mail server accepted them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

`key` names the notice (a team's digest of a day, a deadline moved by a calendar change) so a
retried run queues it once; a pending notice is claimed by one delivery run at a time, as the
alert deliveries are (rev 0002).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflows.persistence.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "status", sa.String(length=20), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('digest', 'deadline_moved')", name=op.f("ck_notices_kind")),
        sa.CheckConstraint("status IN ('pending', 'delivered')", name=op.f("ck_notices_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("key", name="uq_notices_key"),
    )
    op.create_index(
        "ix_notices_pending",
        "notices",
        ["id"],
        unique=False,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_notices_pending", table_name="notices")
    op.drop_table("notices")
