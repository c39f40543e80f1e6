"""Engines and session factories for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from workflows.persistence.tables import metadata

__all__ = [
    "ReadingSessionWrote",
    "SessionFactory",
    "count_rows",
    "make_engine",
    "make_session_factory",
    "reading",
    "serial_reading",
]

SessionFactory = sessionmaker[Session]


def make_engine(
    url: str, *, echo: bool = False, pool_size: int | None = None, parallel_query: bool = True
) -> Engine:
    """An engine for `url`.

    SQLite: foreign keys on and, for a file, write-ahead logging (both per connection, set in a
    connect listener); `sqlite:///:memory:` (or an empty path) shares one connection (StaticPool)
    so that every session sees the same database. PostgreSQL: `postgresql+psycopg://...`, with
    `pool_size` connections kept open when given (a web server sizes it for its concurrency), and
    a connection idle in the pool for a while pinged before use (`_ping_when_idle`), every
    statement planned for its own values (`_session_settings`), and with `parallel_query=False`
    every connection set to plan without parallel workers (`serial_reading`: the web server's
    pages, whose queries take a few milliseconds).

    Every engine hides SQL parameters (`hide_parameters=True`): a database error's message and
    SQLAlchemy's own log lines name the statement but never the values bound to it (a child's
    name, an email address).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if memory:
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ValueError(
                f"unsupported PostgreSQL driver {parsed.get_driver_name()!r} in {url!r}: "
                "use postgresql+psycopg://"
            )
        pool: dict[str, Any] = (
            {} if pool_size is None else {"pool_size": pool_size, "max_overflow": 10}
        )
        engine = create_engine(url, echo=echo, hide_parameters=True, **pool)
        _ping_when_idle(engine)
        _session_settings(engine, parallel_query=parallel_query)
        return engine
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql+psycopg://")


PING_AFTER_IDLE_SECONDS = 10.0
"""A pooled PostgreSQL connection unused for this long is pinged before it is handed out."""


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling that costs nothing under load: a connection is pinged at
    checkout only when it has been idle in the pool for `PING_AFTER_IDLE_SECONDS` (a dead one is
    replaced before any statement, as `pool_pre_ping` would), instead of on every checkout (a
    round trip before each of a page's dozen statements). A connection used moments before a
    database restart fails its next statement once; SQLAlchemy then replaces the whole pool."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # the pool discards this connection and checks out another (SQLAlchemy's documented
            # "custom pessimistic ping")
            raise DisconnectionError("idle connection no longer answers") from exc


_serial_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def _session_settings(engine: Engine, *, parallel_query: bool) -> None:
    """Settings every connection of a PostgreSQL `engine` takes once, when it connects:

    - `plan_cache_mode = force_custom_plan`: psycopg prepares a statement on a connection after
      its fifth run there, and PostgreSQL then plans a prepared statement for generic
      parameters once it has seen five custom plans. For the dashboard's late-recording count
      that generic plan was 20-30 times slower (15 -> 120-490 ms) than the plan for the team
      and period at hand, and the page of every manager after the first few slowed so (20
      managers with think time: p95 of seconds). Every statement is planned for its own
      values, as an unprepared one would be; the parse is still saved.
    - without `parallel_query`, `max_parallel_workers_per_gather = 0` (`serial_reading`).
    """
    statements = ["SET plan_cache_mode = force_custom_plan"]
    if not parallel_query:
        statements.append("SET max_parallel_workers_per_gather = 0")
        _serial_engines.add(engine)

    @event.listens_for(engine, "connect")
    def _set(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        dbapi_connection.commit()


@contextmanager
def serial_reading(sf: SessionFactory) -> Iterator[Session]:
    """A session for queries planned without parallel workers. For the dashboard's statements
    of a few milliseconds, starting workers cost more than they saved (PostgreSQL time
    9.8 -> 5.1 ms for its items, 4.8 -> 2.2 ms for timeliness, a 2,000-case team) and took cores
    from the other requests (docs/benchmarks.md, Web). On an engine made with
    `parallel_query=False` (the web server's) every connection is set so already, and this is
    a `reading` session; on another PostgreSQL engine it is a transaction of `sf` opened with
    `SET LOCAL max_parallel_workers_per_gather = 0`; on SQLite, `reading`."""
    bind = sf.kw.get("bind")
    if (
        isinstance(bind, Engine)
        and bind.dialect.name == "postgresql"
        and bind not in _serial_engines
    ):
        with sf() as session:
            session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            yield session
        return
    with reading(sf) as session:
        yield session


def make_session_factory(engine: Engine) -> SessionFactory:
    """A session factory; services open one transaction each with `factory.begin()`."""
    return sessionmaker(engine, expire_on_commit=False)


class ReadingSessionWrote(RuntimeError):
    """A statement other than a query was sent in a `reading` session (a programming error: the
    statement is refused before it reaches the database)."""


_READS = ("SELECT", "WITH", "SHOW", "VALUES")
_reading_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _reading_engine(engine: Engine) -> Engine:
    """`engine` for `reading` sessions, one per engine: it shares the engine's pool, refuses
    anything but queries (its listeners are its own) and, on PostgreSQL, runs in autocommit."""
    found = _reading_engines.get(engine)
    if found is None:
        if engine.dialect.name == "postgresql":
            found = engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            found = engine.execution_options()

        @event.listens_for(found, "before_cursor_execute", retval=True)
        def _queries_only(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
        ) -> tuple[str, Any]:
            opening = statement.lstrip().split(None, 1)[:1]
            if not opening or opening[0].upper() not in _READS:
                raise ReadingSessionWrote(
                    f"a reading session sent {' '.join(statement.split())[:60]!r}: "
                    "changes go through a session of the session factory"
                )
            return statement, parameters

        _reading_engines[engine] = found
    return found


def reading(sf: SessionFactory) -> Session:
    """A session of `sf` for queries only (`with reading(sf) as s:`), for the read paths of every
    page: on PostgreSQL its statements run in autocommit, without the BEGIN and ROLLBACK round
    trips of a transaction (psycopg sends BEGIN before a transaction's first statement, and the
    pool rolls back at return): a one-query read is one round trip instead of three.

    What a reader sees is unchanged: under READ COMMITTED, PostgreSQL's level here, each
    statement takes its own snapshot inside a transaction too. A read that must plan without
    parallel workers opens `serial_reading(sf)` instead. Anything but a query is refused before
    it is sent (`ReadingSessionWrote`), on SQLite as on PostgreSQL, so a change can never lose
    its transaction by being sent here. SQLite's driver begins a transaction only at the first
    change, so there its queries were one statement each already."""
    bind = sf.kw.get("bind")
    if not isinstance(bind, Engine):
        return sf()
    return sf(bind=_reading_engine(bind))


def count_rows(sf: SessionFactory) -> dict[str, int]:
    """Rows per table of the schema (tests check that a refusal wrote nothing)."""
    with sf() as session:
        return {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in sorted(metadata.tables.items())
        }
