"""The deployments: Europe/London cron schedules on the work pool, and which runs fire around the
clock changes (a cron knows the time zone, not bank holidays); the worker's local server and the
environment it gives the flow runs."""

from __future__ import annotations

import asyncio
import itertools
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from esafety_flow.deploy import deployments
from esafety_flow.settings import Settings
from esafety_flow.worker import (
    LocalPrefectServer,
    LocalServerError,
    flow_run_environment,
    port_is_free,
)


def _dates(cron: str, start: datetime, n: int) -> list[datetime]:
    from prefect.server.schemas.schedules import CronSchedule

    dates = asyncio.run(CronSchedule(cron=cron, timezone="Europe/London").get_dates(n, start))
    return [datetime.fromtimestamp(d.timestamp(), UTC) for d in dates]


def test_deployments_carry_the_configured_crons_in_london_time() -> None:
    settings = Settings(digest_cron="30 7 * * 1-5")
    built = deployments(settings)
    names = [d.name for d in built]
    assert names == [
        "deadline-sweep",
        "deliver-alerts",
        "manager-digest",
        "census-check",
        "recalculate-deadlines",
    ]
    from prefect.client.schemas.schedules import CronSchedule

    crons = {d.name: [s.schedule for s in d.schedules or []] for d in built}
    schedules = {
        name: [(c.cron, c.timezone) for c in found if isinstance(c, CronSchedule)]
        for name, found in crons.items()
    }
    assert schedules == {
        "deadline-sweep": [("*/15 * * * *", "Europe/London")],
        "deliver-alerts": [("* * * * *", "Europe/London")],
        "manager-digest": [("30 7 * * 1-5", "Europe/London")],
        "census-check": [("30 1 * * *", "Europe/London")],
        "recalculate-deadlines": [],  # run on demand, with its parameters
    }


def test_deployments_are_on_the_pool_by_module_path() -> None:
    built = deployments(Settings(work_pool="council-a"))
    assert {d.work_pool_name for d in built} == {"council-a"}
    assert [d.entrypoint for d in built] == [
        "esafety_flow.flows.definitions.deadline_sweep",
        "esafety_flow.flows.definitions.deliver_alerts",
        "esafety_flow.flows.definitions.manager_digest",
        "esafety_flow.flows.definitions.census_check",
        "esafety_flow.flows.definitions.recalculate_deadlines",
    ]
    assert {d.paused for d in built} == {False}


