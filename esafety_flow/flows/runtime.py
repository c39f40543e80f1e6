"""The app the flows work on: set by the worker or a test, otherwise built on first use."""

from __future__ import annotations

from esafety_flow.bootstrap import App, bootstrap

__all__ = ["current_app", "use_app"]

_app: App | None = None


def use_app(app: App | None) -> None:
    """Make the flows of this process work on `app` (None: build from settings on next use)."""
    global _app
    _app = app


def current_app() -> App:
    global _app
    if _app is None:
        _app = bootstrap()
    return _app
