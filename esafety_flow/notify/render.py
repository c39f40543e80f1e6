"""Render notices into email messages: a plain-text part and an HTML part (Jinja2 templates)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from esafety_flow.notify.messages import (
    AlertNotice,
    DeadlineMovedNotice,
    DigestNotice,
    WorkNotice,
    kind_label,
    level_label,
)

__all__ = ["alert_email", "alert_message_id", "digest_email", "moved_email", "work_email"]


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("esafety_flow.notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _greeting(name: str | None) -> str:
    return f"Dear {name}," if name else "Hello,"


def _email(
    template: str,
    subject: str,
    to: str,
    mail_from: str,
    *,
    message_id: str | None = None,
    **context: object,
) -> EmailMessage:
    env = _env()
    text = env.get_template(f"{template}.txt").render(**context)
    html = env.get_template(f"{template}.html").render(**context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = to
    message["Message-ID"] = message_id or make_msgid(domain="esafety-flow")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _require_address(address: str | None, who: str) -> str:
    if not address:
        raise ValueError(f"{who} has no email address")
    return address


def alert_message_id(alert_id: int) -> str:
    """The Message-ID of an alert's email: the same every time it is built, so that a message
    sent again (the rare crash after the server accepted it and before that was recorded) is
    the same message to the recipient's mail system, which keeps one."""
    return f"<alert.{alert_id}@esafety-flow>"


def alert_email(notice: AlertNotice, mail_from: str) -> EmailMessage:
    """The email for one alert, to its recipient (Message-ID `alert_message_id`)."""
    to = _require_address(notice.recipient_email, f"the {notice.recipient_role} of this alert")
    return _email(
        "alert",
        notice.subject,
        to,
        mail_from,
        message_id=alert_message_id(notice.alert_id),
        n=notice,
        greeting=_greeting(notice.recipient_name),
        kind=kind_label(notice.deadline_kind),
        level=level_label(notice.level),
    )


def digest_email(notice: DigestNotice, mail_from: str) -> EmailMessage:
    """A manager's morning digest."""
    to = _require_address(notice.manager_email, f"manager {notice.manager_name}")
    return _email(
        "digest", notice.subject, to, mail_from, n=notice, greeting=_greeting(notice.manager_name)
    )


def moved_email(notice: DeadlineMovedNotice, mail_from: str) -> EmailMessage:
    """Tells a deadline's owner that a calendar change moved it."""
    to = _require_address(notice.owner_email, f"owner {notice.owner_name}")
    return _email(
        "moved",
        notice.subject,
        to,
        mail_from,
        n=notice,
        greeting=_greeting(notice.owner_name),
        kind=kind_label(notice.deadline_kind),
    )


def work_email(notice: WorkNotice, mail_from: str) -> EmailMessage:
    """Tells a worker or manager that work has been allocated, transferred or passed on."""
    to = _require_address(notice.recipient_email, "the recipient of this work notice")
    return _email(
        "work", notice.subject, to, mail_from, n=notice, greeting=_greeting(notice.recipient_name)
    )
