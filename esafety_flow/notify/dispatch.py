"""One delivery pass over the outbox: the logic shared by `esafety alerts deliver` (plain cron)
and the `deliver_alerts` flow. No Prefect here.

On SQLite (one delivery process) a pass first claims its batch
(`workflows.delivery.claim_deliveries`, a lease), so that two passes at once (a run overlapping
the next tick) never send the same (alert, channel) twice. On PostgreSQL
(`deliver_channel_locked`) each message is taken with its row locked (`FOR UPDATE SKIP LOCKED`)
and sent while the lock is held, by a bounded number of senders at once: no lease, so a pass
whose machine dies leaves its rows to the next pass the moment its connection goes.
For each claimed (alert, channel): build the notice, send it with retries and back-off, then mark
it delivered (only after the server accepted it) or failed (the row stays pending with the error
and the attempt count, for the next pass). When a server cannot be reached at all (or stalls past
its time limit), the rest of the batch is marked failed with the same error without trying each
message against it.

One message never blocks another: a message that cannot be built (an address with a line break
stored before addresses were validated, a template that fails) or that the channel refuses is
marked failed with its reason, its claim is released, and the pass goes on with the next.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_string
from email import policy as email_policy
from email.message import EmailMessage
from functools import partial

from calendars import Clock
from esafety_flow.notify.messages import AlertNotice
from esafety_flow.notify.render import alert_email
from esafety_flow.notify.senders import DeliveryError, SmtpMailer, WebhookPoster, with_retries
from workflows.delivery import (
    NewNotice,
    PendingDelivery,
    claim_deliveries,
    claim_notices,
    mark_delivered,
    mark_failed,
    mark_notice_delivered,
    mark_notice_failed,
    take_delivery,
)
from workflows.persistence import SessionFactory

__all__ = [
    "DEFAULT_LEASE",
    "DeliveryReport",
    "NoticeDelivery",
    "RetryPolicy",
    "case_link",
    "deliver_channel",
    "deliver_channel_locked",
    "deliver_notices",
    "new_notice",
    "notice_for",
    "unbuildable",
]

DEFAULT_LEASE = timedelta(minutes=15)
"""How long a delivery run holds the rows it claimed; after that another run takes them over
(the run is taken to have crashed). Longer than a batch takes with its retries."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_seconds: float = 1.0
    sleep: Callable[[float], None] = time.sleep


@dataclass
class DeliveryReport:
    channel: str
    delivered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)

    def merge(self, other: DeliveryReport) -> None:
        self.delivered.extend(other.delivered)
        self.failed.update(other.failed)


def case_link(base_url: str, case_id: int) -> str:
    return f"{base_url.rstrip('/')}/cases/{case_id}"


def notice_for(pending: PendingDelivery, base_url: str) -> AlertNotice:
    return AlertNotice(
        alert_id=pending.alert_id,
        level=pending.level,
        recipient_role=pending.recipient_role,
        recipient_name=pending.recipient_name,
        recipient_email=pending.recipient_email,
        case_reference=pending.case_reference,
        deadline_kind=pending.deadline_kind,
        due_date=pending.due_date,
        link=case_link(base_url, pending.case_id),
    )


class _Attempt:
    """Counts the tries of one send (the attempt count stored with the delivery)."""

    def __init__(self, send: Callable[[], None]) -> None:
        self.send = send
        self.tries = 0

    def __call__(self) -> None:
        self.tries += 1
        self.send()


def _sending(
    sender: SmtpMailer | WebhookPoster, notice: AlertNotice, mail_from: str
) -> Callable[[], None]:
    if isinstance(sender, SmtpMailer):
        return partial(sender.send, alert_email(notice, mail_from))
    return partial(sender.send, notice.payload())


def unbuildable(exc: BaseException) -> str:
    """The stored reason of a message that could not be built: the error's kind and message on
    one line (never the message's content)."""
    text = " ".join(str(exc).split())[:300]
    return (
        f"cannot build the message: {type(exc).__name__}: {text}"
        if text
        else (f"cannot build the message: {type(exc).__name__}")
    )


