"""`esafety alerts ...`: the alert outbox without Prefect, for plain cron.

esafety alerts deliver [--channel email|webhook]   send what is pending (exit 1 if any failed),
                                                   with the pending digests and deadline notices
esafety alerts status                              deliveries per channel and status
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(help="The alert outbox: delivery by email and webhook.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Default: ESAFETY_DATABASE_URL.")
]


@app.command("deliver")
def deliver(
    channel: Annotated[
        list[str] | None,
        typer.Option(
            "--channel", help="email or webhook (repeatable); default: every enabled one."
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Send the pending alerts once; failures stay pending with their error for the next run."""
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.notify import jobs
    from esafety_flow.settings import Settings

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    for name in channel or ():
        if name not in ("email", "webhook"):
            typer.echo(f"error: --channel {name!r}: expected email or webhook", err=True)
            raise typer.Exit(2)
        if name == "webhook" and not settings.webhook_url:
            typer.echo("error: --channel webhook: ESAFETY_WEBHOOK_URL is not set", err=True)
            raise typer.Exit(2)
    app = bootstrap(settings)
    failed = 0
    try:
        jobs.queue(app)
        for name in channel or jobs.enabled_channels(app):
            report = jobs.deliver(app, name)
            failed += len(report.failed)
            typer.echo(f"{name}: {len(report.delivered)} delivered, {len(report.failed)} failed")
            for alert_id, error in sorted(report.failed.items())[:10]:
                typer.echo(f"  alert {alert_id}: {error}", err=True)
        if jobs.enabled_channels(app).count("email"):
            # digests and deadline-moved notices that an earlier pass could not send
            notices = jobs.deliver_pending_notices(app)
            failed += len(notices.failed)
            if notices.delivered or notices.failed:
                typer.echo(
                    f"notices: {len(notices.delivered)} delivered, {len(notices.failed)} failed"
                )
            for (kind, label), error in sorted(notices.failed.items())[:10]:
                typer.echo(f"  {kind} {label}: {error}", err=True)
    finally:
        app.close()
    if failed:
        raise typer.Exit(1)


@app.command("status")
def status(database_url: DatabaseUrl = None) -> None:
    """Deliveries per channel and status."""
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.settings import Settings
    from workflows.delivery import delivery_counts

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    app = bootstrap(settings)
    try:
        counts = delivery_counts(app.session_factory)
    finally:
        app.close()
    if not counts:
        typer.echo("no deliveries")
    for (name, state), n in sorted(counts.items()):
        typer.echo(f"{name}\t{state}\t{n}")
