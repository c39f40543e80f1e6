"""The service's PostgreSQL role (issue 11, item 8; DESIGN 9): migrations run as the tables' owner,
the service connects as a role that may only insert into and read the logs, and so cannot
change, delete or truncate them, nor drop or disable the triggers that protect them, while its
ordinary work goes on. Needs PostgreSQL with trust authentication on 127.0.0.1 (the test
database's); each test creates a role of its own and drops it afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from calendars import FixedClock, parse_instant
from esafety_flow.bootstrap import bootstrap
from esafety_flow.cli import app as cli
from esafety_flow.settings import Settings
from states import ENGLAND_2023
from workflows import audit, casework, organisation
from workflows.log_integrity import verify_log
from workflows.persistence import (
    case_events,
    make_engine,
    make_session_factory,
    metadata,
    upgrade,
)
from workflows.persistence.roles import APPEND_ONLY_TABLES, service_role_statements

from .test_event_chain import CAL, worked_case

ROLES_ARE_POSTGRESQL = "database roles are PostgreSQL's: nothing to test on SQLite"


def _grant(owner_url: str, role: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli,
        ["db", "grant-service-role", role, "--database-url", owner_url],
        env={"ESAFETY_DATABASE_URL": owner_url},
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def owner(database_url: str) -> str:
    """A migrated PostgreSQL schema, with the URL of its owner."""
    if not database_url.startswith("postgresql"):
        pytest.skip(ROLES_ARE_POSTGRESQL)
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return database_url


@pytest.fixture
def new_role(owner: str) -> Iterator[str]:
    """A login role of this test's own, dropped afterwards with everything granted to it."""
    role = f"esf_service_{uuid.uuid4().hex[:12]}"
    admin = create_engine(owner)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    try:
        yield role
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@pytest.fixture
def service(owner: str, new_role: str) -> Iterator[Engine]:
    code, out, err = _grant(owner, new_role)
    assert code == 0, err
    assert "GRANT SELECT, INSERT ON " in out
    engine = make_engine(_as(owner, new_role))
    yield engine
    engine.dispose()


def _refused(engine: Engine, sql: str) -> str:
    with pytest.raises(DBAPIError) as info, engine.begin() as conn:
        conn.exec_driver_sql(sql)
    return str(info.value.orig)


def test_the_service_role_does_its_work(service: Engine, owner: str, new_role: str) -> None:
    sf = make_session_factory(service)
    user = organisation.create_user(
        sf,
        username="pat",
        display_name="Pat",
        email="pat@example.org",
        role="practitioner",
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    case_id = worked_case(sf)  # raises a concern and applies events
    casework.apply_event(
        sf,
        case_id,
        "close",
        at=parse_instant("2026-03-04T10:00"),
        actor="pat",
        data={"outcome": "no_further_action", "reason": "no concerns"},
        calendar=CAL,
        policy=ENGLAND_2023,
    )
    audit.record_case_view(
        sf, case_id=case_id, user_id=user, at=parse_instant("2026-03-04T11:00"), via="page"
    )
    audit.record_audit(sf, kind="export", at=parse_instant("2026-03-04T12:00"), user_id=user)
    assert casework.get_case(sf, case_id).state.value == "closed"
    assert verify_log(sf).intact
    # a service start: migrations as the owner, the service as its role
    app = bootstrap(
        Settings(database_url=_as(owner, new_role), migration_database_url=owner),
        clock=FixedClock(datetime(2026, 3, 5, tzinfo=UTC)),
    )
    try:
        with app.session_factory() as session:
            assert session.execute(select(case_events.c.seq).limit(1)).scalar() == 1
    finally:
        app.close()


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_the_service_role_cannot_change_or_delete_the_logs(service: Engine, table: str) -> None:
    sf = make_session_factory(service)
    worked_case(sf)
    for sql in (
        f"UPDATE {table} SET id = id",
        f"DELETE FROM {table}",
        f"TRUNCATE {table}",
    ):
        assert "permission denied" in _refused(service, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TRIGGER case_events_append_only ON case_events",
        "DROP TRIGGER case_events_no_truncate ON case_events",
        "ALTER TABLE case_events DISABLE TRIGGER USER",
        "ALTER TABLE case_events DISABLE TRIGGER case_events_append_only",
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "DROP TABLE case_views",
        "ALTER TABLE case_events DROP COLUMN hash",
        "DROP FUNCTION case_events_append_only()",
        "CREATE TRIGGER sneak BEFORE INSERT ON case_events "
        "FOR EACH ROW EXECUTE FUNCTION case_events_append_only()",
    ],
)
def test_the_service_role_cannot_drop_or_disable_the_protection(service: Engine, sql: str) -> None:
    message = _refused(service, sql)
    assert "must be owner" in message or "permission denied" in message


