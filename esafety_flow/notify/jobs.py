"""The alert jobs without Prefect: each is one step that a Prefect task wraps (esafety_flow.flows)
and that the plain-cron commands (`esafety sweep`, `esafety alerts deliver`) call directly.

Each takes the `App` (esafety_flow.bootstrap) and an explicit instant where one matters; none holds
a business rule of its own: the sweep, the outbox and the calendar are the services'.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from calendars import BankHoliday, OfficeHours, Region, london_date, to_utc
from esafety_flow.bootstrap import App
from esafety_flow.notify.dispatch import (
    DeliveryReport,
    NoticeDelivery,
    RetryPolicy,
    case_link,
    deliver_channel,
    deliver_channel_locked,
    deliver_notices,
    new_notice,
    unbuildable,
)
from esafety_flow.notify.messages import (
    DeadlineMovedNotice,
    DigestItem,
    DigestNotice,
    DigestWorker,
    WorkNotice,
)
from esafety_flow.notify.render import digest_email, moved_email, work_email
from esafety_flow.notify.senders import SmtpMailer, WebhookPoster
from workflows import calendar_days, deadline_alerts, notifications, operations, organisation
from workflows.delivery import (
    Hold,
    HoldFor,
    NewNotice,
    calendar_day_added_at,
    manager_digests,
    moved_deadlines,
    queue_deliveries,
    queue_notices,
)
from workflows.outbox_archive import ArchiveReport, archive_outbox
from workflows.persistence import SessionFactory

__all__ = [
    "DigestReport",
    "NoticeReport",
    "add_calendar_day",
    "deliver",
    "deliver_pending_notices",
    "digest_day",
    "enabled_channels",
    "moved_notices",
    "queue",
    "queue_owner_notices",
    "queue_work_notices",
    "retry_policy",
    "send_digests",
    "sweep",
    "tell_owners",
    "week_end",
]


def retry_policy(app: App) -> RetryPolicy:
    return RetryPolicy(
        attempts=app.settings.delivery_attempts,
        backoff_seconds=app.settings.delivery_backoff_seconds,
    )


def enabled_channels(app: App) -> tuple[str, ...]:
    """Email when `email_enabled`, the webhook when `webhook_url` is set."""
    channels: list[str] = []
    if app.settings.email_enabled:
        channels.append("email")
    if app.settings.webhook_url:
        channels.append("webhook")
    return tuple(channels)


def _mailer(app: App) -> SmtpMailer:
    s = app.settings
    return SmtpMailer(
        s.smtp_host,
        s.smtp_port,
        username=s.smtp_username,
        password=s.smtp_password,
        starttls=s.smtp_starttls,
        connect_timeout=s.smtp_connect_timeout_seconds,
        send_timeout=s.smtp_send_timeout_seconds,
    )


def _sender(app: App, channel: str) -> SmtpMailer | WebhookPoster:
    if channel == "email":
        return _mailer(app)
    if channel == "webhook":
        if not app.settings.webhook_url:
            raise ValueError("the webhook channel needs ESAFETY_WEBHOOK_URL")
        return WebhookPoster(app.settings.webhook_url)
    raise ValueError(f"unknown delivery channel {channel!r}: expected email or webhook")


def sweep(app: App, as_of: datetime) -> deadline_alerts.SweepResult:
    """One deadline sweep at `as_of` (`deadline_alerts.sweep`: each alert into the outbox exactly
    once), kept as the sweep's last run (`workflows.operations.record_run`: ok or failed)."""
    as_of = to_utc(as_of)
    started = app.clock.now()

    def recorded(ok: bool, detail: str) -> None:
        operations.record_run(
            app.session_factory,
            "sweep",
            started_at=started,
            finished_at=app.clock.now(),
            ok=ok,
            as_of=as_of,
            detail=detail,
        )

    try:
        result = deadline_alerts.sweep(app.session_factory, as_of, app.calendar_for, app.policy_for)
    except Exception as exc:
        recorded(False, type(exc).__name__)
        raise
    recorded(True, f"{result.deadlines} deadlines {result.alerts} alerts")
    return result


