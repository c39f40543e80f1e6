"""Benchmark: alert delivery throughput against a slow SMTP server, on PostgreSQL.

Run: ``ESAFETY_BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/delivery.py
[--alerts 2000] [--delay-ms 50] [--parallel 1 4 8 16]`` (a fresh schema, dropped afterwards).

`--alerts` overdue alerts, each on its own case, are queued for email; a local SMTP server
(aiosmtpd) takes `--delay-ms` to accept each message, as a slow relay does. Each run delivers
all of them with `esafety_flow.notify.jobs.deliver` (the locked, parallel delivery of
PostgreSQL) at one `ESAFETY_DELIVERY_PARALLEL` setting; the rows are set pending again between
runs. It prints messages a minute for each setting, the ratio to one sender (the baseline,
measured in the same run), and the bound one sender has at that delay (60,000 / delay).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
import time
from datetime import UTC, date, datetime
from typing import Any

from aiosmtpd.controller import Controller
from scratch import required_postgres_url, scratch_schema
from sqlalchemy import text

from calendars import FixedClock, Region
from esafety_flow.bootstrap import App
from esafety_flow.notify import jobs
from esafety_flow.settings import Settings
from states import ENGLAND_2023
from workflows.persistence import make_engine, make_session_factory, upgrade

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday morning: inside the alert hours


class _SlowHandler:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.accepted = 0
        self.first_at: float | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        with self.lock:
            self.accepted += 1
            if self.first_at is None:
                self.first_at = time.perf_counter()
        return "250 accepted"


def _load(engine: Any, n: int) -> None:
    with engine.begin() as conn:
        team = conn.execute(text("INSERT INTO teams (name) VALUES ('Bench') RETURNING id")).scalar()
        owner = conn.execute(
            text(
                "INSERT INTO users (username, display_name, email, role, team_id, active,"
                " created_at) VALUES ('owner', 'Owner', 'owner@bench.test', 'practitioner', :t,"
                " true, :at) RETURNING id"
            ),
            {"t": team, "at": NOW},
        ).scalar()
        conn.execute(
            text(
                "INSERT INTO cases (reference, region, policy_name, state, facts,"
                " required_actions, do_not_inform_family, restricted, owner_id, team_id,"
                " discussions, last_seq, created_at, updated_at, version)"
                " SELECT 'B-' || g, 'england-and-wales', 'england-2023', 'referral',"
                ' \'{"category": "other", "children": []}\', \'[]\', false, false, :o, :t,'
                " '[]', 0, :at, :at, 1 FROM generate_series(1, :n) AS g"
            ),
            {"o": owner, "t": team, "at": NOW, "n": n},
        )
        conn.execute(
            text(
                "INSERT INTO deadlines (case_id, kind, anchor_at, due_date, due_at, status,"
                " calendar_version, policy_name) SELECT id, 'referral_decision', :at, :d, :at,"
                " 'open', 'bench', 'england-2023' FROM cases"
            ),
            {"at": NOW, "d": date(2026, 3, 3)},
        )
        conn.execute(
            text(
                "INSERT INTO alerts (deadline_id, case_id, level, recipient_role, created_at,"
                " due_at) SELECT id, case_id, 'overdue', 'owner', :at, :at FROM deadlines"
            ),
            {"at": NOW},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 4, 8, 16])
    args = parser.parse_args()
    handler = _SlowHandler(args.delay_ms / 1000)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    results: list[tuple[int, float]] = []
    first = 0.0
    try:
        with scratch_schema(required_postgres_url()) as url:
            engine = make_engine(url, pool_size=max(args.parallel) + 2)
            upgrade(engine)
            sf = make_session_factory(engine)
            _load(engine, args.alerts)
            # the sweep's hand-over: the alerts it wrote are queued and delivered in its run;
            # from the moment they are written, the first email is accepted after...
            settings = Settings(database_url=url, smtp_port=port, delivery_batch_size=args.alerts)
            app = App(settings, engine, sf, FixedClock(NOW), ENGLAND_2023, Region.ENGLAND_AND_WALES)
            started = time.perf_counter()
            jobs.queue(app)
            report = jobs.deliver(app, "email")
            assert handler.first_at is not None
            first = handler.first_at - started
            assert len(report.delivered) == args.alerts
            print(f"written -> first email accepted: {first * 1000:.0f} ms", flush=True)
            for parallel in args.parallel:
                with engine.begin() as conn:
                    conn.execute(
                        text(
                            "UPDATE alert_deliveries SET status = 'pending', attempts = 0,"
                            " delivered_at = NULL"
                        )
                    )
                settings = Settings(
                    database_url=url,
                    smtp_port=port,
                    delivery_parallel=parallel,
                    delivery_batch_size=args.alerts,
                )
                app = App(
                    settings, engine, sf, FixedClock(NOW), ENGLAND_2023, Region.ENGLAND_AND_WALES
                )
                before = handler.accepted
                started = time.perf_counter()
                report = jobs.deliver(app, "email")
                took = time.perf_counter() - started
                assert len(report.delivered) == args.alerts, (len(report.delivered), report.failed)
                assert handler.accepted - before == args.alerts
                per_minute = args.alerts / took * 60
                results.append((parallel, per_minute))
                print(
                    f"parallel {parallel:>2}: {args.alerts:,} in {took:.1f} s, "
                    f"{per_minute:,.0f} a minute",
                    flush=True,
                )
            engine.dispose()
    finally:
        controller.stop()
    base = results[0][1]
    bound = 60_000 / args.delay_ms
    print(
        f"\n{args.alerts:,} emails, the SMTP server taking {args.delay_ms:g} ms each "
        f"(one sender's bound: {bound:,.0f} a minute):"
    )
    print(
        f"From the sweep writing {args.alerts:,} alerts to the first email accepted: "
        f"{first * 1000:.0f} ms (queue, take, render, send; the server's {args.delay_ms:g} ms "
        "included)\n"
    )
    print("| senders (ESAFETY_DELIVERY_PARALLEL) | emails a minute | vs one sender |")
    print("| ---: | ---: | ---: |")
    for parallel, per_minute in results:
        print(f"| {parallel} | {per_minute:,.0f} | {per_minute / base:.1f}x |")


if __name__ == "__main__":
    main()
