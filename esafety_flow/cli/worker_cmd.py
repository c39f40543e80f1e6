"""`esafety worker`: run one Prefect process worker on the work pool of the alert flows."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["worker"]


def worker(
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Default: ESAFETY_DATABASE_URL.")
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Print the schedules and exit without starting.")
    ] = False,
) -> None:
    """Run the flow runs of the work pool (ESAFETY_WORK_POOL, default esafety) until interrupted:
    the sweep (every 15 minutes), delivery (every minute), the managers' digest (08:00 on
    weekdays) and the nightly census check, all Europe/London.

    With PREFECT_API_URL this starts only the worker: register the deployments once per release
    with `esafety deploy`. Without it (one machine) a local Prefect server is started for as
    long as the worker runs (ESAFETY_PREFECT_HOME, default ./.prefect-server; ESAFETY_PREFECT_PORT,
    default a free port), the database is migrated and the deployments are registered on it."""
    from esafety_flow.flows.telemetry import telemetry_off

    telemetry_off()  # before anything imports Prefect
    from esafety_flow.deploy import LONDON_TZ, DeployError, schedules, validate_schedules
    from esafety_flow.settings import Settings
    from esafety_flow.worker import LocalServerError, port_is_free, run_worker

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
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        # alone on one machine the worker owns the schema, as `esafety serve` does; a flow run
        # never migrates (it checks the revision and stops)
        from esafety_flow.bootstrap import migrate_database

        migrate_database(settings)
    import httpx

    try:
        run_worker(settings, announce=typer.echo)
    except (LocalServerError, DeployError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except httpx.HTTPError as exc:
        typer.echo(
            f"error: the Prefect server at {PREFECT_API_URL.value()} did not answer "
            f"({type(exc).__name__})",
            err=True,
        )
        raise typer.Exit(1) from exc
