"""The service's scheduled jobs: when each last ran (for the readiness check and the metrics).

Revision ID: 0120
Revises: 0110
Create Date: 2026-12-02

- `service_runs`: one row per job name (`sweep`, `deliver-email`, `deliver-webhook`, ...) with
  when its last run started and finished, the moment it worked for (`as_of`, a sweep's), whether
  it succeeded and a short detail without personal data (counts). Rewritten at each run.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflows.persistence.types import UTCDateTime

revision = "0120"
down_revision = "0110"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_runs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.CheckConstraint("outcome IN ('ok', 'failed')", name=op.f("ck_service_runs_outcome")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_runs")),
    )


def downgrade() -> None:
    op.drop_table("service_runs")
