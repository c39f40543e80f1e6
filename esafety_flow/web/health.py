"""Health, readiness and metrics for load balancers and monitoring (docs/operations.md).

- `/healthz` (in `app.py`): the process answers; touches nothing.
- `/readyz`: the database answers and is at this release's migration head (else 503 with the
  reason), with the age of the oldest undelivered alert and notice and the last sweep's times.
- `/metrics`: the Prometheus text exposition format (`prometheus_client`), read on each scrape
  from `workflows.operations.service_metrics`. Counts, ages and times only: no personal data,
  so neither needs a session; `ESAFETY_METRICS_ENABLED=false` answers 404 instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from esafety_flow.web.common import ctx_of
from workflows import operations

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@router.get("/readyz")
def readyz(request: Request) -> Response:
    ctx = ctx_of(request)
    found = operations.readiness(ctx.session_factory, ctx.clock.now())
    sweep = found.last_sweep
    body: dict[str, Any] = {
        "status": "ready" if found.ready else "not ready",
        "reason": found.reason,
        "revision": found.revision,
        "head": found.head,
        "oldest_pending_delivery_seconds": found.oldest_pending_delivery_seconds,
        "oldest_pending_notice_seconds": found.oldest_pending_notice_seconds,
        "last_sweep": None
        if sweep is None
        else {
            "started_at": _iso(sweep.started_at),
            "finished_at": _iso(sweep.finished_at),
            "as_of": _iso(sweep.as_of),
            "outcome": sweep.outcome,
        },
    }
    return JSONResponse(body, status_code=200 if found.ready else 503)


class _ServiceCollector(Collector):
    """The service's numbers, read once per scrape."""

    def __init__(self, metrics: operations.ServiceMetrics, now: datetime) -> None:
        self.metrics = metrics
        self.now = now

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        yield GaugeMetricFamily("esafety_open_cases", "Cases not closed.", value=m.open_cases)
        yield GaugeMetricFamily(
            "esafety_open_deadlines", "Deadlines neither met nor missed.", value=m.open_deadlines
        )
        yield GaugeMetricFamily(
            "esafety_overdue_deadlines",
            "Open deadlines past their due moment.",
            value=m.overdue_deadlines,
        )
        pending = GaugeMetricFamily(
            "esafety_pending_deliveries",
            "Alerts due and not yet delivered, per channel.",
            labels=["channel"],
        )
        for channel in ("email", "webhook"):
            pending.add_metric([channel], m.pending_deliveries.get(channel, 0))
        yield pending
        yield GaugeMetricFamily(
            "esafety_deliveries_waiting_for_alert_hours",
            "Email alerts held until the alert hours open (not late).",
            value=m.waiting_for_alert_hours,
        )
        yield GaugeMetricFamily(
            "esafety_oldest_pending_delivery_seconds",
            "Age of the oldest alert not yet delivered on some channel (0 when none).",
            value=m.oldest_pending_delivery_seconds or 0.0,
        )
        yield GaugeMetricFamily(
            "esafety_pending_notices", "Notices not yet delivered.", value=m.pending_notices
        )
        yield GaugeMetricFamily(
            "esafety_oldest_pending_notice_seconds",
            "Age of the oldest notice not yet delivered (0 when none).",
            value=m.oldest_pending_notice_seconds or 0.0,
        )
        finished = GaugeMetricFamily(
            "esafety_job_last_finished_timestamp_seconds",
            "When each job's last run finished (Unix time).",
            labels=["job", "outcome"],
        )
        for name, run in sorted(m.runs.items()):
            finished.add_metric([name, run.outcome], run.finished_at.timestamp())
        yield finished


@router.get("/metrics")
def metrics(request: Request) -> Response:
    ctx = ctx_of(request)
    if not ctx.metrics_enabled:
        return Response("Not Found", status_code=404, media_type="text/plain")
    now = ctx.clock.now()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ServiceCollector(operations.service_metrics(ctx.session_factory, now), now))
    return Response(
        generate_latest(registry), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
