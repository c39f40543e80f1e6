"""Benchmark: the web app's pages and main API calls with 100,000 cases in PostgreSQL, under 20
concurrent users on loopback, in two load models.

Run (from the repository root; PostgreSQL on the same machine, in a fresh schema dropped
afterwards):

    ESAFETY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/web.py [--cases 100000] [--seconds 10] [--user-seconds 30] \\
        [--users 20] [--think 1.0] [--workers 1] [--model both|closed|users|none] \\
        [--only dashboard] [--explain]

Data: 20 template cases are raised and moved through the services (so every row has the shape
the services write), then cloned with Core `insert()` to `--cases` cases over 50 teams of 10
practitioners each (about 200 cases per practitioner, 2,000 per team), with their deadlines,
subjects and event logs.

The app runs as `esafety serve --no-access-log` in a separate process (`--workers`, default 1).

Closed loop (the worst case): `wrk` (Debian's package; `apt-get install wrk`) keeps `--users`
connections busy with no think time on 2 threads for `--seconds` per endpoint after a 2 s
warm-up, each request picking one of 500 cases of the signed-in user's team at random; without wrk
(or with `--python-client`) a small asyncio/httpx generator does the same.

"20 concurrent users" (the words of issue 4): `--users` simulated users, each sending a request,
reading the answer for `--think` seconds +/- 50%, then sending the next, for `--user-seconds` per
endpoint after a 3 s warm-up. Open-loop correct: send times are fixed in advance and latency is
counted from the intended send time, so a slow answer delays the next request's clock too
(no coordinated omission).

Errors are non-2xx answers: for the POST they are 409s (two users changing one case at once).
Endpoints: the caseload page (page 1 of the user's 200 cases, 25 a page), the team caseload
(pages 1-5 of 2,000), a case page (it also records the view: a write), the manager dashboard,
`GET /api/v1/cases`, `GET /api/v1/cases/{id}` and `POST /api/v1/cases/{id}/events`
(`record_facts`). Baseline in the same run: `GET /healthz` (no database, no session) under the
same load: the floor of uvicorn + FastAPI + the load generator on this machine. Prints requests
per second, p50/p95/p99 and the p95 ratio against the baseline for each model. Target (issue 4):
p95 under 100 ms for every page at 20 concurrent users.

`--explain` prints PostgreSQL's plan (EXPLAIN ANALYZE, BUFFERS) of the statements that
`workflows.queries` sends for the caseload, team caseload and dashboard pages; `--model none`
loads and explains without serving; `--only NAME` measures only the endpoints whose name
contains NAME (with the baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import web_profile
from scratch import required_postgres_url, scratch_schema
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy import event as sa_event

from calendars import Region
from esafety_flow.demo import DEMO_PASSWORD
from esafety_flow.web import hash_api_token, hash_password
from states import ENGLAND_2023
from workflows import casework, organisation, queries
from workflows.persistence import (
    case_events,
    cases,
    deadlines,
    make_engine,
    make_session_factory,
    persons,
    subjects,
    upgrade,
)
from workflows.persistence.chain import GENESIS, chain_rows

ROOT = Path(__file__).resolve().parents[1]
TEAMS = 50
PER_TEAM = 10
TOKEN = "esf_bench_token_{}"


TEMPLATES: list[tuple[dict[str, Any], list[tuple[str, dict[str, Any] | None]]]] = [
    (
        {
            "category": "youth_produced_sexual_imagery",
            "children": [{"name": "A", "age": 12, "shown_in_images": True}],
            "imagery": {"sexual_acts": True},
        },
        [],
    ),
    (
        {"category": "online_grooming", "children": [{"name": "B", "age": 13}]},
        [("refer", {"referred_to": ["childrens_social_care"]}), ("start_assessment", None)],
    ),
    (
        {"category": "online_bullying", "children": [{"name": "C", "age": 11}]},
        [("refer", {"referred_to": ["childrens_social_care"]})],
    ),
    (
        {
            "category": "sexual_communication",
            "children": [{"name": "D", "age": 14}],
            "significant_harm_suspected": True,
        },
        [
            ("refer", {"referred_to": ["police", "childrens_social_care"]}),
            ("convene_strategy_discussion", {"urgent": False}),
        ],
    ),
]


@dataclass
class Loaded:
    url: str
    practitioners: list[tuple[str, int]]  # (username, team id)
    managers: list[str]
    team_cases: dict[int, list[int]]


def load(url: str, n_cases: int) -> Loaded:
    """Users, teams, template cases through the services, then Core clones up to `n_cases`."""
    engine = make_engine(url)
    upgrade(engine)
    sf = make_session_factory(engine)
    now = datetime.now(UTC)
    pw = hash_password(DEMO_PASSWORD)
    calendar = None
    practitioners: list[tuple[str, int]] = []
    managers: list[str] = []
    user_ids: list[tuple[int, int]] = []
    for t in range(TEAMS):
        team = organisation.create_team(sf, name=f"Team {t:02d}")
        manager = organisation.create_user(
            sf,
            username=f"manager{t:02d}",
            display_name=f"Manager {t:02d}",
            email=f"m{t}@example.org",
            role="manager",
            at=now,
            team_id=team,
            password_hash=pw,
        )
        organisation.set_team_managers(sf, team, manager_id=manager, head_of_service_id=None)
        managers.append(f"manager{t:02d}")
        for p in range(PER_TEAM):
            name = f"worker{t:02d}_{p}"
            uid = organisation.create_user(
                sf,
                username=name,
                display_name=f"Worker {t:02d}/{p}",
                email=f"{name}@example.org",
                role="practitioner",
                at=now,
                team_id=team,
                password_hash=pw,
                api_token_hash=hash_api_token(TOKEN.format(name)),
            )
            practitioners.append((name, team))
            user_ids.append((uid, team))
    from calendars import calendar_for

    calendar = calendar_for(Region.ENGLAND_AND_WALES)
    template_ids = []
    for i in range(20):
        facts, steps = TEMPLATES[i % len(TEMPLATES)]
        at = now - timedelta(days=1 + (i * 5) % 70, hours=3)
        case = casework.raise_concern(
            sf,
            facts=facts,
            at=at,
            actor="bench",
            region=Region.ENGLAND_AND_WALES,
            policy=ENGLAND_2023,
            calendar=calendar,
            owner_id=user_ids[0][0],
            team_id=user_ids[0][1],
        )
        assert case.id is not None
        for k, (event, data) in enumerate(steps):
            casework.apply_event(
                sf,
                case.id,
                event,
                at=at + timedelta(hours=k + 1),
                actor="bench",
                data=data,
                calendar=calendar,
                policy=ENGLAND_2023,
            )
        template_ids.append(case.id)
    with engine.connect() as conn:
        t_cases = {r.id: r._asdict() for r in conn.execute(select(cases))}
        t_deadlines = [r._asdict() for r in conn.execute(select(deadlines))]
        t_events = [r._asdict() for r in conn.execute(select(case_events))]
        t_subjects = [r._asdict() for r in conn.execute(select(subjects))]
        t_persons = {r.id: r._asdict() for r in conn.execute(select(persons))}
    team_cases: dict[int, list[int]] = {}
    next_id = max(t_cases) + 1
    next_person = max(t_persons, default=0) + 1
    batch = 5000
    started = time.perf_counter()
    for first in range(0, n_cases - len(template_ids), batch):
        rows_c, rows_d, rows_e, rows_s, rows_p = [], [], [], [], []
        for j in range(first, min(first + batch, n_cases - len(template_ids))):
            tid = template_ids[j % len(template_ids)]
            owner, team = user_ids[j % len(user_ids)]
            cid = next_id + j
            c = dict(t_cases[tid])
            c.update(id=cid, reference=f"BENCH-{cid:07d}", owner_id=owner, team_id=team)
            rows_c.append(c)
            team_cases.setdefault(team, []).append(cid)
            for d in t_deadlines:
                if d["case_id"] == tid:
                    rows_d.append({**{k: v for k, v in d.items() if k != "id"}, "case_id": cid})
            # each clone's log is chained anew (its entries name their case)
            log = [
                {**{k: v for k, v in e.items() if k != "id"}, "case_id": cid}
                for e in sorted(t_events, key=lambda e: e["seq"])
                if e["case_id"] == tid
            ]
            chain_rows(log, GENESIS)
            rows_e.extend(log)
            # each clone's people are people of their own, as most children are in one case
            for s in t_subjects:
                if s["case_id"] == tid:
                    person = None
                    if s["person_id"] is not None:
                        person = next_person
                        next_person += 1
                        rows_p.append({**t_persons[s["person_id"]], "id": person})
                    rows_s.append(
                        {
                            **{k: v for k, v in s.items() if k != "id"},
                            "case_id": cid,
                            "person_id": person,
                        }
                    )
        with engine.begin() as conn:
            conn.execute(insert(cases), rows_c)
            conn.execute(insert(deadlines), rows_d)
            conn.execute(insert(case_events), rows_e)
            if rows_p:
                conn.execute(insert(persons), rows_p)
            conn.execute(insert(subjects), rows_s)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"
        )
        conn.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('persons', 'id'), (SELECT max(id) FROM persons))"
        )
    # what autovacuum does to freshly loaded tables: statistics and the visibility map (without
    # it no index-only scan skips the heap)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(
            "VACUUM ANALYZE teams, users, cases, case_managers, deadlines, case_events, subjects, "
            "persons"
        )
    with engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("cases", "deadlines", "case_events", "subjects")
        }
    print(
        f"loaded {counts['cases']:,} cases, {counts['deadlines']:,} deadlines, "
        f"{counts['case_events']:,} log entries, {counts['subjects']:,} subjects "
        f"in {time.perf_counter() - started:.1f} s (Core insert)"
    )
    engine.dispose()
    return Loaded(url, practitioners, managers, team_cases)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _signed_in(
    base: str, username: str, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30, transport=transport)
    page = await client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = await client.post(
        "/sign-in",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
    )
    assert r.status_code == 303, r.text
    return client


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies: list[float]
    errors: int
    fixed: dict[int, float] | None = None  # percentiles in ms, as wrk reports them

    def pct(self, p: int) -> float:
        if self.fixed is not None:
            return self.fixed[p]
        xs = sorted(self.latencies)
        return 1000 * xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


async def _run(
    name: str,
    clients: Sequence[httpx.AsyncClient],
    make: Any,
    seconds: float,
    expect: int,
) -> Result:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def user(i: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        rng = random.Random(i)
        while time.perf_counter() < stop:
            method, path, body = make(i, rng)
            t0 = time.perf_counter()
            r = await client.request(method, path, json=body)
            latencies.append(time.perf_counter() - t0)
            if r.status_code != expect:
                errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(user(i, c) for i, c in enumerate(clients)))
    return Result(name, len(latencies), time.perf_counter() - t0, latencies, errors)


WRK_SCRIPT = """
local paths = {%(paths)s}
local body = %(body)s
local threads = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
init = function(args)
  math.randomseed(7 + 1000 * id)