def test_the_service_role_has_the_normal_rights_elsewhere(service: Engine) -> None:
    sf = make_session_factory(service)
    case_id = worked_case(sf)
    with service.begin() as conn:
        conn.execute(
            text("UPDATE deadlines SET urgent = urgent WHERE case_id = :c"), {"c": case_id}
        )
        conn.execute(text("DELETE FROM subjects WHERE case_id = :c"), {"c": case_id})


def test_grant_refuses_a_role_that_could_lift_the_protection(owner: str, new_role: str) -> None:
    admin = create_engine(owner)
    try:
        with admin.begin() as conn:
            table_owner = conn.execute(
                text("SELECT tableowner FROM pg_tables WHERE tablename = 'case_events' "
                     "AND schemaname = current_schema()")
            ).scalar_one()  # fmt: skip
            conn.exec_driver_sql(f'GRANT "{table_owner}" TO {new_role}')
    finally:
        admin.dispose()
    code, out, err = _grant(owner, new_role)
    assert code == 2
    assert "member of their owner" in err or "superuser" in err
    assert out == ""


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        ("esf_nobody_" + "0" * 12, "no role"),
        ("Robert'); DROP TABLE cases; --", "role name"),
        ("postgres", "superuser"),
    ],
)
def test_grant_refuses_bad_input_with_the_reason(owner: str, role: str, reason: str) -> None:
    code, out, err = _grant(owner, role)
    assert code == 2
    assert reason in err
    assert out == ""


def test_grant_on_sqlite_is_refused(tmp_path: Path) -> None:
    code, _, err = _grant(f"sqlite:///{tmp_path / 'esafety.db'}", "esafety_service")
    assert code == 2
    assert "PostgreSQL's" in err


def test_the_statements_name_every_table_once() -> None:
    statements = service_role_statements("esafety_service", "public")
    grants = [s for s in statements if s.startswith("GRANT") and '"public"."' in s]
    assert len(grants) == len(metadata.tables)
    for table in APPEND_ONLY_TABLES:
        assert f'GRANT SELECT, INSERT ON "public"."{table}" TO "esafety_service"' in statements


def test_migrations_connect_as_the_migration_url_when_it_is_set(tmp_path: Path) -> None:
    """`esafety db upgrade` and bootstrap's migrations use ESAFETY_MIGRATION_DATABASE_URL (the
    owner); the service's own URL is only connected to for its work."""
    owner_db, service_db = tmp_path / "owner.db", tmp_path / "service.db"
    env = {
        "ESAFETY_DATABASE_URL": f"sqlite:///{service_db}",
        "ESAFETY_MIGRATION_DATABASE_URL": f"sqlite:///{owner_db}",
    }
    result = CliRunner().invoke(cli, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.stderr
    assert "owner.db" in result.stdout
    assert owner_db.exists()
    assert not service_db.exists()
    other = tmp_path / "other.db"
    app = bootstrap(
        Settings(
            database_url=f"sqlite:///{service_db}", migration_database_url=f"sqlite:///{other}"
        )
    )
    app.close()
    for path, tables in ((other, True), (service_db, False)):
        engine = make_engine(f"sqlite:///{path}")
        try:
            assert ("case_events" in inspect(engine).get_table_names()) is tables
        finally:
            engine.dispose()
