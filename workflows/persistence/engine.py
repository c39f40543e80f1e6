"""Engines and session factories for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from workflows.persistence.tables import metadata

__all__ = ["SessionFactory", "count_rows", "make_engine", "make_session_factory"]

SessionFactory = sessionmaker[Session]


def make_engine(url: str, *, echo: bool = False, pool_size: int | None = None) -> Engine:
    """An engine for `url`.

    SQLite: foreign keys on and, for a file, write-ahead logging (both per connection, set in a
    connect listener); `sqlite:///:memory:` (or an empty path) shares one connection (StaticPool)
    so that every session sees the same database. PostgreSQL: `postgresql+psycopg://...`, with
    `pool_size` connections kept open when given (a web server sizes it for its concurrency).

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
        return create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True, **pool)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql+psycopg://")


def make_session_factory(engine: Engine) -> SessionFactory:
    """A session factory; services open one transaction each with `factory.begin()`."""
    return sessionmaker(engine, expire_on_commit=False)


def count_rows(sf: SessionFactory) -> dict[str, int]:
    """Rows per table of the schema (tests check that a refusal wrote nothing)."""
    with sf() as session:
        return {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in sorted(metadata.tables.items())
        }
