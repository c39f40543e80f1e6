"""Prefect automations the service registers with its deployments (`esafety deploy`).

A flow run whose machine dies (kill -9, a lost container, a power cut) stays RUNNING in
Prefect's records: nothing marks it crashed. Flow runs started by a worker emit a heartbeat
event every `FLOW_HEARTBEAT_SECONDS` (`PREFECT_FLOWS_HEARTBEAT_FREQUENCY`, set for every flow
run the worker starts); the automation `CRASH_UNRESPONSIVE` is a proactive trigger that fires
when a flow run that sent a heartbeat sends neither another one nor a final state within
`UNRESPONSIVE_AFTER`, and marks that run CRASHED. (Prefect's own recipe for "zombie" flow runs,
docs.prefect.io, "How to detect and respond to zombie flows".)

The work of a dead run is not waiting on that mark: an alert it was sending had its row locked
by the run's database connection, which died with the machine (`workflows.delivery
.take_delivery`), and the next delivery run sends it. The mark keeps Prefect's history true
and lets the next scheduled run of a deployment start.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from prefect.automations import Automation

__all__ = [
    "CRASH_UNRESPONSIVE",
    "FLOW_HEARTBEAT_SECONDS",
    "UNRESPONSIVE_AFTER",
    "crash_unresponsive",
    "ensure_automations",
]

CRASH_UNRESPONSIVE = "esafety: crash unresponsive flow runs"
FLOW_HEARTBEAT_SECONDS = 30
"""Prefect's smallest heartbeat interval."""
UNRESPONSIVE_AFTER = timedelta(seconds=60)
"""Two heartbeats missed: the run's machine is taken to be dead."""


def crash_unresponsive() -> Automation:
    """The automation marking a flow run CRASHED when its heartbeats stop."""
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=CRASH_UNRESPONSIVE,
        description="A flow run that stopped sending heartbeats (its machine died) is marked "
        "crashed; its alerts are sent by the next delivery run.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=UNRESPONSIVE_AFTER,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {int(UNRESPONSIVE_AFTER.total_seconds())} s: "
                "its machine stopped.",
            )
        ],
    )


def ensure_automations() -> list[str]:
    """Create the service's automations on the Prefect server, or bring them up to date (by
    name: running it again changes nothing). Returns their names."""
    from prefect.automations import Automation

    wanted = crash_unresponsive()
    try:
        # read() dispatches on the context: called outside an event loop, it is synchronous
        found = cast("Automation", Automation.read(name=wanted.name))
    except ValueError:  # not there yet
        wanted.create()
    else:
        wanted.id = found.id
        wanted.update()
    return [wanted.name]
