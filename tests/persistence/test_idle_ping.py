"""PostgreSQL connections are pinged at checkout only after idling in the pool
(`engine._ping_when_idle`): none under load, and an idle connection the server has dropped is
replaced before any statement runs on it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from workflows.persistence import engine as engine_module
from workflows.persistence import make_engine


def _pings(monkeypatch: pytest.MonkeyPatch, eng: Any) -> list[int]:
    seen: list[int] = []
    ping = eng.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        seen.append(1)
        result: bool = ping(dbapi_connection)
        return result

    monkeypatch.setattr(eng.dialect, "do_ping", counted)
    return seen


def _backend_pid(eng: Any) -> int:
    with eng.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_in_use_is_not_pinged(
    postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    eng = make_engine(postgres_database_url, pool_size=2)
    pings = _pings(monkeypatch, eng)
    try:
        pids = {_backend_pid(eng) for _ in range(20)}
        assert pings == []
        assert len(pids) == 1  # the same pooled connection each time
    finally:
        eng.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    eng = make_engine(postgres_database_url, pool_size=2)
    pings = _pings(monkeypatch, eng)
    admin = create_engine(postgres_database_url)
    try:
        first = _backend_pid(eng)
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
        second = _backend_pid(eng)  # no error: the ping found it dead
        assert second != first
        assert len(pings) == 1
        assert _backend_pid(eng) == second  # alive: pinged again (idle 0 s) and kept
        assert len(pings) == 2
    finally:
        eng.dispose()
        admin.dispose()
