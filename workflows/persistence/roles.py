"""The service's PostgreSQL role (DESIGN 9): it may only insert into and read the logs.

Migrations run as the tables' owner (`ESAFETY_MIGRATION_DATABASE_URL`); the service connects as
another role (`ESAFETY_DATABASE_URL`) that `grant_service_role` gives exactly:

- SELECT and INSERT on the append-only tables (`APPEND_ONLY_TABLES`: the case event log, the
  audit trail, the case views): no UPDATE, DELETE or TRUNCATE, so neither the triggers nor the
  rights need to hold alone;
- SELECT, INSERT, UPDATE and DELETE on every other table of the schema, SELECT on
  `alembic_version` (so that a service start that finds the schema current passes), USAGE and
  SELECT on the id sequences, USAGE on the schema.

Not being the owner, the role cannot drop a trigger, disable one (`ALTER TABLE ... DISABLE
TRIGGER`) or alter or drop a table: PostgreSQL keeps those to the owner. A superuser, the owner
itself or a member of the owner's role would keep them all, and is refused
(`ServiceRoleRefused`). Every right the role held on the schema's tables is revoked first, so a
second run after a migration (which may add tables) leaves exactly these rights.

`service_role_statements` returns the SQL, for review (`esafety db grant-service-role --print`)
or for a DBA to run by hand.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from workflows.persistence.tables import metadata

__all__ = [
    "APPEND_ONLY_TABLES",
    "ServiceRoleRefused",
    "grant_service_role",
    "service_role_statements",
]

APPEND_ONLY_TABLES = ("audit_events", "case_events", "case_views")
"""The tables that the append-only triggers protect (migrations 0001 and 0100)."""

_NORMAL_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class ServiceRoleRefused(ValueError):
    """The role cannot be the service's: a bad name, missing, or one that owns the tables."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def service_role_statements(role: str, schema: str) -> list[str]:
    """The statements that give `role` exactly the service's rights on `schema`."""
    if not _ROLE_NAME.fullmatch(role):
        raise ServiceRoleRefused(
            f"role name {role!r}: use lower-case letters, digits and underscores (at most 63, "
            "not starting with a digit)"
        )
    r, s = _quoted(role), _quoted(schema)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
    ]
    for name in sorted(metadata.tables):
        rights = (
            "SELECT, INSERT" if name in APPEND_ONLY_TABLES else "SELECT, INSERT, UPDATE, DELETE"
        )
        statements.append(f"GRANT {rights} ON {s}.{_quoted(name)} TO {r}")
    statements += [
        f"GRANT SELECT ON {s}.alembic_version TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ]
    return statements


def grant_service_role(conn: Connection, role: str) -> list[str]:
    """Give `role` the service's rights on the current schema, connected as the tables' owner;
    returns the statements run. Raises `ServiceRoleRefused` (nothing granted) for a bad name, a
    role that does not exist, is a superuser, or owns (or is a member of the owner of) the
    tables, and for a database that is not PostgreSQL."""
    if conn.dialect.name != "postgresql":
        raise ServiceRoleRefused(
            "database roles are PostgreSQL's: an embedded SQLite file has no roles"
        )
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    statements = service_role_statements(role, schema)
    found = conn.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).first()
    if found is None:
        raise ServiceRoleRefused(
            f"no role {role!r}: create it first (CREATE ROLE {role} LOGIN PASSWORD '...')"
        )
    if found.rolsuper:
        raise ServiceRoleRefused(f"role {role!r} is a superuser: it could drop any trigger")
    owners = conn.execute(
        text(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = :s AND "
            "tablename = ANY(:t)"
        ),
        {"s": schema, "t": list(APPEND_ONLY_TABLES)},
    ).scalars()
    for owner in owners:
        if conn.execute(
            text("SELECT pg_has_role(:r, :o, 'MEMBER')"), {"r": role, "o": owner}
        ).scalar_one():
            raise ServiceRoleRefused(
                f"role {role!r} owns the tables or is a member of their owner {owner!r}: it "
                "could drop or disable the triggers; give the service a role of its own"
            )
    if (
        conn.execute(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = :s AND tablename = 'case_events'"
            ),
            {"s": schema},
        ).scalar_one()
        != 1
    ):
        raise ServiceRoleRefused(
            f"schema {schema!r} has no esafety-flow tables: run `esafety db upgrade` first"
        )
    for statement in statements:
        conn.exec_driver_sql(statement)
    return statements
