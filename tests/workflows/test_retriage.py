"""`record_facts` after the concern: triage runs again on the merged facts (seed 004 s2.1, s2.2).
Required actions only grow, the restrictions are set when newly applicable, deadlines triage now
requires start, and replay reproduces all of it."""

from __future__ import annotations

from states import ENGLAND_2023, DeadlineKind, Event, RequiredAction
from tests.workflows.helpers import LOW_LEVEL, OWN_CHILDREN, calendar, london, new_case, step
from workflows import Case, CaseEventKind, replay

K = DeadlineKind
A = RequiredAction


def _kinds(case: Case) -> list[tuple[str, str]]:
    return [(d.kind.value, d.status.value) for d in case.deadlines]


def _replayed(case: Case) -> Case:
    return replay(list(case.history), lambda _v: calendar(), ENGLAND_2023)


def _same(a: Case, b: Case) -> None:
    assert (a.state, a.allegation_state, a.required_actions) == (
        b.state,
        b.allegation_state,
        b.required_actions,
    )
    assert (a.do_not_inform_family, a.restricted) == (b.do_not_inform_family, b.restricted)
    assert [(d.kind, d.status, d.due_at) for d in a.deadlines] == [
        (d.kind, d.status, d.due_at) for d in b.deadlines
    ]
    assert [(e.kind, e.event, e.data) for e in a.history] == [
        (e.kind, e.event, e.data) for e in b.history
    ]


def test_an_adult_learnt_of_while_in_concern_starts_the_same_day_referral() -> None:
    case = new_case(LOW_LEVEL)
    assert case.deadlines == []
    assert not case.do_not_inform_family
    at = london(2026, 3, 2, 14)
    step(case, Event.RECORD_FACTS, at, {"imagery": {"involves_adult": True}})
    assert ("immediate_referral", "open") in _kinds(case)
    referral = case.open_deadline(K.IMMEDIATE_REFERRAL)
    assert referral is not None
    assert referral.anchor_at == at
    assert case.do_not_inform_family
    assert A.REFER_POLICE in case.required_actions
    started = [e for e in case.history if e.kind is CaseEventKind.DEADLINE_STARTED]
    assert started[-1].data["started_by"] == "triage"
    _same(_replayed(case), case)


def test_a_position_of_trust_learnt_later_starts_the_lado_referral() -> None:
    case = new_case(OWN_CHILDREN)
    step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["police"]})
    before = set(case.required_actions)
    assert not case.restricted
    abuser = {"kind": "adult", "lives_with_children": True, "position_of_trust": True}
    step(case, Event.RECORD_FACTS, london(2026, 3, 3, 9), {"alleged_abuser": abuser})
    assert A.REFER_TO_LADO in case.required_actions
    assert before <= set(case.required_actions)
    assert case.restricted
    lado = case.open_deadline(K.LADO_REFERRAL)
    assert lado is not None
    assert lado.anchor_at == london(2026, 3, 3, 9)
    # the immediate referral was met by the referral and is not started again
    assert [k for k, _ in _kinds(case)].count("immediate_referral") == 1
    _same(_replayed(case), case)


def test_a_required_action_once_raised_stays() -> None:
    case = new_case(LOW_LEVEL)
    step(case, Event.RECORD_FACTS, london(2026, 3, 2, 14), {"imagery": {"involves_adult": True}})
    raised = case.required_actions
    step(case, Event.RECORD_FACTS, london(2026, 3, 2, 15), {"imagery": {"involves_adult": False}})
    assert case.required_actions == raised
    assert case.do_not_inform_family
    _same(_replayed(case), case)


def test_a_trigger_learnt_after_the_referral_starts_no_immediate_referral() -> None:
    case = new_case(LOW_LEVEL)
    step(case, Event.REFER, london(2026, 3, 2, 11), {"referred_to": ["childrens_social_care"]})
    step(case, Event.RECORD_FACTS, london(2026, 3, 2, 14), {"imagery": {"involves_adult": True}})
    assert case.open_deadline(K.IMMEDIATE_REFERRAL) is None
    assert A.REFER_POLICE in case.required_actions
    _same(_replayed(case), case)
