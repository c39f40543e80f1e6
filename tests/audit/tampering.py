"""What an attacker who owns the tables does: lift the log's append-only triggers, change rows
with plain SQL, put the triggers back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine

__all__ = ["as_table_owner", "seq_rows"]

_SQLITE_TRIGGERS = ("case_events_no_update", "case_events_no_delete")
_MESSAGE = "case_events is append-only: UPDATE and DELETE are refused"


@contextmanager
def as_table_owner(engine: Engine) -> Iterator[Connection]:
    """A connection on which UPDATE and DELETE of `case_events` pass, in one transaction."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE case_events DISABLE TRIGGER USER")
            yield conn
            conn.exec_driver_sql("ALTER TABLE case_events ENABLE TRIGGER USER")
            return
        for name in _SQLITE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        yield conn
        for operation in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER case_events_no_{operation.lower()} BEFORE {operation} "
                f"ON case_events BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )


def seq_rows(conn: Connection, case_id: int) -> list[Any]:
    return list(
        conn.exec_driver_sql(
            f"SELECT seq, prev_hash, hash FROM case_events WHERE case_id = {int(case_id)} "
            "ORDER BY seq"
        )
    )
