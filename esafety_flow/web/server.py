"""How uvicorn serves the app: the fastest HTTP protocol installed, with Nagle's algorithm off on
every connection.

- **Protocol**: httptools (the C parser of Node's llhttp) when it is installed, as it is with
  esafety-flow's dependencies; h11, uvicorn's pure-Python parser, otherwise. The event loop is
  uvicorn's "auto": uvloop when it is installed (not on Windows), asyncio otherwise. Under 20
  closed-loop connections `/healthz` went from 1,600-2,200 to 2,200-3,200 requests a second
  (docs/benchmarks.md, Web).
- **TCP_NODELAY**: with `--workers` above 1, uvicorn binds the listening socket itself with
  protocol number 0, so asyncio does not recognise the accepted connections as TCP and leaves
  Nagle's algorithm on: a response written in two parts (headers, then body) waits for the
  client's delayed ACK, and every response took 40-45 ms (measured: 22 requests/s on one
  connection against 4,539 with one worker). Setting TCP_NODELAY on each accepted connection
  removes the wait, whichever protocol and loop serve it."""

from __future__ import annotations

import asyncio
import importlib.util
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


HAS_HTTPTOOLS = importlib.util.find_spec("httptools") is not None

if HAS_HTTPTOOLS:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class NoDelayHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with TCP_NODELAY on each connection."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            set_nodelay(transport)
            super().connection_made(transport)

    __all__ += ["NoDelayHttpToolsProtocol"]

_SERVING = "NoDelayHttpToolsProtocol" if HAS_HTTPTOOLS else "NoDelayH11Protocol"
HTTP_PROTOCOL = f"{__name__}:{_SERVING}"
"""The `http` setting of `uvicorn.run`."""