def _region_hold(app: App, region: Region, at: datetime) -> dict[tuple[str, str], datetime]:
    """The (region, level) pairs of `region` held at `at`, each until the alert hours open."""
    settings = app.settings
    hours = OfficeHours(settings.alert_hours_open, settings.alert_hours_close)
    calendar = app.calendar_for(region)
    opening = hours.next_opening(at, calendar)
    if opening is None:
        return {}
    until: dict[tuple[str, str], datetime] = {
        (region.value, level): opening for level in settings.alert_hours_levels
    }
    if not calendar.is_working_day(london_date(at)):
        until[(region.value, "escalated")] = opening
    return until


def alert_hold(app: App, at: datetime) -> HoldFor:
    """When the email alerts written at `at` may go out, per region and level (DESIGN 3.3):
    the levels of `alert_hours_levels` wait for the alert hours of the case's region to open;
    an escalation never goes out on a weekend or bank holiday, whatever the settings.
    Asked for the regions of the alerts at hand, it reads only their calendars, each once."""
    held: dict[str, dict[tuple[str, str], datetime]] = {}

    def hold(regions: Collection[str]) -> Hold:
        for name in regions:
            if name not in held:
                held[name] = _region_hold(app, Region(name), at)
        return Hold({pair: until for name in regions for pair, until in held[name].items()})

    return hold


def archive(app: App) -> ArchiveReport:
    """Move the outbox rows older than the retention period that nothing needs any more into
    the archive tables (`workflows.outbox_archive`)."""
    now = app.clock.now()
    before = now - timedelta(days=app.settings.outbox_retention_days)
    return archive_outbox(app.session_factory, before=before, at=now)


def queue(app: App) -> int:
    """Pending delivery rows for every new alert on each enabled channel, each email held for
    the alert hours where they are closed (`alert_hold`)."""
    now = app.clock.now()
    return queue_deliveries(
        app.session_factory, enabled_channels(app), at=now, hold=alert_hold(app, now)
    )


def deliver(
    app: App,
    channel: str,
    *,
    retry: RetryPolicy | None = None,
    stopping: threading.Event | None = None,
) -> DeliveryReport:
    """Deliver every pending alert of `channel` that is due. On PostgreSQL, `delivery_parallel`
    messages at a time, each sent while its row is locked (`dispatch.deliver_channel_locked`);
    on SQLite (one delivery process), batch after batch of claimed rows while batches make
    progress (`dispatch.deliver_channel`). Once `stopping` is set, the messages being sent
    finish and no more are taken."""
    retry = retry or retry_policy(app)
    limit = app.settings.delivery_batch_size
    total = DeliveryReport(channel)
    if app.engine.dialect.name == "postgresql":
        while True:
            report = deliver_channel_locked(
                app.session_factory,
                channel,
                lambda: _sender(app, channel),
                clock=app.clock,
                base_url=app.settings.base_url,
                mail_from=app.settings.mail_from,
                retry=retry,
                limit=limit,
                parallel=app.settings.delivery_parallel,
                stopping=stopping,
            )
            total.merge(report)
            handled = len(report.delivered) + len(report.failed)
            if handled < limit or not report.delivered or (stopping and stopping.is_set()):
                return total
    sender = _sender(app, channel)
    try:
        while True:
            report = deliver_channel(
                app.session_factory,
                sender,
                clock=app.clock,
                base_url=app.settings.base_url,
                mail_from=app.settings.mail_from,
                retry=retry,
                limit=limit,
            )
            total.merge(report)
            handled = len(report.delivered) + len(report.failed)
            if handled < limit or not report.delivered or (stopping and stopping.is_set()):
                return total
    finally:
        sender.close()


# -- the manager digest -----------------------------------------------------------------------


