"""The worker (`esafety worker`): one Prefect process worker on the work pool of the
deployments (`esafety_flow.deploy`), which runs each flow run it takes as a child process.

With `PREFECT_API_URL` (production) it only starts the worker: the deployments were registered
once per release by `esafety deploy`, and their runs stay scheduled on the Prefect server whether
or not this worker is up. Several workers on several machines share the runs (each takes at
most `ESAFETY_WORKER_LIMIT` at once, default 4); stopping one pauses nothing: on SIGTERM or
Ctrl-C it takes no new run, lets the runs it has finish (`ESAFETY_WORKER_STOP_GRACE_SECONDS`,
default 45; a second signal ends them at once) and exits, and the others take the next runs.

Without it (one machine) the worker starts a local Prefect server as a child process
(`LocalPrefectServer`: scheduler on, its own SQLite database under `ESAFETY_PREFECT_HOME`),
registers the deployments on it as `esafety deploy` would, runs the worker, and stops the server
after the worker. Prefect's temporary ("ephemeral") server is no use here: it does not run the
scheduler, so no scheduled run would ever be created.

A flow run starts in a temporary directory with this process's environment: the settings this
worker read (from the environment or `.env`) are passed on, relative paths made absolute
(`flow_run_environment`), so the runs use the same database as the worker. Prefect's telemetry
is turned off before Prefect is imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

from esafety_flow.flows.telemetry import TELEMETRY_OFF, telemetry_off
from esafety_flow.settings import Settings

__all__ = [
    "LocalPrefectServer",
    "LocalServerError",
    "flow_run_environment",
    "port_is_free",
    "run_worker",
    "worker_name",
]

LOCAL_HOST = "127.0.0.1"


def worker_name() -> str:
    """This worker's name on the pool: the machine and the process (unique while it runs)."""
    return f"esafety-{socket.gethostname()}-{os.getpid()}"


def _absolute_database_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database or database == ":memory:":
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str(Path(database).resolve())).render_as_string(hide_password=False)


def flow_run_environment(settings: Settings) -> dict[str, str]:
    """The variables for the flow-run processes: as `ESAFETY_*`, every setting this worker was
    given (from the environment, `.env` or arguments) and every file it names, given or by
    default, with relative paths and SQLite files made absolute, since a flow run starts in a
    temporary directory; and Prefect's flow-run heartbeat, which the automation of
    `esafety_flow.flows.automations` watches to mark a run whose machine died as crashed
    (unless this environment sets it otherwise)."""
    from esafety_flow.flows.automations import FLOW_HEARTBEAT_SECONDS

    # what was given, and whatever names a file relative to this directory, given or not (the
    # default database is `sqlite:///esafety.db` here)
    relative = {
        name
        for name in type(settings).model_fields
        if name in ("database_url", "migration_database_url")
        or isinstance(getattr(settings, name), Path)
    }
    given = settings.model_dump(mode="json", include=settings.model_fields_set | relative)
    env: dict[str, str] = {}
    for name, value in given.items():
        if value is None:
            continue
        if name in ("database_url", "migration_database_url"):
            value = _absolute_database_url(value)
        elif isinstance(getattr(settings, name), Path):
            value = str(Path(value).resolve())
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str | int | float):
            text = str(value)
        else:
            text = json.dumps(value)
        env[f"ESAFETY_{name.upper()}"] = text
    env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] = os.environ.get(
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(FLOW_HEARTBEAT_SECONDS)
    )
    return env


class LocalServerError(RuntimeError):
    """The local Prefect server did not start."""


