"""No tipping off (DESIGN 4.2, seed 004 s2.2): the case carries the restriction until a strategy
discussion decides when the alleged abuser is told; replay gives the same answer."""

from __future__ import annotations

from states import ENGLAND_2023, Event, RequiredAction
from tests.workflows.helpers import (
    DISCUSSION,
    LOW_LEVEL,
    OWN_CHILDREN,
    calendar,
    london,
    new_case,
    step,
)
from workflows import replay


def test_the_family_is_not_informed_until_the_strategy_discussion_decides_when() -> None:
    case = new_case(OWN_CHILDREN)
    assert case.do_not_inform_family
    assert RequiredAction.DO_NOT_INFORM_FAMILY in case.required_actions
    assert not case.family_may_be_informed
    assert "no strategy discussion has yet decided when" in case.family_disclosure_reason
    step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["police"]})
    step(case, Event.START_ASSESSMENT, london(2026, 3, 2, 12))
    step(case, Event.CONVENE_STRATEGY_DISCUSSION, london(2026, 3, 2, 13))
    assert not case.family_may_be_informed
    step(case, Event.HOLD_STRATEGY_DISCUSSION, london(2026, 3, 3, 10), DISCUSSION)
    # the flag stays on the record; the decision lifts its bar
    assert case.do_not_inform_family
    assert case.family_may_be_informed
    assert case.family_disclosure_reason == (
        "the strategy discussion of 2026-03-03 decided when to inform the alleged abuser: "
        "after the police visit"
    )
    rebuilt = replay(list(case.history), lambda _v: calendar(), ENGLAND_2023)
    assert (rebuilt.family_may_be_informed, rebuilt.family_disclosure_reason) == (
        case.family_may_be_informed,
        case.family_disclosure_reason,
    )


def test_no_restriction_when_no_adult_is_involved() -> None:
    case = new_case(LOW_LEVEL)
    assert not case.do_not_inform_family
    assert case.family_may_be_informed
    assert case.family_disclosure_reason == "no restriction on informing the family"
