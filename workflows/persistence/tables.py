"""SQLAlchemy 2 Core tables: the whole schema, created by the first migration.

Persist facts, never machines (house rule 7): a case row holds its states and facts, every
deadline row the rule (`kind`, `policy_name`) and `calendar_version` that produced its due date, and
`case_events` is the append-only log (a trigger refuses UPDATE and DELETE, see the migration),
each entry chained to the one before by its hash (rev 0400).

Org model (used by the web app and the alert flows): `teams`, `users`, `case_managers`.
Outbox: `alerts` (one row per deadline, level and recipient role, produced exactly once by the
sweep) and `alert_deliveries` (one row per alert and channel, written by the delivery flow);
`superseded_alerts`, the levels a late sweep passed over and did not send (DESIGN 3.3).
People (DESIGN 2.4): `persons`, one row per child or adult shared across cases, with the census
items; `person_name_keys`, the spelling keys that find a name despite a small typo; `subjects`
links a case to its people.

Accounts and audit (rev 0100): `sessions` (server-side browser sessions, the cookie's random id
stored as SHA-256), `api_tokens` (several per user, stored as SHA-256), `sign_in_attempts` (what
the sign-in throttle counts) and `audit_events` (append-only, like `case_views` and
`case_events`: a trigger refuses UPDATE and DELETE).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from workflows.persistence.types import UTCDateTime

__all__ = [
    "ALERT_LEVELS",
    "DEADLINE_STATUSES",
    "NOTICE_KINDS",
    "RECIPIENT_ROLES",
    "SESSION_END_REASONS",
    "SIGN_IN_OUTCOMES",
    "USER_ROLES",
    "alert_deliveries",
    "alert_deliveries_archive",
    "alerts",
    "alerts_archive",
    "api_tokens",
    "audit_events",
    "calendar_days",
    "case_events",
    "case_managers",
    "case_views",
    "cases",
    "deadlines",
    "metadata",
    "notices",
    "notices_archive",
    "person_name_keys",
    "persons",
    "service_runs",
    "sessions",
    "sign_in_attempts",
    "subjects",
    "superseded_alerts",
    "teams",
    "user_notices",
    "users",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

USER_ROLES = ("practitioner", "manager", "lado", "admin", "auditor", "performance")
DEADLINE_STATUSES = ("open", "met", "missed", "cancelled")
ALERT_LEVELS = ("due_soon", "due_today", "overdue", "escalated")
RECIPIENT_ROLES = ("owner", "manager", "head_of_service")
NOTICE_KINDS = ("digest", "deadline_moved", "work")
WORK_NOTICE_KINDS = ("allocated", "transferred", "passed_on", "unallocated", "census")
SESSION_END_REASONS = ("signed_out", "expired", "password_changed", "deactivated")
SIGN_IN_OUTCOMES = ("ok", "wrong_password", "unknown_user", "inactive", "throttled")

Json = JSON().with_variant(JSONB(), "postgresql")
# a JSON column whose Python None is SQL NULL (so that `IS NULL` finds it)
JsonOrNull = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
# 64-bit keys on PostgreSQL; SQLite's INTEGER PRIMARY KEY is already 64-bit (and autoincrements)
Id = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


teams = Table(
    "teams",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    # no FK to users: users reference teams, and a team is created before its manager
    Column("manager_id", Id, nullable=True),
    Column("head_of_service_id", Id, nullable=True),
    # the team's bank-holiday region, for its morning digest; NULL: the service's (rev 0210)
    Column("region", String(40), nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", String(20), nullable=False),
    Column("team_id", Id, ForeignKey("teams.id"), nullable=True),
    Column("password_hash", Text, nullable=True),
    # unused since rev 0100 (tokens live in `api_tokens`); kept because SQLite cannot drop a
    # UNIQUE column without rebuilding this table
    Column("api_token_hash", String(200), nullable=True, unique=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=True),
    Column("deactivated_at", UTCDateTime, nullable=True),
    CheckConstraint(_in("role", USER_ROLES), name="role"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("reference", String(40), nullable=False, unique=True),
    Column("region", String(40), nullable=False),
    Column("policy_name", String(100), nullable=False),
    Column("state", String(40), nullable=False),
    Column("allegation_state", String(40), nullable=True),
    Column("facts", Json, nullable=False),
    Column("required_actions", Json, nullable=False),
    Column("do_not_inform_family", Boolean, nullable=False),
    Column("restricted", Boolean, nullable=False),
    Column("owner_id", Id, ForeignKey("users.id"), nullable=True),
    Column("team_id", Id, ForeignKey("teams.id"), nullable=True),
    Column("outcome", Json, nullable=True),
    # the strategy discussions held (DESIGN 4.3), oldest first, as the domain records them
    Column("discussions", Json, nullable=False),
    Column("section_47_started_at", UTCDateTime, nullable=True),
    Column("referral_at", UTCDateTime, nullable=True),
    # what the domain needs of the log (Case.last_seq, machine_last), kept beside the state
    Column("last_event_at", UTCDateTime, nullable=True),
    Column("last_seq", Integer, nullable=False),
    # per machine, its latest event: {"child_protection": {"at", "event", "seq"}, ...} (rev 0007)
    Column("machine_last", Json, nullable=True),
    # the log number of the referral the single assessment counts from (rev 0007)
    Column("referral_seq", Integer, nullable=True),
    # a single assessment awaiting authorisation: {"by", "at", "seq", "factors"} (rev 0007)
    Column("assessment", JsonOrNull, nullable=True),
    # since when the case has had no owner (an unallocated list, DESIGN 2.5; rev 0007)
    Column("unallocated_since", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_cases_owner_id", "owner_id"),
    Index("ix_cases_team_id", "team_id"),
)

case_managers = Table(
    "case_managers",
    metadata,
    Column("case_id", Id, ForeignKey("cases.id"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(10), nullable=False),
    Column("name", String(200), nullable=False),
    # the name folded for matching: lower case, no accents or punctuation (workflows.people)
    Column("name_key", String(200), nullable=False),
    Column("date_of_birth", Date, nullable=True),
    Column("expected_date_of_birth", Date, nullable=True),
    Column("sex", String(1), nullable=True),
    Column("ethnicity", String(4), nullable=True),
    Column("nhs_number", String(10), nullable=True),
    Column("upn", String(13), nullable=True),
    Column("disabilities", Json, nullable=True),
    Column("sen", Boolean, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("kind", ("child", "adult")), name="kind"),
    Index(
        "ix_persons_nhs_number",
        "nhs_number",
        unique=True,
        sqlite_where=text("nhs_number IS NOT NULL"),
        postgresql_where=text("nhs_number IS NOT NULL"),
    ),
    Index(
        "ix_persons_upn",
        "upn",
        unique=True,
        sqlite_where=text("upn IS NOT NULL"),
        postgresql_where=text("upn IS NOT NULL"),
    ),
    Index("ix_persons_date_of_birth", "date_of_birth"),
)

# spelling keys of each word of a person's name, for search tolerant of a small typo (rev 0007)
person_name_keys = Table(
    "person_name_keys",
    metadata,
    Column("person_id", Id, ForeignKey("persons.id"), nullable=False),
    Column("key", String(64), nullable=False),
    UniqueConstraint("key", "person_id", name="uq_person_name_keys_key_person_id"),
    Index("ix_person_name_keys_person_id", "person_id"),
)

subjects = Table(
    "subjects",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("name", String(200), nullable=True),
    Column("details", Json, nullable=False),
    # the person this subject is (rev 0007)
    Column("person_id", Id, ForeignKey("persons.id"), nullable=True),
    CheckConstraint(_in("role", ("child", "alleged_abuser", "partner")), name="role"),
    Index("ix_subjects_case_id", "case_id"),
    Index("ix_subjects_person_id", "person_id"),
)

case_events = Table(
    "case_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("event", String(60), nullable=True),
    Column("machine", String(40), nullable=True),
    Column("from_state", String(40), nullable=True),
    Column("to_state", String(40), nullable=True),
    Column("data", Json, nullable=False),
    # unbounded (rev 0100): the version names every one-off day of the region
    Column("calendar_version", Text, nullable=True),
    # when it was written down; `at` is when it happened (DESIGN 2.3; rev 0007)
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("late", Boolean, nullable=False, server_default=text("false")),
    # a correct_date entry: the seq of the event it corrects
    Column("corrects", Integer, nullable=True),
    # the hash chain (rev 0400, `workflows.persistence.chain`): the hash of the case's entry
    # before this one, and the SHA-256 of that and of this entry's content
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("case_id", "seq", name="uq_case_events_case_id_seq"),
    # late recording per worker (the dashboard), newest first
    Index("ix_case_events_recorded_at", "recorded_at"),
    # the dashboard's late recording: each visible case's entries of the period (rev 0220)
    Index(
        "ix_case_events_case_id_recorded_at",
        "case_id",
        "recorded_at",
        postgresql_include=["kind", "actor", "late"],
    ),
    # the entries that correct another, and only those (rev 0220)
    Index(
        "ix_case_events_corrections",
        "case_id",
        "corrects",
        sqlite_where=text("corrects IS NOT NULL"),
        postgresql_where=text("corrects IS NOT NULL"),
    ),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("anchor_at", UTCDateTime, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(20), nullable=False),
    Column("met_at", UTCDateTime, nullable=True),
    Column("calendar_version", Text, nullable=False),
    Column("policy_name", String(100), nullable=False),
    # produced by the rule's urgent duration (a recalculation uses the same one)
    Column("urgent", Boolean, nullable=False, server_default=text("false")),
    Column("next_alert_at", UTCDateTime, nullable=True),
    Column("next_alert_level", String(40), nullable=True),
    # the log numbers of the event it is counted from and of the event that met it (rev 0007)
    Column("anchor_seq", Integer, nullable=True),
    Column("met_seq", Integer, nullable=True),
    CheckConstraint(_in("status", DEADLINE_STATUSES), name="status"),
    Index("ix_deadlines_case_id", "case_id"),
    # the sweep's query (engineering.md: a partial index over the open rows only keeps it under 1 ms
    # with 1,000,000 rows, and its cost grows with the number due, not the number stored)
    Index(
        "ix_deadlines_open_next_alert_at",
        "next_alert_at",
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
    # the dashboard's and caseload's probe of a case's open deadlines, index-only on PostgreSQL
    # (rev 0005; docs/benchmarks.md, Web)
    Index(
        "ix_deadlines_open_case_id_due_at",
        "case_id",
        "due_at",
        postgresql_include=["due_date", "kind", "id"],
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
    # timeliness: a case's deadlines of a kind by due date, with their status (rev 0005)
    Index(
        "ix_deadlines_case_id_kind_due_date",
        "case_id",
        "kind",
        "due_date",
        postgresql_include=["status"],
    ),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("deadline_id", Id, ForeignKey("deadlines.id"), nullable=False),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("level", String(20), nullable=False),
    Column("recipient_role", String(20), nullable=False),
    Column("recipient_user_id", Id, ForeignKey("users.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    # the named recipient's user id, 0 when addressed by role alone (rev 0003)
    Column("recipient_key", BigInteger, nullable=False, server_default=text("0")),
    UniqueConstraint(
        "deadline_id",
        "level",
        "recipient_role",
        "recipient_key",
        name="uq_alerts_deadline_id_level_role_recipient",
    ),
    CheckConstraint(_in("level", ALERT_LEVELS), name="level"),
    CheckConstraint(_in("recipient_role", RECIPIENT_ROLES), name="recipient_role"),
    # when its delivery rows were written; NULL: not yet (rev 0210). The partial index keeps
    # "what is new" a scan of the new alerts only, however long the history
    Column("queued_at", UTCDateTime, nullable=True),
    Index("ix_alerts_case_id", "case_id"),
    # a user's own alerts, newest first (the in-app list; rev 0006)
    Index("ix_alerts_recipient_user_id_created_at", "recipient_user_id", "created_at"),
    Index(
        "ix_alerts_unqueued",
        "id",
        sqlite_where=text("queued_at IS NULL"),
        postgresql_where=text("queued_at IS NULL"),
    ),
)

# levels a late sweep passed over (DESIGN 3.3): recorded once, never sent (rev 0007)
superseded_alerts = Table(
    "superseded_alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("deadline_id", Id, ForeignKey("deadlines.id"), nullable=False),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("level", String(20), nullable=False),
    Column("recipient_role", String(20), nullable=False),
    Column("recipient_key", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    UniqueConstraint(
        "deadline_id",
        "level",
        "recipient_role",
        "recipient_key",
        name="uq_superseded_alerts_deadline_id_level_role_recipient",
    ),
    Index("ix_superseded_alerts_case_id", "case_id"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", Id, ForeignKey("alerts.id"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("status", String(20), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=True),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    # the delivery run holding the row, until its lease runs out (rev 0002)
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", UTCDateTime, nullable=True),
    # not sent before this moment: the opening of the alert hours (rev 0210); NULL: at once
    Column("not_before", UTCDateTime, nullable=True),
    UniqueConstraint("alert_id", "channel", name="uq_alert_deliveries_alert_id_channel"),
    CheckConstraint(_in("channel", ("email", "webhook")), name="channel"),
    CheckConstraint(_in("status", ("pending", "delivered")), name="status"),
    Index(
        "ix_alert_deliveries_pending",
        "alert_id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

# manager digests and deadline-moved notices, rendered once, kept until accepted (rev 0004)
notices = Table(
    "notices",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("label", String(300), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(20), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=True),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", UTCDateTime, nullable=True),
    UniqueConstraint("key", name="uq_notices_key"),
    CheckConstraint(_in("kind", NOTICE_KINDS), name="kind"),
    CheckConstraint(_in("status", ("pending", "delivered")), name="status"),
    Index(
        "ix_notices_pending",
        "id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)


def _archive_of(table: Table) -> Table:
    """Where `table`'s rows go once past the retention period (`workflows.outbox_archive`; rev
    0210): the same columns (the id kept, no other constraint) and when the row was moved."""
    return Table(
        f"{table.name}_archive",
        metadata,
        *(
            Column(
                c.name, c.type, primary_key=c.primary_key, autoincrement=False, nullable=c.nullable
            )
            for c in table.columns
        ),
        Column("archived_at", UTCDateTime, nullable=False),
    )


alerts_archive = _archive_of(alerts)
alert_deliveries_archive = _archive_of(alert_deliveries)
notices_archive = _archive_of(notices)

# what the service tells a person about their work (workflows.notifications; rev 0008)
user_notices = Table(
    "user_notices",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("emailed_at", UTCDateTime, nullable=True),
    CheckConstraint(_in("kind", WORK_NOTICE_KINDS), name="kind"),
    Index("ix_user_notices_user_id_created_at", "user_id", "created_at"),
    Index(
        "ix_user_notices_unemailed",
        "id",
        sqlite_where=text("emailed_at IS NULL"),
        postgresql_where=text("emailed_at IS NULL"),
    ),
)

# the scheduled jobs' last runs, one row per job (rev 0120)
service_runs = Table(
    "service_runs",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("as_of", UTCDateTime, nullable=True),
    Column("outcome", String(10), nullable=False),
    Column("detail", String(200), nullable=True),
    CheckConstraint(_in("outcome", ("ok", "failed")), name="outcome"),
)

calendar_days = Table(
    "calendar_days",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("region", String(40), nullable=False),
    Column("date", Date, nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    UniqueConstraint("region", "date", name="uq_calendar_days_region_date"),
    CheckConstraint(_in("kind", ("one_off", "closure")), name="kind"),
)

case_views = Table(
    "case_views",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_case_views_case_id", "case_id"),
)

# -- accounts, sessions and the audit trail (rev 0100) -------------------------------------------

sessions = Table(
    "sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # SHA-256 (hex) of the random id the cookie holds: a copy of the table opens no session
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    # the absolute limit, fixed when the session starts (use never moves it)
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("end_reason", String(20), nullable=True),
    CheckConstraint(_in("end_reason", SESSION_END_REASONS), name="end_reason"),
    Index("ix_sessions_user_id", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_api_tokens_user_id", "user_id"),
)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", String(20), nullable=False),
    # keyed hashes of the typed username and of the client address (never the values)
    Column("username_key", String(64), nullable=False),
    Column("address_key", String(64), nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=True),
    CheckConstraint(_in("outcome", SIGN_IN_OUTCOMES), name="outcome"),
    Index("ix_sign_in_attempts_username_key_at", "username_key", "at"),
    Index("ix_sign_in_attempts_address_key_at", "address_key", "at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    # `workflows.audit.AuditKind` (checked there, so that a new kind needs no migration)
    Column("kind", String(40), nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=True),
    # no foreign key: a refused look-up names a case that may not exist
    Column("case_id", Id, nullable=True),
    Column("detail", String(200), nullable=True),
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_user_id_at", "user_id", "at"),
    Index("ix_audit_events_case_id_at", "case_id", "at"),
)