def port_is_free(port: int, host: str = LOCAL_HOST) -> bool:
    """Whether a TCP server could listen on `host:port` now. As the server does (uvicorn sets
    SO_REUSEADDR), a port whose last connections are in TIME-WAIT after a stop counts as free:
    a supervised restart on a fixed `ESAFETY_PREFECT_PORT` need not wait a minute. A port
    something listens on is still taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str = LOCAL_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: a function for the child, between fork and exec, that asks the kernel to SIGTERM it
    if the worker dies without stopping it (kill -9). Resolved here, in the parent, so the child
    runs no import and takes no lock."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def set_pdeathsig() -> None:  # pragma: no cover - runs in the child
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return set_pdeathsig


class LocalPrefectServer:
    """`prefect server start` as a child process of this one, for a single machine.

    The scheduler service is on (it creates the scheduled flow runs), telemetry is off, the
    database is SQLite in `home` (PREFECT_HOME), output goes to `home/server.log`. The child runs
    in its own process group, so a Ctrl-C in the terminal reaches the worker only: the worker
    stops serving first, then stops the server (a runner whose server went first hangs).
    """

    def __init__(
        self,
        home: Path,
        port: int = 0,
        *,
        scheduler_loop_seconds: float = 10.0,
        start_timeout: float = 120.0,
    ) -> None:
        self.home = home.resolve()
        self.port = port or _free_port()
        self.scheduler_loop_seconds = scheduler_loop_seconds
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def ui_url(self) -> str:
        return f"http://{LOCAL_HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def environment(self) -> dict[str, str]:
        """The child's environment: ours, with the server's own settings."""
        env = {
            key: value
            for key, value in os.environ.items()
            # a client setting or the temporary-server flag would turn the child into a client
            if key not in ("PREFECT_API_URL", "PREFECT__SERVER_EPHEMERAL")
        }
        env.update(TELEMETRY_OFF)
        env.update(
            {
                "PREFECT_HOME": str(self.home),
                "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "true",
                "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": str(self.scheduler_loop_seconds),
                # old flow runs (and their logs) deleted after the retention period (90 days)
                "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
                "PREFECT_UI_API_URL": self.api_url,
            }
        )
        return env

    def command(self) -> list[str]:
        prefect = Path(sys.executable).with_name("prefect")
        program = [str(prefect)] if prefect.exists() else [sys.executable, "-m", "prefect"]
        return [
            *program,
            "server",
            "start",
            "--host",
            LOCAL_HOST,
            "--port",
            str(self.port),
            "--scheduler",
            "--analytics-off",
            "--no-background",
        ]

    def start(self) -> None:
        """Start the server and wait until its API answers /health."""
        if self._process is not None:
            raise LocalServerError("the local Prefect server is already running")
        if not port_is_free(self.port):
            raise LocalServerError(f"port {self.port} on {LOCAL_HOST} is already in use")
        self.home.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self.command(),
            env=self.environment(),
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        deadline = time.monotonic() + self.start_timeout
        while not self._healthy():
            if self._process.poll() is not None:
                code = self._process.returncode
                self.stop()
                raise LocalServerError(
                    f"the local Prefect server exited with status {code} while starting; "
                    f"see {self.log_path}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise LocalServerError(
                    f"the local Prefect server did not answer {self.api_url}/health within "
                    f"{self.start_timeout:.0f} s; see {self.log_path}"
                )
            time.sleep(0.25)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the server's process group, SIGKILL it if it has not gone within `timeout`."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process is not None:
            # anything the server itself started (its group) goes with it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalPrefectServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


@contextlib.contextmanager
def _prefect_api(settings: Settings, announce: Callable[[str], None]) -> Iterator[bool]:
    """Use the configured Prefect server (yields False), or start a local one for as long as
    the block runs (yields True)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = PREFECT_API_URL.value()
    if configured:
        announce(f"Prefect server: {configured}")
        yield False
        return
    server = LocalPrefectServer(
        settings.prefect_home,
        settings.prefect_port,
        scheduler_loop_seconds=settings.prefect_scheduler_loop_seconds,
        start_timeout=settings.prefect_start_timeout,
    )
    announce(f"starting a local Prefect server (database and log in {server.home}) ...")
    # SIGTERM while the server starts: unwind so that it is stopped (the worker installs its own)
    previous = signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        with server:
            announce(f"Prefect server: {server.api_url}  (UI {server.ui_url}, pid {server.pid})")
            os.environ["PREFECT_API_URL"] = server.api_url  # the flow-run processes inherit it
            try:
                with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                    yield True
            finally:
                os.environ.pop("PREFECT_API_URL", None)
                announce("stopping the local Prefect server ...")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _pool_has_deployments(pool: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName

    with get_client(sync_client=True) as client:
        found = client.read_deployments(
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])), limit=1
        )
    return bool(found)


