"""Delivery claims: a pending (alert, channel) is claimed by one delivery run at a time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

`claimed_by` names the run holding the row and `claimed_until` is when its lease runs out; a run
that crashed leaves a lease that the next run takes over once it has expired.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflows.persistence.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
