"""Widening a CHECK constraint on both databases, for the migrations that admit a new value
(a role, a notice kind).

PostgreSQL drops and recreates the constraint. SQLite cannot alter a constraint, and rebuilding a
table that others reference is refused while foreign keys are enforced, so the table's stored
definition is rewritten in place: the procedure SQLite documents for changing a CHECK
constraint ("Making Other Kinds Of Table Schema Changes", ALTER TABLE). Only for a check that
admits more values than before (or for undoing one, after the rows it admitted are gone): every
existing row must satisfy the new one.
"""

from __future__ import annotations

from alembic import op

__all__ = ["replace_check"]


def replace_check(table: str, constraint: str, old: str, new: str) -> None:
    """Replace the check `constraint` of `table`, whose SQL is `old`, by one whose SQL is `new`."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?",
            (old, new, table),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        return
    op.drop_constraint(op.f(constraint), table, type_="check")
    op.create_check_constraint(op.f(constraint), table, new)
