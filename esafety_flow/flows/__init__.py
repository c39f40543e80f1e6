"""Prefect flows for deadline sweeps and alerts (issue 5), and the worker that serves them.

Importing this package turns Prefect's telemetry off before Prefect itself is imported
(`DO_NOT_TRACK=1`, `PREFECT_SERVER_ANALYTICS_ENABLED=false`): a safeguarding service sends
nothing to third parties.

Flows (thin: find what is due, process it in a few batch tasks, notify; house rule 9):
`deadline_sweep(as_of=None)`, `deliver_alerts()`, `manager_digest(as_of=None)`,
`recalculate_deadlines(region, day, name, kind="one_off", added_by="admin", at=None)`,
`census_check(as_of=None)` (nightly: what to fix before the CIN census, owners told).
The app they work on comes from `use_app(app)` (tests) or, by default, `bootstrap(migrate=False)`:
a flow run never migrates, it fails with `DatabaseNotReady` on a database behind this release.
"""

from esafety_flow.flows.telemetry import telemetry_off

telemetry_off()

from esafety_flow.flows.definitions import (  # noqa: E402
    census_check,
    deadline_sweep,
    deliver_alerts,
    manager_digest,
    recalculate_deadlines,
    run_moment,
)
from esafety_flow.flows.runtime import DatabaseNotReady, current_app, use_app  # noqa: E402

__all__ = [
    "DatabaseNotReady",
    "census_check",
    "current_app",
    "deadline_sweep",
    "deliver_alerts",
    "manager_digest",
    "recalculate_deadlines",
    "run_moment",
    "telemetry_off",
    "use_app",
]
