"""What the web app needs from the service: built by `esafety_flow.bootstrap`, passed to
`create_app`. Tests build one over a test database and a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from calendars import Clock, Region, WorkingDayCalendar
from states import Policy
from workflows.accounts import PasswordPolicy
from workflows.persistence import SessionFactory

__all__ = ["DEFAULT_FRONTEND_DIR", "WebContext"]

DEFAULT_FRONTEND_DIR = Path(__file__).resolve().parents[2] / "node_modules"
"""Where `npm ci` (run by `./dev setup`) puts govuk-frontend and axe-core."""


@dataclass(frozen=True)
class WebContext:
    session_factory: SessionFactory
    clock: Clock
    region: Region
    policy: Policy
    calendar_for: Callable[[Region], WorkingDayCalendar]
    policy_for: Callable[[str], Policy]
    secret_key: str
    closures_enabled: bool = False
    secure_cookies: bool = False
    frontend_dir: Path = DEFAULT_FRONTEND_DIR
    base_url: str = "http://127.0.0.1:8000"
    """Where links in emails point (ESAFETY_BASE_URL)."""
    mail_from: str = "esafety-flow@localhost"
    """The sender of emails the web app queues (ESAFETY_MAIL_FROM)."""
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=10)
    sign_in_window: timedelta = timedelta(minutes=15)
    sign_in_max_failures_per_account: int = 5
    sign_in_max_failures_per_address: int = 20
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    max_request_bytes: int = 1_048_576
    swagger_dir: Path | None = None
    """Where swagger-ui-dist is (default: `frontend_dir / "swagger-ui-dist"`)."""
    metrics_enabled: bool = True
    """Whether `/metrics` answers (ESAFETY_METRICS_ENABLED)."""
