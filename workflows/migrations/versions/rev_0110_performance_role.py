"""The `performance` role: the data team, who run and download the statutory returns (DESIGN 8)
and open no case.

Revision ID: 0110
Revises: 0100
Create Date: 2026-12-02

The `ck_users_role` check constraint is widened (`workflows.migrations.checks.replace_check`:
rewritten in place on SQLite, where `users`, which most tables reference, cannot be rebuilt
under its foreign keys).
"""

from __future__ import annotations

from alembic import op

from workflows.migrations.checks import replace_check

revision = "0110"
down_revision = "0100"
branch_labels = None
depends_on = None

_BEFORE = "role IN ('practitioner', 'manager', 'lado', 'admin', 'auditor')"
_AFTER = "role IN ('practitioner', 'manager', 'lado', 'admin', 'auditor', 'performance')"


def upgrade() -> None:
    replace_check("users", "ck_users_role", _BEFORE, _AFTER)


def downgrade() -> None:
    op.execute("UPDATE users SET active = false WHERE role = 'performance'")
    op.execute("UPDATE users SET role = 'auditor' WHERE role = 'performance'")
    replace_check("users", "ck_users_role", _AFTER, _BEFORE)
