"""Deployments on a Prefect work pool against a real Prefect server (issue 13, item 1):
`esafety deploy` registers the pool and the deployments once, with their Europe/London
schedules, however often it runs; two `esafety worker` processes share the flow runs of a
deployment, and stopping one (SIGTERM) lets its run in hand finish and leaves the other running
the new ones."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from esafety_flow.bootstrap import migrate_database
from esafety_flow.settings import Settings
from esafety_flow.worker import LocalPrefectServer
from tests.flows.processes import clean_env, esafety, wait_for

pytestmark = pytest.mark.prefect

CRONS = {
    "deadline-sweep": "*/15 * * * *",
    "deliver-alerts": "* * * * *",
    "manager-digest": "0 8 * * 1-5",
    "census-check": "30 1 * * *",
    "recalculate-deadlines": None,
}


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server of its own (scheduler on), as in production; its API URL."""
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


def _deployments(api: httpx.Client) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in api.post("/deployments/filter", json={}).json()}


def _deploy(prefect_api: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*esafety(), "deploy"],
        env=clean_env(
            PREFECT_API_URL=prefect_api,
            PREFECT_HOME=str(tmp_path / "client"),
            PREFECT_CLIENT_MAX_RETRIES="0",
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
            run = api.get(f"/flow_runs/{run_id}").json()
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
            rows = api.post("/work_pools/esafety/workers/filter", json={}).json()
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
                run = api.get(f"/flow_runs/{run_id}").json()
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
    result = _deploy("http://127.0.0.1:9/api", tmp_path)
    assert result.returncode == 1
    assert "error: the Prefect server at http://127.0.0.1:9/api did not answer" in result.stderr
    assert "nothing was registered" in result.stderr
    assert "Traceback" not in result.stderr
