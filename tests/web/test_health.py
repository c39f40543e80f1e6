"""Readiness and metrics for operations: the database at this release's revision, the delivery
backlog's age, the last sweep; the Prometheus text format with counts only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from esafety_flow.cli.serve_cmd import web_context
from esafety_flow.notify import jobs
from esafety_flow.web import create_app
from tests.web.conftest import NOW, Web
from workflows import deadline_alerts, operations
from workflows.delivery import queue_deliveries
from workflows.persistence import head_revision


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def test_ready_at_head_with_the_backlog_and_the_last_sweep(web: Web) -> None:
    client = web.client()
    body = client.get("/readyz").json()
    assert (body["status"], body["revision"], body["head"]) == (
        "ready",
        head_revision(),
        head_revision(),
    )
    assert body["last_sweep"] is None
    # a sweep an hour ago wrote alerts; they are queued and not delivered
    web.clock.set(NOW - timedelta(hours=1))
    result = jobs.sweep(web.app, NOW - timedelta(hours=1))
    assert result.alerts > 0
    assert queue_deliveries(web.app.session_factory, ("email",)) > 0
    web.clock.set(NOW)
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["last_sweep"]["outcome"] == "ok"
    assert body["last_sweep"]["as_of"] == (NOW - timedelta(hours=1)).isoformat()
    assert body["last_sweep"]["finished_at"] == (NOW - timedelta(hours=1)).isoformat()
    assert body["oldest_pending_delivery_seconds"] == 3600.0


def test_not_ready_on_a_database_behind_this_release(web: Web) -> None:
    with web.app.session_factory.begin() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0100'"))
    response = web.client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert "revision 0100" in body["reason"]
    assert "esafety db upgrade" in body["reason"]


def test_a_failed_sweep_is_kept_as_failed(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(deadline_alerts, "sweep", broken)
    with pytest.raises(RuntimeError):
        jobs.sweep(web.app, NOW)
    run = operations.last_runs(web.app.session_factory)["sweep"]
    assert (run.outcome, run.detail) == ("failed", "RuntimeError")


def test_metrics_in_the_prometheus_text_format(web: Web) -> None:
    jobs.sweep(web.app, NOW)
    queue_deliveries(web.app.session_factory, ("email",))
    response = web.client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.text)
    found = operations.service_metrics(web.app.session_factory, NOW)
    assert samples[("esafety_open_cases", ())] == found.open_cases > 0
    assert samples[("esafety_open_deadlines", ())] == found.open_deadlines > 0
    assert samples[("esafety_overdue_deadlines", ())] == found.overdue_deadlines
    assert (
        samples[("esafety_pending_deliveries", (("channel", "email"),))]
        == (found.pending_deliveries["email"])
    )
    assert samples[("esafety_pending_deliveries", (("channel", "webhook"),))] == 0
    assert (
        samples[
            ("esafety_job_last_finished_timestamp_seconds", (("job", "sweep"), ("outcome", "ok")))
        ]
        == NOW.timestamp()
    )
    # counts and ages only: no name of a child, a worker or a case reference
    assert "ESF-" not in response.text
    assert "Sam" not in response.text


def test_metrics_can_be_switched_off(web: Web) -> None:
    from dataclasses import replace

    ctx = replace(web_context(web.app), metrics_enabled=False)
    from fastapi.testclient import TestClient

    client = TestClient(create_app(ctx))
    assert client.get("/metrics").status_code == 404
    assert client.get("/readyz").status_code == 200


def test_a_job_name_outside_the_list_is_refused(web: Web) -> None:
    with pytest.raises(ValueError, match="job 'nightly'"):
        operations.record_run(
            web.app.session_factory, "nightly", started_at=NOW, finished_at=NOW, ok=True
        )


def test_emails_waiting_for_the_alert_hours_are_counted_apart_and_are_not_late(web: Web) -> None:
    evening = NOW.replace(hour=20)  # a Wednesday: the alert hours open at 08:00 on Thursday
    web.clock.set(evening)
    assert jobs.sweep(web.app, evening).alerts > 0
    assert jobs.queue(web.app) > 0
    web.clock.set(evening + timedelta(hours=2))
    samples = _samples(web.client().get("/metrics").text)
    waiting = samples[("esafety_deliveries_waiting_for_alert_hours", ())]
    assert waiting > 0
    assert samples[("esafety_pending_deliveries", (("channel", "email"),))] == 0
    assert samples[("esafety_oldest_pending_delivery_seconds", ())] == 0
    # once they open, they are due: late from the opening, not from the evening before
    opens = (NOW + timedelta(days=1)).replace(hour=8)  # 08:00 GMT is 08:00 in London in March
    web.clock.set(opens + timedelta(minutes=10))
    samples = _samples(web.client().get("/metrics").text)
    assert samples[("esafety_deliveries_waiting_for_alert_hours", ())] == 0
    assert samples[("esafety_pending_deliveries", (("channel", "email"),))] == waiting
    assert samples[("esafety_oldest_pending_delivery_seconds", ())] == 600.0
