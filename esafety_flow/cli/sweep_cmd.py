"""`esafety sweep [--as-of ISO]`: one deadline sweep without Prefect, for plain cron.

Produces each alert due at the moment into the outbox exactly once and queues it for delivery
(`esafety alerts deliver` sends them). Prefect is not imported here.

`--as-of` may judge any past moment, but not one further ahead of now than
ESAFETY_SWEEP_MAX_AHEAD_MINUTES (default 15): a sweep of the future would send alerts early and
mark every open deadline's alerts as done. Such a moment is exit status 2 and nothing is written.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["sweep"]


def sweep(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="ISO 8601 instant to judge at (London local time unless it has an offset); "
            "default: now.",
        ),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Default: ESAFETY_DATABASE_URL.")
    ] = None,
) -> None:
    """Run one deadline sweep now (or at --as-of)."""
    from calendars import parse_instant
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.notify import jobs
    from esafety_flow.settings import Settings

    moment = None
    if as_of is not None:
        try:
            moment = parse_instant(as_of)
        except ValueError as exc:
            typer.echo(f"error: --as-of {as_of!r}: {exc}", err=True)
            raise typer.Exit(2) from None
    from datetime import timedelta

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    app = bootstrap(settings)
    try:
        now = app.clock.now()
        ahead = timedelta(minutes=settings.sweep_max_ahead_minutes)
        if moment is not None and moment > now + ahead:
            typer.echo(
                f"error: --as-of {as_of!r}: more than {settings.sweep_max_ahead_minutes} minutes "
                f"ahead of now ({now.isoformat(timespec='minutes')}); a sweep judges the present "
                "or the past (ESAFETY_SWEEP_MAX_AHEAD_MINUTES)",
                err=True,
            )
            raise typer.Exit(2)
        moment = moment if moment is not None else now
        result = jobs.sweep(app, moment)
        queued = jobs.queue(app)
    finally:
        app.close()
    typer.echo(
        f"swept at {moment.isoformat()}: {result.deadlines} deadlines due an alert, "
        f"{result.alerts} new alerts, {queued} deliveries queued"
    )