def _missing_recipient(p: PendingDelivery) -> str | None:
    role = p.recipient_role.replace("_", " ")
    if p.recipient_user_id is None:
        return f"no {role} to address: set the case's owner or the team's {role}"
    if not p.recipient_email:
        return f"the {role} (user {p.recipient_user_id}) has no email address"
    return None


@dataclass(frozen=True)
class _Outcome:
    delivered: bool
    tries: int
    error: str | None = None
    unreachable: bool = False


def _attempt(
    p: PendingDelivery,
    sender: SmtpMailer | WebhookPoster,
    *,
    base_url: str,
    mail_from: str,
    retry: RetryPolicy,
) -> _Outcome:
    """Build and send one delivery with its retries; never raises for this message's own
    problems (a missing address, a message that cannot be built, a refusal)."""
    if isinstance(sender, SmtpMailer):
        problem = _missing_recipient(p)
        if problem is not None:
            return _Outcome(False, 1, problem)
    try:
        send = _sending(sender, notice_for(p, base_url), mail_from)
    except Exception as exc:  # this message only: the others still go
        return _Outcome(False, 0, unbuildable(exc))
    attempt = _Attempt(send)
    try:
        with_retries(
            attempt,
            attempts=retry.attempts,
            backoff_seconds=retry.backoff_seconds,
            sleep=retry.sleep,
        )
    except DeliveryError as exc:
        return _Outcome(False, attempt.tries, exc.reason, exc.unreachable)
    return _Outcome(True, attempt.tries)


def deliver_channel(
    session_factory: SessionFactory,
    sender: SmtpMailer | WebhookPoster,
    *,
    clock: Clock,
    base_url: str,
    mail_from: str,
    retry: RetryPolicy,
    limit: int = 500,
    lease: timedelta = DEFAULT_LEASE,
    runner: str | None = None,
) -> DeliveryReport:
    """Claim up to `limit` pending alerts of `sender`'s channel and deliver them."""
    channel = sender.channel
    runner = runner or uuid.uuid4().hex
    report = DeliveryReport(channel)
    batch = claim_deliveries(
        session_factory, channel, runner=runner, at=clock.now(), lease=lease, limit=limit
    )
    failed = partial(mark_failed, session_factory, channel=channel, runner=runner)
    down: str | None = None
    for p in batch:
        if down is not None:
            failed(p.alert_id, error=down, at=clock.now(), tries=0)
            report.failed[p.alert_id] = down
            continue
        outcome = _attempt(p, sender, base_url=base_url, mail_from=mail_from, retry=retry)
        if not outcome.delivered:
            error = outcome.error or "not delivered"
            failed(p.alert_id, error=error, at=clock.now(), tries=outcome.tries)
            report.failed[p.alert_id] = error
            if outcome.unreachable:
                down = error
            continue
        mark_delivered(
            session_factory,
            p.alert_id,
            channel,
            at=clock.now(),
            tries=outcome.tries,
            runner=runner,
        )
        report.delivered.append(p.alert_id)
    return report


