"""Deployments on a Prefect work pool against a real Prefect server (issue 13, item 1):
`esafety deploy` registers the pool and the deployments once, with their Europe/London
schedules, however often it runs; two `esafety worker` processes share the flow runs of a
deployment, and stopping one (SIGTERM) lets its run in hand finish and leaves the other running
the new ones."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url

from esafety_flow.bootstrap import migrate_database
from esafety_flow.settings import Settings
from esafety_flow.worker import LocalPrefectServer
from tests.conftest import _postgres_required
from tests.flows.processes import clean_env, descendants, esafety, wait_for

pytestmark = pytest.mark.prefect

CRONS = {
    "deadline-sweep": "*/15 * * * *",
    "deliver-alerts": "* * * * *",
    "manager-digest": "0 8 * * 1-5",
    "census-check": "30 1 * * *",
    "recalculate-deadlines": None,
}


@contextlib.contextmanager
def _prefect_database() -> Iterator[str | None]:
    """A PostgreSQL database of its own for the Prefect server, dropped afterwards, where
    `ESAFETY_TEST_DATABASE_URL` names a PostgreSQL (CI); None elsewhere (the server keeps its
    SQLite file). On SQLite, under a loaded machine, the server's trigger service met "database
    is locked", moved the heartbeat automation's events to its dead-letter queue, and the dead
    machine's run was never marked crashed (the fresh-clone CI of 48d3ded)."""
    base = os.environ.get("ESAFETY_TEST_DATABASE_URL", "")
    if not base:
        yield None
        return
    name = f"prefect_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        admin.dispose()
        if _postgres_required():
            pytest.fail(f"ESAFETY_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {exc}")
        yield None
        return
    url = make_url(base).set(drivername="postgresql+asyncpg", database=name, query={})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server of its own (scheduler on), as in production, on PostgreSQL where the
    tests have one (`_prefect_database`); its API URL."""
    with _prefect_database() as database, pytest.MonkeyPatch.context() as env:
        if database is not None:
            env.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", database)
        server = LocalPrefectServer(tmp_path_factory.mktemp("prefect-server"), start_timeout=300)
        with server:
            yield server.api_url


@pytest.fixture
def api(prefect_api: str) -> Iterator[httpx.Client]:
    """A client of the server's REST API, on a server with no deployment and no work pool of
    ours (each test starts from an empty server)."""
    with httpx.Client(base_url=prefect_api, timeout=30) as client:
        for row in client.post("/deployments/filter", json={}).json():
            _delete(client, f"/deployments/{row['id']}")
        for row in client.post("/work_pools/filter", json={}).json():
            if row["name"] != "default-agent-pool":
                _delete(client, f"/work_pools/{row['name']}")
        yield client


def _delete(client: httpx.Client, path: str) -> None:
    # the server's SQLite database may be busy with its scheduler a moment (503)
    for _ in range(10):
        response = client.delete(path)
        if response.status_code != 503:
            break
        time.sleep(1)
    response.raise_for_status()


def _poll(api: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    """The JSON of one request made inside a `wait_for` probe, or None while the server is
    busy: its database serves the scheduler, the workers' heartbeats and the events, and on a
    loaded machine one answer can take longer than the client's timeout (the fresh-clone CI of
    7db469e, its server then on SQLite, timed out one poll after 30 s). None is "not yet": the
    probe asks again and `wait_for`'s own limit still fails a server that never answers."""
    try:
        response = api.request(method, path, **kwargs)
    except httpx.TimeoutException:
        return None
    if response.status_code == 503:
        return None
    response.raise_for_status()
    return response.json()


def _deployments(api: httpx.Client) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in api.post("/deployments/filter", json={}).json()}


