"""Real servers for notification tests: an SMTP server (aiosmtpd) and an HTTP server
(http.server in a thread), each on a free local port, recording what they accepted; and an SMTP
server that accepts connections and then stalls (a raw socket server), for the time limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

__all__ = [
    "HttpSink",
    "SmtpSink",
    "StallingSmtp",
    "free_port",
    "smtp_server",
    "webhook_server",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        sink = self.sink
        with sink.lock:
            sink.busy += 1
            sink.most_at_once = max(sink.most_at_once, sink.busy)
        if sink.delay:
            await asyncio.sleep(sink.delay)
        with sink.lock:
            sink.busy -= 1
            sink.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1; `stop()` / `start()` take it down and bring it back;
    with `delay`, each message takes that long to be accepted."""

    def __init__(self, port: int | None = None, *, delay: float = 0.0) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.delay = delay
        """Seconds each message takes to be accepted (a slow server)."""
        self.busy = 0
        self.most_at_once = 0
        """The most messages the server was receiving at one time."""
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


class HttpSink:
    """A threaded HTTP server recording JSON POST bodies; `status` is what it answers."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                status = sink.status
                if status < 300:
                    sink.bodies.append(body)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"unavailable")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class StallingSmtp:
    """A server that accepts each connection and then stops answering: at once (`at="greeting"`:
    no 220 greeting) or once the message's DATA has been sent (`at="data"`: it greets, answers
    EHLO, MAIL and RCPT, then never answers the end of DATA). `connections` counts the
    connections it accepted and `messages` the DATAs it swallowed."""

    def __init__(self, at: str = "data") -> None:
        if at not in ("greeting", "data"):
            raise ValueError(f"stall at greeting or data, not {at!r}")
        self.at = at
        self.connections = 0
        self.messages = 0
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []

    def start(self) -> None:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(None)  # blocking; `stop` shuts the connection down to end a read
        with conn:
            if self.at == "data":
                self._talk(conn)
            self._stop.wait()  # stall until the test ends

    def _talk(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"220 stalling.test ESMTP\r\n")
        in_data = False
        while not self._stop.is_set():
            try:
                line = reader.readline()
            except OSError:
                return
            if not line:
                return
            if in_data:
                if line in (b".\r\n", b".\n"):
                    self.messages += 1
                    return  # the end of DATA: never answered
                continue
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 stalling.test\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                in_data = True
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 OK\r\n")


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def webhook_server() -> Iterator[HttpSink]:
    sink = HttpSink()
    sink.start()
    yield sink
    sink.stop()
