"""A scratch PostgreSQL schema for a benchmark, so that it never touches the tables of the
database it is given.

The database is ``ESAFETY_BENCH_DATABASE_URL``, or ``ESAFETY_TEST_DATABASE_URL`` when the first
is not set (`postgres_url`; `required_postgres_url` stops the benchmark with `SystemExit` saying
what to set when neither names a PostgreSQL database). `scratch_schema(base)` creates a fresh
schema there, yields a URL that selects it (``options=-csearch_path=...``), so that every engine
and process built from that URL sees only the benchmark's tables, and drops the schema with all
it holds afterwards, also when the benchmark fails.

The scripts import it as ``from scratch import ...``: run as ``.venv/bin/python bench/X.py``,
their folder is the first entry of ``sys.path``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

__all__ = ["postgres_url", "required_postgres_url", "scratch_schema"]

NO_POSTGRES = (
    "set ESAFETY_BENCH_DATABASE_URL (or ESAFETY_TEST_DATABASE_URL) to a PostgreSQL database, "
    "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_url() -> str | None:
    """The database the benchmarks may use, or None when neither variable is set."""
    return os.environ.get("ESAFETY_BENCH_DATABASE_URL") or os.environ.get(
        "ESAFETY_TEST_DATABASE_URL"
    )


def required_postgres_url() -> str:
    """The PostgreSQL database the benchmarks may use; `SystemExit` saying what to set when
    there is none."""
    base = postgres_url()
    if not base or not base.startswith("postgresql"):
        raise SystemExit(NO_POSTGRES)
    return base


def _admin(base: str, statement: str) -> None:
    """Run one statement on `base` in a connection of its own, closed at once (no connection of
    the benchmark's own is held open while it runs)."""
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(statement)
    finally:
        admin.dispose()


@contextmanager
def scratch_schema(base: str) -> Iterator[str]:
    """A fresh schema in the database `base`: yields a URL that selects it, drops it (and all it
    holds) afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    _admin(base, f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        _admin(base, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
