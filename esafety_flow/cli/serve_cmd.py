"""`esafety serve` and `esafety demo`: the web app and API on the configured database."""

from __future__ import annotations

import os
import secrets
import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from esafety_flow.bootstrap import App
    from esafety_flow.web import WebContext

__all__ = ["app_from_environment", "demo", "run_server", "serve", "web_context"]


def web_context(app: App) -> WebContext:
    """The web app's view of the bootstrapped service."""
    from datetime import timedelta

    from esafety_flow.web import DEFAULT_FRONTEND_DIR, WebContext
    from workflows.accounts import PasswordPolicy

    if not (DEFAULT_FRONTEND_DIR / "govuk-frontend").is_dir():
        typer.echo(
            "warning: node_modules/govuk-frontend is missing: run ./dev setup (npm ci) "
            "for the page styles",
            err=True,
        )
    return WebContext(
        session_factory=app.session_factory,
        clock=app.clock,
        region=app.region,
        policy=app.policy,
        calendar_for=app.calendar_for,
        policy_for=app.policy_for,
        secret_key=app.settings.secret_key or secrets.token_urlsafe(32),
        secure_cookies=app.settings.secure_cookies,
        closures_enabled=app.settings.closure_days_enabled,
        base_url=app.settings.base_url,
        mail_from=app.settings.mail_from,
        session_idle=timedelta(minutes=app.settings.session_idle_minutes),
        session_absolute=timedelta(hours=app.settings.session_absolute_hours),
        sign_in_window=timedelta(minutes=app.settings.sign_in_window_minutes),
        sign_in_max_failures_per_account=app.settings.sign_in_max_failures_per_account,
        sign_in_max_failures_per_address=app.settings.sign_in_max_failures_per_address,
        password_policy=PasswordPolicy(min_length=app.settings.password_min_length),
        max_request_bytes=app.settings.max_request_bytes,
        metrics_enabled=app.settings.metrics_enabled,
    )


WEB_POOL_SIZE = 20
"""PostgreSQL connections kept open per server process: one per concurrent request at 20
concurrent users (the default pool keeps 5 and opens and closes the rest on every request)."""


def app_from_environment() -> FastAPI:
    """The app over the database of ESAFETY_* (the uvicorn factory of each worker process;
    `run_server` has migrated the database already)."""
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.web import create_app

    # pages' queries take milliseconds: parallel workers would cost more than they save
    return create_app(
        web_context(bootstrap(migrate=False, pool_size=WEB_POOL_SIZE, parallel_query=False))
    )


def run_server(
    host: str,
    port: int,
    *,
    workers: int = 1,
    database_url: str | None = None,
    access_log: bool = True,
) -> None:
    """Migrate the database if needed and serve until interrupted, in `workers` processes."""
    import uvicorn

    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.logging import logging_config
    from esafety_flow.web.server import HTTP_PROTOCOL

    if database_url is not None:
        os.environ["ESAFETY_DATABASE_URL"] = database_url
    # every worker must sign the sign-in form and key the sign-in throttle with the same key
    os.environ.setdefault("ESAFETY_SECRET_KEY", secrets.token_urlsafe(32))
    app = bootstrap()  # migrate once, before the workers start
    settings = app.settings
    app.close()
    typer.echo(f"esafety-flow on http://{host}:{port}/ (API docs at /api/docs)")
    # access logs carry method, path (no query string) and status; the client address only when
    # ESAFETY_LOG_CLIENT_ADDRESS is set; exceptions without their messages (esafety_flow.logging)
    uvicorn.run(
        "esafety_flow.cli.serve_cmd:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # TCP_NODELAY on every connection: without it, several workers answered in 45 ms each
        http=HTTP_PROTOCOL,
        log_level="info",
        log_config=logging_config(
            log_format=settings.log_format, client_address=settings.log_client_address
        ),
        access_log=access_log,
        server_header=False,
    )


Host = Annotated[str, typer.Option(help="interface to listen on")]
Port = Annotated[int, typer.Option(min=1, max=65535, help="TCP port")]
Workers = Annotated[int, typer.Option(min=1, max=64, help="server processes")]


AccessLog = Annotated[
    bool, typer.Option("--access-log/--no-access-log", help="log each request (method, path)")
]


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Workers = 1,
    access_log: AccessLog = True,
) -> None:
    """Serve the web app and JSON API on the configured database (ESAFETY_DATABASE_URL).

    In production run one worker per core (`--workers 2` on a 2-core machine; see
    docs/benchmarks.md, Web)."""
    run_server(host, port, workers=workers, access_log=access_log)


def demo(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    load_only: Annotated[
        bool, typer.Option("--load-only", help="load the demo data, do not serve")
    ] = False,
) -> None:
    """Reset the demo database, load about fifty cases, print the sign-in details and serve."""
    from esafety_flow.demo import DEMO_DATABASE, demo_settings, load_demo

    try:
        accounts = load_demo()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    typer.echo(f"Demo data loaded into {DEMO_DATABASE} (rebuilt on every run). Sign in with:")
    for username, role, password in accounts.users:
        typer.echo(f"  username {username:<8} password {password}   ({role})")
    typer.echo("API tokens for /api/v1, issued now (new ones on every run):")
    for username, token in accounts.tokens.items():
        typer.echo(f"  {username:<8} {token}")
    if not load_only:
        run_server(host, port, database_url=demo_settings().database_url)
