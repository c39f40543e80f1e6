"""`esafety worker` on a single machine: with no PREFECT_API_URL it starts a local Prefect server
(scheduler on), migrates the embedded database, registers every deployment on the work pool and
runs their flow runs with one process worker; on SIGTERM it stops the worker, then the server
(issues 5 and 13)."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.flows.processes import alive, clean_env, esafety, free_port, wait_for

pytestmark = pytest.mark.prefect

SCHEDULED = {"deadline-sweep", "deliver-alerts", "manager-digest", "census-check"}
DEPLOYMENTS = {*SCHEDULED, "recalculate-deadlines"}


def _worker_env(tmp_path: Path, port: int) -> dict[str, str]:
    # no ESAFETY_DATABASE_URL: the quick start's default, esafety.db in the worker's directory
    return clean_env(
        ESAFETY_PREFECT_HOME=str(tmp_path / "prefect"),
        ESAFETY_PREFECT_PORT=str(port),
        ESAFETY_EMAIL_ENABLED="false",
        PREFECT_HOME=str(tmp_path / "client"),
        PREFECT_WORKER_QUERY_SECONDS="2",
    )


def test_worker_starts_a_local_server_runs_the_pool_and_stops_it(tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    out = (tmp_path / "worker.out").open("wb")
    worker = subprocess.Popen(
        [*esafety(), "worker"],
        env=_worker_env(tmp_path, port),
        cwd=tmp_path,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    client = httpx.Client(base_url=api, timeout=5)
    try:

        def deployment_ids() -> dict[str, str] | None:
            try:
                rows = client.post("/deployments/filter", json={}).json()
            except httpx.HTTPError:
                return None
            found = {row["name"]: row["id"] for row in rows}
            return found if set(found) == DEPLOYMENTS else None

        ids = wait_for("registered deployments", deployment_ids, 90, worker)

        def scheduled_for_all() -> set[str] | None:
            rows = client.post(
                "/flow_runs/filter",
                json={"flow_runs": {"state": {"type": {"any_": ["SCHEDULED", "COMPLETED"]}}}},
            ).json()
            names = {
                name for name, id_ in ids.items() for row in rows if row["deployment_id"] == id_
            }
            return names if names == SCHEDULED else None

        wait_for("scheduled runs for every deployment", scheduled_for_all, 60, worker)

        pools = {
            row["work_pool_name"] for row in client.post("/deployments/filter", json={}).json()
        }
        assert pools == {"esafety"}

        # run, not only scheduled: a run of the sweep asked for now completes on the pool's worker
        run = client.post(f"/deployments/{ids['deadline-sweep']}/create_flow_run", json={})
        run.raise_for_status()
        run_id = run.json()["id"]

        def completed() -> dict[str, Any] | None:
            found: dict[str, Any] = client.get(f"/flow_runs/{run_id}").json()
            state = found["state"]
            assert state["type"] not in ("FAILED", "CRASHED"), state
            return found if state["type"] == "COMPLETED" else None

        done = wait_for("completed sweep run", completed, 90, worker)
        assert done["labels"]["prefect.worker.name"].startswith("esafety-")
        # the run worked on the worker's database (the default, relative to the worker's
        # directory, although a flow run starts in a temporary one) and found it migrated
        with sqlite3.connect(tmp_path / "esafety.db") as db:
            jobs = {row[0] for row in db.execute("SELECT name FROM service_runs")}
        assert "sweep" in jobs
        printed = (tmp_path / "worker.out").read_text()
        assert f"Prefect server: {api}" in printed
        server_pid = int(printed.split(", pid ")[1].split(")")[0])
        assert alive(server_pid)
    finally:
        client.close()
        worker.send_signal(signal.SIGTERM)
        try:
            status = worker.wait(90)  # a run in hand may finish first
        finally:
            if worker.poll() is None:
                worker.kill()
            out.close()
    printed = (tmp_path / "worker.out").read_text()
    assert status == 0, printed
    assert "stopping the local Prefect server" in printed
    assert not alive(server_pid)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more
    assert (tmp_path / "prefect" / "prefect.db").exists()  # its own database, in its home


def test_worker_refuses_a_configured_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*esafety(), "worker"],
            env=_worker_env(tmp_path, port),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"ESAFETY_PREFECT_PORT: port {port} is already in use" in result.stderr
    assert not (tmp_path / "prefect").exists()
    assert not (tmp_path / "esafety.db").exists()
