"""Benchmark: queueing new alerts for delivery as the outbox's history grows, on PostgreSQL.

Run: ``ESAFETY_BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/queueing.py
[--sizes 100000 1000000 10000000] [--new 1000]`` (in a fresh schema, dropped afterwards).

At each size the history holds that many alerts, every one queued and delivered (bulk-loaded
with ``INSERT ... SELECT generate_series``, then ``ANALYZE``). Then `--new` alerts are written
and queued, three times each (the new rows are removed between runs), two ways in the same run:

- now: `workflows.delivery.queue_deliveries`, which reads the alerts not yet queued through the
  partial index on ``queued_at IS NULL`` and marks them queued;
- before: the statement it replaced, an anti-join of every alert against its delivery rows
  (``INSERT ... SELECT ... WHERE NOT EXISTS``), which reads the whole history each time.

It prints the median of each, "now" at each size against "now" at the smallest (flat: about 1x),
and "before" against "now" at the same size.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from scratch import required_postgres_url, scratch_schema
from sqlalchemy import Engine, exists, insert, literal, select, text
from sqlalchemy.dialects import postgresql

from workflows.delivery import queue_deliveries
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
)

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _case_and_deadline(engine: Engine) -> tuple[int, int]:
    with engine.begin() as conn:
        team = conn.execute(insert(teams).values(name="Bench").returning(teams.c.id)).scalar_one()
        case_id = conn.execute(
            insert(cases)
            .values(
                reference="B-1",
                region="england-and-wales",
                policy_name="england-2023",
                state="referral",
                facts={"category": "other", "children": []},
                required_actions=[],
                do_not_inform_family=False,
                restricted=False,
                team_id=team,
                discussions=[],
                last_seq=0,
                created_at=T0,
                updated_at=T0,
                version=1,
            )
            .returning(cases.c.id)
        ).scalar_one()
        deadline_id = conn.execute(
            insert(deadlines)
            .values(
                case_id=case_id,
                kind="referral_decision",
                anchor_at=T0,
                due_date=date(2026, 1, 6),
                due_at=T0,
                status="open",
                calendar_version="bench",
                policy_name="england-2023",
            )
            .returning(deadlines.c.id)
        ).scalar_one()
    return case_id, deadline_id


def _grow(engine: Engine, case_id: int, deadline_id: int, start: int, stop: int) -> None:
    """Alerts with recipient keys start..stop-1, queued and delivered."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alerts (deadline_id, case_id, level, recipient_role, created_at,"
                " due_at, recipient_key, queued_at) SELECT :d, :c, 'overdue', 'owner', :t, :t, g,"
                " :t FROM generate_series(:a, :b) AS g"
            ),
            {"d": deadline_id, "c": case_id, "t": T0, "a": start, "b": stop - 1},
        )
        conn.execute(
            text(
                "INSERT INTO alert_deliveries (alert_id, channel, status, attempts, delivered_at)"
                " SELECT id, 'email', 'delivered', 1, :t FROM alerts"
                " WHERE recipient_key >= :a AND recipient_key < :b"
            ),
            {"t": T0, "a": start, "b": stop},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE alerts")
        conn.exec_driver_sql("VACUUM ANALYZE alert_deliveries")


def _new_alerts(engine: Engine, case_id: int, deadline_id: int, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alerts (deadline_id, case_id, level, recipient_role, created_at,"
                " due_at, recipient_key) SELECT :d, :c, 'due_today', 'owner', :t, :t, g"
                " FROM generate_series(1, :n) AS g"
            ),
            {"d": deadline_id, "c": case_id, "t": T0, "n": n},
        )


def _forget_new(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM alert_deliveries WHERE alert_id IN"
                " (SELECT id FROM alerts WHERE level = 'due_today')"
            )
        )
        conn.execute(text("UPDATE alerts SET queued_at = NULL WHERE level = 'due_today'"))


def _before(sf: SessionFactory) -> int:
    """The statement `queue_deliveries` ran before: every alert anti-joined with its rows."""
    with sf.begin() as session:
        missing = (
            select(alerts.c.id, literal("email"), literal("pending"), literal(0))
            .where(
                ~exists().where(
                    alert_deliveries.c.alert_id == alerts.c.id,
                    alert_deliveries.c.channel == "email",
                )
            )
            .order_by(alerts.c.id)
        )
        stmt = (
            postgresql.insert(alert_deliveries)
            .from_select(["alert_id", "channel", "status", "attempts"], missing)
            .on_conflict_do_nothing(index_elements=["alert_id", "channel"])
            .returning(alert_deliveries.c.id)
        )
        return len(session.execute(stmt).all())


def _timed(engine: Engine, run: Callable[[], int], expected: int, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        _forget_new(engine)
        started = time.perf_counter()
        queued = run()
        times.append(time.perf_counter() - started)
        assert queued == expected, f"queued {queued}, expected {expected}"
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--new", type=int, default=1000)
    args = parser.parse_args()
    with scratch_schema(required_postgres_url()) as url:
        engine = make_engine(url)
        upgrade(engine)
        sf = make_session_factory(engine)
        case_id, deadline_id = _case_and_deadline(engine)
        _new_alerts(engine, case_id, deadline_id, args.new)
        loaded = 0
        results = []
        for size in sorted(args.sizes):
            started = time.perf_counter()
            _grow(engine, case_id, deadline_id, 1_000_000_000 + loaded, 1_000_000_000 + size)
            loaded = size
            load = time.perf_counter() - started
            now = _timed(engine, lambda: queue_deliveries(sf, ["email"]), args.new)
            before = _timed(engine, lambda: _before(sf), args.new)
            results.append((size, now, before))
            print(
                f"history {size:>12,} (loaded in {load:.0f} s): now {now * 1000:8.1f} ms"
                f"   before {before * 1000:9.1f} ms",
                flush=True,
            )
        engine.dispose()
    base = results[0][1]
    print(f"\nqueueing {args.new:,} new alerts, median of 3:")
    print("| history | now | now vs smallest history | before (anti-join) | before / now |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for size, now, before in results:
        print(
            f"| {size:,} | {now * 1000:.1f} ms | {now / base:.2f}x | {before * 1000:.1f} ms "
            f"| {before / now:.1f}x |"
        )


if __name__ == "__main__":
    main()
