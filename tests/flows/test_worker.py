"""The worker's deployments: Europe/London cron schedules, and which runs fire around the clock
changes (a cron knows the time zone, not bank holidays)."""

from __future__ import annotations

import asyncio
import itertools
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from esafety_flow.settings import Settings
from esafety_flow.worker import LocalPrefectServer, LocalServerError, deployments, port_is_free


def _dates(cron: str, start: datetime, n: int) -> list[datetime]:
    from prefect.server.schemas.schedules import CronSchedule

    dates = asyncio.run(CronSchedule(cron=cron, timezone="Europe/London").get_dates(n, start))
    return [datetime.fromtimestamp(d.timestamp(), UTC) for d in dates]


def test_deployments_carry_the_configured_crons_in_london_time() -> None:
    settings = Settings(digest_cron="30 7 * * 1-5")
    built = deployments(settings)
    names = [d.name for d in built]
    assert names == ["deadline-sweep", "deliver-alerts", "manager-digest", "census-check"]
    from prefect.client.schemas.schedules import CronSchedule

    crons = [s.schedule for d in built for s in d.schedules or []]
    assert all(isinstance(c, CronSchedule) for c in crons)
    schedules = [(c.cron, c.timezone) for c in crons if isinstance(c, CronSchedule)]
    assert schedules == [
        ("*/15 * * * *", "Europe/London"),
        ("* * * * *", "Europe/London"),
        ("30 7 * * 1-5", "Europe/London"),
        ("30 1 * * *", "Europe/London"),
    ]


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


def test_only_one_delivery_run_at_a_time() -> None:
    limits = {d.name: d.concurrency_limit for d in deployments(Settings())}
    assert limits == {
        "deadline-sweep": None,
        "deliver-alerts": 1,
        "manager-digest": None,
        "census-check": None,
    }


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
