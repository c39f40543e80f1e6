"""The deployments of the alert flows on a Prefect process work pool (`esafety deploy`).

    deadline-sweep         every 15 minutes   ESAFETY_SWEEP_CRON        (default "*/15 * * * *")
    deliver-alerts         every minute       ESAFETY_DELIVER_CRON      (default "* * * * *")
    manager-digest         08:00 on weekdays  ESAFETY_DIGEST_CRON       (default "0 8 * * 1-5")
    census-check           01:30 every night  ESAFETY_CENSUS_CHECK_CRON (default "30 1 * * *")
    recalculate-deadlines  no schedule: run with parameters after a calendar change

The schedules are Europe/London (cron follows the clock changes, not bank holidays: the digest
asks the calendar). `register(settings)` creates the work pool (`ESAFETY_WORK_POOL`, default
`esafety`, type process) if it is missing and creates or updates each deployment on it (and
the automation that marks a run whose machine died as crashed), so running it twice leaves the
same deployments: once per release, from any machine that reaches
the Prefect server. The runs then stay scheduled on the server, whichever worker is up; any
worker of the pool (`esafety worker`, or `prefect worker start --pool esafety`) takes them.

Each deployment names its flow by module path (`esafety_flow.flows.definitions.deadline_sweep`):
a worker runs the code installed beside it, no code is copied or pulled. No deployment has a
concurrency limit: a limit is a slot that a run killed mid-way would hold until its lease ran
out, stopping every delivery (issue 13); overlapping delivery runs are safe because each claims
its rows in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from esafety_flow.flows.telemetry import telemetry_off
from esafety_flow.settings import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

__all__ = [
    "DEPLOYMENTS",
    "LONDON_TZ",
    "DeployError",
    "Registered",
    "deployments",
    "ensure_work_pool",
    "register",
    "release",
    "schedules",
    "validate_schedules",
]

LONDON_TZ = "Europe/London"
WORK_POOL_TYPE = "process"

# deployment name -> flow function in esafety_flow.flows.definitions, in the order shown
DEPLOYMENTS: dict[str, str] = {
    "deadline-sweep": "deadline_sweep",
    "deliver-alerts": "deliver_alerts",
    "manager-digest": "manager_digest",
    "census-check": "census_check",
    "recalculate-deadlines": "recalculate_deadlines",
}


class DeployError(RuntimeError):
    """The deployments could not be registered (a work pool of another type, for example)."""


def schedules(settings: Settings) -> dict[str, str]:
    """Scheduled deployment name -> cron expression (Europe/London)."""
    return {
        "deadline-sweep": settings.sweep_cron,
        "deliver-alerts": settings.deliver_cron,
        "manager-digest": settings.digest_cron,
        "census-check": settings.census_check_cron,
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


def release() -> str:
    """This release, as each deployment's version records it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"esafety {version('esafety')}"
    except PackageNotFoundError:  # pragma: no cover - run from a source tree never installed
        return "esafety (not installed)"


def deployments(settings: Settings) -> list[RunnerDeployment]:
    """One deployment per flow on the work pool, with its Europe/London cron schedule (the
    recalculation has none), no concurrency limit and not paused."""
    telemetry_off()
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    from esafety_flow.flows import definitions

    crons = schedules(settings)
    built: list[RunnerDeployment] = []
    for name, function in DEPLOYMENTS.items():
        cron = crons.get(name)
        deployment = getattr(definitions, function).to_deployment(
            name,
            schedule=None if cron is None else Cron(cron, timezone=LONDON_TZ),
            work_pool_name=settings.work_pool,
            entrypoint_type=EntrypointType.MODULE_PATH,
            # set, so that updating a deployment served by an earlier release clears its limit
            # and resumes its schedule
            concurrency_limit=None,
            paused=False,
            version=release(),
        )
        assert isinstance(deployment, RunnerDeployment)  # called from sync code: not a coroutine
        built.append(deployment)
    return built


def ensure_work_pool(name: str) -> bool:
    """Create the process work pool `name` unless it exists (True: created now)."""
    telemetry_off()
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            pass
        else:
            if pool.type != WORK_POOL_TYPE:
                raise DeployError(
                    f"the work pool {name!r} is of type {pool.type!r}, not {WORK_POOL_TYPE!r}: "
                    "name another one with ESAFETY_WORK_POOL"
                )
            return False
        try:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type=WORK_POOL_TYPE,
                    description="esafety-flow: the alert flows (esafety deploy)",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )
        except ObjectAlreadyExists:  # another machine created it meanwhile
            return False
    return True


@dataclass(frozen=True)
class Registered:
    """What `register` did: the pool (and whether it was created now), each deployment and the
    automations registered with them."""

    work_pool: str
    created_pool: bool
    deployment_ids: dict[str, str]
    automations: list[str]


def register(settings: Settings) -> Registered:
    """Create the work pool if missing, then create or update every deployment on it and the
    automation that marks a run whose machine died as crashed (`esafety_flow.flows.automations`)."""
    from esafety_flow.flows.automations import ensure_automations

    created = ensure_work_pool(settings.work_pool)
    ids: dict[str, str] = {}
    for deployment in deployments(settings):
        deployment_id = deployment.apply(work_pool_name=settings.work_pool)
        ids[deployment.name] = str(deployment_id)
    return Registered(settings.work_pool, created, ids, ensure_automations())
