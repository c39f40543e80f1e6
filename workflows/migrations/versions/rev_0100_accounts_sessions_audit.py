"""Accounts, server-side sessions, sign-in attempts, the audit trail; unbounded calendar versions.

Revision ID: 0100
Revises: 0008
Create Date: 2026-12-01

- `sessions`: one row per signed-in browser session. The cookie holds a random id; only its
  SHA-256 is stored (`key_hash`). A session ends (`ended_at`, `end_reason`) on sign-out, on a
  password change or deactivation of its user, or when it is found expired.
- `api_tokens`: several per user, named, shown once, stored as SHA-256, with created, last used
  and revoked times. The single `users.api_token_hash` of revision 0001 is copied here (named
  `token`) and cleared; the column stays, unused, because SQLite cannot drop a UNIQUE column
  without rebuilding `users`, which most tables reference.
- `sign_in_attempts`: every sign-in attempt (the throttle counts the failures per account and per
  client address; both are keyed hashes, never the typed name or the address itself).
- `audit_events`: append-only (who, when, what kind, which case, a short detail without
  personal data).
- `users.password_changed_at`, `users.deactivated_at`.
- A trigger refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) on `audit_events` and on
  `case_views`, as revision 0001 does for `case_events`.
- `case_events.calendar_version` and `deadlines.calendar_version` become TEXT: the version names
  every one-off day of the region, and after 32 of them it outgrew VARCHAR(400) on PostgreSQL.
  PostgreSQL changes the type in place (VARCHAR to TEXT needs no rewrite). SQLite has no ALTER
  COLUMN: a TEXT column is added, filled, the old one dropped and the new one renamed (the
  append-only triggers of `case_events` are dropped for the copy and created again).

Self-contained: it relies only on the tables of revision 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflows.persistence.types import UTCDateTime

revision = "0100"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

APPEND_ONLY = {
    "audit_events": "audit_events is append-only: UPDATE and DELETE are refused",
    "case_views": "case_views is append-only: UPDATE and DELETE are refused",
}
CASE_EVENTS_MESSAGE = "case_events is append-only: UPDATE and DELETE are refused"
SESSION_END_REASONS = ("signed_out", "expired", "password_changed", "deactivated")
ATTEMPT_OUTCOMES = ("ok", "wrong_password", "unknown_user", "inactive", "throttled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    op.add_column("users", sa.Column("password_changed_at", UTCDateTime(), nullable=True))
    op.add_column("users", sa.Column("deactivated_at", UTCDateTime(), nullable=True))
    op.create_table(
        "sessions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            _in("end_reason", SESSION_END_REASONS), name=op.f("ck_sessions_end_reason")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_sessions_key_hash")),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"], unique=False)
    op.create_table(
        "api_tokens",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"], unique=False)
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("username_key", sa.String(length=64), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.CheckConstraint(
            _in("outcome", ATTEMPT_OUTCOMES), name=op.f("ck_sign_in_attempts_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_in_attempts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempts")),
    )
    op.create_index(
        "ix_sign_in_attempts_username_key_at", "sign_in_attempts", ["username_key", "at"]
    )
    op.create_index("ix_sign_in_attempts_address_key_at", "sign_in_attempts", ["address_key", "at"])
    op.create_table(
        "audit_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("case_id", ID, nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_events_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_user_id_at", "audit_events", ["user_id", "at"])
    op.create_index("ix_audit_events_case_id_at", "audit_events", ["case_id", "at"])
    # tokens of revision 0001 move to their own table
    op.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
        "SELECT id, 'token', api_token_hash, created_at FROM users "
        "WHERE api_token_hash IS NOT NULL"
    )
    op.execute("UPDATE users SET api_token_hash = NULL")
    for table, message in APPEND_ONLY.items():
        _create_append_only(table, message)
    _calendar_version_type(sa.Text())


def _create_append_only(table: str, message: str) -> None:
    if _postgresql():
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def _drop_append_only(table: str) -> None:
    if _postgresql():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def _calendar_version_type(new_type: sa.types.TypeEngine[str]) -> None:
    """Change the type of both calendar_version columns (see the module docstring)."""
    columns = (("case_events", True), ("deadlines", False))
    if _postgresql():
        for table, nullable in columns:
            op.alter_column(table, "calendar_version", type_=new_type, existing_nullable=nullable)
        return
    # SQLite: the log's UPDATE and DELETE triggers would refuse the copy; they are the ones of
    # revision 0001 (case_events_no_update / _no_delete) and are created again below
    op.execute("DROP TRIGGER IF EXISTS case_events_no_update")
    op.execute("DROP TRIGGER IF EXISTS case_events_no_delete")
    for table, nullable in columns:
        type_sql = new_type.compile(dialect=op.get_context().dialect)
        # SQLite adds a NOT NULL column only with a default; the copy below fills it
        not_null = "" if nullable else " NOT NULL DEFAULT ''"
        op.execute(f"ALTER TABLE {table} ADD COLUMN calendar_version_new {type_sql}{not_null}")
        op.execute(f"UPDATE {table} SET calendar_version_new = calendar_version")
        op.execute(f"ALTER TABLE {table} DROP COLUMN calendar_version")
        op.execute(f"ALTER TABLE {table} RENAME COLUMN calendar_version_new TO calendar_version")
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER case_events_no_{operation.lower()} BEFORE {operation} "
            f"ON case_events BEGIN SELECT RAISE(ABORT, '{CASE_EVENTS_MESSAGE}'); END"
        )


def downgrade() -> None:
    # a calendar version longer than 400 characters makes this fail on PostgreSQL: nothing is
    # lost silently
    _calendar_version_type(sa.String(length=400))
    for table in APPEND_ONLY:
        _drop_append_only(table)
    op.execute(
        "UPDATE users SET api_token_hash = (SELECT t.token_hash FROM api_tokens t "
        "WHERE t.user_id = users.id AND t.revoked_at IS NULL ORDER BY t.id LIMIT 1)"
    )
    op.drop_table("audit_events")
    op.drop_table("sign_in_attempts")
    op.drop_table("api_tokens")
    op.drop_table("sessions")
    op.drop_column("users", "deactivated_at")
    op.drop_column("users", "password_changed_at")
