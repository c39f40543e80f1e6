"""Casework as it is recorded (DESIGN 2.3): when an event happened and when it was written down,
the order rule, late recording, and `correct_date`.

Golden dates from the England and Wales bank holidays of 2026 (Good Friday 3 April, Easter Monday
6 April, Early May 4 May); nothing else is a day off in March 2026.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from states import ENGLAND_2023, DeadlineKind, Event
from tests.workflows.helpers import (
    DISCUSSION,
    LOW_LEVEL,
    OWN_CHILDREN,
    calendar,
    deadline,
    london,
    new_case,
    step,
)
from workflows import (
    Case,
    CaseEventKind,
    DeadlineStatus,
    InvalidStep,
    TransitionRefused,
    replay,
)
from workflows.domain import effective_history

K = DeadlineKind
REFER = {"referred_to": ["police", "childrens_social_care"]}


def _urgent_case() -> Case:
    """Seed 004 s2.2: images of a child of the household: an urgent strategy discussion, the
    same day as it is convened."""
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10, 15))
    step(case, Event.REFER, london(2026, 3, 2, 11), REFER)
    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 12), {"urgent": True})
    assert deadline(case, K.STRATEGY_DISCUSSION).due_date == date(2026, 3, 2)
    return case


def test_discussion_held_at_16_00_and_recorded_next_morning_is_met() -> None:
    case = _urgent_case()
    step(
        case,
        Event.HOLD_STRATEGY_DISCUSSION,
        london(2026, 3, 2, 16),
        DISCUSSION,
        recorded_at=london(2026, 3, 3, 9, 30),
    )
    discussion = deadline(case, K.STRATEGY_DISCUSSION)
    assert discussion.status is DeadlineStatus.MET
    assert discussion.met_at == london(2026, 3, 2, 16)
    held = next(e for e in case.history if e.event == "hold_strategy_discussion")
    assert (held.at, held.recorded_at, held.late) == (
        london(2026, 3, 2, 16),
        london(2026, 3, 3, 9, 30),
        False,
    )
    # the same discussion dated by the click would have been missed
    clicked = _urgent_case()
    step(clicked, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 3, 9, 30), DISCUSSION)
    assert deadline(clicked, K.STRATEGY_DISCUSSION).status is DeadlineStatus.MISSED


@pytest.mark.parametrize(
    ("recorded", "late"),
    [
        (london(2026, 3, 4, 17), False),  # Wednesday: 2 working days after Monday
        (london(2026, 3, 5, 9), True),  # Thursday: 3 working days after
    ],
)
def test_recorded_after_two_working_days_is_late(recorded: Any, late: bool) -> None:
    case = _urgent_case()
    step(
        case,
        Event.HOLD_STRATEGY_DISCUSSION,
        london(2026, 3, 2, 16),
        DISCUSSION,
        recorded_at=recorded,
    )
    entries = [e for e in case.history if e.recorded_at == recorded]
    assert entries
    assert {e.late for e in entries} == {late}


def test_recording_timeliness_counts_working_days_over_easter() -> None:
    # Thursday 2 April 2026: Good Friday and Easter Monday are not working days, so Wednesday
    # 8 April is the second working day after it
    occurred = london(2026, 4, 2, 15)
    assert not ENGLAND_2023.recorded_late(occurred, london(2026, 4, 8, 12), calendar())
    assert ENGLAND_2023.recorded_late(occurred, london(2026, 4, 9, 9), calendar())


def test_an_event_dated_in_the_future_is_refused() -> None:
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10, 15))
    before = case.last_seq
    with pytest.raises(InvalidStep, match="which is in the future: it is being recorded at"):
        step(case, Event.REFER, london(2026, 3, 3, 10), REFER, recorded_at=london(2026, 3, 2, 12))
    assert case.last_seq == before


def test_an_event_before_the_previous_event_of_its_machine_is_refused_naming_it() -> None:
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10, 15))
    step(case, Event.REFER, london(2026, 3, 2, 11), REFER)
    with pytest.raises(InvalidStep, match=r"would come before refer \(2 March 2026 11:00\)"):
        step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 10, 30), {"urgent": True})
    # a case-level event may be dated earlier (a fact written up later) ...
    step(case, Event.RECORD_FACTS, london(2026, 3, 2, 10, 30), {"significant_harm_suspected": True})
    # ... but never before the concern was raised
    with pytest.raises(InvalidStep, match="before the concern was raised"):
        step(case, Event.RECORD_FACTS, london(2026, 3, 2, 9), {"significant_harm_suspected": True})


def _mistyped_referral() -> tuple[Case, int]:
    """A referral phoned in on Thursday 5 March 16:00 and typed in on Monday 9 March as received
    that day; the assessment starts on Tuesday 10 March."""
    case = new_case(LOW_LEVEL, at=london(2026, 3, 5, 15))
    step(case, Event.REFER, london(2026, 3, 9, 10), {"referred_to": ["childrens_social_care"]})
    refer_seq = next(e.seq for e in case.history if e.event == "refer")
    step(case, Event.START_ASSESSMENT, london(2026, 3, 10, 15))
    decision = deadline(case, K.REFERRAL_DECISION)
    assert (decision.due_date, decision.status) == (date(2026, 3, 10), DeadlineStatus.MET)
    # 45 working days from Monday 9 March, past Good Friday, Easter Monday and 4 May
    assert deadline(case, K.SINGLE_ASSESSMENT).due_date == date(2026, 5, 14)
    return case, refer_seq


def test_correct_date_rejudges_a_met_referral_decision_and_moves_the_assessment() -> None:
    case, refer_seq = _mistyped_referral()
    step(
        case,
        Event.CORRECT_DATE,
        london(2026, 3, 11, 9),
        {"event_id": refer_seq, "occurred_at": "2026-03-05T16:00", "reason": "phoned in Thursday"},
    )
    decision = deadline(case, K.REFERRAL_DECISION)
    # due the working day after Thursday: Friday 6 March; decided on Tuesday 10: missed
    assert (decision.due_date, decision.status) == (date(2026, 3, 6), DeadlineStatus.MISSED)
    assert decision.met_at == london(2026, 3, 10, 15)
    assessment = deadline(case, K.SINGLE_ASSESSMENT)
    assert (assessment.due_date, assessment.status) == (date(2026, 5, 12), DeadlineStatus.OPEN)
    assert assessment.anchor_at == london(2026, 3, 5, 16)
    assert case.referral_at == london(2026, 3, 5, 16)
    # the log keeps both dates, who and why
    correction = next(e for e in case.history if e.event == "correct_date")
    assert correction.corrects == refer_seq
    assert correction.actor == "sw1"
    assert correction.data["old_occurred_at"] == london(2026, 3, 9, 10).isoformat()
    assert correction.data["new_occurred_at"] == london(2026, 3, 5, 16).isoformat()
    assert correction.data["reason"] == "phoned in Thursday"
    rejudged = next(e for e in case.history if e.kind is CaseEventKind.DEADLINE_REJUDGED)
    assert (rejudged.data["old_status"], rejudged.data["new_status"]) == ("met", "missed")
    assert (rejudged.data["old_due_date"], rejudged.data["new_due_date"]) == (
        "2026-03-10",
        "2026-03-06",
    )
    moved = next(
        e
        for e in case.history
        if e.kind is CaseEventKind.DEADLINE_MOVED and e.data["deadline"] == "single_assessment"
    )
    assert (moved.data["old_due_date"], moved.data["new_due_date"]) == ("2026-05-14", "2026-05-12")
    assert moved.data["reason"] == "date corrected: phoned in Thursday"
    # the log reads the referral at its corrected time; the time first typed is kept
    refer = next(e for e in effective_history(case.history) if e.seq == refer_seq)
    assert (refer.at, refer.original_at) == (london(2026, 3, 5, 16), london(2026, 3, 9, 10))


def test_replay_reproduces_a_correction() -> None:
    case, refer_seq = _mistyped_referral()
    step(
        case,
        Event.CORRECT_DATE,
        london(2026, 3, 11, 9),
        {"event_id": refer_seq, "occurred_at": "2026-03-05T16:00", "reason": "phoned in Thursday"},
    )
    rebuilt = replay(case.history, lambda _v: calendar(), ENGLAND_2023)

    def key(c: Case) -> list[tuple[object, ...]]:
        return [(d.kind, d.anchor_at, d.due_date, d.status, d.met_at) for d in c.deadlines]

    assert key(rebuilt) == key(case)
    assert rebuilt.referral_at == case.referral_at
    assert [(e.seq, e.kind, e.at) for e in rebuilt.history] == [
        (e.seq, e.kind, e.at) for e in case.history
    ]


@pytest.mark.parametrize(
    ("target", "occurred_at", "message"),
    [
        ("start_assessment", "2026-03-09T09:00", r"before refer \(9 March 2026 10:00\)"),
        ("refer", "2026-03-05T14:00", "before the concern was raised"),
        ("refer", "2026-03-09T11:00", "was recorded at 9 March 2026 10:00, so it cannot have"),
        ("raise_concern", "2026-03-05T16:00", "was recorded at 5 March 2026 15:00"),
    ],
)
def test_a_correction_keeps_the_order_of_the_record(
    target: str, occurred_at: str, message: str
) -> None:
    case, _refer = _mistyped_referral()
    event_id = next(e.seq for e in case.history if e.event == target)
    before = [(d.kind, d.due_date, d.status) for d in case.deadlines]
    with pytest.raises(InvalidStep, match=message):
        step(
            case,
            Event.CORRECT_DATE,
            london(2026, 3, 11, 9),
            {"event_id": event_id, "occurred_at": occurred_at, "reason": "typo"},
        )
    assert [(d.kind, d.due_date, d.status) for d in case.deadlines] == before


def test_a_correction_names_an_event_that_exists_and_is_not_a_correction() -> None:
    case, refer_seq = _mistyped_referral()
    with pytest.raises(TransitionRefused, match="there is no event 99 on this case"):
        step(
            case,
            Event.CORRECT_DATE,
            london(2026, 3, 11, 9),
            {"event_id": 99, "occurred_at": "2026-03-06T09:00", "reason": "typo"},
        )
    with pytest.raises(TransitionRefused, match="correct_date needs the reason for the correction"):
        step(
            case,
            Event.CORRECT_DATE,
            london(2026, 3, 11, 9),
            {"event_id": refer_seq, "occurred_at": "2026-03-06T09:00"},
        )
    step(
        case,
        Event.CORRECT_DATE,
        london(2026, 3, 11, 9),
        {"event_id": refer_seq, "occurred_at": "2026-03-06T09:00", "reason": "Friday"},
    )
    first_correction = next(e.seq for e in case.history if e.event == "correct_date")
    with pytest.raises(TransitionRefused, match="a correction cannot itself be corrected"):
        step(
            case,
            Event.CORRECT_DATE,
            london(2026, 3, 11, 10),
            {"event_id": first_correction, "occurred_at": "2026-03-11T08:00", "reason": "x"},
        )


def test_a_correction_can_make_an_entry_late() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 2, 9))
    step(case, Event.REFER, london(2026, 3, 9, 10), {"referred_to": ["childrens_social_care"]})
    refer = next(e for e in case.history if e.event == "refer")
    assert not refer.late
    step(
        case,
        Event.CORRECT_DATE,
        london(2026, 3, 9, 11),
        {"event_id": refer.seq, "occurred_at": "2026-03-03T10:00", "reason": "letter of Tuesday"},
    )
    corrected = next(e for e in effective_history(case.history) if e.seq == refer.seq)
    assert corrected.late  # recorded on Monday 9 March for Tuesday 3: past Thursday 5


def test_correcting_the_discussion_that_started_section_47_moves_the_conference() -> None:
    case = _urgent_case()
    facts = {"leave_home_decision": "leaves"}
    step(case, Event.RECORD_FACTS, london(2026, 3, 2, 12, 30), facts)
    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 2, 16), DISCUSSION)
    step(case, Event.START_SECTION_47, london(2026, 3, 2, 17))
    icpc = deadline(case, K.INITIAL_CHILD_PROTECTION_CONFERENCE)
    assert icpc.due_date == date(2026, 3, 23)  # 15 working days from Monday 2 March
    held = next(e.seq for e in case.history if e.event == "hold_strategy_discussion")
    step(
        case,
        Event.CORRECT_DATE,
        london(2026, 3, 3, 9),
        {"event_id": held, "occurred_at": "2026-03-02T13:00", "reason": "held at 13:00"},
    )
    # the same day: the conference's due date stands, its anchor moves, the discussion deadline
    # is met at 13:00
    icpc = deadline(case, K.INITIAL_CHILD_PROTECTION_CONFERENCE)
    assert (icpc.anchor_at, icpc.due_date) == (london(2026, 3, 2, 13), date(2026, 3, 23))
    assert deadline(case, K.STRATEGY_DISCUSSION).met_at == london(2026, 3, 2, 13)
    assert case.strategy_discussions[-1].at == london(2026, 3, 2, 13)
