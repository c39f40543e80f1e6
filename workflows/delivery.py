"""Delivery-side services over the alert outbox, and the read models the alert flows need.

The sweep (`workflows.deadline_alerts.sweep`) writes each (deadline, level, recipient role)
alert into the `alerts` outbox exactly once. Delivery then works per channel (`email`, `webhook`):

1. `queue_deliveries` gives every alert a `pending` row in `alert_deliveries` for each enabled
   channel (idempotent: the unique key (alert_id, channel) with ON CONFLICT DO NOTHING);
2. `claim_deliveries` claims a batch of pending rows for one delivery run (`claimed_by`, with a
   lease until `claimed_until`) and returns them with what a notice needs (case reference,
   deadline kind, due date, level, the recipient's name and address; never facts of the case).
   The claim is one UPDATE whose WHERE only an unclaimed row (or one whose lease has expired: a
   crashed run) satisfies, so two runs at once never hold the same row: PostgreSQL re-checks the
   WHERE on a row another transaction changed and the candidate SELECT skips locked rows; SQLite
   runs one writer at a time. `pending_deliveries` reads pending rows without claiming them;
   On PostgreSQL, `take_delivery` is used instead: one row at a time, locked with `FOR UPDATE
   SKIP LOCKED` for as long as its message is sent, its outcome written in the same
   transaction (`LockedDelivery.delivered` / `.failed`). A dead sender's lock goes with its
   connection, so nothing waits for a lease;
3. after the channel's server accepted the message, `mark_delivered`; after it refused or was
   unreachable, `mark_failed` records the error and the attempts and leaves the row pending, so the
   next run tries again. Both release the claim. A pending row is never dropped.
4. `outstanding_deliveries` / `outstanding_notices` count what is still pending, and of that
   what another run holds (a claim whose lease has not run out: a run still going, or one that
   was killed), so that `esafety alerts deliver` can exit 1 while anything is left.

Recipients come from the org model: the alert's `recipient_user_id` when the sweep resolved it,
otherwise the case's owner, or the team's manager or head of service by the alert's
`recipient_role`, resolved when the alert is delivered.

`manager_digests` and `moved_deadlines` feed the morning digest and the calendar-change notices.
Those notices go through an outbox too (`notices`): `queue_notices` stores each rendered message
once under its key (a retried run queues nothing twice), `claim_notices` claims pending ones for
one delivery run (as `claim_deliveries` does), `mark_notice_delivered` / `mark_notice_failed`
record the outcome and release the claim. A notice the server did not accept stays pending for
the next run (`esafety alerts deliver`, the `deliver_alerts` flow); it is never dropped.
Each function is one transaction (`with session_factory.begin()`); times are parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflows.persistence.engine import SessionFactory
from workflows.persistence.tables import NOTICE_KINDS as persisted_notice_kinds
from workflows.persistence.tables import (
    alert_deliveries,
    alerts,
    calendar_days,
    case_events,
    case_managers,
    cases,
    deadlines,
    notices,
    teams,
    users,
)
from workflows.persistence.types import UTCDateTime

__all__ = [
    "CHANNELS",
    "DigestRow",
    "Hold",
    "HoldFor",
    "LockedDelivery",
    "MovedDeadline",
    "NewNotice",
    "Outstanding",
    "PendingDelivery",
    "PendingNotice",
    "TeamDigest",
    "calendar_day_added_at",
    "claim_deliveries",
    "claim_notices",
    "delivery_counts",
    "delivery_due",
    "manager_digests",
    "mark_delivered",
    "mark_failed",
    "mark_notice_delivered",
    "mark_notice_failed",
    "moved_deadlines",
    "notice_counts",
    "outstanding_deliveries",
    "outstanding_notices",
    "pending_deliveries",
    "queue_deliveries",
    "queue_notices",
    "take_delivery",
]

CHANNELS = ("email", "webhook")


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown delivery channel {channel!r}: expected one of {CHANNELS}")


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which has `on_conflict_do_nothing` on both SQLite and PostgreSQL."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise ValueError(f"unsupported database dialect {name!r}")


QUEUE_BATCH = 1000
"""New alerts queued per transaction."""


@dataclass(frozen=True)
class Hold:
    """Email alerts not sent before a moment: `until[(region, level)]` for an alert of that
    level on a case of that region (the opening of the alert hours); a pair missing is sent at
    once."""

    until: Mapping[tuple[str, str], datetime]


HoldFor = Callable[[Collection[str]], Hold]
"""The hold of the alerts of cases in the given regions: `queue_deliveries` asks it for the
regions of each batch, so that only the calendars of those regions are read."""


def _batch_hold(
    session: Session, batch: ColumnElement[bool], hold: Hold | HoldFor | None
) -> Hold | None:
    """The hold of one batch of new alerts: `hold` itself, or what it gives for the regions
    of the batch's cases."""
    if hold is None or isinstance(hold, Hold):
        return hold
    regions = session.execute(
        select(cases.c.region)
        .distinct()
        .select_from(alerts)
        .join(cases, cases.c.id == alerts.c.case_id)
        .where(batch)
    ).scalars()
    return hold(set(regions))


