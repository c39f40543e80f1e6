"""The deadline engine: anchors, day-0 counting, met against missed at the London day boundary,
recalculation after a calendar change (DESIGN 3). Golden dates are named after what they span."""

from __future__ import annotations

from datetime import date

import pytest

from calendars import BankHoliday, CalendarSpec, build_calendar
from states import ENGLAND_2023, DeadlineKind, Event
from tests.workflows.helpers import (
    DISCUSSION,
    ENGLAND,
    LOW_LEVEL,
    OWN_CHILDREN,
    calendar,
    deadline,
    due,
    london,
    new_case,
    step,
)
from workflows import Case, CaseEventKind, DeadlineStatus, recalculate

K = DeadlineKind


def _in_section_47() -> Case:
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10, 15))
    step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["police"]})
    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 12))
    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 2, 15), DISCUSSION)
    step(case, Event.START_SECTION_47, london(2026, 3, 4, 9))
    return case


def test_icpc_anchored_on_the_discussion_that_started_the_enquiry() -> None:
    case = _in_section_47()
    icpc = deadline(case, K.INITIAL_CHILD_PROTECTION_CONFERENCE)
    # 15 working days from the discussion on Monday 2 March, not from 4 March
    assert icpc.anchor_at == london(2026, 3, 2, 15)
    assert icpc.due_date == date(2026, 3, 23)
    assert case.strategy_discussions[0].started_section_47
    # a later discussion does not move it
    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 10, 10), DISCUSSION)
    assert len(case.strategy_discussions) == 2
    assert not case.strategy_discussions[1].started_section_47
    assert icpc.due_date == date(2026, 3, 23)
    assert [d.kind for d in case.deadlines].count(K.INITIAL_CHILD_PROTECTION_CONFERENCE) == 1


def test_single_assessment_counts_from_referral_not_assessment_start_easter_2026() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 6, 9))
    step(case, Event.REFER, london(2026, 3, 7, 10), {"referred_to": ["childrens_social_care"]})
    step(case, Event.START_ASSESSMENT, london(2026, 3, 10, 9))
    sa = deadline(case, K.SINGLE_ASSESSMENT)
    assert sa.anchor_at == london(2026, 3, 7, 10)
    # 45 working days after Saturday 7 March 2026, skipping Good Friday, Easter Monday, Early May
    assert sa.due_date == date(2026, 5, 13)


def test_weekend_referral_decision_due_monday() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 7, 9))
    step(case, Event.REFER, london(2026, 3, 7, 10), {"referred_to": ["childrens_social_care"]})
    assert due(case, K.REFERRAL_DECISION) == date(2026, 3, 9)


def test_referral_decision_spans_easter_monday_2026() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 4, 2, 9))
    step(case, Event.REFER, london(2026, 4, 2, 17), {"referred_to": ["childrens_social_care"]})
    # Thursday 2 April: Good Friday and Easter Monday are not working days
    assert due(case, K.REFERRAL_DECISION) == date(2026, 4, 7)


def test_core_group_spans_state_funeral_2022() -> None:
    case = _in_section_47_at(2022, 9, 5)
    step(case, Event.HOLD_CONFERENCE, london(2022, 9, 9, 10), {"outcome": "child_protection_plan"})
    # 10 working days from Friday 9 September 2022; Monday 19 September was the state funeral
    assert due(case, K.CORE_GROUP) == date(2022, 9, 26)


def _in_section_47_at(y: int, m: int, d: int) -> Case:
    case = new_case(OWN_CHILDREN, at=london(y, m, d, 9))
    step(case, Event.REFER, london(y, m, d, 10), {"referred_to": ["police"]})
    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(y, m, d, 11))
    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(y, m, d, 12), DISCUSSION)
    step(case, Event.START_SECTION_47, london(y, m, d, 13))
    return case


@pytest.mark.parametrize(
    ("refer_day", "due_day", "season"),
    [((2026, 3, 2), (2026, 3, 3), "GMT"), ((2026, 6, 1), (2026, 6, 2), "BST")],
)
@pytest.mark.parametrize(
    ("hh_mm", "next_day", "expected"),
    [((23, 59), False, DeadlineStatus.MET), ((0, 0), True, DeadlineStatus.MISSED)],
)
def test_met_by_end_of_london_due_date_missed_from_midnight(
    refer_day: tuple[int, int, int],
    due_day: tuple[int, int, int],
    season: str,
    hh_mm: tuple[int, int],
    next_day: bool,
    expected: DeadlineStatus,
) -> None:
    case = new_case(LOW_LEVEL, at=london(*refer_day, 9))
    step(case, Event.REFER, london(*refer_day, 10), {"referred_to": ["childrens_social_care"]})
    decision = deadline(case, K.REFERRAL_DECISION)
    assert decision.due_date == date(*due_day)
    y, m, d = due_day
    at = london(y, m, d + 1 if next_day else d, *hh_mm)
    assert decision.status_at(at) == ("overdue" if next_day else "open"), season
    step(case, Event.START_ASSESSMENT, at)
    assert decision.status is expected
    assert decision.met_at == at
    assert decision.status_at(london(2026, 12, 31)) == expected.value
    kinds = [e.kind for e in case.pending_events]
    wanted = CaseEventKind.DEADLINE_MISSED if next_day else CaseEventKind.DEADLINE_MET
    assert wanted in kinds


def test_one_off_holiday_moves_open_deadlines_not_met_ones() -> None:
    """An administrator adds a one-off bank holiday (as with the 19 September 2022 state funeral,
    announced ten days ahead): open deadlines spanning it move one working day; met ones are
    history. Friday 13 March 2026 stands in for the new day off."""
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10, 15))
    step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["police"]})
    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 12))
    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 2, 15), DISCUSSION)
    step(case, Event.START_SECTION_47, london(2026, 3, 3, 9))
    met = deadline(case, K.REFERRAL_DECISION)
    old_version = calendar().version
    new_calendar = build_calendar(
        CalendarSpec(ENGLAND, extra_days=(BankHoliday(date(2026, 3, 13), "one-off", "one_off"),))
    )
    case.pending_events.clear()
    moved = recalculate(
        case, new_calendar, at=london(2026, 3, 5, 9), actor="admin", policy=ENGLAND_2023
    )
    assert due(case, K.INITIAL_CHILD_PROTECTION_CONFERENCE) == date(2026, 3, 24)
    assert due(case, K.SINGLE_ASSESSMENT) == date(2026, 5, 8)
    assert met.due_date == date(2026, 3, 3)
    assert met.calendar_version == old_version
    assert [(e.kind, e.data["deadline"]) for e in moved] == [
        (CaseEventKind.DEADLINE_MOVED, "single_assessment"),
        (CaseEventKind.DEADLINE_MOVED, "initial_child_protection_conference"),
    ]
    icpc = next(e for e in moved if e.data["deadline"] == "initial_child_protection_conference")
    assert icpc.data["old_due_date"] == "2026-03-23"
    assert icpc.data["new_due_date"] == "2026-03-24"
    assert icpc.data["old_calendar_version"] == old_version
    assert icpc.data["new_calendar_version"] == new_calendar.version != old_version
    assert case.pending_events == moved
    # a second recalculation with the same calendar moves nothing
    assert (
        recalculate(case, new_calendar, at=london(2026, 3, 5, 9), actor="a", policy=ENGLAND_2023)
        == []
    )
