"""Benchmark: `esafety calendar ... --batch` end to end against a plain numpy script.

Run: ``.venv/bin/python bench/cli_batch.py [--lines 200000] [--runs 10]``

Both sides are whole processes reading the same file on stdin and writing to a file: start-up,
parse, compute and print. The baseline is the script a data team would write with numpy alone
(`REFERENCE` below): split stdin, let numpy parse the columns, `busday_offset(d, n,
roll="backward")` (day 0 of DESIGN 3.2 for n >= 1) or `busday_count(a + 1, b + 1)` (numpy
counts [a, b); DESIGN 3.2 counts (a, b]) with a `busdaycalendar` of the same holidays, and one
write. It is given the holidays ready-made in an .npy file, so it pays nothing for the
`holidays` package: that is the strongest baseline, not the usual script.

The two run in turn (A B A B ...) and the ratio is taken pair by pair. Outputs are checked to
be byte for byte identical first. Our calendar table cache is warm (the first run fills it), and
Python's bytecode cache too (PYTHONDONTWRITEBYTECODE is dropped from the commands' environment,
unless `--no-bytecode-cache`).

Rows: `add-working-days --batch` on DATE N lines (start dates 2012-2028, n in 1..60; target of
issue 14, item 2: no slower than the baseline, a ratio of at most 1.0x) and
`working-days-between --batch` on START END lines (spans of 0..400 days).
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
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from calendars import Region, calendar_for

PYTHON = sys.executable
ESAFETY = str(Path(PYTHON).with_name("esafety"))

REFERENCE = """\
import sys
import numpy as np
mode, holidays_file = sys.argv[1], sys.argv[2]
cal = np.busdaycalendar(holidays=np.load(holidays_file))
tokens = sys.stdin.buffer.read().split()
first = np.array(tokens[0::2]).astype("datetime64[D]")
if mode == "add":
    n = np.array(tokens[1::2]).astype(np.int64)
    out = np.datetime_as_string(np.busday_offset(first, n, roll="backward", busdaycal=cal))
else:
    one = np.timedelta64(1, "D")
    second = np.array(tokens[1::2]).astype("datetime64[D]")
    out = np.busday_count(first + one, second + one, busdaycal=cal).astype(str)
sys.stdout.write("\\n".join(out.tolist()) + "\\n")
"""


def timed(
    cmd: Sequence[str], stdin: Path, stdout: Path, env: dict[str, str]
) -> tuple[float, float]:
    """Run `cmd` once, stdin from a file and stdout to a file: wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with stdin.open("rb") as source, stdout.open("wb") as sink:
        start = time.perf_counter()
        done = subprocess.run(
            cmd, stdin=source, stdout=sink, stderr=subprocess.PIPE, env=env, check=False
        )
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def spread(values: list[float], fmt: str) -> str:
    v = sorted(values)
    return f"{fmt.format(statistics.median(v))} ({fmt.format(v[0])}-{fmt.format(v[-1])})"


def main() -> None:
    parser = argparse.ArgumentParser(description="esafety calendar --batch against numpy.")
    parser.add_argument("--lines", type=int, default=200_000, help="lines of input (200,000)")
    parser.add_argument("--runs", type=int, default=10, help="runs of each command (10)")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as the caller has it",
    )
    args = parser.parse_args()

    cal = calendar_for(Region.ENGLAND_AND_WALES)
    years = range(cal.first.year, cal.last.year + 1)
    days_off = [h.date for y in years for h in cal.bank_holidays(y)]

    rng = np.random.default_rng(14)
    lo = np.datetime64("2012-01-01").astype(np.int64)
    hi = np.datetime64("2028-09-30").astype(np.int64)
    starts = rng.integers(lo, hi, args.lines).astype("datetime64[D]")
    counts = rng.integers(1, 61, args.lines)
    ends = starts + rng.integers(0, 401, args.lines).astype("timedelta64[D]")

    work = Path(tempfile.mkdtemp(prefix="esafety-bench-batch-"))
    try:
        holidays_file = work / "holidays.npy"
        np.save(holidays_file, np.array(days_off, dtype="datetime64[D]"))
        add_in = work / "add.txt"
        add_in.write_text(
            "".join(f"{d} {n}\n" for d, n in zip(starts.tolist(), counts.tolist(), strict=True))
        )
        between_in = work / "between.txt"
        between_in.write_text(
            "".join(f"{a} {b}\n" for a, b in zip(starts.tolist(), ends.tolist(), strict=True))
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESAFETY_")}
        if not args.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["XDG_CACHE_HOME"] = str(work / "xdg")
        env["ESAFETY_CALENDAR_CACHE_DIR"] = str(work / "cache")

        rows = [
            ("add-working-days --batch", "add-working-days", "add", add_in),
            ("working-days-between --batch", "working-days-between", "between", between_in),
        ]
        print(f"{args.lines:,} lines, {args.runs} runs of each command in turn with the baseline")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()}")
        print(f"PYTHONDONTWRITEBYTECODE={env.get('PYTHONDONTWRITEBYTECODE', '(unset)')}")
        print(
            f"{'command':30} {'ours wall ms':>18} {'numpy wall ms':>18} {'wall ratio':>20} "
            f"{'cpu ratio':>20}"
        )
        for name, command, mode, stdin in rows:
            ours_cmd = (ESAFETY, "calendar", command, "--batch")
            ref_cmd = (PYTHON, "-c", REFERENCE, mode, str(holidays_file))
            ours_out, ref_out = work / "ours.out", work / "ref.out"
            timed(ours_cmd, stdin, ours_out, env)  # fills the cache; answers checked below
            timed(ref_cmd, stdin, ref_out, env)
            if ours_out.read_bytes() != ref_out.read_bytes():
                raise SystemExit(f"{name}: our output differs from the numpy script's")
            ours: list[tuple[float, float]] = []
            ref: list[tuple[float, float]] = []
            for _ in range(args.runs):
                ours.append(timed(ours_cmd, stdin, ours_out, env))
                ref.append(timed(ref_cmd, stdin, ref_out, env))
            walls = [a[0] / b[0] for a, b in zip(ours, ref, strict=True)]
            cpus = [a[1] / b[1] for a, b in zip(ours, ref, strict=True)]
            print(
                f"{name:30} {spread([1000 * t[0] for t in ours], '{:.0f}'):>18} "
                f"{spread([1000 * t[0] for t in ref], '{:.0f}'):>18} "
                f"{spread(walls, '{:.2f}x'):>20} {spread(cpus, '{:.2f}x'):>20}"
            )
        print("figures: median (min-max); ratios taken pair by pair; outputs identical")
        print(f"load after: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
