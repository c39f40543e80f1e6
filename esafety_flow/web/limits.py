"""A bound on request bodies (DESIGN 9: sizes are bounded), as a pure ASGI middleware.

A body larger than the limit (ESAFETY_MAX_REQUEST_BYTES, default 1 MiB) is refused with 413 and
the reason, before the handler sees any of it: at once when `Content-Length` says so, and as soon
as a streamed (chunked) body passes the limit otherwise. The refusal is raised from the body's
`receive` as an `HTTPException`, so the app's handlers answer it (a GOV.UK error page for the
pages, JSON under `/api`) and nothing is written.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "BodyTooLarge"]


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413, detail=f"the request body is larger than the limit of {limit:,} bytes"
        )


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                text = value.decode("latin-1").strip()
                declared = int(text) if text.isdigit() and len(text) <= 18 else -1
        limit = self.max_bytes
        seen = 0

        async def bounded_receive() -> Message:
            nonlocal seen
            if declared is not None and (declared > limit or declared < 0):
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, bounded_receive, send)