end
request = function()
  local headers = {}
  headers["%(header)s"] = "%(value)s"
  if body ~= nil then headers["Content-Type"] = "application/json" end
  return wrk.format("%(method)s", paths[math.random(#paths)], headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    base: str,
    name: str,
    method: str,
    paths: Sequence[str],
    header: tuple[str, str],
    body: str | None,
    users: int,
    seconds: float,
    workdir: Path,
) -> Result:
    """One endpoint under wrk: `users` connections on 2 threads for `seconds`."""
    script = workdir / "bench.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "paths": ", ".join(_lua_string(p) for p in paths),
            "body": "nil" if body is None else _lua_string(body),
            "header": header[0],
            "value": header[1],
            "method": method,
        }
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{users}", f"-d{seconds:.0f}s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    n, duration_us, p50, p95, p99, bad_status, socket_errors = map(int, line.split()[1:])
    return Result(
        name,
        n,
        duration_us / 1e6,
        [],
        bad_status + socket_errors,
        fixed={50: p50 / 1000, 95: p95 / 1000, 99: p99 / 1000},
    )


async def _session_cookie(base: str, username: str) -> str:
    client = await _signed_in(base, username)
    cookie = client.cookies.get("esafety_session")
    await client.aclose()
    assert cookie
    return f"esafety_session={cookie}"


def _selected(plan: list[Any], only: str | None) -> list[Any]:
    """The baseline and the endpoints whose name contains `only` (every endpoint without it)."""
    return [p for p in plan if only is None or p[0].startswith("baseline") or only in p[0]]


def bench_wrk(
    loaded: Loaded,
    base: str,
    users: int,
    seconds: float,
    workdir: Path,
    only: str | None = None,
    profile_pid: int | None = None,
) -> tuple[list[Result], list[tuple[str, web_profile.Profile]]]:
    """Each endpoint under wrk; with `profile_pid`, py-spy then samples the server (that pid and
    its worker processes) during a second, unmeasured run of the same load."""
    rng = random.Random(7)
    worker, team = rng.choice(loaded.practitioners)
    manager = loaded.managers[[t for _, t in loaded.practitioners].index(team) // PER_TEAM]
    cookie = asyncio.run(_session_cookie(base, worker))
    manager_cookie = asyncio.run(_session_cookie(base, manager))
    bearer = ("Authorization", f"Bearer {TOKEN.format(worker)}")
    ids = rng.sample(loaded.team_cases[team], min(500, len(loaded.team_cases[team])))
    body = '{"event": "record_facts", "data": {"significant_harm_suspected": true}}'
    plan: list[tuple[str, str, list[str], tuple[str, str], str | None]] = [
        ("baseline GET /healthz", "GET", ["/healthz"], ("Cookie", cookie), None),
        ("GET /caseload", "GET", ["/caseload"], ("Cookie", cookie), None),
        (
            "GET /caseload?scope=team",
            "GET",
            [f"/caseload?scope=team&page={n}" for n in range(1, 6)],
            ("Cookie", cookie),
            None,
        ),
        ("GET /cases/{id}", "GET", [f"/cases/{i}" for i in ids], ("Cookie", cookie), None),
        ("GET /dashboard", "GET", ["/dashboard"], ("Cookie", manager_cookie), None),
        ("GET /api/v1/cases", "GET", ["/api/v1/cases"], bearer, None),
        ("GET /api/v1/cases/{id}", "GET", [f"/api/v1/cases/{i}" for i in ids], bearer, None),
        (
            "POST /api/v1/cases/{id}/events",
            "POST",
            [f"/api/v1/cases/{i}/events" for i in ids],
            bearer,
            body,
        ),
    ]
    results = []
    profiles = []
    for n, (name, method, paths, header, payload) in enumerate(_selected(plan, only)):
        run_wrk(base, name, method, paths, header, payload, users, 2, workdir)  # warm-up
        if profile_pid is None or name.startswith("baseline"):
            results.append(
                run_wrk(base, name, method, paths, header, payload, users, seconds, workdir)
            )
            continue
        results.append(run_wrk(base, name, method, paths, header, payload, users, seconds, workdir))
        # sampled in a run of its own: the profiler slows the server, so its run is not measured
        raw = workdir / f"profile-{n}.txt"
        with web_profile.sampled(profile_pid, raw, seconds):
            run_wrk(base, name, method, paths, header, payload, users, seconds, workdir)
        profiles.append((name, web_profile.read_raw(raw)))
    return results, profiles


def profile_in_process(loaded: Loaded, requests: int, only: str | None) -> None:
    """The endpoints of the closed-loop plan, one request at a time in this process, with their
    SQL timed (`web_profile.in_process`)."""
    rng = random.Random(7)
    worker, team = rng.choice(loaded.practitioners)
    manager = loaded.managers[[t for _, t in loaded.practitioners].index(team) // PER_TEAM]
    case = rng.choice(loaded.team_cases[team])
    bearer = {"Authorization": f"Bearer {TOKEN.format(worker)}"}
    body = {"event": "record_facts", "data": {"significant_harm_suspected": True}}
    as_worker = {"X-Bench-User": "worker"}
    page = min(3, max(1, len(loaded.team_cases[team]) // 25))  # page 3 of the team's 2,000
    plan: list[tuple[str, str, str, dict[str, str], Any]] = [
        ("baseline GET /healthz", "GET", "/healthz", {}, None),
        ("GET /caseload", "GET", "/caseload", as_worker, None),
        ("GET /caseload?scope=team", "GET", f"/caseload?scope=team&page={page}", as_worker, None),
        ("GET /cases/{id}", "GET", f"/cases/{case}", as_worker, None),
        ("GET /dashboard", "GET", "/dashboard", {"X-Bench-User": "manager"}, None),
        ("GET /api/v1/cases", "GET", "/api/v1/cases", bearer, None),
        ("GET /api/v1/cases/{id}", "GET", f"/api/v1/cases/{case}", bearer, None),
        ("POST /api/v1/cases/{id}/events", "POST", f"/api/v1/cases/{case}/events", bearer, body),
    ]
    costs = web_profile.in_process(
        loaded.url,
        _selected(plan, only),
        {"worker": worker, "manager": manager},
        _signed_in,
        n=requests,
    )
    web_profile.print_costs(costs)


async def bench(
    loaded: Loaded, base: str, users: int, seconds: float, only: str | None = None
) -> list[Result]:
    rng = random.Random(7)
    workers = rng.sample(loaded.practitioners, users)
    mgrs = rng.sample(loaded.managers, users)
    page_clients = [await _signed_in(base, u) for u, _ in workers]
    manager_clients = [await _signed_in(base, m) for m in mgrs]
    api_clients = [
        httpx.AsyncClient(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {TOKEN.format(u)}"}
        )
        for u, _ in workers
    ]
    team_of = [team for _, team in workers]

    def case_of(i: int, r: random.Random) -> int:
        return r.choice(loaded.team_cases[team_of[i]])

    plan: list[tuple[str, Sequence[httpx.AsyncClient], Any, int]] = [
        ("baseline GET /healthz", page_clients, lambda i, r: ("GET", "/healthz", None), 200),
        ("GET /caseload", page_clients, lambda i, r: ("GET", "/caseload", None), 200),
        (
            "GET /cases/{id}",
            page_clients,
            lambda i, r: ("GET", f"/cases/{case_of(i, r)}", None),
            200,
        ),
        ("GET /dashboard", manager_clients, lambda i, r: ("GET", "/dashboard", None), 200),
        ("GET /api/v1/cases", api_clients, lambda i, r: ("GET", "/api/v1/cases", None), 200),
        (
            "GET /api/v1/cases/{id}",
            api_clients,
            lambda i, r: ("GET", f"/api/v1/cases/{case_of(i, r)}", None),
            200,
        ),
        (
            "POST /api/v1/cases/{id}/events",
            api_clients,
            lambda i, r: (
                "POST",
                f"/api/v1/cases/{case_of(i, r)}/events",
                {"event": "record_facts", "data": {"significant_harm_suspected": r.random() < 0.5}},
            ),
            200,
        ),
    ]
    results = []
    for name, clients, make, expect in _selected(plan, only):
        await _run(name, clients, make, min(2.0, seconds), expect)  # warm-up
        results.append(await _run(name, clients, make, seconds, expect))
    for c in [*page_clients, *manager_clients, *api_clients]:
        await c.aclose()
    return results


async def _user_model_run(
    name: str,
    clients: Sequence[httpx.AsyncClient],
    make: Any,
    seconds: float,
    think: float,
    expect: int,
) -> Result:
    """`len(clients)` simulated users, each sending a request, reading the answer for `think`
    seconds +/- 50% (uniform), then sending the next, for `seconds`.

    Open-loop correct: each user's send times are fixed in advance (start + the sum of its think
    times), independent of how fast the server answers; a request that cannot leave on time (the
    user is still waiting for the last answer) leaves as soon as it can, and its latency is counted
    from its intended send time, so queueing in the server is measured, not hidden (no
    coordinated omission)."""
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.1
    stop = start + seconds

    async def user(i: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        rng = random.Random(1000 + i)
        intended = start + rng.uniform(0, think)  # users arrive spread over one think time
        while intended < stop:
            delay = intended - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            method, path, body = make(i, rng)
            r = await client.request(method, path, json=body)
            latencies.append(time.perf_counter() - intended)
            if r.status_code != expect:
                errors += 1
            intended += rng.uniform(0.5 * think, 1.5 * think)

    await asyncio.gather(*(user(i, c) for i, c in enumerate(clients)))
    return Result(name, len(latencies), seconds, latencies, errors)


async def bench_users(
    loaded: Loaded, base: str, users: int, seconds: float, think: float, only: str | None = None
) -> list[Result]:
    """The "20 concurrent users" model of issue 4: each endpoint in turn under `users` users with
    think time (`_user_model_run`); practitioners of one team for the pages and API, managers for
    the dashboard."""
    rng = random.Random(7)
    _, team = rng.choice(loaded.practitioners)
    team_workers = [u for u, t in loaded.practitioners if t == team]
    names = [team_workers[i % len(team_workers)] for i in range(users)]
    page_clients = [await _signed_in(base, u) for u in names]
    manager_clients = [
        await _signed_in(base, loaded.managers[i % len(loaded.managers)]) for i in range(users)
    ]
    api_clients = [
        httpx.AsyncClient(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {TOKEN.format(u)}"}
        )
        for u in names
    ]
    cases_of_team = loaded.team_cases[team]

    def case_of(r: random.Random) -> int:
        return r.choice(cases_of_team)

    plan: list[tuple[str, Sequence[httpx.AsyncClient], Any, int]] = [
        ("baseline GET /healthz", page_clients, lambda i, r: ("GET", "/healthz", None), 200),
        ("GET /caseload", page_clients, lambda i, r: ("GET", "/caseload", None), 200),
        (
            "GET /caseload?scope=team",
            page_clients,
            lambda i, r: ("GET", f"/caseload?scope=team&page={r.randint(1, 5)}", None),
            200,
        ),
        ("GET /cases/{id}", page_clients, lambda i, r: ("GET", f"/cases/{case_of(r)}", None), 200),
        ("GET /dashboard", manager_clients, lambda i, r: ("GET", "/dashboard", None), 200),
        ("GET /api/v1/cases", api_clients, lambda i, r: ("GET", "/api/v1/cases", None), 200),
        (
            "GET /api/v1/cases/{id}",
            api_clients,
            lambda i, r: ("GET", f"/api/v1/cases/{case_of(r)}", None),
            200,
        ),
        (
            "POST /api/v1/cases/{id}/events",
            api_clients,
            lambda i, r: (
                "POST",
                f"/api/v1/cases/{case_of(r)}/events",
                {"event": "record_facts", "data": {"significant_harm_suspected": r.random() < 0.5}},
            ),
            200,
        ),
    ]
    results = []
    for name, clients, make, expect in _selected(plan, only):
        await _user_model_run(name, clients, make, min(3.0, seconds), think, expect)  # warm-up
        results.append(await _user_model_run(name, clients, make, seconds, think, expect))
    for c in [*page_clients, *manager_clients, *api_clients]:
        await c.aclose()
    return results


def _captured(engine: Any, run: Any) -> list[tuple[str, Any]]:
    """The SQL statements (with their parameters) that `run()` sends through `engine`."""
    seen: list[tuple[str, Any]] = []

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        seen.append((statement, params))

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    return seen


def explain(url: str, owner: int, team: int, manager: int) -> None:
    """EXPLAIN ANALYZE of the statements the caseload, team caseload and dashboard pages send,
    captured from `workflows.queries` itself (so the plans are those of the code, not of a copy),
    each after one run to warm the cache."""
    engine = make_engine(url)
    sf = make_session_factory(engine)
    now = datetime.now(UTC)
    today = now.date()
    first_week = today - timedelta(days=today.weekday()) - timedelta(weeks=11)
    runs: dict[str, Any] = {
        "caseload (one practitioner, page 1)": lambda: queries.caseload_page(
            sf, page=1, per_page=25, owner_id=owner, team_ids=[team]
        ),
        "team caseload (page 3 of 2,000 cases)": lambda: queries.caseload_page(
            sf, page=3, per_page=25, team_ids=[team]
        ),
        "dashboard (one team)": lambda: queries.dashboard(
            sf,
            team_ids=[team],
            now=now,
            today=today,
            soon_until=today + timedelta(days=5),
            manager_id=manager,
        ),
        "timeliness (one team, 12 weeks)": lambda: queries.timeliness(
            sf,
            team_ids=[team],
            kinds=("single_assessment", "initial_child_protection_conference"),
            first_week=first_week,
            weeks=12,
            today=today,
        ),
    }
    with engine.connect() as conn:
        for name, run in runs.items():
            for statement, params in _captured(engine, run):
                if statement.lstrip().upper().startswith("SET"):  # as the query runs it
                    conn.exec_driver_sql(statement, params)
                    continue
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                print(f"-- {name}")
                for (line,) in plan:
                    print("   ", line)
    engine.dispose()


def _wait(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server process exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start in 60 s")


def report(title: str, results: Sequence[Result], verdict_label: str) -> None:
    baseline = results[0]
    print(f"\n{title}\n")
    print(
        f"{'endpoint':<34} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'p95 vs baseline':>16} {'errors':>6}"
    )
    for r in results:
        print(
            f"{r.name:<34} {r.count / r.seconds:>7.0f} {r.pct(50):>7.1f} {r.pct(95):>7.1f} "
            f"{r.pct(99):>7.1f} {r.pct(95) / baseline.pct(95):>15.1f}x {r.errors:>6}"
        )
    worst = max(results[1:], key=lambda r: r.pct(95))
    verdict = "met" if worst.pct(95) < 100 else "NOT met"
    print(
        f"\ntarget p95 < 100 ms, {verdict_label}: {verdict} "
        f"(worst: {worst.name}, {worst.pct(95):.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint, closed loop")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--model",
        choices=("both", "closed", "users", "none"),
        default="both",
        help="closed: wrk -c USERS with no think time; users: USERS users with think time; "
        "none: load (and --explain) only",
    )
    parser.add_argument(
        "--user-seconds", type=float, default=30.0, help="per endpoint, users model"
    )
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--only", help="measure only the endpoints whose name contains this (and the baseline)"
    )
    parser.add_argument(
        "--python-client", action="store_true", help="use the asyncio/httpx client, not wrk"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile each endpoint: its SQL one request at a time in-process, and py-spy "
        "samples of the server under the closed loop (bench/web_profile.py)",
    )
    parser.add_argument(
        "--profile-requests", type=int, default=30, help="in-process requests per endpoint"
    )
    args = parser.parse_args()
    proc = None
    profiles: list[tuple[str, web_profile.Profile]] = []
    closed: list[Result] = []
    modelled: list[Result] = []
    with scratch_schema(required_postgres_url()) as url:
        try:
            loaded = load(url, args.cases)
            if args.explain:
                engine = create_engine(url)
                team = next(iter(loaded.team_cases))
                with engine.connect() as conn:
                    owner = conn.execute(
                        text("SELECT min(owner_id) FROM cases WHERE team_id = :t"), {"t": team}
                    ).scalar_one()
                    manager = conn.execute(
                        text("SELECT manager_id FROM teams WHERE id = :t"), {"t": team}
                    ).scalar_one()
                engine.dispose()
                explain(url, owner, team, manager)
            if args.profile:
                profile_in_process(loaded, args.profile_requests, args.only)
            port = _free_port()
            proc = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("esafety")),
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                    "--no-access-log",
                ],
                cwd=ROOT,
                env={**os.environ, "ESAFETY_DATABASE_URL": url, "DO_NOT_TRACK": "1"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wait(port, proc)
            server = f"http://127.0.0.1:{port}"
            tool = "asyncio/httpx load generator"
            if args.model in ("both", "closed"):
                if shutil.which("wrk") and not args.python_client:
                    tool = "wrk 4.1 (2 threads)"
                    with tempfile.TemporaryDirectory() as tmp:
                        closed, profiles = bench_wrk(
                            loaded,
                            server,
                            args.users,
                            args.seconds,
                            Path(tmp),
                            args.only,
                            profile_pid=proc.pid if args.profile else None,
                        )
                else:
                    closed = asyncio.run(bench(loaded, server, args.users, args.seconds, args.only))
            if args.model in ("both", "users"):
                modelled = asyncio.run(
                    bench_users(
                        loaded, server, args.users, args.user_seconds, args.think, args.only
                    )
                )
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=20)
    where = f"{args.cases:,} cases (PostgreSQL), {args.workers} uvicorn worker(s)"
    if closed:
        report(
            f"Closed loop (worst case): {tool}, {args.users} connections with no think time, "
            f"{args.seconds:.0f} s per endpoint, {where}",
            closed,
            f"{args.users} connections, no think time",
        )
    for name, profile in profiles:
        web_profile.print_profile(f"{name} under the closed loop", profile)
    if modelled:
        report(
            f"{args.users} concurrent users: each sends a request, reads the page for "
            f"{args.think:.1f} s +/- 50%, sends the next; latency from the intended send time; "
            f"{args.user_seconds:.0f} s per endpoint, {where}",
            modelled,
            f"{args.users} users with think time",
        )


if __name__ == "__main__":
    main()
