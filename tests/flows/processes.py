"""Helpers for the tests that run `esafety` commands and Prefect servers as real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

__all__ = ["ROOT", "alive", "clean_env", "descendants", "esafety", "free_port", "wait_for"]

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without Prefect's or our settings, plus `extra`; the processes (and the
    flow runs they start, in other directories) import this checkout's packages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ESAFETY_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def esafety() -> list[str]:
    return [str(Path(sys.executable).with_name("esafety"))]  # the installed console script


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    timeout: float,
    *processes: subprocess.Popen[bytes],
) -> T:
    """`probe()` once it returns something, polled every half second; fails if any of
    `processes` exits meanwhile or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"{process.args!r} exited ({process.returncode}) waiting for {what}")
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"no {what} within {timeout:.0f} s")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone in all but name
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def descendants(pid: int) -> list[int]:
    """`pid` and every process under it, whatever process group or session each is in (a
    Prefect worker starts each flow run in a session of its own), read from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found
