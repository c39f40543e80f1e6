"""Profiles for `bench/web.py --profile`: where a page's time goes, measured rather than guessed.

Two views of each endpoint:

- **Under load**: `py-spy` (a sampling profiler, `pip install py-spy`; it reads the processes'
  stacks from outside, so the server runs exactly as in the benchmark) samples every server
  process while wrk keeps the connections busy. The summary lists the functions holding the most
  samples by their own time (the frame on top of the stack) and inclusive (anywhere on it), as a
  share of all samples taken in the server's Python threads while they were busy.
- **One request at a time, in-process**: the app is built in this process on the same database
  and each endpoint is requested `n` times through an ASGI transport, with every SQL statement
  timed at the driver (SQLAlchemy's cursor events): statements per request, their time, and the
  rest of the request (Python: routing, the session look-up's code, services, templates).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


@contextmanager
def sampled(pid: int, out: Path, seconds: float, rate: int = 200) -> Iterator[None]:
    """py-spy samples process `pid` and its children for `seconds` while the body runs."""
    beside = Path(sys.executable).with_name("py-spy")  # installed with the dev extras
    proc = subprocess.Popen(
        [
            str(beside) if beside.exists() else "py-spy",
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",
            "--rate",
            str(rate),
            "--duration",
            str(max(1, round(seconds))),
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        proc.wait(timeout=seconds + 60)


def _frame_name(frame: str) -> str:
    """`render (esafety_flow/web/common.py:120)` -> `render (esafety_flow/web/common.py)`, with
    site-packages paths cut to the package."""
    m = FRAME.match(frame)
    if m is None:
        return frame
    path = m.group("file")
    for marker in ("site-packages/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({path})"


@dataclass
class Profile:
    samples: int
    own: Counter[str]
    inclusive: Counter[str]

    def top(self, counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(name, 100 * count / self.samples) for name, count in counter.most_common(n)]


def read_raw(path: Path) -> Profile:
    """py-spy's raw (collapsed-stack) output: `frame;frame;...;frame count` per line, the first
    frames naming the process and thread."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    samples = 0
    if not path.exists():
        return Profile(0, own, inclusive)
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [
            _frame_name(f)
            for f in stack.split(";")
            if not f.startswith(("process ", "thread ")) and "(" in f
        ]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    return Profile(samples, own, inclusive)


OURS = ("(esafety_flow/", "(workflows/", "(states/", "(calendars/")
"""Frames of the project's own code (and its templates, `.html`)."""


def _ours(name: str) -> bool:
    return name.startswith(OURS, name.rfind(" (") + 1) or name.endswith(".html)")


def print_profile(name: str, profile: Profile, n: int = 15) -> None:
    """The functions with the most samples by own time (any code), and the project's own
    functions and templates by inclusive time (where its time goes, callees included)."""
    print(f"\n-- {name}: {profile.samples:,} samples in the server's busy threads")
    if not profile.samples:
        print("   (no samples: is py-spy installed, and may it read other processes?)")
        return
    ours = Counter({k: v for k, v in profile.inclusive.items() if _ours(k)})
    for title, counter in (("own time", profile.own), ("inclusive, the project's code", ours)):
        print(f"   top {n} by {title}:")
        for func, share in profile.top(counter, n):
            print(f"   {share:6.1f}%  {func}")


@dataclass
class RequestCost:
    name: str
    requests: int
    wall_ms: float
    sql_ms: float
    statements: float
    top_statements: list[tuple[str, int, float]]  # (statement's opening, count, ms) per request


def _opening(statement: str) -> str:
    text = " ".join(statement.split())
    return text[:110]


def in_process(
    url: str,
    endpoints: Sequence[tuple[str, str, str, dict[str, str], Any]],
    sign_in_as: dict[str, str],
    sign_in: Callable[[str, str, Any], Awaitable[Any]],
    n: int = 30,
) -> list[RequestCost]:
    """Each endpoint `n` times, one request at a time, through the app built in this process
    (after 3 unmeasured requests); `endpoints` are (name, method, path, headers, json body), a
    header `X-Bench-User: name` meaning "signed in as that user" (`sign_in_as` maps it to a
    username, signed in here by `sign_in(base, username, transport)`)."""
    import asyncio

    import httpx
    from sqlalchemy import Engine
    from sqlalchemy import event as sa_event

    os.environ["ESAFETY_DATABASE_URL"] = url
    from esafety_flow.cli.serve_cmd import app_from_environment

    app = app_from_environment()
    timings: list[tuple[str, float]] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        timings.append((statement, time.perf_counter() - conn.info.pop("bench_t0")))

    async def run() -> list[RequestCost]:
        transport = httpx.ASGITransport(app=app)
        clients = {
            key: await sign_in("http://bench", username, transport)
            for key, username in sign_in_as.items()
        }
        out = []
        for name, method, path, headers, body in endpoints:
            user = headers.get("X-Bench-User")
            client = (
                clients[user]
                if user
                else httpx.AsyncClient(base_url="http://bench", transport=transport)
            )
            sent = {k: v for k, v in headers.items() if k != "X-Bench-User"}
            for _ in range(3):
                await client.request(method, path, headers=sent, json=body)
            timings.clear()
            t0 = time.perf_counter()
            for _ in range(n):
                r = await client.request(method, path, headers=sent, json=body)
                if r.status_code >= 400 and r.status_code != 409:
                    raise SystemExit(f"{name}: {r.status_code} {r.text[:200]}")
            wall = (time.perf_counter() - t0) / n
            per: dict[str, list[float]] = {}
            for statement, seconds in timings:
                per.setdefault(_opening(statement), []).append(seconds)
            top = sorted(per.items(), key=lambda kv: -sum(kv[1]))[:6]
            out.append(
                RequestCost(
                    name,
                    n,
                    1000 * wall,
                    1000 * sum(s for _, s in timings) / n,
                    len(timings) / n,
                    [(k, round(len(v) / n), 1000 * sum(v) / n) for k, v in top],
                )
            )
        for c in clients.values():
            await c.aclose()
        return out

    sa_event.listen(Engine, "before_cursor_execute", before)
    sa_event.listen(Engine, "after_cursor_execute", after)
    try:
        return asyncio.run(run())
    finally:
        sa_event.remove(Engine, "before_cursor_execute", before)
        sa_event.remove(Engine, "after_cursor_execute", after)


def print_costs(costs: Sequence[RequestCost]) -> None:
    print("\nOne request at a time, in-process (the same database):\n")
    print(f"{'endpoint':<34} {'wall ms':>8} {'SQL ms':>7} {'Python ms':>9} {'statements':>10}")
    for c in costs:
        # statements run side by side (`esafety_flow.web.side_by_side`) can add up to more
        # than the request's wall time: the rest is then not a time of its own
        rest = f"{c.wall_ms - c.sql_ms:>9.1f}" if c.sql_ms <= c.wall_ms else f"{'overlap':>9}"
        print(f"{c.name:<34} {c.wall_ms:>8.1f} {c.sql_ms:>7.1f} {rest} {c.statements:>10.1f}")
    for c in costs:
        print(f"\n-- {c.name}: statements by time (per request: count, ms)")
        for opening, count, ms in c.top_statements:
            print(f"   {count:>3} {ms:>6.2f} ms  {opening}")
