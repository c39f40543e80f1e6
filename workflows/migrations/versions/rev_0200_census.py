"""Work notices of kind `census`: a case has records to fix before the CIN census (the nightly
`census-check` flow tells each owner, DESIGN 8).

Revision ID: 0200
Revises: 0400
Create Date: 2026-12-02

PostgreSQL replaces the `ck_user_notices_kind` check constraint. SQLite cannot alter a
constraint, so the table's stored definition is rewritten in place, as rev 0110 does for
`users` (the procedure SQLite documents for changing a CHECK constraint): the new check only
admits more values, so every existing row satisfies it.
"""

from __future__ import annotations

from alembic import op

revision = "0200"
down_revision = "0400"
branch_labels = None
depends_on = None

_BEFORE = "kind IN ('allocated', 'transferred', 'passed_on', 'unallocated')"
_AFTER = "kind IN ('allocated', 'transferred', 'passed_on', 'unallocated', 'census')"


def _replace_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'user_notices'",
            (old, new),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        return
    op.drop_constraint(op.f("ck_user_notices_kind"), "user_notices", type_="check")
    op.create_check_constraint(op.f("ck_user_notices_kind"), "user_notices", new)


def upgrade() -> None:
    _replace_check(_BEFORE, _AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM user_notices WHERE kind = 'census'")
    _replace_check(_AFTER, _BEFORE)
