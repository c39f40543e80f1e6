"""The worker: serves the alert flows on their Europe/London schedules (`esafety worker`).

    sweep    every 15 minutes        ESAFETY_SWEEP_CRON   (default "*/15 * * * *")
    deliver  every minute            ESAFETY_DELIVER_CRON (default "* * * * *")
    digest   08:00 on weekdays       ESAFETY_DIGEST_CRON  (default "0 8 * * 1-5")

Cron knows the clock changes (the schedules carry `timezone="Europe/London"`) but not bank
holidays: the digest flow asks the calendar and does nothing on a non-working day. A run that
starts late still judges the moment it was scheduled for (`run_moment`).

Prefect's telemetry is turned off before Prefect is imported. Without `PREFECT_API_URL`, serving
starts a temporary local Prefect server (single machine); in production point `PREFECT_API_URL` at
a Prefect server (on PostgreSQL) and run one worker per machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esafety_flow.flows.telemetry import telemetry_off
from esafety_flow.settings import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

__all__ = ["LONDON_TZ", "deployments", "run_worker", "schedules", "validate_schedules"]

LONDON_TZ = "Europe/London"


def schedules(settings: Settings) -> dict[str, str]:
    """Deployment name -> cron expression (Europe/London)."""
    return {
        "deadline-sweep": settings.sweep_cron,
        "deliver-alerts": settings.deliver_cron,
        "manager-digest": settings.digest_cron,
    }


def validate_schedules(settings: Settings) -> list[str]:
    """What is wrong with the configured cron expressions (empty: nothing)."""
    telemetry_off()
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    problems: list[str] = []
    for name, cron in schedules(settings).items():
        try:
            CronSchedule(cron=cron, timezone=LONDON_TZ)
        except ValidationError:
            problems.append(f"{name}: invalid cron expression {cron!r}")
    return problems


def deployments(settings: Settings) -> list[RunnerDeployment]:
    """One deployment per flow, each with its cron schedule in Europe/London."""
    telemetry_off()
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron

    from esafety_flow.flows import deadline_sweep, deliver_alerts, manager_digest

    crons = schedules(settings)
    built: list[RunnerDeployment] = []
    for name, flow in (
        ("deadline-sweep", deadline_sweep),
        ("deliver-alerts", deliver_alerts),
        ("manager-digest", manager_digest),
    ):
        deployment = flow.to_deployment(
            name,
            schedule=Cron(crons[name], timezone=LONDON_TZ),
            # one delivery run at a time; the outbox's claims hold even without it
            concurrency_limit=1 if name == "deliver-alerts" else None,
        )
        assert isinstance(deployment, RunnerDeployment)  # called from sync code: not a coroutine
        built.append(deployment)
    return built


def run_worker(settings: Settings) -> None:
    """Serve the deployments until interrupted (blocks)."""
    telemetry_off()
    from prefect import serve

    serve(*deployments(settings))
