"""The alert schedule (DESIGN 3.3) across the clock changes and Christmas 2026, and the sweep's
step-by-step progress through it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from calendars import end_of_london_day
from states import ENGLAND_2023, DeadlineKind, Event
from tests.workflows.helpers import (
    LOW_LEVEL,
    OWN_CHILDREN,
    calendar,
    deadline,
    london,
    new_case,
    step,
)
from workflows import AlertStep, Deadline, alert_schedule, alerts_due, schedule_alerts

K = DeadlineKind


def utc(y: int, m: int, d: int, hh: int = 0) -> datetime:
    return datetime(y, m, d, hh, tzinfo=UTC)


def _deadline(due: date, anchor: datetime) -> Deadline:
    d = Deadline(
        kind=K.REFERRAL_DECISION,
        anchor_at=anchor,
        due_date=due,
        due_at=end_of_london_day(due),
        calendar_version=calendar().version,
        policy_name=ENGLAND_2023.name,
    )
    schedule_alerts(d, calendar(), ENGLAND_2023)
    return d


def _next(d: Deadline) -> tuple[datetime | None, AlertStep | None]:
    """The deadline's pending step, read through a call so narrowing does not carry over."""
    return d.next_alert_at, d.next_alert_level


def _schedule(d: Deadline) -> list[tuple[AlertStep, str, str, datetime]]:
    return [(a.step, a.level, a.to, a.at) for a in alert_schedule(d, calendar(), ENGLAND_2023)]


def test_schedule_across_clocks_going_forward_29_march_2026() -> None:
    d = _deadline(date(2026, 3, 30), london(2026, 3, 20, 9))
    assert _schedule(d) == [
        # Thursday 26 March, still GMT
        (AlertStep.DUE_SOON, "due_soon", "owner", utc(2026, 3, 26)),
        # Monday 30 March starts at 00:00 BST = 23:00 UTC the day before
        (AlertStep.DUE_TODAY, "due_today", "owner", utc(2026, 3, 29, 23)),
        (AlertStep.OVERDUE, "overdue", "owner", utc(2026, 3, 30, 23)),
        # end of Wednesday 1 April
        (AlertStep.ESCALATED_MANAGER, "escalated", "manager", utc(2026, 4, 1, 23)),
        # 5 working days after 30 March skip Good Friday and Easter Monday: end of 8 April
        (AlertStep.ESCALATED_HEAD_OF_SERVICE, "escalated", "head_of_service", utc(2026, 4, 8, 23)),
    ]


def test_schedule_across_clocks_going_back_25_october_2026() -> None:
    d = _deadline(date(2026, 10, 26), london(2026, 10, 1, 9))
    assert [a for _, _, _, a in _schedule(d)] == [
        utc(2026, 10, 21, 23),  # Thursday 22 October 00:00 BST
        utc(2026, 10, 26),  # Monday 26 October 00:00 GMT
        utc(2026, 10, 27),
        utc(2026, 10, 29),  # end of Wednesday 28 October
        utc(2026, 11, 3),  # end of Monday 2 November
    ]


def test_escalations_across_christmas_2026() -> None:
    d = _deadline(date(2026, 12, 24), london(2026, 12, 1, 9))
    assert [a for _, _, _, a in _schedule(d)] == [
        utc(2026, 12, 22),
        utc(2026, 12, 24),
        utc(2026, 12, 25),
        # Christmas Day (Fri) and the Boxing Day substitute (Mon 28) are not working days
        utc(2026, 12, 31),  # end of Wednesday 30 December
        utc(2027, 1, 6),  # end of Tuesday 5 January 2027, past New Year's Day
    ]


def test_due_soon_before_boxing_day_substitute_2026() -> None:
    d = _deadline(date(2026, 12, 29), london(2026, 12, 1, 9))
    # two working days before Tuesday 29 December: Wednesday 23 December
    assert _schedule(d)[0][3] == utc(2026, 12, 23)


def test_late_sweep_tells_the_owner_only_the_most_severe_level_and_each_escalation() -> None:
    """DESIGN 3.3: a sweep that runs late never announces an overdue deadline as due soon or due
    today; the levels passed over come back superseded (recorded, not sent)."""
    d = _deadline(date(2026, 3, 30), london(2026, 3, 20, 9))
    assert _next(d) == (utc(2026, 3, 26), AlertStep.DUE_SOON)
    late = alerts_due(d, calendar(), ENGLAND_2023, utc(2026, 4, 2, 12))
    assert [(a.level, a.to) for a in late if not a.superseded] == [
        ("overdue", "owner"),
        ("escalated", "manager"),
    ]
    assert [a.level for a in late if a.superseded] == ["due_soon", "due_today"]
    assert _next(d) == (utc(2026, 4, 8, 23), AlertStep.ESCALATED_HEAD_OF_SERVICE)
    # nothing twice
    assert alerts_due(d, calendar(), ENGLAND_2023, utc(2026, 4, 2, 12)) == []
    last = alerts_due(d, calendar(), ENGLAND_2023, utc(2026, 4, 9))
    assert [a.to for a in last] == ["head_of_service"]
    assert _next(d) == (None, None)
    assert alerts_due(d, calendar(), ENGLAND_2023, utc(2027, 1, 1)) == []


