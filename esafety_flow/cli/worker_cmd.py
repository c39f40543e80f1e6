"""`esafety worker`: serve the alert flows on their schedules (Prefect)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["worker"]


def worker(
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Default: ESAFETY_DATABASE_URL.")
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Print the schedules and exit without serving.")
    ] = False,
) -> None:
    """Serve the sweep (every 15 minutes), delivery (every minute) and the managers' digest
    (08:00 on weekdays), all Europe/London, until interrupted.

    Without PREFECT_API_URL a local Prefect server is started for as long as the worker runs
    (ESAFETY_PREFECT_HOME, default ./.prefect-server; ESAFETY_PREFECT_PORT, default a free port)."""
    import os

    from esafety_flow.flows.telemetry import telemetry_off

    telemetry_off()  # before anything imports Prefect
    from esafety_flow.settings import Settings
    from esafety_flow.worker import (
        LONDON_TZ,
        LocalServerError,
        port_is_free,
        run_worker,
        schedules,
        validate_schedules,
    )

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    problems = validate_schedules(settings)
    if settings.prefect_port and not show and not port_is_free(settings.prefect_port):
        problems.append(f"ESAFETY_PREFECT_PORT: port {settings.prefect_port} is already in use")
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    for name, cron in schedules(settings).items():
        typer.echo(f"{name}\t{cron}\t{LONDON_TZ}")
    if show:
        return
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.flows import use_app

    app = bootstrap(settings)  # migrates the database before serving
    use_app(app)
    if database_url is not None:
        os.environ["ESAFETY_DATABASE_URL"] = database_url  # flow runs are child processes
    try:
        run_worker(settings, announce=typer.echo)
    except LocalServerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        app.close()
