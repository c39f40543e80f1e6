"""Notifications: what an alert, digest, deadline-move or work notice says, how it is rendered
(plain text and HTML, Jinja2), the channels that carry it (SMTP, JSON webhook), and one
delivery pass over the outbox (`deliver_channel`, shared by the CLI and the flows).

Exceptions: `DeliveryError` (a channel did not accept a message; its `reason` is kept as the
outbox record's last error).
"""

from esafety_flow.notify.dispatch import (
    DeliveryReport,
    RetryPolicy,
    case_link,
    deliver_channel,
    notice_for,
)
from esafety_flow.notify.messages import (
    AlertNotice,
    DeadlineMovedNotice,
    DigestItem,
    DigestNotice,
    DigestWorker,
    WorkNotice,
    kind_label,
    level_label,
)
from esafety_flow.notify.render import alert_email, digest_email, moved_email, work_email
from esafety_flow.notify.senders import DeliveryError, SmtpMailer, WebhookPoster, with_retries

__all__ = [
    "AlertNotice",
    "DeadlineMovedNotice",
    "DeliveryError",
    "DeliveryReport",
    "DigestItem",
    "DigestNotice",
    "DigestWorker",
    "RetryPolicy",
    "SmtpMailer",
    "WebhookPoster",
    "WorkNotice",
    "alert_email",
    "case_link",
    "deliver_channel",
    "digest_email",
    "kind_label",
    "level_label",
    "moved_email",
    "notice_for",
    "with_retries",
    "work_email",
]
