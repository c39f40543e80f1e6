"""`esafety deploy`: register the alert flows' deployments on the Prefect work pool, once per
release (`esafety_flow.deploy`)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["deploy"]


def deploy(
    show: Annotated[
        bool, typer.Option("--show", help="Print what would be registered and exit.")
    ] = False,
) -> None:
    """Create the process work pool (ESAFETY_WORK_POOL, default esafety) if it is missing and
    create or update the deployments on it, with their schedules in Europe/London. Running it
    again leaves the same deployments. Needs PREFECT_API_URL (the Prefect server); the workers
    (`esafety worker` or `prefect worker start --pool esafety`) then run the flow runs."""
    from esafety_flow.flows.telemetry import telemetry_off

    telemetry_off()  # before anything imports Prefect
    from esafety_flow.deploy import (
        DEPLOYMENTS,
        LONDON_TZ,
        DeployError,
        register,
        schedules,
        validate_schedules,
    )
    from esafety_flow.settings import Settings

    settings = Settings()
    problems = validate_schedules(settings)
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    crons = schedules(settings)

    def line(name: str) -> str:
        cron = crons.get(name)
        return f"{name}\t{cron}\t{LONDON_TZ}" if cron else f"{name}\tno schedule (run on demand)"

    if show:
        typer.echo(f"work pool {settings.work_pool} (process)")
        for name in DEPLOYMENTS:
            typer.echo(line(name))
        return
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        typer.echo(
            "error: PREFECT_API_URL is not set. Set it to the Prefect server's API "
            "(http://prefect-server:4200/api); on one machine `esafety worker` registers "
            "the deployments itself.",
            err=True,
        )
        raise typer.Exit(2)
    import httpx

    try:
        registered = register(settings)
    except DeployError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except httpx.HTTPError as exc:
        typer.echo(
            f"error: the Prefect server at {PREFECT_API_URL.value()} did not answer "
            f"({type(exc).__name__}); nothing was registered",
            err=True,
        )
        raise typer.Exit(1) from exc
    made = "created" if registered.created_pool else "already there"
    typer.echo(f"work pool {registered.work_pool} (process): {made}")
    for name, deployment_id in registered.deployment_ids.items():
        typer.echo(f"{line(name)}\t{deployment_id}")
    for automation in registered.automations:
        typer.echo(f"automation: {automation}")