def week_end(on: date) -> date:
    """The Sunday ending `on`'s week: "due this week" is due on or before it."""
    return on + timedelta(days=6 - on.weekday())


def digest_day(app: App, as_of: datetime) -> tuple[date, str | None]:
    """The London date of `as_of`, and why no digest goes out that day (None: it is a working
    day of the service's region or of some team's own region; `send_digests` then skips each
    team whose region does not work). A cron cannot know bank holidays; the calendar does."""
    on = london_date(to_utc(as_of))
    calendar = app.calendar_for(app.region)
    if calendar.is_working_day(on):
        return on, None
    regions = {r or app.region.value for r in organisation.team_regions(app.session_factory)}
    if any(app.calendar_for(Region.parse(r)).is_working_day(on) for r in regions):
        return on, None
    holidays = {h.date: h for h in calendar.bank_holidays(on.year)}
    day: BankHoliday | None = holidays.get(on)
    if day is not None:
        return on, f"{on.isoformat()} is not a working day in {app.region.value}: {day.name}"
    return on, f"{on.isoformat()} is not a working day in {app.region.value}: a weekend"


@dataclass
class NoticeReport:
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class DigestReport(NoticeReport):
    on: date | None = None
    skipped: str | None = None
    teams_skipped: list[str] = field(default_factory=list)
    """Teams whose region does not work that day."""


def queue_work_notices(
    session_factory: SessionFactory,
    *,
    at: datetime,
    base_url: str,
    mail_from: str,
    failed: dict[str, str] | None = None,
) -> int:
    """Render each work notice not yet emailed (DESIGN 2.5: a case allocated, transferred, passed
    on or left unallocated) into the notice outbox, one message per notice, and mark it emailed.

    Exactly once: the outbox key is the notice's id, so a pass that stopped between queueing and
    marking queues nothing twice when it runs again. A message carries the case reference, what
    happened and a link, never a child's name or any fact of the case. A notice whose message
    cannot be built (an address stored with a line break) is left unemailed, with its reason in
    `failed` (label -> why), and blocks no other: it is tried again on the next pass. Returns how
    many were queued."""
    queued = 0
    after = 0
    while True:
        batch = notifications.unemailed(session_factory, limit=500, after=after)
        if not batch:
            return queued
        after = batch[-1].id
        items: list[NewNotice] = []
        done: list[int] = []
        for n in batch:
            label = f"{n.reference} {n.kind.value} to {n.username}"
            if not n.email:
                done.append(n.id)
                continue  # nobody to write to: the notice stays in the app
            passed_on = n.kind is notifications.NoticeKind.PASSED_ON
            try:
                notice = WorkNotice(
                    notice_id=n.id,
                    kind=n.kind.value,
                    recipient_name=n.display_name,
                    recipient_email=n.email,
                    case_reference=n.reference,
                    # a case passed to the LADOs is no longer theirs to open: link to the caseload
                    link=f"{base_url.rstrip('/')}/caseload"
                    if passed_on
                    else case_link(base_url, n.case_id),
                    link_text="Open your caseload" if passed_on else "Open the case",
                )
                message = work_email(notice, mail_from)
            except Exception as exc:  # this notice only: the others still go
                if failed is not None:
                    failed[label] = unbuildable(exc)
                continue
            items.append(new_notice(f"work:{n.id}", "work", label, message))
            done.append(n.id)
        queued += queue_notices(session_factory, items, at=at)
        notifications.mark_emailed(session_factory, done, at=at)