def _not_before(channel: str, hold: Hold | None) -> ColumnElement[Any]:
    if channel != "email" or hold is None or not hold.until:
        return literal(None, UTCDateTime)
    return case(
        *(
            (
                and_(cases.c.region == region, alerts.c.level == level),
                literal(until, UTCDateTime),
            )
            for (region, level), until in sorted(hold.until.items())
        ),
        else_=literal(None, UTCDateTime),
    )


def queue_deliveries(
    session_factory: SessionFactory,
    channels: Iterable[str],
    *,
    at: datetime | None = None,
    hold: Hold | HoldFor | None = None,
) -> int:
    """Create the `pending` delivery rows of every alert not yet queued, for each channel, and
    mark those alerts queued at `at` (default: when each was written); returns how many rows
    were created. Only new alerts are read (the partial index on `queued_at IS NULL`), so the
    cost follows the new work, not the history. With `hold` (a `Hold`, or a `HoldFor` asked once
    per batch), an email alert of a held level is not sent before its region's opening time.
    Safe to run concurrently and repeatedly: on PostgreSQL a run skips the alerts another run is
    queueing."""
    names = list(channels)
    for channel in names:
        _check_channel(channel)
    created = 0
    while True:
        with session_factory.begin() as session:
            new = (
                select(alerts.c.id)
                .where(alerts.c.queued_at.is_(None))
                .order_by(alerts.c.id)
                .limit(QUEUE_BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                new = new.with_for_update(skip_locked=True)
            ids = session.execute(new).scalars().all()
            if not ids:
                return created
            # the ids themselves, not their range: an alert committed meanwhile inside the
            # range is left for the next run rather than marked queued without its rows
            batch = alerts.c.id.in_(ids)
            held = _batch_hold(session, batch, hold) if "email" in names else None
            for channel in names:
                rows = (
                    select(
                        alerts.c.id,
                        literal(channel),
                        literal("pending"),
                        literal(0),
                        _not_before(channel, held),
                    )
                    .select_from(alerts)
                    .join(cases, cases.c.id == alerts.c.case_id)
                    .where(batch)
                    .order_by(alerts.c.id)
                )
                stmt = (
                    _insert(session)(alert_deliveries)
                    .from_select(["alert_id", "channel", "status", "attempts", "not_before"], rows)
                    .on_conflict_do_nothing(index_elements=["alert_id", "channel"])
                    .returning(alert_deliveries.c.id)
                )
                created += len(session.execute(stmt).all())
            session.execute(
                update(alerts)
                .where(batch)
                .values(queued_at=at if at is not None else alerts.c.created_at)
            )


@dataclass(frozen=True)
class PendingDelivery:
    """One pending (alert, channel) with what its notice may say."""

    alert_id: int
    channel: str
    attempts: int
    last_error: str | None
    level: str
    recipient_role: str
    recipient_user_id: int | None
    recipient_name: str | None
    recipient_email: str | None
    case_id: int
    case_reference: str
    deadline_kind: str
    due_date: date


def _recipient_id() -> ColumnElement[Any]:
    by_role = case(
        (alerts.c.recipient_role == "owner", cases.c.owner_id),
        (alerts.c.recipient_role == "manager", teams.c.manager_id),
        else_=teams.c.head_of_service_id,
    )
    return func.coalesce(alerts.c.recipient_user_id, by_role)


def _details(channel: str) -> Any:
    recipient = _recipient_id()
    return (
        select(
            alert_deliveries.c.alert_id,
            alert_deliveries.c.attempts,
            alert_deliveries.c.last_error,
            alerts.c.level,
            alerts.c.recipient_role,
            recipient.label("recipient_user_id"),
            users.c.display_name,
            users.c.email,
            cases.c.id.label("case_id"),
            cases.c.reference,
            deadlines.c.kind,
            deadlines.c.due_date,
        )
        .select_from(alert_deliveries)
        .join(alerts, alerts.c.id == alert_deliveries.c.alert_id)
        .join(deadlines, deadlines.c.id == alerts.c.deadline_id)
        .join(cases, cases.c.id == alerts.c.case_id)
        .outerjoin(teams, teams.c.id == cases.c.team_id)
        .outerjoin(users, users.c.id == recipient)
        .where(alert_deliveries.c.status == "pending", alert_deliveries.c.channel == channel)
        .order_by(alert_deliveries.c.alert_id)
    )


def _pending(channel: str, rows: Iterable[Any]) -> list[PendingDelivery]:
    return [
        PendingDelivery(
            alert_id=r.alert_id,
            channel=channel,
            attempts=r.attempts,
            last_error=r.last_error,
            level=r.level,
            recipient_role=r.recipient_role,
            recipient_user_id=r.recipient_user_id,
            recipient_name=r.display_name,
            recipient_email=r.email,
            case_id=r.case_id,
            case_reference=r.reference,
            deadline_kind=r.kind,
            due_date=r.due_date,
        )
        for r in rows
    ]


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def pending_deliveries(
    session_factory: SessionFactory, channel: str, *, limit: int = 500
) -> list[PendingDelivery]:
    """Pending deliveries of `channel`, oldest alert first, at most `limit` (claimed or not; to
    send them, `claim_deliveries`)."""
    _check_channel(channel)
    _check_limit(limit)
    with session_factory.begin() as session:
        rows = session.execute(_details(channel).limit(limit)).all()
    return _pending(channel, rows)


def _unclaimed(at: datetime) -> ColumnElement[bool]:
    return or_(alert_deliveries.c.claimed_until.is_(None), alert_deliveries.c.claimed_until < at)


def delivery_due(at: datetime) -> ColumnElement[bool]:
    """The condition on `alert_deliveries` that a row may go out at `at`: it is not held for the
    alert hours (no `not_before`, or one reached). Delivery takes only such rows; the operations
    backlog counts the others as waiting."""
    return or_(alert_deliveries.c.not_before.is_(None), alert_deliveries.c.not_before <= at)


def claim_deliveries(
    session_factory: SessionFactory,
    channel: str,
    *,
    runner: str,
    at: datetime,
    lease: timedelta,
    limit: int = 500,
) -> list[PendingDelivery]:
    """Claim up to `limit` pending, unclaimed deliveries of `channel` for `runner` until
    `at + lease`, oldest alert first, and return them. A row claimed by another run whose lease
    has not run out at `at` is left alone; an expired lease is taken over; a row held for the
    alert hours (`not_before` after `at`) waits."""
    _check_channel(channel)
    _check_limit(limit)
    if not runner or len(runner) > 64:
        raise ValueError("a delivery run needs a name of 1 to 64 characters")
    if lease <= timedelta(0):
        raise ValueError(f"the claim's lease must be positive, got {lease}")
    with session_factory.begin() as session:
        candidates = (
            select(alert_deliveries.c.id)
            .where(
                alert_deliveries.c.status == "pending",
                alert_deliveries.c.channel == channel,
                _unclaimed(at),
                delivery_due(at),
            )
            .order_by(alert_deliveries.c.alert_id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            # a CTE is evaluated once (a locking sub-select under IN may be run again per row)
            candidates = candidates.with_for_update(skip_locked=True)
        chosen = candidates.cte("chosen")
        claimed = (
            session.execute(
                update(alert_deliveries)
                .where(
                    alert_deliveries.c.id.in_(select(chosen.c.id)),
                    alert_deliveries.c.status == "pending",
                    _unclaimed(at),
                )
                .values(claimed_by=runner, claimed_until=at + lease)
                .returning(alert_deliveries.c.id)
            )
            .scalars()
            .all()
        )
        if not claimed:
            return []
        rows = session.execute(
            _details(channel).where(
                alert_deliveries.c.id.in_(claimed), alert_deliveries.c.claimed_by == runner
            )
        ).all()
    return _pending(channel, rows)


class LockedDelivery:
    """One pending delivery taken by `take_delivery`, its row locked until the outcome is
    recorded: `delivered` or `failed` (in the same transaction, committed when the `with`
    ends)."""

    def __init__(self, session: Session, row_id: int, pending: PendingDelivery) -> None:
        self._session = session
        self._row_id = row_id
        self.pending = pending

    def delivered(self, *, at: datetime, tries: int) -> None:
        self._session.execute(
            update(alert_deliveries)
            .where(alert_deliveries.c.id == self._row_id)
            .values(
                status="delivered",
                delivered_at=at,
                last_attempt_at=at,
                attempts=alert_deliveries.c.attempts + tries,
            )
        )

    def failed(self, error: str, *, at: datetime, tries: int) -> None:
        if not error:
            raise ValueError("a failed delivery needs its error")
        self._session.execute(
            update(alert_deliveries)
            .where(alert_deliveries.c.id == self._row_id)
            .values(
                last_error=error[:2000],
                last_attempt_at=at,
                attempts=alert_deliveries.c.attempts + tries,
            )
        )


@contextmanager
def take_delivery(
    session_factory: SessionFactory,
    channel: str,
    *,
    at: datetime,
    exclude: Collection[int] = (),
) -> Iterator[LockedDelivery | None]:
    """PostgreSQL: the oldest pending, due delivery of `channel` that no other run holds, with
    its row locked (`FOR UPDATE SKIP LOCKED`) for as long as the `with` block runs, so the
    message is sent while the lock is held; None when there is none. The lock is the claim: if
    the process dies while sending, its connection closes, PostgreSQL releases the lock and the
    row is at once there for another run (no lease to wait out, none to outlast). Alerts in
    `exclude` (those this run has tried) are passed over. An exception in the block leaves the
    row as it was."""
    _check_channel(channel)
    with session_factory.begin() as session:
        if session.get_bind().dialect.name != "postgresql":
            raise ValueError("take_delivery needs PostgreSQL (SQLite: claim_deliveries)")
        row_id = session.execute(
            select(alert_deliveries.c.id)
            .where(
                alert_deliveries.c.status == "pending",
                alert_deliveries.c.channel == channel,
                _unclaimed(at),
                delivery_due(at),
                alert_deliveries.c.alert_id.not_in(sorted(exclude)),
            )
            .order_by(alert_deliveries.c.alert_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if row_id is None:
            yield None
            return
        rows = session.execute(_details(channel).where(alert_deliveries.c.id == row_id)).all()
        yield LockedDelivery(session, row_id, _pending(channel, rows)[0])


def _held(alert_id: int, channel: str, runner: str | None) -> list[ColumnElement[bool]]:
    conditions = [
        alert_deliveries.c.alert_id == alert_id,
        alert_deliveries.c.channel == channel,
        alert_deliveries.c.status == "pending",
    ]
    if runner is not None:
        conditions.append(alert_deliveries.c.claimed_by == runner)
    return conditions


def mark_delivered(
    session_factory: SessionFactory,
    alert_id: int,
    channel: str,
    *,
    at: datetime,
    tries: int = 1,
    runner: str | None = None,
) -> bool:
    """Record that `channel`'s server accepted the alert at `at` (after `tries` attempts in this
    run) and release the claim. Returns False when the row was not pending (already delivered
    by another worker) or, with `runner`, no longer held by that run."""
    _check_channel(channel)
    with session_factory.begin() as session:
        result = session.execute(
            update(alert_deliveries)
            .where(*_held(alert_id, channel, runner))
            .values(
                claimed_by=None,
                claimed_until=None,
                status="delivered",
                delivered_at=at,
                last_attempt_at=at,
                attempts=alert_deliveries.c.attempts + tries,
            )
        )
        return (cast(CursorResult[Any], result).rowcount or 0) == 1


def mark_failed(
    session_factory: SessionFactory,
    alert_id: int,
    channel: str,
    error: str,
    *,
    at: datetime,
    tries: int = 1,
    runner: str | None = None,
) -> None:
    """Record a failed attempt: the row stays pending with `error` and the attempt count, and
    the claim is released (with `runner`: only while that run holds it)."""
    _check_channel(channel)
    if not error:
        raise ValueError("a failed delivery needs its error")
    with session_factory.begin() as session:
        session.execute(
            update(alert_deliveries)
            .where(*_held(alert_id, channel, runner))
            .values(
                claimed_by=None,
                claimed_until=None,
                last_error=error[:2000],
                last_attempt_at=at,
                attempts=alert_deliveries.c.attempts + tries,
            )
        )


def delivery_counts(session_factory: SessionFactory) -> dict[tuple[str, str], int]:
    """How many deliveries per (channel, status): for the CLI and for tests."""
    with session_factory.begin() as session:
        rows = session.execute(
            select(alert_deliveries.c.channel, alert_deliveries.c.status, func.count()).group_by(
                alert_deliveries.c.channel, alert_deliveries.c.status
            )
        ).all()
    return {(r[0], r[1]): r[2] for r in rows}


@dataclass(frozen=True)
class Outstanding:
    """What is not delivered yet: `pending` rows in all, `held` of them claimed by a run whose
    lease runs until `held_until` (the latest)."""

    pending: int
    held: int
    held_until: datetime | None


def _outstanding(session: Session, table: Any, at: datetime, *where: Any) -> Outstanding:
    pending = [table.c.status == "pending", *where]
    total = session.execute(select(func.count()).where(*pending)).scalar_one()
    held, until = session.execute(
        select(func.count(), func.max(table.c.claimed_until)).where(
            *pending, table.c.claimed_until >= at
        )
    ).one()
    return Outstanding(pending=int(total), held=int(held), held_until=until)


def outstanding_deliveries(
    session_factory: SessionFactory, channels: Iterable[str], *, at: datetime
) -> Outstanding:
    """The pending deliveries of `channels` due at `at` (not those waiting for the alert hours),
    and how many of them a run holds."""
    names = list(channels)
    for channel in names:
        _check_channel(channel)
    with session_factory.begin() as session:
        return _outstanding(
            session, alert_deliveries, at, alert_deliveries.c.channel.in_(names), delivery_due(at)
        )


def outstanding_notices(session_factory: SessionFactory, *, at: datetime) -> Outstanding:
    """The pending notices (digests, deadline-moved, work) at `at`, and how many a run holds."""
    with session_factory.begin() as session:
        return _outstanding(session, notices, at)


@dataclass(frozen=True)
class DigestRow:
    owner_id: int | None
    owner_name: str
    case_id: int
    case_reference: str
    deadline_kind: str
    due_date: date
    overdue: bool


@dataclass(frozen=True)
class TeamDigest:
    team_id: int
    team_name: str
    manager_id: int
    manager_name: str
    manager_email: str
    rows: tuple[DigestRow, ...]
    region: str | None = None
    """The team's bank-holiday region; None: the service's."""


def manager_digests(
    session_factory: SessionFactory, *, as_of: datetime, through: date
) -> list[TeamDigest]:
    """For each team with an active manager: the team's open deadlines that are overdue at
    `as_of` or due on or before `through`, ordered by worker then due date. A restricted case
    (LADO track) is shown only to a manager named on it (`case_managers`)."""
    owner = users.alias("owner")
    manager = users.alias("manager")
    visible = or_(
        cases.c.restricted.is_(False),
        exists().where(
            case_managers.c.case_id == cases.c.id, case_managers.c.user_id == teams.c.manager_id
        ),
    )
    stmt = (
        select(
            teams.c.id.label("team_id"),
            teams.c.name.label("team_name"),
            manager.c.id.label("manager_id"),
            manager.c.display_name.label("manager_name"),
            manager.c.email.label("manager_email"),
            cases.c.owner_id,
            owner.c.display_name.label("owner_name"),
            cases.c.id.label("case_id"),
            cases.c.reference,
            deadlines.c.kind,
            deadlines.c.due_date,
            deadlines.c.due_at,
        )
        .select_from(teams)
        .join(manager, and_(manager.c.id == teams.c.manager_id, manager.c.active.is_(True)))
        .join(cases, cases.c.team_id == teams.c.id)
        .join(deadlines, deadlines.c.case_id == cases.c.id)
        .outerjoin(owner, owner.c.id == cases.c.owner_id)
        .where(
            deadlines.c.status == "open",
            or_(deadlines.c.due_at <= as_of, deadlines.c.due_date <= through),
            visible,
        )
        .order_by(teams.c.id, owner.c.display_name, deadlines.c.due_date, cases.c.reference)
    )
    with session_factory.begin() as session:
        rows = session.execute(stmt).all()
        teams_with_manager = session.execute(
            select(
                teams.c.id,
                teams.c.name,
                manager.c.id,
                manager.c.display_name,
                manager.c.email,
                teams.c.region,
            )
            .join(manager, and_(manager.c.id == teams.c.manager_id, manager.c.active.is_(True)))
            .order_by(teams.c.id)
        ).all()
    by_team: dict[int, list[DigestRow]] = {t[0]: [] for t in teams_with_manager}
    for r in rows:
        by_team[r.team_id].append(
            DigestRow(
                owner_id=r.owner_id,
                owner_name=r.owner_name or "(no owner)",
                case_id=r.case_id,
                case_reference=r.reference,
                deadline_kind=r.kind,
                due_date=r.due_date,
                overdue=r.due_at <= as_of,
            )
        )
    return [
        TeamDigest(
            team_id=t[0],
            team_name=t[1],
            manager_id=t[2],
            manager_name=t[3],
            manager_email=t[4],
            rows=tuple(by_team[t[0]]),
            region=t[5],
        )
        for t in teams_with_manager
    ]


@dataclass(frozen=True)
class MovedDeadline:
    """A deadline moved by a calendar change, with its owner to tell."""

    case_id: int
    case_reference: str
    deadline_kind: str
    old_due_date: date
    new_due_date: date
    owner_id: int | None
    owner_name: str | None
    owner_email: str | None


def calendar_day_added_at(
    session_factory: SessionFactory, region: str, day: date
) -> datetime | None:
    """When the one-off or closure `day` of `region` was recorded, or None if it is not."""
    with session_factory.begin() as session:
        value: datetime | None = session.execute(
            select(calendar_days.c.added_at).where(
                calendar_days.c.region == region, calendar_days.c.date == day
            )
        ).scalar_one_or_none()
    return value


def moved_deadlines(
    session_factory: SessionFactory, *, region: str, at: datetime
) -> list[MovedDeadline]:
    """The `deadline_moved` entries recorded at `at` on cases of `region` (a calendar change is
    recorded with one instant), with each case's owner."""
    owner = users.alias("owner")
    stmt = (
        select(
            cases.c.id,
            cases.c.reference,
            cases.c.owner_id,
            owner.c.display_name,
            owner.c.email,
            case_events.c.data,
        )
        .select_from(case_events)
        .join(cases, cases.c.id == case_events.c.case_id)
        .outerjoin(owner, owner.c.id == cases.c.owner_id)
        .where(
            case_events.c.kind == "deadline_moved",
            case_events.c.at == at,
            cases.c.region == region,
        )
        .order_by(cases.c.id, case_events.c.seq)
    )
    with session_factory.begin() as session:
        rows = session.execute(stmt).all()
    return [
        MovedDeadline(
            case_id=r.id,
            case_reference=r.reference,
            deadline_kind=str(r.data["deadline"]),
            old_due_date=date.fromisoformat(str(r.data["old_due_date"])),
            new_due_date=date.fromisoformat(str(r.data["new_due_date"])),
            owner_id=r.owner_id,
            owner_name=r.display_name,
            owner_email=r.email,
        )
        for r in rows
    ]


# -- the notice outbox (digests, deadline-moved notices) ----------------------------------------

NOTICE_KINDS = persisted_notice_kinds


@dataclass(frozen=True)
class NewNotice:
    """A rendered notice to keep until the mail server accepts it. `key` names it (one digest
    per team and day; one notice per deadline moved by a calendar change); `label` is what a
    report shows; `message` is the whole RFC 5322 message."""

    key: str
    kind: str
    label: str
    recipient: str
    message: str


@dataclass(frozen=True)
class PendingNotice:
    id: int
    kind: str
    label: str
    recipient: str
    message: str
    attempts: int
    last_error: str | None


def queue_notices(
    session_factory: SessionFactory, items: Iterable[NewNotice], *, at: datetime
) -> int:
    """Store the notices not stored yet (by key); returns how many were new."""
    rows = []
    for n in items:
        if n.kind not in NOTICE_KINDS:
            raise ValueError(f"unknown notice kind {n.kind!r}: expected one of {NOTICE_KINDS}")
        if not n.key or not n.recipient or not n.message:
            raise ValueError(f"notice {n.key!r}: a key, a recipient and a message are needed")
        rows.append(
            {
                "key": n.key,
                "kind": n.kind,
                "label": n.label,
                "recipient": n.recipient,
                "message": n.message,
                "created_at": at,
            }
        )
    if not rows:
        return 0
    with session_factory.begin() as session:
        stmt = (
            _insert(session)(notices)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(notices.c.id)
        )
        return len(session.execute(stmt, rows).all())


def claim_notices(
    session_factory: SessionFactory,
    *,
    runner: str,
    at: datetime,
    lease: timedelta,
    limit: int = 500,
) -> list[PendingNotice]:
    """Claim up to `limit` pending, unclaimed notices for `runner` until `at + lease`, oldest
    first (an expired lease is taken over)."""
    _check_limit(limit)
    if not runner or len(runner) > 64:
        raise ValueError("a delivery run needs a name of 1 to 64 characters")
    if lease <= timedelta(0):
        raise ValueError(f"the claim's lease must be positive, got {lease}")
    free = or_(notices.c.claimed_until.is_(None), notices.c.claimed_until < at)
    with session_factory.begin() as session:
        candidates = (
            select(notices.c.id)
            .where(notices.c.status == "pending", free)
            .order_by(notices.c.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        chosen = candidates.cte("chosen")
        rows = session.execute(
            update(notices)
            .where(notices.c.id.in_(select(chosen.c.id)), notices.c.status == "pending", free)
            .values(claimed_by=runner, claimed_until=at + lease)
            .returning(
                notices.c.id,
                notices.c.kind,
                notices.c.label,
                notices.c.recipient,
                notices.c.message,
                notices.c.attempts,
                notices.c.last_error,
            )
        ).all()
    return sorted(
        (
            PendingNotice(
                id=r.id,
                kind=r.kind,
                label=r.label,
                recipient=r.recipient,
                message=r.message,
                attempts=r.attempts,
                last_error=r.last_error,
            )
            for r in rows
        ),
        key=lambda n: n.id,
    )


def _notice_held(notice_id: int, runner: str) -> list[ColumnElement[bool]]:
    return [
        notices.c.id == notice_id,
        notices.c.status == "pending",
        notices.c.claimed_by == runner,
    ]


def mark_notice_delivered(
    session_factory: SessionFactory, notice_id: int, *, at: datetime, tries: int, runner: str
) -> bool:
    """The server accepted the notice; False when `runner` no longer held it."""
    with session_factory.begin() as session:
        result = session.execute(
            update(notices)
            .where(*_notice_held(notice_id, runner))
            .values(
                status="delivered",
                delivered_at=at,
                last_attempt_at=at,
                attempts=notices.c.attempts + tries,
                claimed_by=None,
                claimed_until=None,
            )
        )
        return (cast(CursorResult[Any], result).rowcount or 0) == 1


def mark_notice_failed(
    session_factory: SessionFactory,
    notice_id: int,
    error: str,
    *,
    at: datetime,
    tries: int,
    runner: str,
) -> None:
    """The notice stays pending with `error`; the claim is released."""
    if not error:
        raise ValueError("a failed delivery needs its error")
    with session_factory.begin() as session:
        session.execute(
            update(notices)
            .where(*_notice_held(notice_id, runner))
            .values(
                last_error=error[:2000],
                last_attempt_at=at,
                attempts=notices.c.attempts + tries,
                claimed_by=None,
                claimed_until=None,
            )
        )


def notice_counts(session_factory: SessionFactory) -> dict[tuple[str, str], int]:
    """How many notices per (kind, status)."""
    with session_factory.begin() as session:
        rows = session.execute(
            select(notices.c.kind, notices.c.status, func.count()).group_by(
                notices.c.kind, notices.c.status
            )
        ).all()
    return {(r[0], r[1]): r[2] for r in rows}
