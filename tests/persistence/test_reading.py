"""`reading` sessions (`workflows.persistence.engine.reading`): the read paths' sessions. On
PostgreSQL their queries run outside a transaction (no BEGIN and ROLLBACK round trips); on both
databases they answer what a session of the factory answers and refuse any change before it is
sent, leaving the database as it was; the pooled connection goes back to transactions.
`serial_reading`: queries planned without parallel workers, outside a transaction on an engine
whose connections are set so (the web server's), in one with SET LOCAL on any other."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg import pq
from sqlalchemy import insert, select, text

from workflows.persistence import (
    ReadingSessionWrote,
    count_rows,
    make_engine,
    make_session_factory,
    reading,
    serial_reading,
    teams,
    upgrade,
)


@pytest.fixture
def sf(database_url: str) -> Any:
    engine = make_engine(database_url, pool_size=1)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(teams).values(name="Online harm"))
    yield make_session_factory(engine)
    engine.dispose()


def test_a_reading_session_answers_as_a_session_of_the_factory(sf: Any) -> None:
    query = select(teams.c.id, teams.c.name)
    with sf() as s:
        expected = s.execute(query).all()
    with reading(sf) as s:
        assert s.execute(query).all() == expected
        assert [r.name for r in expected] == ["Online harm"]


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.execute(insert(teams).values(name="Second")),
        lambda s: s.execute(text("UPDATE teams SET name = 'Renamed'")),
        lambda s: s.execute(text("  delete from teams")),
        lambda s: s.execute(text("SET LOCAL statement_timeout = 1000")),
    ],
    ids=["insert", "update", "delete", "set"],
)
def test_a_reading_session_refuses_a_change_before_it_is_sent(sf: Any, change: Any) -> None:
    before = count_rows(sf)
    with reading(sf) as s, pytest.raises(ReadingSessionWrote, match="reading session sent"):
        change(s)
    with sf() as s:
        assert s.execute(select(teams.c.name)).scalars().all() == ["Online harm"]
    assert count_rows(sf) == before


def _insert_then_fail(sf: Any) -> None:
    with sf.begin() as s:
        s.execute(insert(teams).values(name="Half done"))
        raise RuntimeError("stop")


def _status(s: Any) -> Any:
    return s.connection().connection.dbapi_connection.info.transaction_status


def test_on_postgresql_a_reading_session_opens_no_transaction(postgres_database_url: str) -> None:
    engine = make_engine(postgres_database_url, pool_size=1)
    upgrade(engine)
    sf = make_session_factory(engine)
    try:
        with reading(sf) as s:
            s.execute(select(teams.c.id)).all()
            assert _status(s) == pq.TransactionStatus.IDLE  # no BEGIN was sent
        with sf() as s:  # the same pooled connection, back in transactions
            s.execute(select(teams.c.id)).all()
            assert _status(s) == pq.TransactionStatus.INTRANS
        # a change through the factory is still one transaction: a failure undoes all of it
        with pytest.raises(RuntimeError, match="stop"):
            _insert_then_fail(sf)
        assert count_rows(sf)["teams"] == 0
    finally:
        engine.dispose()


def _workers(s: Any) -> str:
    return str(s.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one())


def test_serial_reading_on_the_web_servers_engine_needs_no_transaction(
    postgres_database_url: str,
) -> None:
    engine = make_engine(postgres_database_url, pool_size=1, parallel_query=False)
    sf = make_session_factory(engine)
    try:
        with serial_reading(sf) as s:
            assert _workers(s) == "0"
            assert _status(s) == pq.TransactionStatus.IDLE
        with sf() as s:  # every connection of this engine is set so
            assert _workers(s) == "0"
    finally:
        engine.dispose()


def test_serial_reading_on_another_engine_sets_it_for_its_own_transaction_only(
    postgres_database_url: str,
) -> None:
    engine = make_engine(postgres_database_url, pool_size=1)
    sf = make_session_factory(engine)
    try:
        with sf() as s:
            default = _workers(s)
        assert default != "0"
        with serial_reading(sf) as s:
            assert _workers(s) == "0"
            assert _status(s) == pq.TransactionStatus.INTRANS
        with reading(sf) as s:  # the same pooled connection: SET LOCAL ended with it
            assert _workers(s) == default
    finally:
        engine.dispose()


def test_serial_reading_on_sqlite_is_a_reading_session(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'serial.db'}", parallel_query=False)
    upgrade(engine)
    sf = make_session_factory(engine)
    try:
        with sf.begin() as s:
            s.execute(insert(teams).values(name="Online harm"))
        with serial_reading(sf) as s:
            assert s.execute(select(teams.c.name)).scalars().all() == ["Online harm"]
            with pytest.raises(ReadingSessionWrote):
                s.execute(text("DELETE FROM teams"))
        assert count_rows(sf)["teams"] == 1
    finally:
        engine.dispose()


def test_on_postgresql_a_prepared_statement_is_planned_for_its_own_values(
    postgres_database_url: str,
) -> None:
    # psycopg prepares a statement after its fifth run on a connection; PostgreSQL would then
    # switch to a plan for generic values (20-30x slower for the dashboard's late recording)
    engine = make_engine(postgres_database_url, pool_size=1)
    upgrade(engine)
    try:
        with engine.connect() as conn:
            for n in range(12):
                conn.execute(select(teams.c.id).where(teams.c.id == n)).all()
            plans = conn.exec_driver_sql(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE strpos(statement, 'SELECT teams.id') = 1"
            ).one()
            mode = conn.exec_driver_sql("SHOW plan_cache_mode").scalar()
        assert plans.generic_plans == 0
        assert plans.custom_plans >= 5
        assert mode == "force_custom_plan"
    finally:
        engine.dispose()
