"""How `esafety serve` runs uvicorn: Nagle's algorithm off on every connection (several workers
answered in 45 ms each without it), the access log switch, and a connection pool sized for 20
concurrent requests on PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest

from esafety_flow.cli import serve_cmd
from esafety_flow.web import server
from esafety_flow.web.server import HTTP_PROTOCOL, set_nodelay


class _Transport(asyncio.Transport):
    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._sock if name == "socket" else default


def test_nodelay_is_set_on_a_tcp_connection_accepted_from_a_protocol_zero_socket() -> None:
    # uvicorn's multi-worker mode binds like this (protocol 0): asyncio then leaves Nagle on
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    with listener, socket.create_connection(listener.getsockname()):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            assert set_nodelay(_Transport(accepted)) is True
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_nodelay_leaves_a_unix_socket_alone() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert set_nodelay(_Transport(left)) is False


def test_the_protocol_named_for_uvicorn_is_the_nodelay_httptools_one() -> None:
    # httptools is a dependency: the C parser serves, h11 only where it is missing
    module, _, name = HTTP_PROTOCOL.partition(":")
    named = getattr(__import__(module, fromlist=[name]), name)
    assert named is server.NoDelayHttpToolsProtocol


@pytest.mark.parametrize("protocol", ["NoDelayHttpToolsProtocol", "NoDelayH11Protocol"])
def test_each_protocol_sets_nodelay_when_a_connection_is_made(protocol: str) -> None:
    import uvicorn
    from uvicorn.server import ServerState

    config = uvicorn.Config(app=lambda *a: None)
    config.load()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    loop = asyncio.new_event_loop()
    try:
        with listener, socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                made = getattr(server, protocol)(config, ServerState(), config.lifespan_class, loop)
                made.connection_made(_Transport(accepted))
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        loop.close()


def test_run_server_migrates_once_and_passes_the_protocol_and_workers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: seen.update(kw, target=target))
    monkeypatch.setenv("ESAFETY_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("ESAFETY_SECRET_KEY", "k" * 32)  # run_server sets it for its workers
    serve_cmd.run_server("127.0.0.1", 8123, workers=2, access_log=False)
    assert seen["http"] == HTTP_PROTOCOL
    assert seen["workers"] == 2
    assert seen["access_log"] is False
    assert seen["factory"] is True
    assert (tmp_path / "serve.db").exists()  # migrated before the workers start


def test_each_server_process_keeps_a_pool_for_20_requests(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESAFETY_DATABASE_URL", database_url)
    monkeypatch.setenv("ESAFETY_SECRET_KEY", "k" * 32)
    app = serve_cmd.app_from_environment()
    engine = app.state.ctx.session_factory.kw["bind"]
    if database_url.startswith("postgresql"):
        assert engine.pool.size() == serve_cmd.WEB_POOL_SIZE
        with engine.connect() as conn:  # pages plan without parallel workers
            workers = conn.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar()
        assert workers == "0"
    else:
        assert engine.dialect.name == "sqlite"
    engine.dispose()
