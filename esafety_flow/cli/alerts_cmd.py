"""`esafety alerts ...`: the alert outbox without Prefect, for plain cron.

esafety alerts deliver [--channel email|webhook]   send what is pending, with the pending digests
                                                   and deadline notices; exit 1 while anything is
                                                   still pending or held by another run
esafety alerts status                              deliveries per channel and status
esafety alerts archive                             move alerts and notices past the retention
                                                   period (ESAFETY_OUTBOX_RETENTION_DAYS) that
                                                   nothing needs any more to the archive tables
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from esafety_flow.bootstrap import App

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
    """Send the pending alerts once; failures stay pending with their error for the next run.
    SIGTERM (a stopping service manager) lets the messages being sent finish, takes no more,
    and exits 1 with what is left."""
    import signal
    import threading

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
    channels = list(channel or jobs.enabled_channels(app))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        jobs.queue(app)
        for name in channels:
            if stopping.is_set():
                break
            report = jobs.deliver(app, name, stopping=stopping)
            failed += len(report.failed)
            typer.echo(f"{name}: {len(report.delivered)} delivered, {len(report.failed)} failed")
            for alert_id, error in sorted(report.failed.items())[:10]:
                typer.echo(f"  alert {alert_id}: {error}", err=True)
        if jobs.enabled_channels(app).count("email") and not stopping.is_set():
            # digests and deadline-moved notices that an earlier pass could not send
            notices = jobs.deliver_pending_notices(app)
            failed += len(notices.failed)
            if notices.delivered or notices.failed:
                typer.echo(
                    f"notices: {len(notices.delivered)} delivered, {len(notices.failed)} failed"
                )
            for (kind, label), error in sorted(notices.failed.items())[:10]:
                typer.echo(f"  {kind} {label}: {error}", err=True)
        left = _left_over(app, channels, notices="email" in jobs.enabled_channels(app))
    finally:
        app.close()
    for line in left:
        typer.echo(line, err=True)
    if failed or left:
        raise typer.Exit(1)


def _left_over(app: App, channels: list[str], *, notices: bool) -> list[str]:
    """What this run leaves undelivered: the pending rows of its channels and the pending
    notices, naming those another run holds (one running now, or one that was killed: its
    lease must run out before a run takes them over)."""
    from workflows.delivery import Outstanding, outstanding_deliveries, outstanding_notices

    now = app.clock.now()
    found: list[tuple[str, Outstanding]] = [
        (name, outstanding_deliveries(app.session_factory, [name], at=now)) for name in channels
    ]
    if notices:
        found.append(("notices", outstanding_notices(app.session_factory, at=now)))
    lines = []
    for name, left in found:
        if not left.pending:
            continue
        line = f"{name}: {left.pending} still pending"
        if left.held and left.held_until is not None:
            line += (
                f", {left.held} held by another run until "
                f"{left.held_until.strftime('%Y-%m-%d %H:%M:%S')} UTC"
            )
        lines.append(line)
    return lines


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


@app.command("archive")
def archive(database_url: DatabaseUrl = None) -> None:
    """Move the alerts and notices older than the retention period that nothing needs any more
    (delivered, on a deadline no longer open) into the archive tables."""
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.notify import jobs
    from esafety_flow.settings import Settings

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    app = bootstrap(settings)
    try:
        report = jobs.archive(app)
    finally:
        app.close()
    typer.echo(
        f"archived {report.alerts} alerts, {report.deliveries} deliveries and {report.notices} "
        f"notices older than {settings.outbox_retention_days} days"
    )
