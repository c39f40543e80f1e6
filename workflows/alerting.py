"""The alert schedule of a deadline (DESIGN 3.3): pure, no clock, no I/O.

Each open deadline has five steps, in time order:

- `due_soon` (level due_soon, to owner): the start (00:00 London) of the working day
  `alerts.due_soon_working_days` working days before the due date;
- `due_today` (due_today, owner): the start of the due date;
- `overdue` (overdue, owner): `due_at`, the end of the due date (or the exact instant for
  elapsed hours);
- `escalated_manager` (escalated, manager): the end of the working day
  `alerts.escalate_manager_after` working days after the due date;
- `escalated_head_of_service` (escalated, head_of_service): the end of the working day
  `alerts.escalate_head_of_service_after` working days after the due date.

The numbers come from the policy's `AlertPolicy`; none live here. A rule with escalation
milestones of its own (`TimescaleRule.escalations`: allegation resolution escalates at 3 and 12
months from the LADO referral, its 1 month being a target) escalates at those instead: to the
manager when the first milestone has passed (the end of its day), to the head of service when the
last has.

Decisions:

- Steps that fall before the deadline started (its `anchor_at`) are dropped, except the latest of
  them, which is due at once: a same-day deadline started at 10:00 gets `due_today` straight away
  and no `due_soon`; a one-working-day deadline gets `due_soon` at once.
- A deadline carries its next step (`next_alert_at`, `next_alert_level`). A sweep handles only the
  deadlines with `next_alert_at <= as_of`, so its cost grows with the number due, not the number
  open. A sweep that finds several of the owner's steps passed at once (it ran late: the worker
  was down over a weekend) tells the owner only the most severe of them: an overdue deadline is
  never announced as "due today" (DESIGN 3.3). The owner's steps passed over are returned marked
  `superseded`, to be recorded and never sent; each escalation still goes to its own recipient.
- When a deadline moves (a new anchor, a calendar change), its pending step keeps its place in the
  order and takes the new time; steps already produced are not produced again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from calendars import WorkingDayCalendar, end_of_london_day
from states import DeadlineKind, Policy
from workflows.domain import AlertStep, Deadline

__all__ = [
    "AlertDue",
    "alert_schedule",
    "alerts_due",
    "reschedule_alerts",
    "schedule_alerts",
    "start_of_london_day",
]


@dataclass(frozen=True)
class AlertDue:
    """One alert of a deadline: `level` and `to` as in DESIGN 6, `step` says which of the five."""

    deadline_kind: DeadlineKind
    deadline_id: int | None
    step: AlertStep
    at: datetime
    superseded: bool = False

    @property
    def level(self) -> str:
        return self.step.level

    @property
    def to(self) -> str:
        return self.step.to


def start_of_london_day(d: date) -> datetime:
    """The aware UTC instant at which London date `d` starts."""
    return end_of_london_day(d - timedelta(days=1))


def _working_days_before(calendar: WorkingDayCalendar, d: date, n: int) -> date:
    day, counted = d, 0
    while counted < n:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def _full_schedule(
    deadline: Deadline, calendar: WorkingDayCalendar, policy: Policy
) -> list[AlertDue]:
    alerts = policy.alerts
    due = deadline.due_date
    manager_at = end_of_london_day(calendar.add_working_days(due, alerts.escalate_manager_after))
    head_at = end_of_london_day(
        calendar.add_working_days(due, alerts.escalate_head_of_service_after)
    )
    milestones = policy.rule(deadline.kind).escalations
    if milestones:
        # the rule's own escalation milestones, from the deadline's anchor (allegation
        # resolution: a target of 1 month, escalated at 3 months and at 12)
        manager_at = milestones[0].due(deadline.anchor_at, calendar).due_at
        head_at = milestones[-1].due(deadline.anchor_at, calendar).due_at
    times = (
        (
            AlertStep.DUE_SOON,
            start_of_london_day(_working_days_before(calendar, due, alerts.due_soon_working_days)),
        ),
        (AlertStep.DUE_TODAY, start_of_london_day(due)),
        (AlertStep.OVERDUE, deadline.due_at),
        (AlertStep.ESCALATED_MANAGER, manager_at),
        (AlertStep.ESCALATED_HEAD_OF_SERVICE, head_at),
    )
    result: list[AlertDue] = []
    latest = None
    for step, at in times:
        # keep the schedule in order even when a policy sets odd numbers (e.g. 0 days)
        at = at if latest is None else max(at, latest)
        latest = at
        result.append(AlertDue(deadline.kind, deadline.id, step, at))
    return result


def alert_schedule(
    deadline: Deadline, calendar: WorkingDayCalendar, policy: Policy
) -> list[AlertDue]:
    """Every alert of the deadline in time order (see the module docstring for pre-start steps)."""
    full = _full_schedule(deadline, calendar, policy)
    before = [a for a in full if a.at < deadline.anchor_at]
    after = [a for a in full if a.at >= deadline.anchor_at]
    return ([before[-1]] if before else []) + after


def _set_next(deadline: Deadline, following: list[AlertDue]) -> None:
    if following and deadline.is_open:
        deadline.next_alert_at = following[0].at
        deadline.next_alert_level = following[0].step
    else:
        deadline.next_alert_at = None
        deadline.next_alert_level = None


def schedule_alerts(deadline: Deadline, calendar: WorkingDayCalendar, policy: Policy) -> None:
    """Point a newly started deadline at the first step of its schedule."""
    _set_next(deadline, alert_schedule(deadline, calendar, policy))


def reschedule_alerts(deadline: Deadline, calendar: WorkingDayCalendar, policy: Policy) -> None:
    """After a deadline moved: the pending step keeps its place and takes its new time."""
    if deadline.next_alert_level is None or not deadline.is_open:
        _set_next(deadline, [])
        return
    rank = deadline.next_alert_level.rank
    _set_next(
        deadline,
        [a for a in alert_schedule(deadline, calendar, policy) if a.step.rank >= rank],
    )


def alerts_due(
    deadline: Deadline, calendar: WorkingDayCalendar, policy: Policy, as_of: datetime
) -> list[AlertDue]:
    """The alerts of this deadline due by `as_of` that have not been produced yet, oldest first,
    and advance `next_alert_at` / `next_alert_level` past them. Of the owner's steps passed, all
    but the latest come back `superseded` (see the module docstring). Idempotent for a given
    `as_of`: a second call returns nothing."""
    level = deadline.next_alert_level
    if (
        not deadline.is_open
        or level is None
        or deadline.next_alert_at is None
        or deadline.next_alert_at > as_of
    ):
        return []
    pending = [a for a in alert_schedule(deadline, calendar, policy) if a.step.rank >= level.rank]
    passed = [a for a in pending if a.at <= as_of]
    following = [a for a in pending if a.at > as_of]
    owner_steps = [a for a in passed if a.to == "owner"]
    passed_over = {id(a) for a in owner_steps[:-1]}
    _set_next(deadline, following)
    return [replace(a, superseded=True) if id(a) in passed_over else a for a in passed]
