"""Database fixtures shared by the whole suite.

`database_url` runs a test on SQLite (a temporary file) and on PostgreSQL (test ids `[sqlite]` and
`[postgresql]`). PostgreSQL comes from `ESAFETY_TEST_DATABASE_URL` (e.g.
`postgresql+psycopg://postgres@127.0.0.1:5432/test`); each test gets a fresh schema, dropped
afterwards, and the URL it receives selects that schema (`options=-csearch_path=...`), so any
engine built from it (services, CLI, bootstrap) sees only that test's tables.

`postgres_database_url` is the PostgreSQL case alone (test id `[postgresql]`), for what only
PostgreSQL does (several processes delivering at once, row locks held while sending); a module
that needs `engine` / `session_factory` there too overrides `database_url` with it.

Without `ESAFETY_TEST_DATABASE_URL` the PostgreSQL cases are skipped; with
`ESAFETY_REQUIRE_POSTGRES=1` (CI) a missing or unreachable PostgreSQL fails them instead.

`engine` / `session_factory` give a migrated database at `database_url`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from workflows.persistence import (
    SessionFactory,
    make_engine,
    make_session_factory,
    upgrade,
)

NO_POSTGRES = "ESAFETY_TEST_DATABASE_URL not set: no PostgreSQL"


def _postgres_required() -> bool:
    return os.environ.get("ESAFETY_REQUIRE_POSTGRES", "") == "1"


def _no_postgres(reason: str) -> None:
    if _postgres_required():
        pytest.fail(f"ESAFETY_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _fresh_postgres_schema(base_url: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:
        admin.dispose()
        _no_postgres(f"PostgreSQL at {make_url(base_url)!r} is unreachable: {exc}")
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def _postgres_schema_url() -> Iterator[str]:
    """A fresh schema in `ESAFETY_TEST_DATABASE_URL`, skipped (or failed) without one."""
    base = os.environ.get("ESAFETY_TEST_DATABASE_URL", "")
    if not base:
        _no_postgres(NO_POSTGRES)
    yield from _fresh_postgres_schema(base)


POSTGRESQL = pytest.param("postgresql", marks=pytest.mark.postgres)


@pytest.fixture(params=["sqlite", POSTGRESQL])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'esafety.db'}"
        return
    yield from _postgres_schema_url()


@pytest.fixture(params=[POSTGRESQL])
def postgres_database_url() -> Iterator[str]:
    """An empty PostgreSQL database only: a fresh schema (test id `[postgresql]`)."""
    yield from _postgres_schema_url()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a migrated database."""
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> SessionFactory:
    return make_session_factory(engine)
