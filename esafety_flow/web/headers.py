"""Security headers on every response (DESIGN 9), as a pure ASGI middleware.

- `Content-Security-Policy`: only this site's own scripts, styles, fonts and images, no plugins,
  no framing (`frame-ancestors 'none'`), forms post only here. GOV.UK Frontend's template has one
  inline script (it marks the body `js-enabled`): it carries a per-response nonce (the template's
  `cspNonce`), so no `'unsafe-inline'` is needed. `/api/docs` (Swagger UI) allows, besides its
  local files, the one inline script that starts it, by its SHA-256. JSON answers get
  `default-src 'none'`.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (case ids are in URLs),
  `X-Frame-Options: DENY` for browsers without CSP level 2, `Cross-Origin-Opener-Policy` and
  `Cross-Origin-Resource-Policy: same-origin`, a `Permissions-Policy` switching off what is not
  used.
- `Cache-Control: no-store` on everything but the static assets: every page and API answer
  holds case or personal data, or depends on who is signed in.
- `Strict-Transport-Security` (one year) when secure cookies are on (the service is behind HTTPS).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["STATIC_PREFIXES", "SecurityHeaders", "security_headers"]

STATIC_PREFIXES = ("/assets/", "/govuk/", "/static/", "/swagger/")
"""Mounted asset directories: cacheable, no personal data."""

_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def _page_policy(script_sources: Iterable[str]) -> str:
    scripts = " ".join(["'self'", *script_sources])
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


def security_headers(
    path: str,
    *,
    nonce: str,
    hsts: bool,
    docs_path: str = "/api/docs",
    docs_script_hashes: tuple[str, ...] = (),
) -> dict[str, str]:
    """The security headers of a response to `path`."""
    headers = dict(_COMMON)
    if path == docs_path:
        headers["Content-Security-Policy"] = _page_policy(
            f"'sha256-{h}'" for h in docs_script_hashes
        )
    elif path.startswith("/api/"):
        headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    else:
        headers["Content-Security-Policy"] = _page_policy([f"'nonce-{nonce}'"])
    if not path.startswith(STATIC_PREFIXES):
        headers["Cache-Control"] = "no-store"
    if hsts:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


class SecurityHeaders:
    """Adds `security_headers` to every HTTP response; puts the response's CSP nonce in the
    request state (`request.state.csp_nonce`) for the templates."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts: bool,
        docs_path: str = "/api/docs",
        docs_script_hashes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.docs_path = docs_path
        self.docs_script_hashes = docs_script_hashes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        extra = security_headers(
            scope["path"],
            nonce=nonce,
            hsts=self.hsts,
            docs_path=self.docs_path,
            docs_script_hashes=self.docs_script_hashes,
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
