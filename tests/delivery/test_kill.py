"""Two delivery processes on PostgreSQL against a slow SMTP server: one is killed (kill -9) and
the other stopped (SIGTERM) while they send; a third run delivers the rest at once. Every alert
arrives, one message each: a message the killed process had handed to the server but not yet
recorded is sent again by the next run with the same Message-ID, which the recipient's mail
system keeps once; nothing is lost and nothing waits for a lease."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tests.delivery.rows import add_alert, add_case, add_deadline, make_org
from tests.notify.servers import SmtpSink
from workflows.delivery import delivery_counts, queue_deliveries
from workflows.persistence import SessionFactory

ALERTS = 60
ESAFETY = Path(sys.executable).with_name("esafety")
PARALLEL = 2

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(postgres_database_url: str) -> str:
    """PostgreSQL only: several delivery processes at once are PostgreSQL's (SQLite: one)."""
    return postgres_database_url


def _deliver(database_url: str, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "ESAFETY_DATABASE_URL": database_url,
        "ESAFETY_SMTP_PORT": str(port),
        "ESAFETY_DELIVERY_PARALLEL": str(PARALLEL),
        "ESAFETY_EMAIL_ENABLED": "true",
        "ESAFETY_WEBHOOK_URL": "",
        "ESAFETY_ALERT_HOURS_LEVELS": "[]",  # whatever the hour the test runs at
    }
    return subprocess.Popen(
        [str(ESAFETY), "alerts", "deliver"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(sink: SmtpSink, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(sink.messages) < count:
        assert time.monotonic() < deadline, f"only {len(sink.messages)} messages arrived"
        time.sleep(0.05)


def test_a_killed_and_a_stopped_sender_lose_nothing_and_send_each_alert_once(
    database_url: str, session_factory: SessionFactory
) -> None:
    org = make_org(session_factory)
    for i in range(ALERTS):
        case_id = add_case(session_factory, org, f"K-{i:03d}")
        add_alert(
            session_factory,
            add_deadline(session_factory, case_id, date(2026, 3, 3)),
            case_id,
            "overdue",
        )
    queue_deliveries(session_factory, ["email"])
    sink = SmtpSink(delay=0.1)  # a slow relay: each message takes 100 ms to be accepted
    sink.start()
    try:
        killed = _deliver(database_url, sink.port)
        stopped = _deliver(database_url, sink.port)
        _wait_for(sink, 10, timeout=60)
        killed.send_signal(signal.SIGKILL)
        stopped.send_signal(signal.SIGTERM)
        killed.wait(timeout=30)
        _, err = stopped.communicate(timeout=30)
        # asked to stop, it finished what it was sending and said what is left
        assert stopped.returncode == 1, err
        assert "email: " in err, err
        assert "still pending" in err, err
        started = time.monotonic()
        rest = _deliver(database_url, sink.port)
        out, err = rest.communicate(timeout=120)
        assert rest.returncode == 0, (out, err)
        # the killed process's rows were free at once: no lease to wait out
        assert time.monotonic() - started < 60
    finally:
        sink.stop()
    assert delivery_counts(session_factory) == {("email", "delivered"): ALERTS}
    ids = Counter(str(m["Message-ID"]) for m in sink.messages)
    assert len(ids) == ALERTS  # every alert arrived
    resent = {i: n for i, n in ids.items() if n > 1}
    # only what the killed process had on the wire can arrive twice, and with one Message-ID
    assert sum(n - 1 for n in resent.values()) <= PARALLEL, resent
    subjects = Counter(str(m["Subject"]) for m in sink.messages)
    assert len(subjects) == ALERTS
