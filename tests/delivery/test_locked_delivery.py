"""PostgreSQL delivery with the row lock held while each message is sent: no lease to wait out
after a sender dies, never one row in two runs, several messages at once with a bound."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select, text

from calendars import FixedClock
from esafety_flow.notify import SmtpMailer
from esafety_flow.notify.dispatch import DeliveryReport, RetryPolicy, deliver_channel_locked
from tests.delivery.rows import Org, add_alert, add_case, add_deadline, make_org
from tests.notify.servers import SmtpSink
from workflows.delivery import delivery_counts, queue_deliveries, take_delivery
from workflows.persistence import SessionFactory, alert_deliveries

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
NO_WAIT = RetryPolicy(attempts=2, backoff_seconds=0.0, sleep=lambda _: None)

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(postgres_database_url: str) -> str:
    """PostgreSQL only: the lock held while sending is PostgreSQL's (SQLite: one delivery
    process)."""
    return postgres_database_url


def _alerts(sf: SessionFactory, org: Org, n: int) -> list[int]:
    ids = []
    for i in range(n):
        case_id = add_case(sf, org, f"C-{i}")
        ids.append(add_alert(sf, add_deadline(sf, case_id, date(2026, 3, 3)), case_id, "overdue"))
    queue_deliveries(sf, ["email"])
    return ids


def _deliver(
    sf: SessionFactory, sink: SmtpSink, *, parallel: int, limit: int = 500
) -> DeliveryReport:
    return deliver_channel_locked(
        sf,
        "email",
        lambda: SmtpMailer("127.0.0.1", sink.port),
        clock=FixedClock(NOW),
        base_url="http://esafety.test",
        mail_from="esafety@esafety.test",
        retry=NO_WAIT,
        limit=limit,
        parallel=parallel,
    )


def test_a_sender_that_dies_mid_send_leaves_its_row_to_the_next_run_at_once(
    engine: Engine, session_factory: SessionFactory, smtp_server: SmtpSink
) -> None:
    org = make_org(session_factory)
    first, second = _alerts(session_factory, org, 2)
    # a sender on another connection has taken the oldest row and is "sending" it
    dying = engine.connect()
    transaction = dying.begin()
    held = dying.execute(
        text(
            "SELECT alert_id FROM alert_deliveries WHERE status = 'pending' ORDER BY alert_id"
            " LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
    ).scalar_one()
    assert held == first
    report = _deliver(session_factory, smtp_server, parallel=2)
    assert report.delivered == [second]
    # its machine dies: the connection goes, and the lock with it (no lease to wait for)
    transaction.rollback()
    dying.close()
    report = _deliver(session_factory, smtp_server, parallel=2)
    assert report.delivered == [first]
    assert len(smtp_server.messages) == 2
    assert delivery_counts(session_factory) == {("email", "delivered"): 2}


def test_parallel_senders_deliver_each_message_once_and_at_once(
    session_factory: SessionFactory,
) -> None:
    org = make_org(session_factory)
    ids = _alerts(session_factory, org, 16)
    slow = SmtpSink(delay=0.05)
    slow.start()
    try:
        report = _deliver(session_factory, slow, parallel=4)
    finally:
        slow.stop()
    assert sorted(report.delivered) == ids
    assert len(slow.messages) == 16
    assert 1 < slow.most_at_once <= 4
    assert delivery_counts(session_factory) == {("email", "delivered"): 16}


def test_the_limit_bounds_a_run(session_factory: SessionFactory, smtp_server: SmtpSink) -> None:
    org = make_org(session_factory)
    _alerts(session_factory, org, 5)
    report = _deliver(session_factory, smtp_server, parallel=3, limit=2)
    assert len(report.delivered) == 2
    assert delivery_counts(session_factory) == {("email", "delivered"): 2, ("email", "pending"): 3}


def test_a_message_that_fails_is_tried_once_per_run_and_stays_pending(
    session_factory: SessionFactory, smtp_server: SmtpSink
) -> None:
    org = make_org(session_factory, with_manager=False)
    case_id = add_case(session_factory, org, "C-1")
    deadline_id = add_deadline(session_factory, case_id, date(2026, 3, 3))
    broken = add_alert(session_factory, deadline_id, case_id, "escalated", role="manager")
    queue_deliveries(session_factory, ["email"])
    report = _deliver(session_factory, smtp_server, parallel=2)
    assert list(report.failed) == [broken]
    assert "no manager to address" in report.failed[broken]
    with session_factory.begin() as s:
        attempts, status = s.execute(
            select(alert_deliveries.c.attempts, alert_deliveries.c.status).where(
                alert_deliveries.c.alert_id == broken
            )
        ).one()
    assert (attempts, status) == (1, "pending")
    assert smtp_server.messages == []


def test_an_exception_while_sending_leaves_the_row_untouched(
    session_factory: SessionFactory,
) -> None:
    org = make_org(session_factory)
    (only,) = _alerts(session_factory, org, 1)
    taken: list[int] = []

    def send_and_stop() -> None:
        with take_delivery(session_factory, "email", at=NOW) as held:
            assert held is not None
            taken.append(held.pending.alert_id)
            raise RuntimeError("the process is stopping")

    with pytest.raises(RuntimeError):
        send_and_stop()
    assert taken == [only]
    with take_delivery(session_factory, "email", at=NOW) as again:
        assert again is not None
        assert again.pending.alert_id == only
        assert again.pending.attempts == 0


def test_parallel_must_be_positive(session_factory: SessionFactory, smtp_server: SmtpSink) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        _deliver(session_factory, smtp_server, parallel=0)