def test_digest_stays_at_8_london_across_the_spring_clock_change() -> None:
    fired = _dates("0 8 * * 1-5", datetime(2026, 3, 27, 0, 0, tzinfo=UTC), 2)
    # Friday 27 March 08:00 GMT, then Monday 30 March 08:00 BST (07:00 UTC)
    assert fired == [
        datetime(2026, 3, 27, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
    ]


def test_digest_stays_at_8_london_across_the_autumn_clock_change() -> None:
    fired = _dates("0 8 * * 1-5", datetime(2026, 10, 23, 0, 0, tzinfo=UTC), 2)
    assert fired == [
        datetime(2026, 10, 23, 7, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 8, 0, tzinfo=UTC),
    ]


def test_a_0130_job_around_the_clock_changes() -> None:
    """01:30 London does not exist on 29 March (01:00 GMT -> 02:00 BST) and happens twice on
    25 October. Prefect 3.8.8 fires such a job once each night: on 29 March at 00:30 UTC (an hour
    early by the wall clock), on 25 October at the first 01:30 (BST). This is why no schedule of
    ours sits between 01:00 and 02:00, and why each flow judges its scheduled instant, not a
    wall-clock time."""
    spring = _dates("30 1 * * *", datetime(2026, 3, 28, 0, 0, tzinfo=UTC), 3)
    assert spring == [
        datetime(2026, 3, 28, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
    ]
    autumn = _dates("30 1 * * *", datetime(2026, 10, 24, 0, 0, tzinfo=UTC), 3)
    assert autumn == [
        datetime(2026, 10, 24, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
    ]


def test_quarter_hour_sweep_has_no_gap_through_the_spring_change() -> None:
    fired = _dates("*/15 * * * *", datetime(2026, 3, 29, 0, 0, tzinfo=UTC), 8)
    # 00:00 .. 00:45 GMT, then 02:00 BST (01:00 UTC) onwards: every 15 elapsed minutes
    assert fired[0] == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert {(b - a).total_seconds() for a, b in itertools.pairwise(fired)} == {900}


def test_no_deployment_has_a_concurrency_slot_a_dead_run_could_hold() -> None:
    built = deployments(Settings())
    assert {d.name: d.concurrency_limit for d in built} == dict.fromkeys(
        [
            "deadline-sweep",
            "deliver-alerts",
            "manager-digest",
            "census-check",
            "recalculate-deadlines",
        ]
    )
    # set, not left out: an update clears the limit a deployment of an earlier release had
    assert all("concurrency_limit" in d.model_fields_set for d in built)


def test_flow_runs_get_the_workers_settings_with_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("ESAFETY_DATABASE_URL", "ESAFETY_EMAIL_ENABLED", "ESAFETY_POLICY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ESAFETY_EMAIL_ENABLED", "false")
    (tmp_path / ".env").write_text("ESAFETY_SMTP_PORT=2525\n")
    settings = Settings(database_url="sqlite:///data/esafety.db", policy_file=Path("policy.toml"))
    env = flow_run_environment(settings)
    assert env["ESAFETY_DATABASE_URL"] == f"sqlite:///{tmp_path.resolve() / 'data' / 'esafety.db'}"
    assert env["ESAFETY_POLICY_FILE"] == str(tmp_path.resolve() / "policy.toml")
    assert env["ESAFETY_EMAIL_ENABLED"] == "false"
    assert env["ESAFETY_SMTP_PORT"] == "2525"  # from .env, which a flow run would not find
    assert "ESAFETY_SECRET_KEY" not in env  # not given: the flow run takes the same default


def test_flow_runs_keep_absolute_and_server_database_urls() -> None:
    for url in (
        "sqlite:////var/lib/esafety/esafety.db",
        "postgresql+psycopg://esafety_service:s3cret@db/esafety",
    ):
        assert flow_run_environment(Settings(database_url=url))["ESAFETY_DATABASE_URL"] == url


def test_local_server_environment_is_a_server_with_its_scheduler_and_no_telemetry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://elsewhere:4200/api")
    monkeypatch.setenv("PREFECT__SERVER_EPHEMERAL", "1")
    monkeypatch.setenv("DO_NOT_TRACK", "0")
    server = LocalPrefectServer(tmp_path / "home", 4321, scheduler_loop_seconds=5)
    env = server.environment()
    assert "PREFECT_API_URL" not in env
    assert "PREFECT__SERVER_EPHEMERAL" not in env
    assert env["DO_NOT_TRACK"] == "1"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["PREFECT_HOME"] == str((tmp_path / "home").resolve())
    assert env["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] == "true"
    assert env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] == "5"
    command = server.command()
    assert command[-9:] == [
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        "4321",
        "--scheduler",
        "--analytics-off",
        "--no-background",
    ]
    assert server.api_url == "http://127.0.0.1:4321/api"
    assert server.ui_url == "http://127.0.0.1:4321"


def test_local_server_picks_a_free_port_when_none_is_configured(tmp_path: Path) -> None:
    server = LocalPrefectServer(tmp_path)
    assert server.port > 0
    assert port_is_free(server.port)


def test_local_server_refuses_a_port_in_use_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not port_is_free(port)
        server = LocalPrefectServer(tmp_path / "home", port)
        with pytest.raises(LocalServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            server.start()
    assert server.pid is None
    assert not (tmp_path / "home").exists()
