"""The worker: serves the alert flows on their Europe/London schedules (`esafety worker`).

    sweep    every 15 minutes        ESAFETY_SWEEP_CRON   (default "*/15 * * * *")
    deliver  every minute            ESAFETY_DELIVER_CRON (default "* * * * *")
    digest   08:00 on weekdays       ESAFETY_DIGEST_CRON  (default "0 8 * * 1-5")

Cron knows the clock changes (the schedules carry `timezone="Europe/London"`) but not bank
holidays: the digest flow asks the calendar and does nothing on a non-working day. A run that
starts late still judges the moment it was scheduled for (`run_moment`).

Prefect's telemetry is turned off before Prefect is imported. In production `PREFECT_API_URL`
points at a Prefect server (on PostgreSQL) and one worker runs per machine. Without it (single
machine) the worker starts a local Prefect server as a child process (`LocalPrefectServer`:
scheduler on, its own SQLite database under `ESAFETY_PREFECT_HOME`) and stops it after serving
ends. Prefect's temporary ("ephemeral") server is no use here: it does not run the scheduler, so
no scheduled run would ever be created.
"""

from __future__ import annotations

import contextlib
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
from typing import IO, TYPE_CHECKING

from esafety_flow.flows.telemetry import TELEMETRY_OFF, telemetry_off
from esafety_flow.settings import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

__all__ = [
    "LONDON_TZ",
    "LocalPrefectServer",
    "LocalServerError",
    "deployments",
    "port_is_free",
    "run_worker",
    "schedules",
    "validate_schedules",
]

LONDON_TZ = "Europe/London"
LOCAL_HOST = "127.0.0.1"


def schedules(settings: Settings) -> dict[str, str]:
    """Deployment name -> cron expression (Europe/London)."""
    return {
        "deadline-sweep": settings.sweep_cron,
        "deliver-alerts": settings.deliver_cron,
        "manager-digest": settings.digest_cron,
        "census-check": settings.census_check_cron,
    }


def validate_schedules(settings: Settings) -> list[str]:
    """What is wrong with the configured cron expressions (empty: nothing)."""
    telemetry_off()
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    problems: list[str] = []
    for name, cron in schedules(settings).items():
        try:
            CronSchedule(cron=cron, timezone=LONDON_TZ)
        except ValidationError:
            problems.append(f"{name}: invalid cron expression {cron!r}")
    return problems


def deployments(settings: Settings) -> list[RunnerDeployment]:
    """One deployment per flow, each with its cron schedule in Europe/London."""
    telemetry_off()
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron

    from esafety_flow.flows import census_check, deadline_sweep, deliver_alerts, manager_digest

    crons = schedules(settings)
    built: list[RunnerDeployment] = []
    for name, flow in (
        ("deadline-sweep", deadline_sweep),
        ("deliver-alerts", deliver_alerts),
        ("manager-digest", manager_digest),
        ("census-check", census_check),
    ):
        deployment = flow.to_deployment(
            name,
            schedule=Cron(crons[name], timezone=LONDON_TZ),
            # one delivery run at a time; the outbox's claims hold even without it
            concurrency_limit=1 if name == "deliver-alerts" else None,
        )
        assert isinstance(deployment, RunnerDeployment)  # called from sync code: not a coroutine
        built.append(deployment)
    return built


class LocalServerError(RuntimeError):
    """The local Prefect server did not start."""


def port_is_free(port: int, host: str = LOCAL_HOST) -> bool:
    """Whether a TCP server could listen on `host:port` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
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
def _prefect_api(settings: Settings, announce: Callable[[str], None]) -> Iterator[None]:
    """Use the configured Prefect server, or start a local one for as long as the block runs."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = PREFECT_API_URL.value()
    if configured:
        announce(f"Prefect server: {configured}")
        yield
        return
    server = LocalPrefectServer(
        settings.prefect_home,
        settings.prefect_port,
        scheduler_loop_seconds=settings.prefect_scheduler_loop_seconds,
        start_timeout=settings.prefect_start_timeout,
    )
    announce(f"starting a local Prefect server (database and log in {server.home}) ...")
    # SIGTERM while the server starts: unwind so that it is stopped (serving installs its own)
    previous = signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        with server:
            announce(f"Prefect server: {server.api_url}  (UI {server.ui_url}, pid {server.pid})")
            os.environ["PREFECT_API_URL"] = server.api_url  # the flow-run processes inherit it
            try:
                with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                    yield
            finally:
                os.environ.pop("PREFECT_API_URL", None)
                announce("stopping the local Prefect server ...")
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_worker(settings: Settings, announce: Callable[[str], None] = print) -> None:
    """Serve the deployments until interrupted (blocks): Ctrl-C or SIGTERM stops serving first,
    then the local Prefect server if this process started one."""
    telemetry_off()
    import warnings

    from prefect import serve

    # Prefect's own SIGTERM handler calls the runner's async stop without awaiting it; the
    # shutdown still happens (the runner's exit pauses the schedules), the warning is noise
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    with _prefect_api(settings, announce):
        serve(*deployments(settings))
