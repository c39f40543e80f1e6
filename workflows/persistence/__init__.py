"""Persistence: SQLAlchemy 2 Core tables, the UTC column type, engines, migrations, repository."""

from workflows.persistence.engine import (
    SessionFactory,
    count_rows,
    make_engine,
    make_session_factory,
)
from workflows.persistence.migrate import alembic_config, head_revision, upgrade
from workflows.persistence.tables import (
    alert_deliveries,
    alerts,
    calendar_days,
    case_events,
    case_managers,
    case_views,
    cases,
    deadlines,
    metadata,
    notices,
    person_name_keys,
    persons,
    subjects,
    superseded_alerts,
    teams,
    user_notices,
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
    "calendar_days",
    "case_events",
    "case_managers",
    "case_views",
    "cases",
    "count_rows",
    "deadlines",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "metadata",
    "notices",
    "person_name_keys",
    "persons",
    "subjects",
    "superseded_alerts",
    "teams",
    "upgrade",
    "user_notices",
    "users",
]