def deliver_channel_locked(
    session_factory: SessionFactory,
    channel: str,
    make_sender: Callable[[], SmtpMailer | WebhookPoster],
    *,
    clock: Clock,
    base_url: str,
    mail_from: str,
    retry: RetryPolicy,
    limit: int = 500,
    parallel: int = 4,
    stopping: threading.Event | None = None,
) -> DeliveryReport:
    """PostgreSQL: deliver up to `limit` pending alerts of `channel`, `parallel` at a time, each
    sent while its row is locked (`workflows.delivery.take_delivery`): a run that dies mid-send
    leaves its rows to the next run at once, and two runs never hold one row. Each of the
    `parallel` senders has its own connection to the server (`make_sender`, a sender of
    `channel`). A row that fails in this run is not tried again by it; when the server cannot
    be reached, every sender stops and the rest wait for the next run. Once `stopping` is set
    (the process is asked to stop), each sender finishes the message it is sending and takes
    no more."""
    if parallel < 1:
        raise ValueError(f"parallel must be at least 1, got {parallel}")
    report = DeliveryReport(channel)
    lock = threading.Lock()
    down = threading.Event()  # the server cannot be reached: every sender stops
    tried: set[int] = set()
    left = limit  # how many more rows this run may take, across its senders (under `lock`)

    taking = threading.Lock()
    """One sender at a time chooses its row: what this run has taken is always excluded."""

    def may_take() -> bool:
        nonlocal left
        with lock:
            if left <= 0 or down.is_set() or (stopping is not None and stopping.is_set()):
                return False
            left -= 1
            return True

    def work() -> None:
        sender = make_sender()
        try:
            while may_take():
                with ExitStack() as row:
                    with taking:
                        held = row.enter_context(
                            take_delivery(
                                session_factory, channel, at=clock.now(), exclude=frozenset(tried)
                            )
                        )
                        if held is None:
                            return
                        tried.add(held.pending.alert_id)
                    # sent while the row is locked; the outcome commits as the `with` ends
                    p = held.pending
                    outcome = _attempt(
                        p, sender, base_url=base_url, mail_from=mail_from, retry=retry
                    )
                    if outcome.delivered:
                        held.delivered(at=clock.now(), tries=outcome.tries)
                    else:
                        held.failed(
                            outcome.error or "not delivered", at=clock.now(), tries=outcome.tries
                        )
                with lock:
                    if outcome.delivered:
                        report.delivered.append(p.alert_id)
                    else:
                        report.failed[p.alert_id] = outcome.error or "not delivered"
                        if outcome.unreachable:
                            down.set()
        finally:
            sender.close()

    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix=f"deliver-{channel}") as pool:
        for future in [pool.submit(work) for _ in range(parallel)]:
            future.result()
    return report


# -- the notice outbox: digests and deadline-moved notices --------------------------------------


def new_notice(key: str, kind: str, label: str, message: EmailMessage) -> NewNotice:
    """A rendered email to keep in the notice outbox until the server accepts it."""
    return NewNotice(
        key=key, kind=kind, label=label, recipient=str(message["To"]), message=message.as_string()
    )


@dataclass
class NoticeDelivery:
    """What one pass over the notice outbox did: labels by kind, delivered or failed."""

    delivered: list[tuple[str, str]] = field(default_factory=list)
    failed: dict[tuple[str, str], str] = field(default_factory=dict)


def deliver_notices(
    session_factory: SessionFactory,
    mailer: SmtpMailer,
    *,
    clock: Clock,
    retry: RetryPolicy,
    limit: int = 500,
    lease: timedelta = DEFAULT_LEASE,
) -> NoticeDelivery:
    """Claim the pending notices (up to `limit`) and send them; a failure stays pending with its
    error for the next pass, a notice the server accepted is never sent again."""
    runner = uuid.uuid4().hex
    report = NoticeDelivery()
    batch = claim_notices(session_factory, runner=runner, at=clock.now(), lease=lease, limit=limit)
    down: DeliveryError | None = None
    for n in batch:
        key = (n.kind, n.label)
        if down is not None:
            mark_notice_failed(
                session_factory, n.id, down.reason, at=clock.now(), tries=0, runner=runner
            )
            report.failed[key] = down.reason
            continue
        try:
            message = message_from_string(
                n.message, _class=EmailMessage, policy=email_policy.default
            )
        except Exception as exc:  # this notice only
            problem = unbuildable(exc)
            mark_notice_failed(
                session_factory, n.id, problem, at=clock.now(), tries=0, runner=runner
            )
            report.failed[key] = problem
            continue
        attempt = _Attempt(partial(mailer.send, message))
        try:
            with_retries(
                attempt,
                attempts=retry.attempts,
                backoff_seconds=retry.backoff_seconds,
                sleep=retry.sleep,
            )
        except DeliveryError as exc:
            mark_notice_failed(
                session_factory,
                n.id,
                exc.reason,
                at=clock.now(),
                tries=attempt.tries,
                runner=runner,
            )
            report.failed[key] = exc.reason
            if exc.unreachable:
                down = exc
            continue
        mark_notice_delivered(
            session_factory, n.id, at=clock.now(), tries=attempt.tries, runner=runner
        )
        report.delivered.append(key)
    return report
