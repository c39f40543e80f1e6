"""Benchmark: the deadline sweep (`workflows.deadline_alerts.sweep`) over 1,000,000 open
deadlines of which 10,000 have an alert newly due, on SQLite and PostgreSQL, against the naive
way, in the same run; and the overhead Prefect adds to one sweep run.

Run: ``.venv/bin/python bench/sweep.py [--open 1000000] [--due 10000] [--naive-sample 20000]``
PostgreSQL runs when ``ESAFETY_BENCH_DATABASE_URL`` (or ``ESAFETY_TEST_DATABASE_URL``) is set, in a
fresh schema that is dropped afterwards. ``--no-prefect`` skips the Prefect measurement.

Data: 10,000 cases with 100 deadlines each (bulk-loaded: Core ``insert()`` in chunks on SQLite,
``COPY`` on PostgreSQL, engineering.md); `--due` of them have their next alert (overdue) due before
the sweep's moment, the others in 2027.

- sweep: `deadline_alerts.sweep(sf, as_of, ...)` (partial index on
  `next_alert_at WHERE status = 'open'`, outbox INSERT ... ON CONFLICT DO NOTHING, batched
  advance of `next_alert_at`). Timed three times, resetting the 10,000 deadlines and emptying
  the outbox between runs; best and median shown.
- naive: every open deadline judged one by one - one SELECT of its row by id, then the same domain
  call (`alerts_due`) - over a random sample of `--naive-sample` deadlines, extrapolated linearly
  to all open deadlines (it would take minutes in full). It writes nothing, so it is a lower bound
  on the naive way's cost.
- growth: the same 10,000 due among 100,000 open, then among 1,000,000 open.
- Prefect: the `deadline_sweep` flow (heartbeat off, against a temporary local Prefect server
  started once beforehand) minus the direct sweep, on SQLite, same data.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from scratch import postgres_url, required_postgres_url, scratch_schema
from sqlalchemy import Engine, bindparam, delete, insert, select, update

from calendars import Region, calendar_for, end_of_london_day
from states import ENGLAND_2023, DeadlineKind, Policy
from workflows import deadline_alerts
from workflows.alerting import alerts_due
from workflows.domain import AlertStep, Deadline
from workflows.persistence import (
    SessionFactory,
    alert_deliveries,
    alerts,
    cases,
    deadlines,
    make_engine,
    make_session_factory,
    teams,
    upgrade,
    users,
)

AS_OF = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
DUE_DATE = date(2026, 3, 3)
DUE_AT = end_of_london_day(DUE_DATE)
LATER = datetime(2027, 6, 1, tzinfo=UTC)
ANCHOR = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
PER_CASE = 100
COLUMNS = (
    "case_id",
    "kind",
    "anchor_at",
    "due_date",
    "due_at",
    "status",
    "calendar_version",
    "policy_name",
    "urgent",
    "next_alert_at",
    "next_alert_level",
)


def _policy_for(_: str) -> Policy:
    return ENGLAND_2023


def _calendar_for(region: Region) -> Any:
    return calendar_for(region)


def _org_and_cases(engine: Engine, n_cases: int) -> list[int]:
    with engine.begin() as conn:
        team = conn.execute(insert(teams).values(name="Bench").returning(teams.c.id)).scalar_one()
        ids = []
        for username in ("owner", "manager", "head"):
            ids.append(
                conn.execute(
                    insert(users)
                    .values(
                        username=username,
                        display_name=username,
                        email=f"{username}@bench.test",
                        role="practitioner" if username == "owner" else "manager",
                        team_id=team,
                        active=True,
                        created_at=ANCHOR,
                    )
                    .returning(users.c.id)
                ).scalar_one()
            )
        conn.execute(
            update(teams)
            .where(teams.c.id == team)
            .values(manager_id=ids[1], head_of_service_id=ids[2])
        )
        rows = [
            {
                "reference": f"B-{i:07d}",
                "region": "england-and-wales",
                "policy_name": "england-2023",
                "state": "referral",
                "facts": {"category": "other", "children": []},
                "required_actions": [],
                "do_not_inform_family": False,
                "restricted": False,
                "owner_id": ids[0],
                "team_id": team,
                "discussions": [],
                "last_seq": 0,
                "created_at": ANCHOR,
                "updated_at": ANCHOR,
                "version": 1,
            }
            for i in range(n_cases)
        ]
        conn.execute(insert(cases), rows)
        return list(conn.execute(select(cases.c.id).order_by(cases.c.id)).scalars())


def _deadline_rows(case_ids: list[int], n: int, due: bool) -> Iterator[tuple[Any, ...]]:
    version = calendar_for(Region.ENGLAND_AND_WALES).version
    for i in range(n):
        case_id = case_ids[i % len(case_ids)]
        if due:
            yield (case_id, "referral_decision", ANCHOR, DUE_DATE, DUE_AT, "open", version,
                   "england-2023", False, DUE_AT, "overdue")  # fmt: skip
        else:
            yield (case_id, "single_assessment", ANCHOR, date(2027, 6, 3), LATER, "open", version,
                   "england-2023", False, LATER, "due_soon")  # fmt: skip


def _load(engine: Engine, rows: Iterator[tuple[Any, ...]]) -> None:
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY deadlines ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE deadlines")
        return
    chunk: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for row in rows:
            chunk.append(dict(zip(COLUMNS, row, strict=True)))
            if len(chunk) == 50_000:
                conn.execute(insert(deadlines), chunk)
                chunk = []
        if chunk:
            conn.execute(insert(deadlines), chunk)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _reset(engine: Engine) -> None:
    """Put the due deadlines back to 'overdue next' and empty the outbox."""
    with engine.begin() as conn:
        conn.execute(delete(alert_deliveries))
        conn.execute(delete(alerts))
        conn.execute(
            update(deadlines)
            .where(deadlines.c.kind == "referral_decision")
            .values(next_alert_at=DUE_AT, next_alert_level="overdue")
        )


def _time_sweep(engine: Engine, sf: SessionFactory, due: int, runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        _reset(engine)
        start = time.perf_counter()
        result = deadline_alerts.sweep(sf, AS_OF, _calendar_for, _policy_for)
        times.append(time.perf_counter() - start)
        assert result.deadlines == due, result
        assert result.alerts == due, result
    return times


def _naive(engine: Engine, sample: int) -> tuple[float, int, int]:
    """Judge `sample` random open deadlines one by one; returns (seconds, sampled, open)."""
    calendar = calendar_for(Region.ENGLAND_AND_WALES)
    with engine.connect() as conn:
        ids = list(
            conn.execute(select(deadlines.c.id).where(deadlines.c.status == "open")).scalars()
        )
        chosen = random.Random(5).sample(ids, min(sample, len(ids)))
        query = select(deadlines).where(deadlines.c.id == bindparam("i"))
        start = time.perf_counter()
        found = 0
        for i in chosen:
            r = conn.execute(query, {"i": i}).one()
            d = Deadline(
                id=r.id,
                case_id=r.case_id,
                kind=DeadlineKind(r.kind),
                anchor_at=r.anchor_at,
                due_date=r.due_date,
                due_at=r.due_at,
                calendar_version=r.calendar_version,
                policy_name=r.policy_name,
                next_alert_at=r.next_alert_at,
                next_alert_level=AlertStep(r.next_alert_level),
            )
            if d.next_alert_at is not None and d.next_alert_at <= AS_OF:
                found += len(alerts_due(d, calendar, ENGLAND_2023, AS_OF))
            else:
                alerts_due(d, calendar, ENGLAND_2023, AS_OF)
        elapsed = time.perf_counter() - start
    return elapsed, len(chosen), len(ids)


@contextmanager
def _database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    with scratch_schema(required_postgres_url()) as url:
        yield url


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def bench_database(kind: str, n_open: int, n_due: int, sample: int, prefect: bool) -> None:
    with _database(kind) as url:
        engine = make_engine(url)
        upgrade(engine)
        sf = make_session_factory(engine)
        case_ids = _org_and_cases(engine, max(1, n_open // PER_CASE))
        small = min(100_000, n_open)
        t0 = time.perf_counter()
        _load(engine, _deadline_rows(case_ids, n_due, due=True))
        _load(engine, _deadline_rows(case_ids, small - n_due, due=False))
        load_small = time.perf_counter() - t0
        at_small = _time_sweep(engine, sf, n_due)
        t0 = time.perf_counter()
        _load(engine, _deadline_rows(case_ids, n_open - small, due=False))
        load_rest = time.perf_counter() - t0
        at_full = _time_sweep(engine, sf, n_due)
        _reset(engine)
        naive_s, sampled, total_open = _naive(engine, sample)
        naive_full = naive_s / sampled * total_open
        best = min(at_full)
        print(f"\n== {kind}: {total_open:,} open deadlines, {n_due:,} newly due ==")
        print(
            f"load: {small:,} rows {load_small:.1f} s, "
            f"then {n_open - small:,} rows {load_rest:.1f} s"
        )
        print(
            f"sweep, {small:,} open:   best {_ms(min(at_small))}, "
            f"median {_ms(statistics.median(at_small))}"
        )
        print(
            f"sweep, {total_open:,} open: best {_ms(best)}, "
            f"median {_ms(statistics.median(at_full))}"
            f"  (target < 2,000 ms: {'met' if best < 2 else 'NOT met'})"
        )
        print(f"growth 100k -> 1M open (same {n_due:,} due): x{min(at_full) / min(at_small):.2f}")
        print(
            f"naive (one SELECT + alerts_due per open deadline): {sampled:,} sampled in "
            f"{naive_s:.2f} s -> {naive_full:.1f} s extrapolated to {total_open:,}"
        )
        print(f"speed-up vs naive: x{naive_full / best:.0f}  (target >= 50x)")
        if prefect:
            _prefect_overhead(url, engine, sf, n_due, best)
        engine.dispose()


def _prefect_overhead(
    url: str, engine: Engine, sf: SessionFactory, due: int, direct: float
) -> None:
    from esafety_flow.flows import telemetry_off

    telemetry_off()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from calendars import FixedClock
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.flows import deadline_sweep, use_app
    from esafety_flow.notify import jobs
    from esafety_flow.settings import Settings

    app = bootstrap(Settings(database_url=url), clock=FixedClock(AS_OF), migrate=False)
    use_app(app)
    overrides: dict[Any, Any] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    t0 = time.perf_counter()
    with prefect_test_harness(), temporary_settings(overrides):
        started = time.perf_counter() - t0
        _reset(engine)
        deadline_sweep(as_of=AS_OF)  # warm-up: first flow run registers the flow
        flow_times = []
        for _ in range(3):
            _reset(engine)
            start = time.perf_counter()
            result = deadline_sweep(as_of=AS_OF)
            flow_times.append(time.perf_counter() - start)
            assert result["alerts"] == due, result
    use_app(None)
    direct_times = []
    for _ in range(3):  # the same work without Prefect: sweep, then queue the deliveries
        _reset(engine)
        start = time.perf_counter()
        jobs.sweep(app, AS_OF)
        jobs.queue(app)
        direct_times.append(time.perf_counter() - start)
    app.close()
    best, plain = min(flow_times), min(direct_times)
    print(
        f"Prefect: deadline_sweep flow best {_ms(best)} vs the same sweep + queue without Prefect "
        f"{_ms(plain)}: overhead {_ms(best - plain)} per run ({best / plain:.2f}x); "
        f"temporary server start {started:.1f} s (once per process)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--naive-sample", type=int, default=20_000)
    parser.add_argument("--no-prefect", action="store_true")
    args = parser.parse_args()
    if args.due > min(100_000, args.open):
        parser.error("--due must not exceed min(100000, --open)")
    kinds = ["sqlite"]
    if postgres_url():
        kinds.append("postgresql")
    else:
        print("PostgreSQL skipped: set ESAFETY_BENCH_DATABASE_URL or ESAFETY_TEST_DATABASE_URL")
    for kind in kinds:
        bench_database(
            kind,
            args.open,
            args.due,
            args.naive_sample,
            prefect=not args.no_prefect and kind == "sqlite",
        )


if __name__ == "__main__":
    main()