class _Stopping:
    """A worker's way out: the first SIGTERM or SIGINT stops it taking runs and lets the runs it
    has finish (up to `grace` seconds); a second one, or the grace running out, ends them."""

    def __init__(self, worker: Any, grace: float, announce: Callable[[str], None]) -> None:
        self.worker = worker
        self.grace = grace
        self.announce = announce
        self.requested = asyncio.Event()
        self.now = asyncio.Event()
        self.polling = 0
        take = worker.get_and_submit_flow_runs

        async def take_unless_stopping() -> list[Any]:
            if self.requested.is_set():
                return []
            self.polling += 1
            try:
                found: list[Any] = await take()
                return found
            finally:
                self.polling -= 1

        # the worker's polling loop calls this; once stopping, it takes nothing more
        worker.get_and_submit_flow_runs = take_unless_stopping

    def signal(self) -> None:
        if self.requested.is_set():
            self.now.set()
        else:
            self.requested.set()

    def busy(self) -> int:
        """Flow runs taken and not finished (the worker's limiter counts each from the moment
        it is taken), or a poll under way."""
        try:
            taken = int(self.worker.limiter.borrowed_tokens)
        except RuntimeError:  # not set up yet: it has taken nothing
            taken = 0
        return taken + self.polling

    async def drain(self) -> None:
        """Return once stopping was asked for and the runs in hand have finished (or the grace
        ran out, or stopping now was asked for)."""
        await self.requested.wait()
        if self.busy():
            self.announce(
                f"stopping: waiting up to {self.grace:.0f} s for {self.busy()} flow run(s) "
                "to finish (again to stop now)"
            )
        deadline = asyncio.get_running_loop().time() + self.grace
        while self.busy() and not self.now.is_set():
            if asyncio.get_running_loop().time() > deadline:
                self.announce("stopping: the grace period ran out; ending the runs in hand")
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.now.wait(), 0.2)


async def _work(settings: Settings, name: str, announce: Callable[[str], None]) -> None:
    """Run a process worker on the pool until SIGTERM or SIGINT stops it (`_Stopping`)."""
    from prefect.workers.process import ProcessWorker

    worker = ProcessWorker(
        work_pool_name=settings.work_pool, name=name, limit=settings.worker_limit
    )
    stopping = _Stopping(worker, settings.worker_stop_grace_seconds, announce)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.signal)
    # said only now that a SIGTERM or Ctrl-C stops it gracefully (said earlier, a SIGTERM sent
    # on reading it could arrive before the handlers and kill the process outright)
    n = settings.worker_limit
    announce(
        f"worker {name} on the work pool {settings.work_pool} (at most {n} flow "
        f"run{'' if n == 1 else 's'} at once); Ctrl-C to stop"
    )
    running = asyncio.ensure_future(worker.start(printer=lambda *args, **kwargs: None))
    drained = asyncio.ensure_future(stopping.drain())
    try:
        await asyncio.wait({running, drained}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in (running, drained):
            future.cancel()
        await asyncio.gather(running, drained, return_exceptions=True)
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    error = None if running.cancelled() else running.exception()
    if error is not None:
        raise error
    announce(f"worker {name} stopped; the runs it had not taken stay scheduled")


def run_worker(settings: Settings, announce: Callable[[str], None] = print) -> None:
    """Run one process worker on the pool until interrupted (blocks). Without `PREFECT_API_URL`
    first start a local Prefect server and register the deployments on it; Ctrl-C or SIGTERM
    stops the worker first, then that server."""
    telemetry_off()
    os.environ.update(flow_run_environment(settings))
    with _prefect_api(settings, announce) as local:
        if local:
            from esafety_flow.deploy import register

            registered = register(settings)
            announce(
                f"registered {len(registered.deployment_ids)} deployments on the work pool "
                f"{registered.work_pool}"
            )
        elif not _pool_has_deployments(settings.work_pool):
            announce(
                f"warning: no deployment on the work pool {settings.work_pool} yet: "
                "run esafety deploy"
            )
        name = worker_name()
        handlers: dict[int, Any] = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            asyncio.run(_work(settings, name, announce))
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
