"""What the web app needs from the service: built by `esafety_flow.bootstrap`, passed to
`create_app`. Tests build one over a test database and a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from calendars import Clock, Region, WorkingDayCalendar
from states import Policy
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
