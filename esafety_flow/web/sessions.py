"""Browser sessions kept on the server (DESIGN 9), and the CSRF tokens of the forms.

- The cookie `esafety_session` holds only a random session id (256 bits from `secrets`); the
  `sessions` table stores its SHA-256 (`workflows.accounts`). It is set once, at sign-in
  (HttpOnly, SameSite=Lax, Path=/, Secure behind HTTPS, Max-Age the absolute limit), and never
  re-issued: using the session moves its idle limit on the server, never its absolute one.
- A session ends on sign-out (a copy of the cookie then opens nothing), after the idle limit
  (default 30 minutes), at the absolute limit (default 10 hours), and when its user's password
  changes or the user is deactivated.
- Every form of a signed-in page carries the session's CSRF token (stored with the session).
  Before sign-in there is no session: the sign-in form's token is a random nonce, held in the
  cookie `esafety_signin` and carried in the form signed with the secret key (itsdangerous,
  valid for an hour); the POST must bring both.
- The sign-in throttle counts by keyed hashes (HMAC-SHA256 with the secret key) of the typed
  username and of the client address, never the values themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from itsdangerous import BadSignature, TimestampSigner
from starlette.responses import Response

from esafety_flow.web.context import WebContext
from workflows import accounts, queries
from workflows.accounts import SessionRecord
from workflows.queries import UserGrants

__all__ = [
    "SESSION_COOKIE",
    "SIGN_IN_COOKIE",
    "BrowserSession",
    "apply_cookies",
    "begin",
    "csrf_matches_request",
    "csrf_token",
    "current",
    "finish",
    "throttle_key",
]

SESSION_COOKIE = "esafety_session"
SIGN_IN_COOKIE = "esafety_signin"
SIGN_IN_TOKEN_MAX_AGE = 3600
_UNSET = object()


@dataclass(frozen=True)
class BrowserSession:
    key: str
    record: SessionRecord
    user: UserGrants
    """The session's user and the teams they manage, read with the session."""


def _ctx(request: Request) -> WebContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, WebContext)
    return ctx


def current(request: Request) -> BrowserSession | None:
    """The live session of this request's cookie (looked up once per request)."""
    cached = getattr(request.state, "esafety_session", _UNSET)
    if cached is not _UNSET:
        assert cached is None or isinstance(cached, BrowserSession)
        return cached
    found: BrowserSession | None = None
    key = request.cookies.get(SESSION_COOKIE)
    if key and len(key) <= 100:
        ctx = _ctx(request)
        live = accounts.find_live_session(
            ctx.session_factory, key, at=ctx.clock.now(), idle=ctx.session_idle
        )
        if live is not None:
            found = BrowserSession(key, live.record, live.user)
    request.state.esafety_session = found
    return found


def _signer(ctx: WebContext) -> TimestampSigner:
    return TimestampSigner(ctx.secret_key, salt="esafety-flow sign-in form")


def csrf_token(request: Request) -> str:
    """The token the page's forms carry: the session's, or before sign-in the signed nonce of
    the sign-in cookie (a new nonce is set on the response by `apply_cookies`)."""
    session = current(request)
    if session is not None:
        return session.record.csrf_token
    nonce = request.cookies.get(SIGN_IN_COOKIE) or getattr(request.state, "sign_in_nonce", None)
    if not nonce or len(nonce) > 100:
        nonce = secrets.token_urlsafe(32)
        request.state.sign_in_nonce = nonce
    return _signer(_ctx(request)).sign(nonce).decode("ascii")


def csrf_matches_request(request: Request, given: str | None) -> bool:
    """Whether a posted token is this session's (or, before sign-in, the sign-in cookie's)."""
    if not given or len(given) > 300:
        return False
    session = current(request)
    if session is not None:
        return hmac.compare_digest(session.record.csrf_token.encode(), given.encode())
    nonce = request.cookies.get(SIGN_IN_COOKIE)
    if not nonce:
        return False
    try:
        signed = _signer(_ctx(request)).unsign(given, max_age=SIGN_IN_TOKEN_MAX_AGE)
    except BadSignature:
        return False
    return hmac.compare_digest(signed, nonce.encode())


def apply_cookies(request: Request, response: Response) -> Response:
    """Set the sign-in cookie on `response` when this request made a new nonce."""
    nonce = getattr(request.state, "sign_in_nonce", None)
    if nonce is not None and current(request) is None:
        ctx = _ctx(request)
        response.set_cookie(
            SIGN_IN_COOKIE,
            nonce,
            max_age=SIGN_IN_TOKEN_MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=ctx.secure_cookies,
            path="/",
        )
    return response


def begin(request: Request, response: Response, user_id: int) -> SessionRecord:
    """Sign in: a new session (any session this browser had ends first: no fixation), its
    cookie set once on `response`."""
    ctx = _ctx(request)
    now = ctx.clock.now()
    old = current(request)
    if old is not None:
        accounts.end_session(ctx.session_factory, old.key, at=now)
    key, record = accounts.start_session(
        ctx.session_factory, user_id=user_id, at=now, absolute=ctx.session_absolute
    )
    response.set_cookie(
        SESSION_COOKIE,
        key,
        max_age=int(ctx.session_absolute.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=ctx.secure_cookies,
        path="/",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    user = queries.user_with_grants(ctx.session_factory, user_id=user_id)
    assert user is not None  # the user who has just signed in
    request.state.esafety_session = BrowserSession(key, record, user)
    return record


def finish(request: Request, response: Response) -> int | None:
    """Sign out: end this browser's session on the server (everywhere its cookie is used) and
    clear the cookie; returns the user's id, or None when there was no live session."""
    ctx = _ctx(request)
    key = request.cookies.get(SESSION_COOKIE)
    user_id = None
    if key and len(key) <= 100:
        user_id = accounts.end_session(ctx.session_factory, key, at=ctx.clock.now())
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    request.state.esafety_session = None
    return user_id


def throttle_key(ctx: WebContext, kind: str, value: str) -> str:
    """A keyed hash (HMAC-SHA256, hex) naming a username or client address for the throttle."""
    return hmac.new(
        ctx.secret_key.encode("utf-8"), f"{kind}:{value}".encode(), hashlib.sha256
    ).hexdigest()