def test_sweeps_on_time_take_one_step_each() -> None:
    d = _deadline(date(2026, 3, 30), london(2026, 3, 20, 9))
    assert alerts_due(d, calendar(), ENGLAND_2023, utc(2026, 3, 25, 23)) == []
    produced = []
    for as_of in (utc(2026, 3, 26), utc(2026, 3, 29, 23), utc(2026, 3, 30, 23)):
        produced += [a.step for a in alerts_due(d, calendar(), ENGLAND_2023, as_of)]
    assert produced == [AlertStep.DUE_SOON, AlertStep.DUE_TODAY, AlertStep.OVERDUE]
    assert d.next_alert_level is AlertStep.ESCALATED_MANAGER


def test_due_soon_kept_when_sweep_late_but_before_overdue() -> None:
    d = _deadline(date(2026, 3, 30), london(2026, 3, 20, 9))
    got = alerts_due(d, calendar(), ENGLAND_2023, utc(2026, 3, 30, 12))
    assert [a.step for a in got] == [AlertStep.DUE_SOON, AlertStep.DUE_TODAY]


def test_same_day_deadline_starts_at_due_today() -> None:
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10, 15))
    referral = deadline(case, K.IMMEDIATE_REFERRAL)
    # due_soon fell before the concern was recorded; due_today is due at once
    assert referral.next_alert_level is AlertStep.DUE_TODAY
    assert referral.next_alert_at == utc(2026, 3, 2)
    assert [a.step for a in alert_schedule(referral, calendar(), ENGLAND_2023)] == [
        AlertStep.DUE_TODAY,
        AlertStep.OVERDUE,
        AlertStep.ESCALATED_MANAGER,
        AlertStep.ESCALATED_HEAD_OF_SERVICE,
    ]


def test_met_deadline_has_no_more_alerts() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 2, 9))
    step(case, Event.REFER, london(2026, 3, 2, 10), {"referred_to": ["childrens_social_care"]})
    decision = deadline(case, K.REFERRAL_DECISION)
    assert _next(decision)[0] is not None
    step(case, Event.START_ASSESSMENT, london(2026, 3, 2, 11))
    assert _next(decision) == (None, None)
    assert alerts_due(decision, calendar(), ENGLAND_2023, utc(2026, 6, 1)) == []


def test_moved_deadline_keeps_its_pending_step_at_the_new_time() -> None:
    from calendars import BankHoliday, CalendarSpec, build_calendar
    from tests.workflows.helpers import ENGLAND
    from workflows import recalculate

    case = new_case(LOW_LEVEL, at=london(2026, 3, 2, 9))
    step(case, Event.REFER, london(2026, 3, 2, 10), {"referred_to": ["childrens_social_care"]})
    decision = deadline(case, K.REFERRAL_DECISION)
    assert decision.due_date == date(2026, 3, 3)
    assert alerts_due(decision, calendar(), ENGLAND_2023, utc(2026, 3, 2, 12)) != []
    assert decision.next_alert_level is AlertStep.DUE_TODAY
    one_off = BankHoliday(date(2026, 3, 3), "one-off", "one_off")
    new_calendar = build_calendar(CalendarSpec(ENGLAND, extra_days=(one_off,)))
    recalculate(case, new_calendar, at=london(2026, 3, 2, 13), actor="admin", policy=ENGLAND_2023)
    assert decision.due_date == date(2026, 3, 4)
    assert decision.next_alert_level is AlertStep.DUE_TODAY
    assert decision.next_alert_at == utc(2026, 3, 4)


def test_allegation_resolution_escalates_at_3_and_12_months() -> None:
    # LADO referral on Fri 22 May 2026: a target of 1 month (Mon 22 June), escalated to the
    # manager when 3 months pass unresolved (end of Sat 22 August, BST) and to the head of
    # service at 12 (end of Sat 22 May 2027, BST)
    anchor = london(2026, 5, 22, 10)
    d = Deadline(
        kind=K.ALLEGATION_RESOLUTION,
        anchor_at=anchor,
        due_date=date(2026, 6, 22),
        due_at=end_of_london_day(date(2026, 6, 22)),
        calendar_version=calendar().version,
        policy_name=ENGLAND_2023.name,
    )
    schedule_alerts(d, calendar(), ENGLAND_2023)
    assert _schedule(d)[2:] == [
        (AlertStep.OVERDUE, "overdue", "owner", utc(2026, 6, 22, 23)),
        (AlertStep.ESCALATED_MANAGER, "escalated", "manager", utc(2026, 8, 22, 23)),
        (AlertStep.ESCALATED_HEAD_OF_SERVICE, "escalated", "head_of_service", utc(2027, 5, 22, 23)),
    ]
    # a sweep two working days after the target does not escalate yet, and tells the owner
    # it is overdue, not that it is due today
    passed = alerts_due(d, calendar(), ENGLAND_2023, utc(2026, 6, 25))
    assert [(a.step, a.superseded) for a in passed] == [
        (AlertStep.DUE_SOON, True),
        (AlertStep.DUE_TODAY, True),
        (AlertStep.OVERDUE, False),
    ]
    assert alerts_due(d, calendar(), ENGLAND_2023, utc(2026, 8, 22, 12)) == []
    assert [a.to for a in alerts_due(d, calendar(), ENGLAND_2023, utc(2026, 8, 23))] == ["manager"]
    assert [a.to for a in alerts_due(d, calendar(), ENGLAND_2023, utc(2027, 5, 23))] == [
        "head_of_service"
    ]
