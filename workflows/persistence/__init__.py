"""Persistence: SQLAlchemy 2 Core tables, the UTC column type, engines, migrations, repository."""

from workflows.persistence.engine import (
    SessionFactory,
    count_rows,
    make_engine,
    make_session_factory,
)
from workflows.persistence.migrate import alembic_config, upgrade
from workflows.persistence.tables import (
    alert_deliveries,
    alerts,
    api_tokens,
    audit_events,
    calendar_days,
    case_events,
    case_managers,
    case_views,
    cases,
    deadlines,
    metadata,
    notices,
    sessions,
    sign_in_attempts,
    subjects,
    teams,
    users,
)
from workflows.persistence.types import NaiveDatetimeRefused, UTCDateTime

__all__ = [
    "NaiveDatetimeRefused",
    "SessionFactory",
    "UTCDateTime",
    "alembic_config",
    "alert_deliveries",
    "alerts",
    "api_tokens",
    "audit_events",
    "calendar_days",
    "case_events",
    "case_managers",
    "case_views",
    "cases",
    "count_rows",
    "deadlines",
    "make_engine",
    "make_session_factory",
    "metadata",
    "notices",
    "sessions",
    "sign_in_attempts",
    "subjects",
    "teams",
    "upgrade",
    "users",
]