def _deploy(
    prefect_api: str, tmp_path: Path, *, retries: int = 5
) -> subprocess.CompletedProcess[str]:
    """`esafety deploy` against `prefect_api`, with Prefect's client retrying `retries` times
    (its default: a server just started answers 503 while its own database is busy)."""
    return subprocess.run(
        [*esafety(), "deploy"],
        env=clean_env(
            PREFECT_API_URL=prefect_api,
            PREFECT_HOME=str(tmp_path / "client"),
            PREFECT_CLIENT_MAX_RETRIES=str(retries),
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_creates_the_pool_and_the_deployments_once(
    prefect_api: str, api: httpx.Client, tmp_path: Path
) -> None:
    first = _deploy(prefect_api, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "work pool esafety (process): created" in first.stdout
    pool = api.get("/work_pools/esafety").json()
    assert pool["type"] == "process"
    registered = _deployments(api)
    assert set(registered) == set(CRONS)
    for name, row in registered.items():
        assert row["work_pool_name"] == "esafety"
        assert row["entrypoint"].startswith("esafety_flow.flows.definitions.")
        assert row["paused"] is False
        # no slot that a run killed mid-way could hold (issue 13, item 2)
        assert row["concurrency_limit"] is None
        assert row["global_concurrency_limit"] is None
        schedules = [
            (s["schedule"]["cron"], s["schedule"]["timezone"], s["active"])
            for s in row["schedules"]
        ]
        cron = CRONS[name]
        assert schedules == ([] if cron is None else [(cron, "Europe/London", True)])
        assert f"{name}\t" in first.stdout

    again = _deploy(prefect_api, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "work pool esafety (process): already there" in again.stdout
    after = _deployments(api)
    assert {n: r["id"] for n, r in after.items()} == {n: r["id"] for n, r in registered.items()}
    assert {n: len(r["schedules"]) for n, r in after.items()} == {
        n: len(r["schedules"]) for n, r in registered.items()
    }
    assert [p["name"] for p in api.post("/work_pools/filter", json={}).json()].count("esafety") == 1


def test_deploy_takes_over_the_deployments_an_earlier_release_served(
    prefect_api: str, api: httpx.Client
) -> None:
    """`serve()` left deliver-alerts paused (its worker stopped), with a concurrency limit of 1
    and on no pool: `esafety deploy` moves it to the pool, resumes it and drops the limit."""
    from prefect.schedules import Cron
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from esafety_flow.deploy import register
    from esafety_flow.flows import deliver_alerts

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        old = deliver_alerts.to_deployment(
            "deliver-alerts",
            schedule=Cron("* * * * *", timezone="Europe/London"),
            concurrency_limit=1,
            paused=True,
        )
        old_id = str(old.apply())  # type: ignore[union-attr]
        held = _deployments(api)["deliver-alerts"]["global_concurrency_limit"]
        assert held["limit"] == 1
        registered = register(Settings())
    assert registered.deployment_ids["deliver-alerts"] == old_id
    row = _deployments(api)["deliver-alerts"]
    assert row["work_pool_name"] == "esafety"
    assert row["paused"] is False
    assert row["concurrency_limit"] is None
    assert row["global_concurrency_limit"] is None
    limits = api.post("/v2/concurrency_limits/filter", json={}).json()
    assert held["name"] not in {limit["name"] for limit in limits}
    assert [s["schedule"]["cron"] for s in row["schedules"]] == ["* * * * *"]

    # a release with another schedule replaces it (one schedule, the new one)
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        register(Settings(deliver_cron="*/2 * * * *"))
    row = _deployments(api)["deliver-alerts"]
    assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in row["schedules"]] == [
        ("*/2 * * * *", "Europe/London")
    ]


def test_deploy_without_a_prefect_server_says_what_to_set(tmp_path: Path) -> None:
    result = subprocess.run(
        [*esafety(), "deploy"],
        env=clean_env(PREFECT_HOME=str(tmp_path / "client")),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "PREFECT_API_URL is not set" in result.stderr
    assert "Traceback" not in result.stderr


def _submit(prefect_api: str, n: int) -> list[str]:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        return [
            str(run_deployment("deadline-sweep/deadline-sweep", timeout=0).id)  # type: ignore[union-attr]
            for _ in range(n)
        ]


def _completed_by(
    api: httpx.Client, run_ids: list[str], *workers: subprocess.Popen[bytes]
) -> dict[str, str]:
    """Run id -> name of the worker that ran it, once every run has completed."""

    def finished() -> dict[str, str] | None:
        done: dict[str, str] = {}
        for run_id in run_ids:
            run = _poll(api, "GET", f"/flow_runs/{run_id}")
            if run is None:
                return None
            state = run["state"]
            assert state["type"] not in ("FAILED", "CRASHED", "CANCELLED"), state
            if state["type"] == "COMPLETED":
                done[run_id] = run["labels"]["prefect.worker.name"]
        return done if len(done) == len(run_ids) else None

    return wait_for(f"{len(run_ids)} completed runs", finished, 180, *workers)


def test_two_workers_share_the_runs_and_stopping_one_pauses_nothing(
    prefect_api: str, api: httpx.Client, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'esafety.db'}"
    migrate_database(Settings(database_url=database_url))  # esafety db upgrade, once
    assert _deploy(prefect_api, tmp_path).returncode == 0

    env = clean_env(
        PREFECT_API_URL=prefect_api,
        PREFECT_HOME=str(tmp_path / "client"),
        PREFECT_WORKER_QUERY_SECONDS="1",
        ESAFETY_DATABASE_URL=database_url,
        ESAFETY_EMAIL_ENABLED="false",
        # one run at a time each, so that neither worker can take every run at once
        ESAFETY_WORKER_LIMIT="1",
    )
    logs = [(tmp_path / f"worker-{i}.out").open("wb") for i in (1, 2)]
    workers = [
        subprocess.Popen(
            [*esafety(), "worker"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )
        for log in logs
    ]
    try:

        def online() -> set[str] | None:
            rows = _poll(api, "POST", "/work_pools/esafety/workers/filter", json={}) or []
            names = {row["name"] for row in rows if row["status"] == "ONLINE"}
            return names if len(names) == 2 else None

        names = wait_for("two workers online", online, 120, *workers)
        # each worker is named after its machine and process
        by_pid = {p.pid: next(n for n in names if n.endswith(f"-{p.pid}")) for p in workers}

        ran_by = _completed_by(api, _submit(prefect_api, 6), *workers)
        assert set(ran_by.values()) == set(names), ran_by  # both took some of the runs

        # SIGTERM to the worker that has a run in hand: it takes nothing more, lets that run
        # finish, then exits; the runs it did not take go to the other
        pending = _submit(prefect_api, 2)

        def in_hand() -> tuple[str, str] | None:
            for run_id in pending:
                run = _poll(api, "GET", f"/flow_runs/{run_id}")
                if run is None:
                    return None
                name = run["labels"].get("prefect.worker.name")
                if name and run["state"]["type"] in ("PENDING", "RUNNING"):
                    return run_id, name
            return None

        held, holder = wait_for("a run in a worker's hands", in_hand, 120, *workers)
        stopped = next(p for p in workers if by_pid[p.pid] == holder)
        survivor = next(p for p in workers if p is not stopped)
        stopped.send_signal(signal.SIGTERM)
        assert stopped.wait(90) == 0
        assert api.get(f"/flow_runs/{held}").json()["state"]["type"] == "COMPLETED"
        assert _deployments(api)["deadline-sweep"]["paused"] is False
        _completed_by(api, pending, survivor)

        later = _completed_by(api, _submit(prefect_api, 3), survivor)
        assert set(later.values()) == {by_pid[survivor.pid]}
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
        for log in logs:
            log.close()
    printed = (tmp_path / f"worker-{workers.index(stopped) + 1}.out").read_text()
    assert f"worker {holder} stopped" in printed


def test_a_worker_on_a_pool_with_no_deployment_says_to_run_deploy(
    prefect_api: str, api: httpx.Client, tmp_path: Path
) -> None:
    out = (tmp_path / "worker.out").open("wb")
    worker = subprocess.Popen(
        [*esafety(), "worker"],
        env=clean_env(PREFECT_API_URL=prefect_api, PREFECT_HOME=str(tmp_path / "client")),
        cwd=tmp_path,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:

        def warned() -> str | None:
            printed = (tmp_path / "worker.out").read_text()
            return printed if "Ctrl-C to stop" in printed else None

        printed = wait_for("the worker's start", warned, 120, worker)
    finally:
        worker.send_signal(signal.SIGTERM)
        status = worker.wait(60)
        out.close()
    assert "warning: no deployment on the work pool esafety yet: run esafety deploy" in printed
    assert status == 0
    assert not (tmp_path / "esafety.db").exists()  # with a Prefect server it migrates nothing


def test_a_worker_whose_prefect_server_does_not_answer_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [*esafety(), "worker"],
        env=clean_env(
            PREFECT_API_URL="http://127.0.0.1:9/api",  # nothing listens on the discard port
            PREFECT_HOME=str(tmp_path / "client"),
            PREFECT_CLIENT_MAX_RETRIES="0",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "error: the Prefect server at http://127.0.0.1:9/api did not answer" in result.stderr
    assert "Traceback" not in result.stderr


def test_deploy_whose_prefect_server_does_not_answer_says_so(tmp_path: Path) -> None:
    result = _deploy("http://127.0.0.1:9/api", tmp_path, retries=0)  # no server: no retries
    assert result.returncode == 1
    assert "error: the Prefect server at http://127.0.0.1:9/api did not answer" in result.stderr
    assert "nothing was registered" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_workers_on_postgresql_one_stopped_one_killed_mid_delivery_lose_nothing(
    prefect_api: str, api: httpx.Client, tmp_path: Path, postgres_database_url: str
) -> None:
    """The operations check of issue 13: a separate Prefect server, two workers on the pool and
    our database on PostgreSQL; while they deliver, one worker and its flow runs get kill -9
    (the machine dies) and the other SIGTERM; a worker started afterwards sends what is left.
    Every alert arrives, one message each (a message the dead machine had handed to the server
    comes again with the same Message-ID, which the recipient keeps once), and the dead
    machine's flow run is marked crashed by the heartbeat automation."""
    from sqlalchemy import func, select

    from tests.delivery.rows import add_alert, add_case, add_deadline, make_org
    from tests.notify.servers import SmtpSink
    from workflows.delivery import queue_deliveries
    from workflows.persistence import alert_deliveries, make_engine, make_session_factory

    alerts, parallel = 120, 2
    migrate_database(Settings(database_url=postgres_database_url))
    engine = make_engine(postgres_database_url)
    sf = make_session_factory(engine)
    org = make_org(sf)
    for i in range(alerts):
        case_id = add_case(sf, org, f"W-{i:03d}")
        add_alert(sf, add_deadline(sf, case_id, date(2026, 3, 3)), case_id, "overdue")
    queue_deliveries(sf, ["email"])
    assert _deploy(prefect_api, tmp_path).returncode == 0
    sink = SmtpSink(delay=0.3)  # a slow relay: the deliveries last well past the kill
    sink.start()
    env = clean_env(
        PREFECT_API_URL=prefect_api,
        PREFECT_HOME=str(tmp_path / "client"),
        PREFECT_WORKER_QUERY_SECONDS="1",
        ESAFETY_DATABASE_URL=postgres_database_url,
        ESAFETY_SMTP_PORT=str(sink.port),
        ESAFETY_DELIVERY_PARALLEL=str(parallel),
        ESAFETY_ALERT_HOURS_LEVELS="[]",  # whatever the hour the test runs at
    )

    def start(i: int) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{i}.out").open("wb")
        # a session of its own: kill -9 of the group is the machine dying, flow runs and all
        return subprocess.Popen(
            [*esafety(), "worker"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def delivered() -> int:
        with sf() as session:
            return int(
                session.execute(
                    select(func.count()).where(alert_deliveries.c.status == "delivered")
                ).scalar_one()
            )

    workers = [start(1), start(2)]
    try:

        def online() -> bool:
            rows = _poll(api, "POST", "/work_pools/esafety/workers/filter", json={}) or []
            return bool(sum(row["status"] == "ONLINE" for row in rows) >= 2)

        wait_for("two workers online", online, 120, *workers)
        _submit_deliveries(prefect_api, 2)
        wait_for("the first emails", lambda: len(sink.messages) >= 6, 120, *workers)
        by_pid = {str(w.pid): w for w in workers}

        def holding() -> tuple[subprocess.Popen[bytes], list[str]] | None:
            """A worker with a delivery run in hand (either: the server decides who takes
            which run), and its runs."""
            rows = _poll(
                api,
                "POST",
                "/flow_runs/filter",
                json={"flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}}},
            )
            if rows is None:
                return None
            for r in rows:
                pid = str(r["labels"].get("prefect.worker.name", "")).rpartition("-")[2]
                if pid in by_pid:
                    held = [
                        x["id"]
                        for x in rows
                        if str(x["labels"].get("prefect.worker.name", "")).endswith(f"-{pid}")
                    ]
                    return by_pid[pid], held
            return None

        killed, in_hand = wait_for("a delivery run in a worker's hands", holding, 90, *workers)
        stopped = next(w for w in workers if w is not killed)
        for pid in descendants(killed.pid):  # the machine dies: the worker and its flow runs
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        killed.wait(30)
        died = time.monotonic()
        assert delivered() < alerts, "the workers finished before the machine died"
        stopped.send_signal(signal.SIGTERM)
        # it takes no new run and lets the one in hand finish: that run also takes the rows
        # the dead machine held (their locks went with its connections)
        assert stopped.wait(90) == 0
        # the next worker up takes the scheduled delivery runs and sends whatever is left
        workers.append(start(3))
        wait_for("every alert delivered", lambda: delivered() == alerts, 180, workers[2])
        assert time.monotonic() - died < 150  # within two minutes or so: no lease to wait out

        # the dead machine's flow run stops sending heartbeats: the automation marks it crashed
        def crashed() -> bool:
            runs = [_poll(api, "GET", f"/flow_runs/{run_id}") for run_id in in_hand]
            return all(run is not None and run["state"]["type"] == "CRASHED" for run in runs)

        wait_for("the dead run marked crashed", crashed, 240, workers[2])
        for run_id in in_hand:
            state = api.get(f"/flow_runs/{run_id}").json()["state"]
            assert "No heartbeat for 60 s" in str(state.get("message")), state  # ours, not a
            # flow run's own report of its end
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
        sink.stop()
        engine.dispose()
    ids = Counter(str(m["Message-ID"]) for m in sink.messages)
    assert len(ids) == alerts  # every alert arrived
    again = sum(n - 1 for n in ids.values())
    assert again <= parallel, ids.most_common(3)  # only what the dead machine had in flight


def _submit_deliveries(prefect_api: str, n: int) -> None:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        for _ in range(n):
            run_deployment("deliver-alerts/deliver-alerts", timeout=0)
