"""Delivery isolation: one message that cannot be built or sent never blocks another, a server
that accepts and then stalls counts as down within the time limits, and the claims keep a re-run
after a killed run from sending anything twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select, update

from calendars import FixedClock
from esafety_flow.notify import SmtpMailer
from esafety_flow.notify.dispatch import RetryPolicy, deliver_channel
from tests.delivery.rows import Org, add_alert, add_case, add_deadline, make_org
from tests.notify.servers import SmtpSink, StallingSmtp
from workflows.delivery import (
    claim_deliveries,
    delivery_counts,
    outstanding_deliveries,
    queue_deliveries,
)
from workflows.persistence import SessionFactory, alert_deliveries, users

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
ONCE = RetryPolicy(attempts=1, backoff_seconds=0.0, sleep=lambda _: None)
TWICE = RetryPolicy(attempts=2, backoff_seconds=0.0, sleep=lambda _: None)


def _alert_for(sf: SessionFactory, org: Org, reference: str, role: str = "owner") -> int:
    case_id = add_case(sf, org, reference)
    deadline_id = add_deadline(sf, case_id, date(2026, 3, 3))
    return add_alert(sf, deadline_id, case_id, "escalated" if role != "owner" else "overdue", role)


def _rows(sf: SessionFactory) -> dict[int, tuple[str, int, str | None, str | None]]:
    with sf.begin() as s:
        rows = s.execute(
            select(
                alert_deliveries.c.alert_id,
                alert_deliveries.c.status,
                alert_deliveries.c.attempts,
                alert_deliveries.c.last_error,
                alert_deliveries.c.claimed_by,
            )
        ).all()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def _deliver(
    sf: SessionFactory, mailer: SmtpMailer, retry: RetryPolicy = TWICE
) -> tuple[list[int], dict[int, str]]:
    report = deliver_channel(
        sf,
        mailer,
        clock=FixedClock(NOW),
        base_url="http://esafety.test",
        mail_from="alerts@esafety.test",
        retry=retry,
    )
    return report.delivered, report.failed


@pytest.fixture
def stalled_in_data() -> Iterator[StallingSmtp]:
    server = StallingSmtp(at="data")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stalled_at_greeting() -> Iterator[StallingSmtp]:
    server = StallingSmtp(at="greeting")
    server.start()
    yield server
    server.stop()


def test_an_address_with_a_line_break_fails_alone_and_the_others_go(
    session_factory: SessionFactory, smtp_server: SmtpSink
) -> None:
    """Finding 3: an address stored with a line break (before addresses were validated) made
    building its message raise outside the error handling; the run crashed and its batch stayed
    claimed. Now that alert is failed with the reason, its claim released, the rest delivered."""
    sf = session_factory
    org = make_org(sf)
    owner_alert = _alert_for(sf, org, "C-1")
    manager_alert = _alert_for(sf, org, "C-2", role="manager")
    later_alert = _alert_for(sf, org, "C-3")
    with sf.begin() as s:
        s.execute(
            update(users)
            .where(users.c.id == org.manager_id)
            .values(email="morgan@onlineharm.test\nBcc: someone@elsewhere.test")
        )
    queue_deliveries(sf, ["email"])
    with SmtpMailer("127.0.0.1", smtp_server.port) as mailer:
        delivered, failed = _deliver(sf, mailer)
    assert delivered == [owner_alert, later_alert]
    assert list(failed) == [manager_alert]
    assert failed[manager_alert].startswith("cannot build the message: ValueError:")
    rows = _rows(sf)
    status, _attempts, error, claimed_by = rows[manager_alert]
    assert (status, claimed_by) == ("pending", None)
    assert error == failed[manager_alert]
    assert "\n" not in error
    assert len(smtp_server.to("sam@onlineharm.test")) == 2
    assert not any("elsewhere" in str(m["Bcc"] or "") for m in smtp_server.messages)
    # the next run tries it again (and it fails alone again) until the address is corrected
    with SmtpMailer("127.0.0.1", smtp_server.port) as mailer:
        assert _deliver(sf, mailer) == ([], {manager_alert: error})


def test_a_template_failure_fails_that_message_only(
    session_factory: SessionFactory, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    from esafety_flow.notify import dispatch, render
    from esafety_flow.notify.messages import AlertNotice

    sf = session_factory
    org = make_org(sf)
    first = _alert_for(sf, org, "C-1")
    second = _alert_for(sf, org, "C-2")
    queue_deliveries(sf, ["email"])

    def broken_for_c1(notice: AlertNotice, mail_from: str) -> EmailMessage:
        if notice.case_reference == "C-1":
            raise RuntimeError("template 'alert.html' failed")
        return render.alert_email(notice, mail_from)

    monkeypatch.setattr(dispatch, "alert_email", broken_for_c1)
    with SmtpMailer("127.0.0.1", smtp_server.port) as mailer:
        delivered, failed = _deliver(sf, mailer)
    assert delivered == [second]
    assert failed == {first: "cannot build the message: RuntimeError: template 'alert.html' failed"}
    assert _rows(sf)[first][0] == "pending"


def test_a_server_that_stalls_while_sending_counts_as_down(
    session_factory: SessionFactory, stalled_in_data: StallingSmtp
) -> None:
    """Finding 12: a server that accepted and then stalled cost the whole timeout per message
    and was never treated as down. Now the first stall past the send limit stops the batch:
    the rest are left pending with the same reason, untried, for the next run."""
    sf = session_factory
    org = make_org(sf)
    alerts = [_alert_for(sf, org, f"C-{i}") for i in range(1, 6)]
    queue_deliveries(sf, ["email"])
    started = time.monotonic()
    with SmtpMailer(
        "127.0.0.1", stalled_in_data.port, connect_timeout=2, send_timeout=0.5
    ) as mailer:
        delivered, failed = _deliver(sf, mailer, retry=ONCE)
    took = time.monotonic() - started
    assert took < 2, f"a stalled server held the run {took:.1f} s"
    assert delivered == []
    assert list(failed) == alerts
    assert set(failed.values()) == {
        f"127.0.0.1:{stalled_in_data.port} did not answer within 0.5 s while sending"
    }
    assert stalled_in_data.messages == 1  # only the first message was tried
    rows = _rows(sf)
    assert [rows[a][:2] for a in alerts] == [("pending", 1)] + [("pending", 0)] * 4
    assert all(rows[a][3] is None for a in alerts)  # every claim released


def test_a_server_that_never_greets_counts_as_down_within_the_connect_limit(
    session_factory: SessionFactory, stalled_at_greeting: StallingSmtp
) -> None:
    sf = session_factory
    org = make_org(sf)
    alerts = [_alert_for(sf, org, f"C-{i}") for i in range(1, 4)]
    queue_deliveries(sf, ["email"])
    started = time.monotonic()
    with SmtpMailer("127.0.0.1", stalled_at_greeting.port, connect_timeout=0.5) as mailer:
        delivered, failed = _deliver(sf, mailer, retry=ONCE)
    assert time.monotonic() - started < 3
    assert delivered == []
    assert list(failed) == alerts
    assert all(
        f"cannot connect to 127.0.0.1:{stalled_at_greeting.port}" in e for e in failed.values()
    )
    assert delivery_counts(sf) == {("email", "pending"): 3}


def test_outstanding_counts_what_a_killed_run_still_holds(session_factory: SessionFactory) -> None:
    sf = session_factory
    org = make_org(sf)
    for i in range(3):
        _alert_for(sf, org, f"C-{i}")
    queue_deliveries(sf, ["email"])
    claim_deliveries(sf, "email", runner="killed", at=NOW, lease=timedelta(minutes=15), limit=2)
    left = outstanding_deliveries(sf, ["email"], at=NOW + timedelta(minutes=1))
    assert (left.pending, left.held) == (3, 2)
    assert left.held_until == NOW + timedelta(minutes=15)
    # once the lease has run out, nothing is held: the next run takes them over
    later = outstanding_deliveries(sf, ["email"], at=NOW + timedelta(minutes=16))
    assert (later.pending, later.held, later.held_until) == (3, 0, None)
    assert outstanding_deliveries(sf, ["webhook"], at=NOW).pending == 0
