"""Indexes for the dashboard's late recording, whose cost follows the team's cases.

Revision ID: 0220
Revises: 0210
Create Date: 2026-12-03

- `ix_case_events_case_id_recorded_at`: each visible case's entries recorded in the period, a
  range of the index per case (on PostgreSQL with the kind, worker and `late` in the index, so
  the count reads no table row). Before, every entry of every case of the team was read.
- `ix_case_events_corrections`: only the entries that correct another (`corrects` set), so
  the corrections that judge an entry again are found without reading the others.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0220"
down_revision = "0210"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_case_events_case_id_recorded_at",
        "case_events",
        ["case_id", "recorded_at"],
        postgresql_include=["kind", "actor", "late"],
    )
    op.create_index(
        "ix_case_events_corrections",
        "case_events",
        ["case_id", "corrects"],
        sqlite_where=sa.text("corrects IS NOT NULL"),
        postgresql_where=sa.text("corrects IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_case_events_corrections", table_name="case_events")
    op.drop_index("ix_case_events_case_id_recorded_at", table_name="case_events")
