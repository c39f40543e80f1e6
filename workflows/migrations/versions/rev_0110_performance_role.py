"""The `performance` role: the data team, who run and download the statutory returns (DESIGN 8)
and open no case.

Revision ID: 0110
Revises: 0100
Create Date: 2026-12-02

PostgreSQL replaces the `ck_users_role` check constraint. SQLite cannot alter a constraint, and
rebuilding `users` (which most tables reference) is refused while foreign keys are enforced, so
the table's stored definition is rewritten in place, the procedure SQLite documents for changing
a CHECK constraint ("Making Other Kinds Of Table Schema Changes", ALTER TABLE): the new check only
admits more values, so every existing row satisfies it.
"""

from __future__ import annotations

from alembic import op

revision = "0110"
down_revision = "0100"
branch_labels = None
depends_on = None

_BEFORE = "role IN ('practitioner', 'manager', 'lado', 'admin', 'auditor')"
_AFTER = "role IN ('practitioner', 'manager', 'lado', 'admin', 'auditor', 'performance')"


def _replace_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'users'",
            (old, new),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        return
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", new)


def upgrade() -> None:
    _replace_check(_BEFORE, _AFTER)


def downgrade() -> None:
    op.execute("UPDATE users SET active = false WHERE role = 'performance'")
    op.execute("UPDATE users SET role = 'auditor' WHERE role = 'performance'")
    _replace_check(_AFTER, _BEFORE)