def deliver_pending_notices(app: App, *, retry: RetryPolicy | None = None) -> NoticeDelivery:
    """Send every pending digest, deadline-moved and work notice, batch after batch, while
    batches make progress (`esafety alerts deliver` and the `deliver_alerts` flow call it, so a
    notice that failed is retried on the next pass). The work notices not yet emailed are
    rendered into the outbox first (`queue_work_notices`)."""
    unbuilt: dict[str, str] = {}
    queue_work_notices(
        app.session_factory,
        at=app.clock.now(),
        base_url=app.settings.base_url,
        mail_from=app.settings.mail_from,
        failed=unbuilt,
    )
    retry = retry or retry_policy(app)
    limit = app.settings.delivery_batch_size
    total = NoticeDelivery()
    total.failed.update({("work", label): why for label, why in unbuilt.items()})
    with _mailer(app) as mailer:
        while True:
            report = deliver_notices(
                app.session_factory, mailer, clock=app.clock, retry=retry, limit=limit
            )
            total.delivered.extend(report.delivered)
            total.failed.update(report.failed)
            if len(report.delivered) + len(report.failed) < limit or not report.delivered:
                return total


def _send_queued(
    app: App, kind: str, items: list[NewNotice], report: NoticeReport, retry: RetryPolicy | None
) -> None:
    """Queue the notices in the outbox, then deliver what is pending; report this kind's."""
    queue_notices(app.session_factory, items, at=app.clock.now())
    done = deliver_pending_notices(app, retry=retry)
    report.sent.extend(label for k, label in done.delivered if k == kind)
    report.failed.update({label: e for (k, label), e in done.failed.items() if k == kind})


def send_digests(app: App, as_of: datetime, *, retry: RetryPolicy | None = None) -> DigestReport:
    """Each manager gets the team's overdue and due-this-week deadlines, by worker, on a working
    day of the team's region (a team in Northern Ireland gets none on St Patrick's Day; a team
    with no region follows the service's). Each digest (one per team and day) goes through the
    notice outbox: a digest the server did not accept stays pending and the next delivery pass
    sends it; a retried run queues nothing twice."""
    as_of = to_utc(as_of)
    on = london_date(as_of)
    through = week_end(on)
    report = DigestReport(on=on)
    base = app.settings.base_url
    items: list[NewNotice] = []
    for team in manager_digests(app.session_factory, as_of=as_of, through=through):
        region = Region.parse(team.region) if team.region else app.region
        if not app.calendar_for(region).is_working_day(on):
            report.teams_skipped.append(team.team_name)  # its own bank holiday or weekend
            continue
        workers: dict[str, list[DigestItem]] = {}
        for r in team.rows:
            workers.setdefault(r.owner_name, []).append(
                DigestItem(
                    case_reference=r.case_reference,
                    deadline_kind=r.deadline_kind,
                    due_date=r.due_date,
                    status="overdue" if r.overdue else "open",
                    link=case_link(base, r.case_id),
                )
            )
        notice = DigestNotice(
            manager_id=team.manager_id,
            manager_name=team.manager_name,
            manager_email=team.manager_email,
            team_name=team.team_name,
            on=on,
            week_ends=through,
            workers=tuple(DigestWorker(name, tuple(rows)) for name, rows in workers.items()),
        )
        try:
            message = digest_email(notice, app.settings.mail_from)
        except Exception as exc:  # this team's digest only
            report.failed[" ".join(team.manager_email.split())] = unbuildable(exc)
            continue
        key = f"digest:{team.team_id}:{on.isoformat()}"
        items.append(new_notice(key, "digest", team.manager_email, message))
    _send_queued(app, "digest", items, report, retry)
    return report


# -- calendar changes --------------------------------------------------------------------------


def census_check(app: App, as_of: datetime) -> tuple[int, int, int]:
    """The nightly check of the CIN census (DESIGN 8): the tasks of the reporting year that holds
    `as_of`, each owner told of their cases with tasks. Returns (year, tasks, notices written)."""
    from workflows.returns import census, census_check

    today = london_date(as_of)
    year = today.year + (1 if today.month > 3 else 0)
    tasks = census_check.census_tasks(app.session_factory, census.census_year(year))
    told = census_check.notify_owners(app.session_factory, tasks, at=to_utc(as_of))
    return year, len(tasks), told


