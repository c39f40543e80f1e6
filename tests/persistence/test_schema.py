"""The migration, the UTC column type and the append-only event log, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from workflows.persistence import (
    NaiveDatetimeRefused,
    api_tokens,
    audit_events,
    calendar_days,
    case_events,
    case_views,
    cases,
    deadlines,
    head_revision,
    make_engine,
    metadata,
    upgrade,
    users,
)
from workflows.persistence.chain import GENESIS, chain_rows

BST = timezone(timedelta(hours=1))


def _case_row(reference: str = "ESF-T1") -> dict[str, object]:
    at = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    return {
        "reference": reference,
        "region": "england-and-wales",
        "policy_name": "england-2023",
        "state": "concern",
        "facts": {},
        "required_actions": [],
        "do_not_inform_family": False,
        "restricted": False,
        "discussions": [],
        "last_seq": 0,
        "created_at": at,
        "updated_at": at,
        "version": 1,
    }


def test_migration_creates_every_table_of_the_metadata(engine: Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    eng = make_engine(database_url)
    try:
        upgrade(eng)
        upgrade(eng)
        with eng.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == head_revision()  # the latest revision
    finally:
        eng.dispose()


def test_partial_index_on_open_deadlines(engine: Engine) -> None:
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("deadlines")}
    assert indexes["ix_deadlines_open_next_alert_at"]["column_names"] == ["next_alert_at"]


def test_utc_datetime_returns_aware_utc(engine: Engine) -> None:
    local = datetime(2026, 6, 1, 9, 0, tzinfo=BST)  # 08:00 UTC
    with engine.begin() as conn:
        conn.execute(insert(cases), [{**_case_row(), "created_at": local}])
    with engine.connect() as conn:
        stored = conn.execute(select(cases.c.created_at)).scalar_one()
    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_utc_datetime_compares_as_instants(engine: Engine) -> None:
    # 09:30 BST is 08:30 UTC: earlier than 09:00 UTC, though its wall-clock reading is later
    with engine.begin() as conn:
        conn.execute(
            insert(cases), [{**_case_row(), "created_at": datetime(2026, 6, 1, 9, 30, tzinfo=BST)}]
        )
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count())
            .select_from(cases)
            .where(cases.c.created_at < datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
        ).scalar_one()
    assert n == 1


def test_utc_datetime_refuses_naive(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime") as info, engine.begin() as conn:
        conn.execute(
            insert(cases),
            [{**_case_row(), "created_at": datetime(2026, 6, 1, 9, 0)}],  # noqa: DTZ001
        )
    assert isinstance(info.value.orig, NaiveDatetimeRefused)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 0


def _one_event(engine: Engine) -> None:
    with engine.begin() as conn:
        case_id = conn.execute(insert(cases).returning(cases.c.id), [_case_row()]).scalar_one()
        row: dict[str, object] = {
            "case_id": case_id,
            "seq": 1,
            "at": datetime(2026, 3, 2, 10, 15, tzinfo=UTC),
            "recorded_at": datetime(2026, 3, 2, 10, 15, tzinfo=UTC),
            "actor": "tester",
            "kind": "transition",
            "event": "raise_concern",
            "data": {},
        }
        chain_rows([row], GENESIS)
        conn.execute(insert(case_events), [row])


def test_event_log_refuses_update(engine: Engine) -> None:
    _one_event(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(update(case_events).values(actor="someone else"))
    with engine.connect() as conn:
        assert conn.execute(select(case_events.c.actor)).scalar_one() == "tester"


def test_event_log_refuses_delete(engine: Engine) -> None:
    _one_event(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(case_events.delete())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_events)).scalar_one() == 1


def test_event_seq_is_unique_per_case(engine: Engine) -> None:
    _one_event(engine)
    with engine.connect() as conn:
        case_id = conn.execute(select(cases.c.id)).scalar_one()
    row = {
        "case_id": case_id,
        "seq": 1,
        "at": datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
        "recorded_at": datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
        "actor": "tester",
        "kind": "transition",
        "data": {},
    }
    chain_rows([row], GENESIS)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(case_events), [row])


def test_calendar_day_unique_per_region(engine: Engine) -> None:
    row = {
        "region": "england-and-wales",
        "date": date(2022, 9, 19),
        "name": "State funeral",
        "kind": "one_off",
        "added_by": "admin",
        "added_at": datetime(2022, 9, 10, 12, tzinfo=UTC),
    }
    with engine.begin() as conn:
        conn.execute(insert(calendar_days), [row])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(calendar_days), [row])


def _user_row(username: str = "pat", token_hash: str | None = None) -> dict[str, object]:
    return {
        "username": username,
        "display_name": username,
        "email": f"{username}@example.org",
        "role": "practitioner",
        "api_token_hash": token_hash,
        "created_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    }


def _audited(engine: Engine) -> None:
    with engine.begin() as conn:
        case_id = conn.execute(insert(cases).returning(cases.c.id), [_case_row()]).scalar_one()
        user_id = conn.execute(insert(users).returning(users.c.id), [_user_row()]).scalar_one()
        at = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
        conn.execute(insert(case_views), [{"case_id": case_id, "user_id": user_id, "at": at}])
        conn.execute(
            insert(audit_events),
            [{"at": at, "kind": "case_view", "user_id": user_id, "case_id": case_id}],
        )


@pytest.mark.parametrize("table", [audit_events, case_views])
def test_audit_tables_refuse_update_and_delete(engine: Engine, table: object) -> None:
    from sqlalchemy import Table

    assert isinstance(table, Table)
    _audited(engine)
    later = datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(update(table).values(at=later))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(table.delete())
    with engine.connect() as conn:
        assert conn.execute(select(table.c.at)).scalar_one() != later
        assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 1


def test_audit_tables_refuse_truncate_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    _audited(engine)
    for name in ("audit_events", "case_views"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {name} CASCADE")


def test_migration_0100_keeps_the_log_tokens_and_calendar_versions(database_url: str) -> None:
    """From 0006 with data: calendar versions survive the change to TEXT, the event log is still
    append-only afterwards, and a user's token of 0001 moves to api_tokens."""
    eng = make_engine(database_url)
    try:
        upgrade(eng, "0006")
        long_version = (
            "england-and-wales/holidays-x/extra:"
            + ",".join(f"2027-{m:02d}-{d:02d}" for m in range(1, 13) for d in (3, 4, 5, 6))
            + "/closures:none"
        )
        assert len(long_version) > 400
        version_0006 = long_version[:400]
        with eng.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (username, display_name, email, role, "
                    "api_token_hash, active, created_at) VALUES ('pat', 'Pat', "
                    "'pat@example.org', 'practitioner', 'abc123', true, "
                    ":at)"
                ),
                {"at": datetime(2026, 3, 1, tzinfo=UTC)},
            )
            case_id = conn.execute(insert(cases).returning(cases.c.id), [_case_row()]).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO case_events (case_id, seq, at, actor, kind, data, "
                    "calendar_version) VALUES (:c, 1, :at, 'pat', 'transition', '{}', :v)"
                ),
                {"c": case_id, "at": datetime(2026, 3, 2, tzinfo=UTC), "v": version_0006},
            )
        upgrade(eng)
        with eng.begin() as conn:
            assert conn.execute(select(case_events.c.calendar_version)).scalar_one() == (
                version_0006
            )
            token = conn.execute(select(api_tokens.c.name, api_tokens.c.token_hash)).one()
            assert tuple(token) == ("token", "abc123")
            assert conn.execute(select(users.c.api_token_hash)).scalar_one() is None
            conn.execute(
                insert(deadlines),
                [
                    {
                        "case_id": case_id,
                        "kind": "referral_decision",
                        "anchor_at": datetime(2026, 3, 2, tzinfo=UTC),
                        "due_date": date(2026, 3, 3),
                        "due_at": datetime(2026, 3, 3, 23, tzinfo=UTC),
                        "status": "open",
                        "calendar_version": long_version * 3,
                        "policy_name": "england-2023",
                    }
                ],
            )
            assert len(conn.execute(select(deadlines.c.calendar_version)).scalar_one()) > 1200
        with pytest.raises(DBAPIError, match="append-only"), eng.begin() as conn:
            conn.execute(update(case_events).values(actor="someone else"))
        with pytest.raises(DBAPIError, match="append-only"), eng.begin() as conn:
            conn.execute(case_events.delete())
        with eng.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        eng.dispose()


