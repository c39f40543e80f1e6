"""Rendering and channels, against a real SMTP server (aiosmtpd) and a real HTTP server."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from esafety_flow.notify import (
    AlertNotice,
    DeadlineMovedNotice,
    DeliveryError,
    DigestItem,
    DigestNotice,
    DigestWorker,
    SmtpMailer,
    WebhookPoster,
    alert_email,
    digest_email,
    moved_email,
    with_retries,
)
from tests.notify.servers import HttpSink, SmtpSink, free_port


def _notice(**changes: object) -> AlertNotice:
    fields: dict[str, object] = {
        "alert_id": 7,
        "level": "overdue",
        "recipient_role": "owner",
        "recipient_name": "Sam Social Worker",
        "recipient_email": "sam@example.org",
        "case_reference": "C-2026-0042",
        "deadline_kind": "referral_decision",
        "due_date": date(2026, 3, 3),
        "link": "http://esafety.test/cases/42",
    }
    fields.update(changes)
    return AlertNotice(**fields)  # type: ignore[arg-type]


def _parts(message: object) -> tuple[str, str]:
    from email.message import EmailMessage

    assert isinstance(message, EmailMessage)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


def test_alert_email_has_text_and_html_parts_with_what_the_role_needs() -> None:
    message = alert_email(_notice(), "alerts@esafety.test")
    assert message["To"] == "sam@example.org"
    assert message["Subject"] == (
        "[overdue] referral decision for case C-2026-0042, due 2026-03-03"
    )
    text, html = _parts(message)
    for part in (text, html):
        assert "C-2026-0042" in part
        assert "referral decision" in part
        assert "2026-03-03" in part
        assert "http://esafety.test/cases/42" in part


def test_escalated_alert_names_the_recipient_role() -> None:
    message = alert_email(
        _notice(level="escalated", recipient_role="head_of_service"), "a@esafety.test"
    )
    text, _ = _parts(message)
    assert "overdue (escalated)" in text
    assert "as the head of service" in text


def test_html_part_escapes_values() -> None:
    message = alert_email(_notice(case_reference="<b>X</b>"), "a@esafety.test")
    _, html = _parts(message)
    assert "<b>X</b>" not in html
    assert "&lt;b&gt;X&lt;/b&gt;" in html


def test_unknown_level_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="unknown alert level 'late'"):
        _notice(level="late")


def test_alert_without_an_address_is_refused() -> None:
    with pytest.raises(ValueError, match="owner of this alert has no email address"):
        alert_email(_notice(recipient_email=None), "a@esafety.test")


def test_webhook_payload_holds_no_more_than_the_alert_fields() -> None:
    payload = _notice().payload()
    assert set(payload) == {
        "text",
        "alert_id",
        "level",
        "to",
        "case_reference",
        "deadline_kind",
        "due_date",
        "link",
    }
    assert payload["due_date"] == "2026-03-03"


def test_digest_lists_each_worker_overdue_first() -> None:
    link = "http://esafety.test/cases/1"
    notice = DigestNotice(
        manager_id=1,
        manager_name="Morgan Manager",
        manager_email="morgan@example.org",
        team_name="Online harm team",
        on=date(2026, 12, 29),
        week_ends=date(2027, 1, 3),
        workers=(
            DigestWorker(
                "Sam",
                (
                    DigestItem("C-1", "core_group", date(2026, 12, 31), "open", link),
                    DigestItem("C-2", "referral_decision", date(2026, 12, 24), "overdue", link),
                ),
            ),
        ),
    )
    message = digest_email(notice, "a@esafety.test")
    assert message["Subject"] == "Online harm team: 1 overdue, 1 due by 2027-01-03 (2026-12-29)"
    text, html = _parts(message)
    assert text.index("OVERDUE  2026-12-24  C-2") < text.index("due      2026-12-31  C-1")
    assert "referral decision" in html


def test_moved_notice_gives_both_dates() -> None:
    notice = DeadlineMovedNotice(
        owner_name="Sam",
        owner_email="sam@example.org",
        case_reference="C-9",
        deadline_kind="single_assessment",
        old_due_date=date(2022, 10, 20),
        new_due_date=date(2022, 10, 21),
        reason="19 September 2022 (one-off bank holiday) added to the calendar",
        link="http://esafety.test/cases/9",
    )
    text, html = _parts(moved_email(notice, "a@esafety.test"))
    assert "Was due: 2022-10-20" in text
    assert "Now due: 2022-10-21" in text
    assert "one-off bank holiday" in html


def test_smtp_mailer_delivers_to_a_real_server(smtp_server: SmtpSink) -> None:
    with SmtpMailer("127.0.0.1", smtp_server.port) as mailer:
        mailer.send(alert_email(_notice(), "alerts@esafety.test"))
        mailer.send(alert_email(_notice(alert_id=8, level="due_today"), "alerts@esafety.test"))
    received = smtp_server.to("sam@example.org")
    assert [m["Subject"].split("]")[0] for m in received] == ["[overdue", "[due today"]
    text, _ = _parts(received[0])
    assert "C-2026-0042" in text


def test_smtp_server_down_raises_delivery_error_naming_the_server() -> None:
    port = free_port()
    mailer = SmtpMailer("127.0.0.1", port, connect_timeout=2)
    with pytest.raises(DeliveryError, match=f"cannot connect to 127.0.0.1:{port}") as caught:
        mailer.send(alert_email(_notice(), "alerts@esafety.test"))
    assert caught.value.channel == "email"


def test_webhook_poster_posts_json_to_a_real_server(webhook_server: HttpSink) -> None:
    with WebhookPoster(webhook_server.url) as poster:
        poster.send(_notice().payload())
    assert webhook_server.bodies == [_notice().payload()]


def test_webhook_non_2xx_is_a_delivery_error(webhook_server: HttpSink) -> None:
    webhook_server.status = 503
    with WebhookPoster(webhook_server.url) as poster, pytest.raises(DeliveryError, match="503"):
        poster.send(_notice().payload())
    assert webhook_server.bodies == []


def test_webhook_unreachable_is_a_delivery_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    poster = WebhookPoster(url, client=httpx.Client(timeout=2))
    with poster, pytest.raises(DeliveryError, match="ConnectError"):
        poster.send({"text": "x"})


def test_with_retries_backs_off_then_succeeds() -> None:
    sleeps: list[float] = []
    calls = [0]

    def flaky() -> None:
        calls[0] += 1
        if calls[0] < 3:
            raise DeliveryError("email", "try again")

    used = with_retries(flaky, attempts=4, backoff_seconds=0.5, sleep=sleeps.append)
    assert used == 3
    assert sleeps == [0.5, 1.0]


def test_with_retries_reraises_the_last_error() -> None:
    sleeps: list[float] = []

    def down() -> None:
        raise DeliveryError("webhook", "HTTP 503")

    with pytest.raises(DeliveryError, match="HTTP 503"):
        with_retries(down, attempts=3, backoff_seconds=1, sleep=sleeps.append)
    assert sleeps == [1, 2]


def test_with_retries_refuses_zero_attempts() -> None:
    with pytest.raises(ValueError, match="attempts must be at least 1"):
        with_retries(lambda: None, attempts=0, backoff_seconds=1)