def add_calendar_day(
    app: App, *, region: Region, day: date, name: str, kind: str, added_by: str, at: datetime
) -> tuple[datetime, int]:
    """Record the day and move the open deadlines it affects (calendar_days.add_calendar_day,
    in batches). A retried run resumes: a day already recorded is left as it is and whatever
    its recalculation had not yet done is done now, dated when the day was recorded. Returns
    that instant (of the `deadline_moved` entries) and how many deadlines moved in this run."""
    recorded = calendar_day_added_at(app.session_factory, region.value, day)
    if recorded is not None:
        resumed = calendar_days.recalculate_region(
            app.session_factory,
            region,
            at=recorded,
            actor=added_by,
            policy_for=app.policy_for,
            closures_enabled=app.settings.closure_days_enabled,
        )
        return recorded, resumed.moved
    at = to_utc(at)
    moved = calendar_days.add_calendar_day(
        app.session_factory,
        region=region,
        day=day,
        name=name,
        added_by=added_by,
        at=at,
        policy_for=app.policy_for,
        kind=kind,
        closures_enabled=app.settings.closure_days_enabled,
    )
    return at, moved


def moved_notices(
    session_factory: SessionFactory,
    *,
    region: Region,
    at: datetime,
    reason: str,
    base_url: str,
    mail_from: str,
) -> tuple[list[NewNotice], dict[str, str]]:
    """The deadline-moved notices of the calendar change recorded at `at` (one per moved
    deadline, keyed so that queueing twice adds nothing), and the moved deadlines that have no
    owner to tell or whose message cannot be built (label -> why)."""
    at = to_utc(at)
    items: list[NewNotice] = []
    untold: dict[str, str] = {}
    for m in moved_deadlines(session_factory, region=region.value, at=at):
        label = f"{m.case_reference}/{m.deadline_kind}"
        if not m.owner_email:
            untold[label] = "the case has no owner with an email address"
            continue
        notice = DeadlineMovedNotice(
            owner_name=m.owner_name or "",
            owner_email=m.owner_email,
            case_reference=m.case_reference,
            deadline_kind=m.deadline_kind,
            old_due_date=m.old_due_date,
            new_due_date=m.new_due_date,
            reason=reason,
            link=case_link(base_url, m.case_id),
        )
        try:
            message = moved_email(notice, mail_from)
        except Exception as exc:  # this owner only: the others are still told
            untold[label] = unbuildable(exc)
            continue
        key = f"moved:{m.case_id}:{m.deadline_kind}:{at.isoformat()}"
        items.append(new_notice(key, "deadline_moved", label, message))
    return items, untold


def queue_owner_notices(
    session_factory: SessionFactory,
    *,
    region: Region,
    at: datetime,
    reason: str,
    base_url: str,
    mail_from: str,
) -> int:
    """Put the deadline-moved notices of a calendar change in the notice outbox, for the next
    delivery pass (`esafety alerts deliver`, the `deliver_alerts` flow) to send. For callers that
    must not wait on a mail server, such as the web app's calendar page. Returns how many."""
    items, _ = moved_notices(
        session_factory,
        region=region,
        at=at,
        reason=reason,
        base_url=base_url,
        mail_from=mail_from,
    )
    queue_notices(session_factory, items, at=to_utc(at))
    return len(items)


def tell_owners(
    app: App, *, region: Region, at: datetime, reason: str, retry: RetryPolicy | None = None
) -> NoticeReport:
    """Email each owner whose deadline the calendar change recorded at `at` moved, through the
    notice outbox (one notice per moved deadline: a failure stays pending for the next pass)."""
    report = NoticeReport()
    items, untold = moved_notices(
        app.session_factory,
        region=region,
        at=at,
        reason=reason,
        base_url=app.settings.base_url,
        mail_from=app.settings.mail_from,
    )
    report.failed.update(untold)
    _send_queued(app, "deadline_moved", items, report, retry)
    return report
