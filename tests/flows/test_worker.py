"""The deployments: Europe/London cron schedules on the work pool, and which runs fire around the
clock changes (a cron knows the time zone, not bank holidays); the worker's local server and the
environment it gives the flow runs."""

from __future__ import annotations

import asyncio
import itertools
import os
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
    for name in (
        "ESAFETY_DATABASE_URL",
        "ESAFETY_EMAIL_ENABLED",
        "ESAFETY_POLICY_FILE",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY",
    ):
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
    # heartbeats, so that a run whose machine dies is marked crashed
    assert env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30"


def test_a_flow_run_reads_back_the_settings_the_worker_had(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "worker").mkdir()
    monkeypatch.chdir(tmp_path / "worker")
    for name in [k for k in os.environ if k.startswith("ESAFETY_")]:
        monkeypatch.delenv(name)
    (tmp_path / "worker" / ".env").write_text(
        'ESAFETY_ALERT_HOURS_LEVELS=["escalated"]\nESAFETY_ALERT_HOURS_OPEN=07:30\n'
        "ESAFETY_DELIVERY_BACKOFF_SECONDS=0.5\nESAFETY_SMTP_STARTTLS=true\n"
    )
    given = Settings(database_url="sqlite:///esafety.db", worker_limit=2)
    env = flow_run_environment(given)
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path / "run")  # where a flow run starts: no .env there
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    read = Settings()
    assert read.database_url == f"sqlite:///{tmp_path.resolve() / 'worker' / 'esafety.db'}"
    assert read.prefect_home == tmp_path.resolve() / "worker" / ".prefect-server"
    files = {"database_url", "prefect_home"}
    assert read.model_dump(exclude=files) == given.model_dump(exclude=files)
    assert read.alert_hours_levels == {"escalated"}


def test_flow_runs_get_the_default_database_of_the_workers_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESAFETY_DATABASE_URL", raising=False)
    env = flow_run_environment(Settings())
    assert env["ESAFETY_DATABASE_URL"] == f"sqlite:///{tmp_path.resolve() / 'esafety.db'}"
    assert env["ESAFETY_PREFECT_HOME"] == str(tmp_path.resolve() / ".prefect-server")


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


def _time_wait_on_a_port() -> int:
    """A port whose server closed an accepted connection first and stopped listening: the
    connection is in TIME-WAIT on the server's side, as after a server's stop."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = int(listener.getsockname()[1])
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()  # the server's side closes first: its end goes to TIME-WAIT
        client.recv(1)
        client.close()
    return port


def test_a_port_in_time_wait_after_a_stop_counts_as_free() -> None:
    port = _time_wait_on_a_port()
    # without SO_REUSEADDR the port is not yet usable
    with socket.socket() as plain, pytest.raises(OSError, match="Address already in use"):
        plain.bind(("127.0.0.1", port))
    assert port_is_free(port)


def test_the_local_server_vacuums_its_old_flow_runs(tmp_path: Path) -> None:
    env = LocalPrefectServer(tmp_path, 4321).environment()
    assert env["PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED"] == "events,flow_runs"


class _FakeLimiter:
    borrowed_tokens = 0


class _FakeWorker:
    """What `_Stopping` uses of Prefect's worker: its poll and its limiter."""

    def __init__(self) -> None:
        self.limiter = _FakeLimiter()
        self.polls = 0

    async def get_and_submit_flow_runs(self) -> list[str]:
        self.polls += 1
        self.limiter.borrowed_tokens += 1  # took a run
        return ["run"]


def test_a_stopping_worker_takes_nothing_more_and_waits_for_its_runs() -> None:
    from esafety_flow.worker import _Stopping

    async def scenario() -> list[str]:
        fake = _FakeWorker()
        said: list[str] = []
        stopping = _Stopping(fake, grace=30, announce=said.append)
        poll = fake.get_and_submit_flow_runs
        assert await poll() == ["run"]
        drained = asyncio.ensure_future(stopping.drain())
        await asyncio.sleep(0.05)
        assert not drained.done()  # not asked to stop yet
        stopping.signal()
        assert await poll() == []  # takes nothing more
        assert fake.polls == 1
        await asyncio.sleep(0.5)
        assert not drained.done()  # its run is still in hand
        fake.limiter.borrowed_tokens = 0  # the run finished
        await asyncio.wait_for(drained, 2)
        return said

    said = asyncio.run(scenario())
    assert said == ["stopping: waiting up to 30 s for 1 flow run(s) to finish (again to stop now)"]


def test_a_second_signal_or_the_grace_running_out_stops_at_once() -> None:
    from esafety_flow.worker import _Stopping

    async def twice() -> None:
        fake = _FakeWorker()
        fake.limiter.borrowed_tokens = 1
        stopping = _Stopping(fake, grace=30, announce=lambda _: None)
        drained = asyncio.ensure_future(stopping.drain())
        stopping.signal()
        await asyncio.sleep(0.3)
        assert not drained.done()
        stopping.signal()
        await asyncio.wait_for(drained, 1)

    async def grace() -> list[str]:
        fake = _FakeWorker()
        fake.limiter.borrowed_tokens = 1
        said: list[str] = []
        stopping = _Stopping(fake, grace=0.3, announce=said.append)
        stopping.signal()
        await asyncio.wait_for(stopping.drain(), 2)
        return said

    asyncio.run(twice())
    assert asyncio.run(grace())[-1] == "stopping: the grace period ran out; ending the runs in hand"
