"""A case's referral episodes read from its log (the returns' source, DESIGN 8)."""

from __future__ import annotations

from datetime import date

from states import Event
from tests.workflows.helpers import DISCUSSION, LOW_LEVEL, OWN_CHILDREN, london, new_case, step
from workflows.returns import Assessment, Plan, Section47, episodes_of


def test_a_referral_through_section_47_to_a_plan_and_its_end() -> None:
    case = new_case(OWN_CHILDREN, at=london(2026, 3, 2, 10, 15))
    step(
        case,
        Event.REFER,
        london(2026, 3, 2, 11),
        {"referred_to": ["police"], "referral_source": "5A", "primary_need": "N1"},
    )
    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 12), {"urgent": True})
    step(case, Event.RECORD_FACTS, london(2026, 3, 2, 12, 30), {"leave_home_decision": "leaves"})
    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 2, 16), DISCUSSION)
    step(case, Event.START_SECTION_47, london(2026, 3, 2, 17))
    step(
        case,
        Event.HOLD_CONFERENCE,
        london(2026, 3, 20, 10),
        {"outcome": "child_protection_plan", "category_of_abuse": "SAB"},
    )
    step(case, Event.COMPLETE_ASSESSMENT, london(2026, 4, 1, 10), {"factors": ["4A"]})
    step(case, Event.AUTHORISE_ASSESSMENT, london(2026, 4, 2, 10), actor="tm1")
    step(
        case,
        Event.HOLD_REVIEW_CONFERENCE,
        london(2026, 6, 19, 10),
        {"outcome": "plan_continues", "category_of_abuse": "MUL"},
    )
    step(case, Event.HOLD_REVIEW_CONFERENCE, london(2026, 12, 18, 10), {"outcome": "plan_ended"})
    [referral] = episodes_of(case.history, case.deadlines)
    assert (referral.referral_date, referral.source, referral.primary_need) == (
        date(2026, 3, 2),
        "5A",
        "N1",
    )
    assert referral.assessments == (
        Assessment(
            start=date(2026, 3, 2),
            completed=date(2026, 4, 1),
            authorised=date(2026, 4, 2),
            factors=("4A",),
            completed_by="sw1",
            authorised_by="tm1",
        ),
    )
    assert referral.section_47s == (
        Section47(start=date(2026, 3, 2), icpc_target=date(2026, 3, 23), icpc=date(2026, 3, 20)),
    )
    assert referral.plans == (
        Plan(
            start=date(2026, 3, 20),
            end=date(2026, 12, 18),
            initial_category="SAB",
            latest_category="MUL",
            reviews=(date(2026, 6, 19), date(2026, 12, 18)),
        ),
    )
    assert referral.icpc == date(2026, 3, 20)
    assert referral.closure_date == date(2026, 12, 18)


def test_a_referral_stepped_down_before_assessment_is_no_further_action() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 9, 9))
    step(case, Event.REFER, london(2026, 3, 9, 10), {"referred_to": ["childrens_social_care"]})
    step(case, Event.STEP_DOWN, london(2026, 3, 10, 10))
    step(case, Event.ESCALATE, london(2026, 5, 5, 10))
    step(case, Event.START_ASSESSMENT, london(2026, 5, 5, 12))
    step(
        case,
        Event.CLOSE,
        london(2026, 6, 1, 10),
        {"outcome": "no_further_action", "reason": "needs met", "reason_for_closure": "RC8"},
    )
    first, second = episodes_of(case.history, case.deadlines)
    # a referral stepped down before any assessment: no further action, closed as RC8
    assert (first.closure_date, first.no_further_action, first.reason_for_closure) == (
        date(2026, 3, 10),
        True,
        "RC8",
    )
    assert (second.referral_date, second.closure_date, second.reason_for_closure) == (
        date(2026, 5, 5),
        date(2026, 6, 1),
        "RC8",
    )
    assert not second.no_further_action


def test_episodes_read_corrected_dates() -> None:
    case = new_case(LOW_LEVEL, at=london(2026, 3, 5, 15))
    step(case, Event.REFER, london(2026, 3, 9, 10), {"referred_to": ["childrens_social_care"]})
    refer = next(e.seq for e in case.history if e.event == "refer")
    step(
        case,
        Event.CORRECT_DATE,
        london(2026, 3, 9, 11),
        {"event_id": refer, "occurred_at": "2026-03-05T16:00", "reason": "Thursday"},
    )
    [referral] = episodes_of(case.history, case.deadlines)
    assert referral.referral_date == date(2026, 3, 5)
