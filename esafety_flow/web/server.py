"""How uvicorn serves the app: its HTTP protocol with Nagle's algorithm off on every connection.

With `--workers` above 1, uvicorn binds the listening socket itself with protocol number 0, so
asyncio does not recognise the accepted connections as TCP and leaves Nagle's algorithm on: a
response written in two parts (headers, then body) waits for the client's delayed ACK, and every
response took 40-45 ms (measured: 22 requests/s on one connection against 4,539 with one worker).
Setting TCP_NODELAY on each accepted connection removes the wait (see docs/benchmarks.md, Web)."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HTTP_PROTOCOL", "NoDelayH11Protocol", "set_nodelay"]


def set_nodelay(transport: asyncio.BaseTransport) -> bool:
    """Turn Nagle's algorithm off on a TCP transport; False for any other kind (a Unix socket)."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return True


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with TCP_NODELAY on each connection, whatever bound the socket."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


HTTP_PROTOCOL = f"{__name__}:NoDelayH11Protocol"
"""The `http` setting of `uvicorn.run`."""
