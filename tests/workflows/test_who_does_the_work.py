"""Who does the work (DESIGN 2.5), in the pure domain: the single assessment submitted and
authorised, case notes (append-only, amended by new notes), allocation and transfer."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from states import DeadlineKind, Event
from tests.workflows.helpers import LOW_LEVEL, deadline, london, new_case, step
from workflows import Case, DeadlineStatus, TransitionRefused

K = DeadlineKind


def _assessing() -> Case:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 9, 9))
    step(case, Event.REFER, london(2026, 3, 9, 10), {"referred_to": ["childrens_social_care"]})
    step(case, Event.START_ASSESSMENT, london(2026, 3, 9, 15))
    assert deadline(case, K.SINGLE_ASSESSMENT).due_date == date(2026, 5, 14)
    return case


def test_authorisation_meets_the_assessment_at_its_own_date() -> None:
    case = _assessing()
    step(case, Event.COMPLETE_ASSESSMENT, london(2026, 5, 13, 12), {"factors": ["4A", "21"]})
    assert case.assessment is not None
    assert (case.assessment.by, case.assessment.factors) == ("sw1", ("4A", "21"))
    assert deadline(case, K.SINGLE_ASSESSMENT).is_open
    # the CIN census counts the authorisation date: completed within 45 working days, authorised
    # a day after the 45th, missed
    step(case, Event.AUTHORISE_ASSESSMENT, london(2026, 5, 15, 9), actor="tm1")
    assessment = deadline(case, K.SINGLE_ASSESSMENT)
    assert (assessment.status, assessment.met_at) == (DeadlineStatus.MISSED, london(2026, 5, 15, 9))
    assert case.assessment is None


def test_nobody_authorises_an_assessment_they_completed() -> None:
    case = _assessing()
    step(case, Event.COMPLETE_ASSESSMENT, london(2026, 4, 1, 12), actor="tm1")
    with pytest.raises(TransitionRefused, match="you completed this assessment"):
        step(case, Event.AUTHORISE_ASSESSMENT, london(2026, 4, 2, 9), actor="tm1")
    assert deadline(case, K.SINGLE_ASSESSMENT).is_open


def test_a_returned_assessment_is_submitted_again() -> None:
    case = _assessing()
    with pytest.raises(TransitionRefused, match="no single assessment is awaiting"):
        step(case, Event.AUTHORISE_ASSESSMENT, london(2026, 4, 1, 9), actor="tm1")
    step(case, Event.COMPLETE_ASSESSMENT, london(2026, 4, 1, 12))
    with pytest.raises(TransitionRefused, match="already awaiting a manager's authorisation"):
        step(case, Event.COMPLETE_ASSESSMENT, london(2026, 4, 1, 13))
    with pytest.raises(TransitionRefused, match="give the reason for returning"):
        step(case, Event.RETURN_ASSESSMENT, london(2026, 4, 2, 9), actor="tm1")
    step(
        case,
        Event.RETURN_ASSESSMENT,
        london(2026, 4, 2, 9),
        {"reason": "the father's views are missing"},
        actor="tm1",
    )
    assert case.assessment is None
    step(case, Event.COMPLETE_ASSESSMENT, london(2026, 4, 7, 12))
    step(case, Event.AUTHORISE_ASSESSMENT, london(2026, 4, 8, 9), actor="tm1")
    assert deadline(case, K.SINGLE_ASSESSMENT).status is DeadlineStatus.MET


def test_notes_are_amended_by_new_notes_only() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 9, 9))
    step(
        case,
        Event.ADD_NOTE,
        london(2026, 3, 9, 14),
        {"kind": "visit", "text": "Home visit: B seen alone.", "significant": True},
    )
    first = next(e for e in case.history if e.event == "add_note")
    step(
        case,
        Event.ADD_NOTE,
        london(2026, 3, 9, 16),
        {"kind": "visit", "text": "Home visit: B and mother seen.", "amends": first.seq},
    )
    notes = [e for e in case.history if e.event == "add_note"]
    assert [n.data.get("amends") for n in notes] == [None, first.seq]
    assert notes[0].data["text"] == "Home visit: B seen alone."  # the first note stands
    with pytest.raises(TransitionRefused, match="there is no note 1 on this case to amend"):
        step(
            case,
            Event.ADD_NOTE,
            london(2026, 3, 9, 17),
            {"kind": "other", "text": "x", "amends": 1},
        )
    with pytest.raises(TransitionRefused, match="write the note"):
        step(case, Event.ADD_NOTE, london(2026, 3, 9, 17), {"kind": "other"})


def test_a_note_may_be_dated_before_later_events() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 9, 9))
    step(case, Event.REFER, london(2026, 3, 9, 15), {"referred_to": ["childrens_social_care"]})
    # a visit at 11:00 written up after the 15:00 referral: a case-level event
    step(
        case,
        Event.ADD_NOTE,
        london(2026, 3, 9, 11),
        {"kind": "visit", "text": "seen at school"},
        recorded_at=london(2026, 3, 9, 16),
    )
    assert case.history[-1].at == london(2026, 3, 9, 11)


def test_allocation_and_transfer() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 9, 9))
    case.owner_id, case.team_id = 7, 1
    step(case, Event.TRANSFER, london(2026, 3, 9, 10), {"team_id": 2, "reason": "moved area"})
    assert _allocation(case) == (
        None,
        2,
        london(2026, 3, 9, 10),
    )
    with pytest.raises(TransitionRefused, match="say which worker"):
        step(case, Event.ALLOCATE, london(2026, 3, 9, 11), {})
    step(case, Event.ALLOCATE, london(2026, 3, 9, 11), {"owner": "sam", "owner_id": 9})
    assert _allocation(case) == (9, 2, None)


def _allocation(case: Case) -> tuple[int | None, int | None, datetime | None]:
    return case.owner_id, case.team_id, case.unallocated_since
