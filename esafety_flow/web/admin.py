"""Account management pages (DESIGN 9): an administrator sets passwords, issues, lists and revokes
API tokens and deactivates users; everyone signed in changes their own password.

- `/admin/users` (admin): every user with role, team, status, when the password was set and
  how many live tokens.
- `/admin/users/{id}` (admin): set the password; issue a token (shown once); the user's tokens
  with their last use, each with a revoke button; deactivate.
- `/account/password` (anyone signed in): change your own password (your current one first).

Each change goes through `workflows.accounts` (the password policy, the audit entry, sessions
ended on a password change or deactivation) exactly as `esafety users ...` does.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from esafety_flow.web import sessions
from esafety_flow.web.access import Viewer, can_manage_accounts
from esafety_flow.web.common import (
    Forbidden,
    NotFound,
    NotSignedIn,
    ctx_of,
    form_values,
    load_viewer,
    render,
)
from esafety_flow.web.security import verify_password
from esafety_flow.web.sessions import throttle_key
from workflows import accounts, queries
from workflows.audit import MAX_ID
from workflows.errors import InvalidRecord

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _admin(request: Request) -> Viewer:
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    if not can_manage_accounts(viewer):
        raise Forbidden("account management is for administrators")
    return viewer


def _first(form: dict[str, list[str]], name: str, limit: int = 1000) -> str:
    return (form.get(name) or [""])[0][:limit]


@router.get("/admin/users")
def users_page(request: Request) -> Response:
    viewer = _admin(request)
    sf = ctx_of(request).session_factory
    found = accounts.list_accounts(sf)
    teams = {t.id: t.name for t in queries.list_teams(sf)}
    tokens = accounts.active_token_counts(sf, [a.id for a in found])
    return render(
        request,
        "admin_users.html",
        {
            "title": "Users",
            "active": "users",
            "accounts": found,
            "teams": teams,
            "tokens": tokens,
        },
        viewer=viewer,
    )


def _account_page(
    request: Request,
    viewer: Viewer,
    user_id: int,
    *,
    new_token: str | None = None,
    done: str | None = None,
    error: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    sf = ctx_of(request).session_factory
    account = accounts.account_of(sf, user_id) if 1 <= user_id <= MAX_ID else None
    if account is None:
        raise NotFound(f"no user {user_id}")
    teams = {t.id: t.name for t in queries.list_teams(sf)}
    errors = [{"text": error[1], "href": f"#{error[0]}"}] if error else []
    return render(
        request,
        "admin_user.html",
        {
            "title": f"User {account.username}",
            "active": "users",
            "account": account,
            "team": teams.get(account.team_id) if account.team_id is not None else None,
            "tokens": accounts.list_tokens(sf, user_id),
            "new_token": new_token,
            "done": done,
            "errors": errors,
            "error_for": defaultdict(str, {error[0]: error[1]} if error else {}),
        },
        viewer=viewer,
        status_code=status_code,
    )


@router.get("/admin/users/{user_id}")
def user_page(request: Request, user_id: int, done: str | None = None) -> Response:
    viewer = _admin(request)
    messages = {
        "password": "The password was set. Every session of this user has ended.",
        "revoked": "The token was revoked.",
        "deactivated": "The user was deactivated: their sessions have ended and their tokens "
        "are revoked.",
    }
    return _account_page(request, viewer, user_id, done=messages.get(done or ""))


@router.post("/admin/users/{user_id}/password")
async def set_password(request: Request, user_id: int) -> Response:
    viewer = _admin(request)
    form = await form_values(request)
    ctx = ctx_of(request)
    password = _first(form, "password")
    if password != _first(form, "confirm"):
        return _account_page(
            request,
            viewer,
            user_id,
            error=("confirm", "The two passwords do not match"),
            status_code=400,
        )
    _account_page_exists(request, user_id)
    try:
        accounts.set_password(
            ctx.session_factory,
            user_id=user_id,
            password=password,
            at=ctx.clock.now(),
            by_user_id=viewer.id,
            policy=ctx.password_policy,
        )
    except InvalidRecord as exc:
        return _account_page(
            request, viewer, user_id, error=("password", _sentence(exc)), status_code=400
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=password", status_code=303)


def _account_page_exists(request: Request, user_id: int) -> None:
    sf = ctx_of(request).session_factory
    if not 1 <= user_id <= MAX_ID or accounts.account_of(sf, user_id) is None:
        raise NotFound(f"no user {user_id}")


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


@router.post("/admin/users/{user_id}/tokens")
async def issue_token(request: Request, user_id: int) -> Response:
    """Issue a token: the answer shows it this once (it is not stored, and never shown again)."""
    viewer = _admin(request)
    form = await form_values(request)
    _account_page_exists(request, user_id)
    ctx = ctx_of(request)
    try:
        token, _record = accounts.issue_token(
            ctx.session_factory,
            user_id=user_id,
            name=_first(form, "name", 200),
            at=ctx.clock.now(),
            by_user_id=viewer.id,
        )
    except InvalidRecord as exc:
        return _account_page(
            request, viewer, user_id, error=("token-name", _sentence(exc)), status_code=400
        )
    return _account_page(request, viewer, user_id, new_token=token, status_code=201)


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke")
async def revoke_token(request: Request, user_id: int, token_id: int) -> Response:
    viewer = _admin(request)
    await form_values(request)
    _account_page_exists(request, user_id)
    ctx = ctx_of(request)
    if not 1 <= token_id <= MAX_ID:
        raise NotFound(f"no token {token_id}")
    try:
        accounts.revoke_token(
            ctx.session_factory,
            user_id=user_id,
            token_id=token_id,
            at=ctx.clock.now(),
            by_user_id=viewer.id,
        )
    except InvalidRecord as exc:
        return _account_page(
            request, viewer, user_id, error=("tokens", _sentence(exc)), status_code=400
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=revoked", status_code=303)


@router.post("/admin/users/{user_id}/deactivate")
async def deactivate(request: Request, user_id: int) -> Response:
    viewer = _admin(request)
    await form_values(request)
    _account_page_exists(request, user_id)
    ctx = ctx_of(request)
    if user_id == viewer.id:
        return _account_page(
            request,
            viewer,
            user_id,
            error=("deactivate", "You cannot deactivate your own account"),
            status_code=400,
        )
    try:
        accounts.deactivate_user(
            ctx.session_factory,
            user_id=user_id,
            at=ctx.clock.now(),
            by_user_id=viewer.id,
            calendar_for=ctx.calendar_for,
            policy_for=ctx.policy_for,
        )
    except InvalidRecord as exc:
        return _account_page(
            request, viewer, user_id, error=("deactivate", _sentence(exc)), status_code=400
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=deactivated", status_code=303)


def _own_password_page(
    request: Request, viewer: Viewer, error: tuple[str, str] | None, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "title": "Change your password",
        "errors": [{"text": error[1], "href": f"#{error[0]}"}] if error else [],
        "error_for": defaultdict(str, {error[0]: error[1]} if error else {}),
        "min_length": ctx_of(request).password_policy.min_length,
    }
    return render(request, "account_password.html", context, viewer=viewer, status_code=status_code)


def _password_check_refused(
    request: Request, viewer: Viewer, password_hash: str | None, given: str
) -> Response | None:
    """Check the current password under the sign-in throttle (the same count per username and
    per client address, ESAFETY_SIGN_IN_*): a session in the wrong hands must not try password
    after password here either. A wrong password is a failed sign-in attempt, recorded in the
    audit trail; None when the password is right."""
    ctx = ctx_of(request)
    now = ctx.clock.now()
    username_key = throttle_key(ctx, "username", viewer.username.casefold())
    address_key = throttle_key(ctx, "address", request.client.host if request.client else "-")
    throttle = accounts.sign_in_throttle(
        ctx.session_factory,
        username_key=username_key,
        address_key=address_key,
        at=now,
        window=ctx.sign_in_window,
        max_per_account=ctx.sign_in_max_failures_per_account,
        max_per_address=ctx.sign_in_max_failures_per_address,
    )
    where = "/account/password"
    if throttle.blocked:
        assert throttle.until is not None
        accounts.record_sign_in(
            ctx.session_factory,
            at=now,
            outcome="throttled",
            username_key=username_key,
            address_key=address_key,
            user_id=viewer.id,
            throttled_by=throttle.reason,
            where=where,
        )
        minutes = max(1, -(-int((throttle.until - now).total_seconds()) // 60))
        message = (
            "There have been too many failed attempts to enter your password. "
            f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again"
        )
        response = _own_password_page(request, viewer, ("current", message), 429)
        response.headers["Retry-After"] = str(minutes * 60)
        return response
    if verify_password(password_hash, given):
        return None
    accounts.record_sign_in(
        ctx.session_factory,
        at=now,
        outcome="wrong_password",
        username_key=username_key,
        address_key=address_key,
        user_id=viewer.id,
        where=where,
    )
    return _own_password_page(
        request, viewer, ("current", "Your current password is not correct"), 400
    )


@router.get("/account/password")
def own_password_page(request: Request) -> Response:
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    return _own_password_page(request, viewer, None)


@router.post("/account/password")
async def change_own_password(request: Request) -> Response:
    """Change your own password: your current one first. Every session of yours ends, this one
    too: sign in again with the new password."""
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    form = await form_values(request)
    ctx = ctx_of(request)
    user = queries.user_by_id(ctx.session_factory, viewer.id, with_password_hash=True)
    assert user is not None
    refused = _password_check_refused(request, viewer, user.password_hash, _first(form, "current"))
    if refused is not None:
        return refused
    password = _first(form, "password")
    if password != _first(form, "confirm"):
        return _own_password_page(
            request, viewer, ("confirm", "The two passwords do not match"), 400
        )
    try:
        accounts.set_password(
            ctx.session_factory,
            user_id=viewer.id,
            password=password,
            at=ctx.clock.now(),
            by_user_id=viewer.id,
            policy=ctx.password_policy,
        )
    except InvalidRecord as exc:
        return _own_password_page(request, viewer, ("password", _sentence(exc)), 400)
    response = RedirectResponse("/sign-in", status_code=303)
    sessions.finish(request, response)
    return response
