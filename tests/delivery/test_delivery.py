"""Outbox delivery on SQLite and PostgreSQL, to a real SMTP server and a real HTTP server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from calendars import FixedClock
from esafety_flow.notify import SmtpMailer, WebhookPoster
from esafety_flow.notify.dispatch import DeliveryReport, RetryPolicy, deliver_channel
from tests.delivery.rows import Org, add_alert, add_case, add_deadline, make_org
from tests.notify.servers import HttpSink, SmtpSink, free_port
from workflows.delivery import (
    claim_deliveries,
    delivery_counts,
    manager_digests,
    mark_delivered,
    mark_failed,
    pending_deliveries,
    queue_deliveries,
)
from workflows.persistence import SessionFactory, alert_deliveries

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
NO_WAIT = RetryPolicy(attempts=2, backoff_seconds=0.0, sleep=lambda _: None)


def _overdue_alert(sf: SessionFactory, org: Org, reference: str = "C-1") -> int:
    case_id = add_case(sf, org, reference)
    deadline_id = add_deadline(sf, case_id, date(2026, 3, 3))
    return add_alert(sf, deadline_id, case_id, "overdue")


def _rows(sf: SessionFactory) -> list[tuple[int, str, str, int, str | None]]:
    with sf.begin() as s:
        rows = s.execute(
            select(
                alert_deliveries.c.alert_id,
                alert_deliveries.c.channel,
                alert_deliveries.c.status,
                alert_deliveries.c.attempts,
                alert_deliveries.c.last_error,
            ).order_by(alert_deliveries.c.alert_id, alert_deliveries.c.channel)
        ).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def test_queue_is_idempotent_per_channel(session_factory: SessionFactory) -> None:
    org = make_org(session_factory)
    a1 = _overdue_alert(session_factory, org, "C-1")
    assert queue_deliveries(session_factory, ["email", "webhook"]) == 2
    assert queue_deliveries(session_factory, ["email", "webhook"]) == 0
    a2 = _overdue_alert(session_factory, org, "C-2")
    assert queue_deliveries(session_factory, ["email"]) == 1
    assert [(r[0], r[1], r[2]) for r in _rows(session_factory)] == [
        (a1, "email", "pending"),
        (a1, "webhook", "pending"),
        (a2, "email", "pending"),
    ]


def test_unknown_channel_is_refused(session_factory: SessionFactory) -> None:
    with pytest.raises(ValueError, match="unknown delivery channel 'sms'"):
        queue_deliveries(session_factory, ["sms"])


def test_pending_resolves_recipients_from_the_org_model(session_factory: SessionFactory) -> None:
    org = make_org(session_factory)
    case_id = add_case(session_factory, org, "C-7")
    deadline_id = add_deadline(session_factory, case_id, date(2026, 3, 3))
    add_alert(session_factory, deadline_id, case_id, "overdue", "owner")
    add_alert(session_factory, deadline_id, case_id, "escalated", "manager")
    add_alert(session_factory, deadline_id, case_id, "escalated", "head_of_service")
    queue_deliveries(session_factory, ["email"])
    pending = pending_deliveries(session_factory, "email")
    assert [(p.recipient_role, p.recipient_user_id) for p in pending] == [
        ("owner", org.owner_id),
        ("manager", org.manager_id),
        ("head_of_service", org.head_id),
    ]
    assert {p.case_reference for p in pending} == {"C-7"}
    assert pending[1].recipient_email == "morgan@onlineharm.test"


def test_mark_delivered_and_failed(session_factory: SessionFactory) -> None:
    org = make_org(session_factory)
    a = _overdue_alert(session_factory, org)
    queue_deliveries(session_factory, ["email"])
    mark_failed(session_factory, a, "email", "connection refused", at=NOW, tries=3)
    assert _rows(session_factory) == [(a, "email", "pending", 3, "connection refused")]
    assert mark_delivered(session_factory, a, "email", at=NOW) is True
    assert _rows(session_factory) == [(a, "email", "delivered", 4, "connection refused")]
    # delivered once: a second worker marking it again changes nothing
    assert mark_delivered(session_factory, a, "email", at=NOW) is False
    assert pending_deliveries(session_factory, "email") == []


def test_mark_failed_needs_the_error(session_factory: SessionFactory) -> None:
    with pytest.raises(ValueError, match="needs its error"):
        mark_failed(session_factory, 1, "email", "", at=NOW)


def test_email_delivery_reaches_the_smtp_server_once(
    session_factory: SessionFactory, smtp_server: SmtpSink
) -> None:
    org = make_org(session_factory)
    _overdue_alert(session_factory, org)
    queue_deliveries(session_factory, ["email"])
    for _ in range(2):
        with SmtpMailer("127.0.0.1", smtp_server.port) as mailer:
            deliver_channel(
                session_factory,
                mailer,
                clock=FixedClock(NOW),
                base_url="http://esafety.test",
                mail_from="alerts@esafety.test",
                retry=NO_WAIT,
            )
    received = smtp_server.to("sam@onlineharm.test")
    assert len(received) == 1
    body = received[0].get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "C-1" in text
    assert "http://esafety.test/cases/" in text
    assert "Child Name" not in received[0].as_string()
    assert delivery_counts(session_factory) == {("email", "delivered"): 1}


def test_smtp_down_leaves_alerts_pending_then_they_go_out(
    session_factory: SessionFactory,
) -> None:
    org = make_org(session_factory)
    a1 = _overdue_alert(session_factory, org, "C-1")
    a2 = _overdue_alert(session_factory, org, "C-2")
    queue_deliveries(session_factory, ["email"])
    sink = SmtpSink(port=free_port())  # not started: the server is down

    def run() -> list[int]:
        with SmtpMailer("127.0.0.1", sink.port, connect_timeout=2) as mailer:
            report = deliver_channel(
                session_factory,
                mailer,
                clock=FixedClock(NOW),
                base_url="http://esafety.test",
                mail_from="alerts@esafety.test",
                retry=NO_WAIT,
            )
        return report.delivered

    assert run() == []
    rows = _rows(session_factory)
    assert [(r[0], r[2]) for r in rows] == [(a1, "pending"), (a2, "pending")]
    assert all(r[4] and "cannot connect to 127.0.0.1" in r[4] for r in rows)
    assert (
        rows[0][3] == 2
    )  # both tries of the first; the second was not tried against a dead server
    sink.start()
    try:
        assert run() == [a1, a2]
    finally:
        sink.stop()
    assert len(sink.to("sam@onlineharm.test")) == 2
    assert delivery_counts(session_factory) == {("email", "delivered"): 2}


def test_missing_manager_keeps_the_escalation_pending_with_the_reason(
    session_factory: SessionFactory, smtp_server: SmtpSink
) -> None:
    org = make_org(session_factory, with_manager=False)
    case_id = add_case(session_factory, org, "C-3")
    deadline_id = add_deadline(session_factory, case_id, date(2026, 3, 3))
    add_alert(session_factory, deadline_id, case_id, "escalated", "manager")
    queue_deliveries(session_factory, ["email"])
    with SmtpMailer("127.0.0.1", smtp_server.port) as mailer:
        report = deliver_channel(
            session_factory,
            mailer,
            clock=FixedClock(NOW),
            base_url="http://esafety.test",
            mail_from="alerts@esafety.test",
            retry=NO_WAIT,
        )
    assert report.delivered == []
    [row] = _rows(session_factory)
    assert row[2] == "pending"
    assert row[4] == "no manager to address: set the case's owner or the team's manager"
    assert smtp_server.messages == []


def test_webhook_delivery_and_retry_after_an_error(
    session_factory: SessionFactory, webhook_server: HttpSink
) -> None:
    org = make_org(session_factory)
    a = _overdue_alert(session_factory, org)
    queue_deliveries(session_factory, ["webhook"])
    webhook_server.status = 500

    def run() -> list[int]:
        with WebhookPoster(webhook_server.url) as poster:
            return deliver_channel(
                session_factory,
                poster,
                clock=FixedClock(NOW),
                base_url="http://esafety.test",
                mail_from="alerts@esafety.test",
                retry=NO_WAIT,
            ).delivered

    assert run() == []
    [row] = _rows(session_factory)
    assert row[2:] == ("pending", 2, row[4])
    assert row[4] is not None
    assert "HTTP 500" in row[4]
    webhook_server.status = 200
    assert run() == [a]
    assert run() == []
    assert len(webhook_server.bodies) == 1
    assert webhook_server.bodies[0]["case_reference"] == "C-1"
    assert webhook_server.bodies[0]["level"] == "overdue"


def test_manager_digest_groups_by_worker(session_factory: SessionFactory) -> None:
    org = make_org(session_factory)
    other = make_org(session_factory, team="Other team")
    c1 = add_case(session_factory, org, "C-1")
    add_deadline(session_factory, c1, date(2026, 3, 3))  # overdue on 4 March
    add_deadline(session_factory, c1, date(2026, 3, 6), kind="core_group")  # this week
    add_deadline(session_factory, c1, date(2026, 3, 20), kind="single_assessment")  # later
    add_deadline(session_factory, c1, date(2026, 3, 2), kind="strategy_discussion", status="met")
    c2 = add_case(session_factory, other, "C-2")
    add_deadline(session_factory, c2, date(2026, 3, 5))
    restricted = add_case(session_factory, org, "C-LADO", restricted=True)
    add_deadline(session_factory, restricted, date(2026, 3, 5), kind="lado_strategy_meeting")
    digests = manager_digests(session_factory, as_of=NOW, through=date(2026, 3, 8))
    assert [(d.team_name, d.manager_id) for d in digests] == [
        ("Online harm", org.manager_id),
        ("Other team", other.manager_id),
    ]
    rows = digests[0].rows
    assert [(r.case_reference, r.deadline_kind, r.overdue) for r in rows] == [
        ("C-1", "referral_decision", True),
        ("C-1", "core_group", False),
    ]
    assert rows[0].owner_name == "Samonlineharm"


class _OverlappingMailer(SmtpMailer):
    """A mailer that, while sending its first message, lets another delivery run go through the
    outbox (a second worker, or the next tick starting before this run has finished)."""

    def __init__(self, port: int, other_run: Callable[[], DeliveryReport]) -> None:
        super().__init__("127.0.0.1", port)
        self.other_run = other_run
        self.other: DeliveryReport | None = None

    def send(self, message: EmailMessage) -> None:
        if self.other is None:
            self.other = self.other_run()
        super().send(message)


def test_two_runs_at_once_never_send_an_alert_twice(
    session_factory: SessionFactory, smtp_server: SmtpSink
) -> None:
    org = make_org(session_factory)
    ids = [_overdue_alert(session_factory, org, f"C-{i}") for i in range(1, 5)]
    queue_deliveries(session_factory, ["email"])

    def run(mailer: SmtpMailer, runner: str) -> DeliveryReport:
        return deliver_channel(
            session_factory,
            mailer,
            clock=FixedClock(NOW),
            base_url="http://esafety.test",
            mail_from="alerts@esafety.test",
            retry=NO_WAIT,
            limit=2,
            runner=runner,
        )

    def second() -> DeliveryReport:
        with SmtpMailer("127.0.0.1", smtp_server.port) as mailer:
            return run(mailer, "second")

    mailer = _OverlappingMailer(smtp_server.port, second)
    with mailer:
        first = run(mailer, "first")
    assert mailer.other is not None
    assert first.delivered == ids[:2]
    assert mailer.other.delivered == ids[2:]
    subjects = sorted(str(m["Subject"]) for m in smtp_server.to("sam@onlineharm.test"))
    assert len(subjects) == 4
    assert len(set(subjects)) == 4
    assert delivery_counts(session_factory) == {("email", "delivered"): 4}


def test_a_claim_holds_until_its_lease_runs_out(session_factory: SessionFactory) -> None:
    org = make_org(session_factory)
    a = _overdue_alert(session_factory, org)
    queue_deliveries(session_factory, ["email"])
    lease = timedelta(minutes=5)
    [held] = claim_deliveries(session_factory, "email", runner="a", at=NOW, lease=lease)
    assert held.alert_id == a
    later = NOW + timedelta(minutes=4)
    assert claim_deliveries(session_factory, "email", runner="b", at=later, lease=lease) == []
    # run "a" crashed: once its lease has run out, another run takes the row over
    expired = NOW + timedelta(minutes=6)
    [taken] = claim_deliveries(session_factory, "email", runner="b", at=expired, lease=lease)
    assert taken.alert_id == a
    assert mark_delivered(session_factory, a, "email", at=expired, runner="a") is False
    assert mark_delivered(session_factory, a, "email", at=expired, runner="b") is True
    with session_factory.begin() as s:
        row = s.execute(
            select(alert_deliveries.c.claimed_by, alert_deliveries.c.claimed_until)
        ).one()
    assert tuple(row) == (None, None)


def test_a_failed_delivery_releases_its_claim(session_factory: SessionFactory) -> None:
    org = make_org(session_factory)
    a = _overdue_alert(session_factory, org)
    queue_deliveries(session_factory, ["email"])
    lease = timedelta(minutes=5)
    claim_deliveries(session_factory, "email", runner="a", at=NOW, lease=lease)
    mark_failed(session_factory, a, "email", "refused", at=NOW, runner="a")
    [again] = claim_deliveries(session_factory, "email", runner="b", at=NOW, lease=lease)
    assert (again.alert_id, again.attempts, again.last_error) == (a, 1, "refused")


def test_claims_refuse_bad_arguments(session_factory: SessionFactory) -> None:
    with pytest.raises(ValueError, match="lease must be positive"):
        claim_deliveries(session_factory, "email", runner="a", at=NOW, lease=timedelta(0))
    with pytest.raises(ValueError, match="1 to 64 characters"):
        claim_deliveries(session_factory, "email", runner="", at=NOW, lease=timedelta(1))
