"""Indexes for the manager dashboard: a case's open deadlines, and its deadlines by kind and
due date.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

`ix_deadlines_open_case_id_due_at` (partial, open deadlines only; on PostgreSQL it carries the
due date, kind and id) makes the dashboard's and the caseload's probe of each visible case an
index-only scan; `ix_deadlines_case_id_kind_due_date` (carrying the status on PostgreSQL) does
the same for the 12 weeks of timeliness. Measured in docs/benchmarks.md, Web.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_deadlines_open_case_id_due_at",
        "deadlines",
        ["case_id", "due_at"],
        unique=False,
        postgresql_include=["due_date", "kind", "id"],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_deadlines_case_id_kind_due_date",
        "deadlines",
        ["case_id", "kind", "due_date"],
        unique=False,
        postgresql_include=["status"],
    )


def downgrade() -> None:
    op.drop_index("ix_deadlines_case_id_kind_due_date", table_name="deadlines")
    op.drop_index("ix_deadlines_open_case_id_due_at", table_name="deadlines")
