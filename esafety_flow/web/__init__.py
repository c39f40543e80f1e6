"""The web app and JSON API (issue 4): FastAPI, server-rendered GOV.UK Design System pages,
server-side sessions with CSRF tokens, API bearer tokens, role-based access, account management,
the audit trail, security headers and error pages."""

from esafety_flow.web.access import Role, Viewer, can_read_case
from esafety_flow.web.app import SESSION_COOKIE, create_app
from esafety_flow.web.context import DEFAULT_FRONTEND_DIR, WebContext
from esafety_flow.web.security import (
    hash_api_token,
    hash_password,
    new_api_token,
    verify_password,
)

__all__ = [
    "DEFAULT_FRONTEND_DIR",
    "SESSION_COOKIE",
    "Role",
    "Viewer",
    "WebContext",
    "can_read_case",
    "create_app",
    "hash_api_token",
    "hash_password",
    "new_api_token",
    "verify_password",
]
