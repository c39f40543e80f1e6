"""Benchmark: events applied per second through `workflows.services.apply_event`, against a bare
SQLAlchemy Core write of the same rows, on SQLite and PostgreSQL.

Run: ``.venv/bin/python bench/events.py [--cases N] [--rounds R]``
PostgreSQL runs when ``ESAFETY_BENCH_DATABASE_URL`` (or ``ESAFETY_TEST_DATABASE_URL``) is set, in a
fresh schema that is dropped afterwards.

Full path, per event, one transaction: load the case and its deadlines, validate the event data,
fire the machines (guards, deadline effects from the policy table, alert schedule), then write
back: the case row with its optimistic-lock check, the changed and new deadlines and the new
entries of the append-only log. Each case runs refer, start_assessment, record_facts,
complete_assessment and close (5 events, 12 log entries, 2 new deadlines, 4 deadline updates).

Baseline, measured in the same run: the very rows the full path wrote (read back from its
database), written with bare Core statements into a second database, one transaction per event:
the case row's UPDATE, the INSERT of the event's log entries and of its new deadlines, and the
UPDATE of the deadlines it changed. No reads, no validation, no domain logic.

Each round uses fresh databases; the best time of each path over the rounds counts (the machine
is shared, so single runs are noisy) and the range of the per-round ratios is printed too.
Target (issue 3): the full path within 3x the baseline.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scratch import postgres_url, scratch_schema
from sqlalchemy import Engine, bindparam, insert, select, update

from calendars import Region, calendar_for, parse_instant
from states import ENGLAND_2023
from workflows import casework
from workflows.persistence import (
    case_events,
    cases,
    deadlines,
    make_engine,
    make_session_factory,
    upgrade,
)

FACTS = {"category": "online_bullying", "children": [{"name": "F", "age": 14}]}
STEP_BASE = parse_instant("2026-03-02T12:00")
STEPS: list[tuple[str, dict[str, Any] | None]] = [
    ("refer", {"referred_to": ["childrens_social_care"]}),
    ("start_assessment", None),
    ("record_facts", {"significant_harm_suspected": False}),
    ("complete_assessment", {"factors": ["4A"]}),
    ("close", {"outcome": "no_further_action", "reason": "assessment complete"}),
]


def _setup_cases(engine: Engine, n: int) -> list[int]:
    sf = make_session_factory(engine)
    cal = calendar_for(Region.ENGLAND_AND_WALES)
    start = parse_instant("2026-03-02T09:00")
    ids = []
    for i in range(n):
        case = casework.raise_concern(
            sf,
            facts=FACTS,
            at=start + timedelta(seconds=i),
            actor="bench",
            region=Region.ENGLAND_AND_WALES,
            policy=ENGLAND_2023,
            calendar=cal,
        )
        assert case.id is not None
        ids.append(case.id)
    return ids


def full_path(engine: Engine, case_ids: list[int]) -> float:
    """Seconds to apply every step to every case through the services."""
    sf = make_session_factory(engine)
    cal = calendar_for(Region.ENGLAND_AND_WALES)
    base = STEP_BASE
    began = time.perf_counter()
    for step, (event, data) in enumerate(STEPS):
        at = base + timedelta(hours=step)
        for case_id in case_ids:
            casework.apply_event(
                sf,
                case_id,
                event,
                at=at,
                actor="bench",
                data=data,
                calendar=cal,
                policy=ENGLAND_2023,
            )
    return time.perf_counter() - began


def _transactions(engine: Engine, since: datetime) -> list[tuple[Any, ...]]:
    """What each apply_event wrote, read back from the full path's database: per transaction
    (one per case and step time) the case row, the log entries, the deadlines it started and the
    updates of the deadlines it met or cancelled."""
    with engine.connect() as conn:
        case_rows = {r.id: dict(r._mapping) for r in conn.execute(select(cases))}
        log = [
            dict(r._mapping)
            for r in conn.execute(
                select(case_events).where(case_events.c.at >= since).order_by(case_events.c.id)
            )
        ]
        by_kind = {(r.case_id, r.kind): dict(r._mapping) for r in conn.execute(select(deadlines))}
    by_tx: dict[tuple[datetime, int], list[dict[str, Any]]] = defaultdict(list)
    for row in log:
        by_tx[(row["at"], row["case_id"])].append(row)
    txs: list[tuple[Any, ...]] = []
    for (_at, case_id), rows in sorted(by_tx.items()):
        new, changed = [], []
        for row in rows:
            kind = row["data"].get("deadline")
            if row["kind"] == "deadline_started":
                new.append(by_kind[(case_id, kind)])
            elif row["kind"] in ("deadline_met", "deadline_missed", "deadline_cancelled"):
                d = by_kind[(case_id, kind)]
                changed.append({"b_id": d["id"], "status": d["status"], "met_at": d["met_at"]})
        log_rows = [{k: v for k, v in r.items() if k != "id"} for r in rows]
        txs.append((case_rows[case_id], log_rows, new, changed))
    return txs


def bare_core(engine: Engine, txs: list[tuple[Any, ...]]) -> float:
    """Seconds to write the same rows with bare Core statements, one transaction per event."""
    with engine.begin() as conn:  # the cases exist before the events, as in the full path
        first = {tx[0]["id"]: tx[0] for tx in txs}
        conn.execute(insert(cases), [dict(row, version=1) for row in first.values()])
    upd_case = (
        update(cases)
        .where(cases.c.id == bindparam("b_id"), cases.c.version == bindparam("b_version"))
        .values(
            state=bindparam("state"),
            version=bindparam("b_version") + 1,
            updated_at=bindparam("updated_at"),
        )
    )
    upd_deadline = (
        update(deadlines)
        .where(deadlines.c.id == bindparam("b_id"))
        .values(status=bindparam("status"), met_at=bindparam("met_at"))
    )
    versions: dict[int, int] = defaultdict(lambda: 1)
    began = time.perf_counter()
    for case_row, log_rows, new, changed in txs:
        with engine.begin() as conn:
            cid = case_row["id"]
            conn.execute(
                upd_case,
                {
                    "b_id": cid,
                    "b_version": versions[cid],
                    "state": case_row["state"],
                    "updated_at": log_rows[0]["at"],
                },
            )
            versions[cid] += 1
            if new:
                conn.execute(insert(deadlines), new)
            if changed:
                conn.execute(upd_deadline, changed)
            conn.execute(insert(case_events), log_rows)
    return time.perf_counter() - began


def _sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite:///{directory / name}"


def one_round(full_url: str, bare_url: str, n_cases: int) -> tuple[int, float, float]:
    full_engine, bare_engine = make_engine(full_url), make_engine(bare_url)
    try:
        for e in (full_engine, bare_engine):
            upgrade(e)
        ids = _setup_cases(full_engine, n_cases)
        full = full_path(full_engine, ids)
        txs = _transactions(full_engine, STEP_BASE)
        assert len(txs) == len(ids) * len(STEPS), (len(txs), len(ids) * len(STEPS))
        bare = bare_core(bare_engine, txs)
        with full_engine.connect() as a, bare_engine.connect() as b:
            q = select(case_events.c.case_id, case_events.c.seq, case_events.c.kind)
            assert sorted(a.execute(q.where(case_events.c.at >= STEP_BASE)).all()) == sorted(
                b.execute(q).all()
            ), "the baseline did not write the same log rows"
        return len(txs), full, bare
    finally:
        full_engine.dispose()
        bare_engine.dispose()


def run(label: str, urls: Callable[[int], tuple[str, str]], n_cases: int, rounds: int) -> None:
    results = [one_round(*urls(r), n_cases) for r in range(rounds)]
    events = results[0][0]
    full = min(r[1] for r in results)
    bare = min(r[2] for r in results)
    ratios = sorted(r[1] / r[2] for r in results)
    print(
        f"{label:<11} {events} events, best of {rounds} | full path {events / full:6.0f} events/s "
        f"({full / events * 1e3:.2f} ms each) | bare Core {events / bare:6.0f} events/s "
        f"({bare / events * 1e3:.2f} ms each) | full/bare = {full / bare:.2f}x "
        f"(rounds {ratios[0]:.2f}x-{ratios[-1]:.2f}x; target <= 3x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=400, help="cases (5 events each)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best time counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(
            "sqlite",
            lambda r: (
                _sqlite_url(Path(tmp), f"full{r}.db"),
                _sqlite_url(Path(tmp), f"bare{r}.db"),
            ),
            args.cases,
            args.rounds,
        )
    pg = postgres_url()
    if not pg:
        print("postgresql  skipped: set ESAFETY_BENCH_DATABASE_URL or ESAFETY_TEST_DATABASE_URL")
        return
    with ExitStack() as schemas:  # two fresh schemas a round, all dropped at the end

        def pg_urls(_round: int) -> tuple[str, str]:
            full = schemas.enter_context(scratch_schema(pg))
            return full, schemas.enter_context(scratch_schema(pg))

        run("postgresql", pg_urls, args.cases, args.rounds)


if __name__ == "__main__":
    main()