def test_migration_0110_admits_the_performance_role_and_keeps_every_user(database_url: str) -> None:
    """From 0100 with users and a case that references one: the role check admits `performance`
    afterwards, still refuses an unknown role, and every row is kept (SQLite rewrites the check
    in place; the references to `users` still hold)."""
    eng = make_engine(database_url)
    row = {
        "display_name": "Pat",
        "email": "pat@example.org",
        "active": True,
        "created_at": datetime(2026, 3, 1, tzinfo=UTC),
    }
    try:
        upgrade(eng, "0100")
        with eng.begin() as conn:
            pat = conn.execute(
                insert(users).returning(users.c.id),
                [{**row, "username": "pat", "role": "practitioner"}],
            ).scalar_one()
            conn.execute(insert(cases), [{**_case_row(), "owner_id": pat}])
        with pytest.raises(IntegrityError), eng.begin() as conn:
            conn.execute(insert(users), [{**row, "username": "dee", "role": "performance"}])
        upgrade(eng)
        with eng.begin() as conn:
            conn.execute(insert(users), [{**row, "username": "dee", "role": "performance"}])
            assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 2
            assert conn.execute(select(cases.c.owner_id)).scalar_one() == pat
        with pytest.raises(IntegrityError), eng.begin() as conn:
            conn.execute(insert(users), [{**row, "username": "eve", "role": "superuser"}])
        with pytest.raises(IntegrityError), eng.begin() as conn:
            conn.execute(insert(cases), [{**_case_row("ESF-T2"), "owner_id": pat + 1000}])
    finally:
        eng.dispose()
