"""Benchmark: start-up of a single `esafety calendar` call against `python -c "import numpy"`.

Run: ``.venv/bin/python bench/cli_start.py [--runs 20]``

Each command is a whole process, timed from outside (wall clock around the child, and its user
plus system CPU time from the operating system's accounting). The baseline, `python -c "import
numpy"` with the same interpreter, runs in turn with each command (A B A B ...), and the ratio is
taken pair by pair, so that a machine whose speed drifts during the run moves both alike.

Rows:

- ``add-working-days 2026-01-02 45``, calendar table cache warm (the case users meet: every call
  after the first). Target (issue 14, item 1): at most 1.5x the baseline;
- the same with an empty cache directory for every run (the first call after installing, or
  after the `holidays` package changed): the table is built from `holidays` and written;
- ``working-days-between`` and ``holidays 2026`` (warm), and ``python -c pass`` (the floor).

Answers are checked before anything is timed. The commands run with Python's bytecode cache
as an installed package has it (PYTHONDONTWRITEBYTECODE is dropped from their environment, so
the first, uncounted run of each writes it); `--no-bytecode-cache` keeps the variable as the
caller's environment has it instead.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from calendars import Region, calendar_for

PYTHON = sys.executable
ESAFETY = str(Path(PYTHON).with_name("esafety"))
BASELINE = (PYTHON, "-c", "import numpy")


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def timed(cmd: Sequence[str], env: dict[str, str]) -> tuple[Timing, bytes]:
    """Run `cmd` once with empty stdin; its wall time, CPU time (user + system) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, env=env, check=False, timeout=120
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu), done.stdout


@dataclass(frozen=True)
class Row:
    name: str
    cmd: tuple[str, ...]
    expected: bytes | None
    prepare: Callable[[], dict[str, str]]


def spread(values: list[float], scale: float = 1.0, fmt: str = "{:.0f}") -> str:
    v = sorted(x * scale for x in values)
    return f"{fmt.format(statistics.median(v))} ({fmt.format(v[0])}-{fmt.format(v[-1])})"


def main() -> None:
    parser = argparse.ArgumentParser(description="Start-up of single esafety calendar calls.")
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (default 20)")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as the caller has it",
    )
    args = parser.parse_args()

    cal = calendar_for(Region.ENGLAND_AND_WALES)
    due = cal.add_working_days(date(2026, 1, 2), 45).isoformat()
    between = cal.working_days_between(date(2022, 9, 16), date(2026, 3, 6))
    holidays_2026 = "".join(
        f"{h.date.isoformat()}  {h.name}\n" for h in cal.bank_holidays(2026)
    ).encode()

    work = Path(tempfile.mkdtemp(prefix="esafety-bench-start-"))
    warm_dir = work / "warm"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("ESAFETY_")}
    if not args.no_bytecode_cache:
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    base_env["XDG_CACHE_HOME"] = str(work / "xdg")  # never the user's own cache

    def warm() -> dict[str, str]:
        return {**base_env, "ESAFETY_CALENDAR_CACHE_DIR": str(warm_dir)}

    cold_count = 0

    def cold() -> dict[str, str]:
        nonlocal cold_count
        cold_count += 1
        return {**base_env, "ESAFETY_CALENDAR_CACHE_DIR": str(work / f"cold-{cold_count}")}

    add = (ESAFETY, "calendar", "add-working-days", "2026-01-02", "45")
    rows = [
        Row("add-working-days 2026-01-02 45 (cache warm)", add, f"{due}\n".encode(), warm),
        Row("add-working-days 2026-01-02 45 (cache empty)", add, f"{due}\n".encode(), cold),
        Row(
            "working-days-between 2022-09-16 2026-03-06 (warm)",
            (ESAFETY, "calendar", "working-days-between", "2022-09-16", "2026-03-06"),
            f"{between}\n".encode(),
            warm,
        ),
        Row("holidays 2026 (warm)", (ESAFETY, "calendar", "holidays", "2026"), holidays_2026, warm),
        Row("python -c pass (the floor)", (PYTHON, "-c", "pass"), b"", warm),
    ]

    try:
        for row in rows:  # answers first, and a warm-up run of each
            _, out = timed(row.cmd, row.prepare())
            if row.expected is not None and out != row.expected:
                raise SystemExit(f"{row.name}: printed {out!r}, expected {row.expected!r}")
        timed(BASELINE, base_env)

        print(f"{args.runs} runs of each command, in turn with `python -c 'import numpy'`")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()}")
        print(f"PYTHONDONTWRITEBYTECODE={base_env.get('PYTHONDONTWRITEBYTECODE', '(unset)')}")
        header = f"{'command':52} {'wall ms':>17} {'baseline ms':>17} {'wall ratio':>20}"
        print(header + f" {'cpu ratio':>20}")
        for row in rows:
            ours: list[Timing] = []
            base: list[Timing] = []
            for _ in range(args.runs):
                ours.append(timed(row.cmd, row.prepare())[0])
                base.append(timed(BASELINE, base_env)[0])
            wall_ratios = [a.wall / b.wall for a, b in zip(ours, base, strict=True)]
            cpu_ratios = [a.cpu / b.cpu for a, b in zip(ours, base, strict=True)]
            print(
                f"{row.name:52} {spread([t.wall for t in ours], 1000):>17} "
                f"{spread([t.wall for t in base], 1000):>17} "
                f"{spread(wall_ratios, fmt='{:.2f}x'):>20} {spread(cpu_ratios, fmt='{:.2f}x'):>20}"
            )
        print("figures: median (min-max); ratios taken pair by pair")
        print(f"load after: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
