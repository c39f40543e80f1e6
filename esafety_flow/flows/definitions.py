"""The flows and their batch tasks. Each task calls one job of `esafety_flow.notify.jobs`; the
business rules live in the services and are tested without Prefect.

Each flow first checks that the database is at this release's revision (`current_app`): a run
on a database behind it fails at once with the reason, before any task (whose retries would
only delay the failure), and never migrates it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from calendars import Region, to_utc
from esafety_flow.flows.runtime import current_app
from esafety_flow.notify import jobs

__all__ = [
    "census_check",
    "deadline_sweep",
    "deliver_alerts",
    "manager_digest",
    "recalculate_deadlines",
    "run_moment",
]


def _ready() -> None:
    """Fail this flow run now if the database is not at this release's revision."""
    current_app()


def run_moment(as_of: datetime | None) -> datetime:
    """`as_of` if given, else the flow run's scheduled start: a late or retried run judges the
    moment it was scheduled for, not the moment it happened to start."""
    if as_of is not None:
        return to_utc(as_of)
    scheduled = flow_run.scheduled_start_time
    return datetime.fromtimestamp(scheduled.timestamp(), UTC)


@task(name="sweep-deadlines", retries=3, retry_delay_seconds=[2, 10, 30])
def sweep_task(as_of: datetime) -> dict[str, Any]:
    result = jobs.sweep(current_app(), as_of)
    return {"deadlines": result.deadlines, "alerts": result.alerts, "batches": result.batches}


@task(name="queue-deliveries", retries=3, retry_delay_seconds=[2, 10, 30])
def queue_task() -> int:
    return jobs.queue(current_app())


@task(name="deliver-channel", retries=2, retry_delay_seconds=[10, 60])
def deliver_task(channel: str) -> dict[str, Any]:
    report = jobs.deliver(current_app(), channel)
    return {"channel": channel, "delivered": report.delivered, "failed": report.failed}


@task(name="deliver-notices", retries=2, retry_delay_seconds=[10, 60])
def deliver_notices_task() -> dict[str, Any]:
    report = jobs.deliver_pending_notices(current_app())
    return {
        "delivered": [f"{kind}: {label}" for kind, label in report.delivered],
        "failed": {f"{kind}: {label}": e for (kind, label), e in report.failed.items()},
    }


@flow(name="deadline-sweep", log_prints=False)
def deadline_sweep(as_of: datetime | None = None) -> dict[str, Any]:
    """Find deadlines whose next alert has come due at `as_of` and put each alert into the outbox
    exactly once; then queue the new alerts and, when there are any, deliver them in this run at
    once (the `deliver-alerts` runs pick up only what this one leaves: a failure, a held email)."""
    _ready()
    moment = run_moment(as_of)
    summary = sweep_task(moment)
    queued = queue_task()
    get_run_logger().info(
        "sweep at %s: %s deadlines, %s alerts",
        moment.isoformat(),
        summary["deadlines"],
        summary["alerts"],
    )
    delivered = (
        [deliver_task(channel) for channel in jobs.enabled_channels(current_app())]
        if queued
        else []
    )
    return {"as_of": moment.isoformat(), **summary, "queued": queued, "delivered": delivered}


@flow(name="deliver-alerts")
def deliver_alerts() -> dict[str, Any]:
    """Send the pending outbox records on each enabled channel, and by email the pending digests
    and deadline-moved notices; failures stay pending with their error, for the next run."""
    _ready()
    queued = queue_task()
    channels = jobs.enabled_channels(current_app())
    reports = [deliver_task(channel) for channel in channels]
    notices = deliver_notices_task() if "email" in channels else {"delivered": [], "failed": {}}
    if notices["failed"]:
        get_run_logger().warning(
            "%d notices not delivered, kept pending: %s",
            len(notices["failed"]),
            sorted(set(notices["failed"].values()))[:3],
        )
    for r in reports:
        if r["failed"]:
            get_run_logger().warning(
                "%s: %d alerts not delivered, kept pending: %s",
                r["channel"],
                len(r["failed"]),
                sorted(set(r["failed"].values()))[:3],
            )
    return {"queued": queued, "channels": reports, "notices": notices}


@task(name="digest-day")
def digest_day_task(as_of: datetime) -> str | None:
    return jobs.digest_day(current_app(), as_of)[1]


@task(name="send-digests")
def send_digests_task(as_of: datetime) -> dict[str, Any]:
    report = jobs.send_digests(current_app(), as_of)
    return {"sent": report.sent, "failed": report.failed}


@flow(name="manager-digest")
def manager_digest(as_of: datetime | None = None) -> dict[str, Any]:
    """On a working-day morning, each manager gets the team's overdue and due-this-week
    deadlines by worker. On a weekend or bank holiday it does nothing."""
    _ready()
    moment = run_moment(as_of)
    skipped = digest_day_task(moment)
    if skipped is not None:
        get_run_logger().info("no digest: %s", skipped)
        return {"as_of": moment.isoformat(), "skipped": skipped, "sent": [], "failed": {}}
    report = send_digests_task(moment)
    return {"as_of": moment.isoformat(), "skipped": None, **report}


@task(name="add-calendar-day", retries=3, retry_delay_seconds=[2, 10, 30])
def add_day_task(
    region: str, day: date, name: str, kind: str, added_by: str, at: datetime
) -> tuple[datetime, int]:
    return jobs.add_calendar_day(
        current_app(),
        region=Region.parse(region),
        day=day,
        name=name,
        kind=kind,
        added_by=added_by,
        at=at,
    )


@task(name="tell-owners")
def tell_owners_task(region: str, at: datetime, reason: str) -> dict[str, Any]:
    report = jobs.tell_owners(current_app(), region=Region.parse(region), at=at, reason=reason)
    return {"sent": report.sent, "failed": report.failed}


@flow(name="recalculate-deadlines")
def recalculate_deadlines(
    region: str,
    day: date,
    name: str,
    kind: str = "one_off",
    added_by: str = "admin",
    at: datetime | None = None,
) -> dict[str, Any]:
    """After an administrator adds a one-off bank holiday or closure day: record it, move every
    open deadline it affects (old and new dates in each case's log) and tell each owner."""
    _ready()
    moment = run_moment(at)
    recorded_at, moved = add_day_task(region, day, name, kind, added_by, moment)
    label = "one-off bank holiday" if kind == "one_off" else "closure day"
    reason = f"{day.isoformat()} ({name}, {label}) was added to the calendar"
    told = tell_owners_task(region, recorded_at, reason)
    return {"recorded_at": recorded_at.isoformat(), "moved": moved, **told}


@task(name="check-census", retries=2, retry_delay_seconds=[10, 60])
def census_check_task(as_of: datetime) -> dict[str, Any]:
    year, tasks, told = jobs.census_check(current_app(), as_of)
    return {"year": year, "tasks": tasks, "notices": told}


@flow(name="census-check")
def census_check(as_of: datetime | None = None) -> dict[str, Any]:
    """Every night: list what must be fixed before the CIN census of the current reporting year
    and tell each owner of their cases with tasks (a work notice, emailed by the next delivery
    run); a retried run tells nobody twice the same day."""
    _ready()
    moment = run_moment(as_of)
    summary = census_check_task(moment)
    get_run_logger().info(
        "census %s: %s tasks, %s owners' cases told",
        summary["year"],
        summary["tasks"],
        summary["notices"],
    )
    return {"as_of": moment.isoformat(), **summary}
