"""The deadline sweep (DESIGN 3.3) on SQLite and PostgreSQL: each (deadline, level, recipient)
alert exactly once, addressed through the org model; a sweep that dies half way and is re-run
sends nothing twice and misses nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from calendars import Region, WorkingDayCalendar, calendar_for, parse_instant
from states import ENGLAND_2023, Policy, policy_by_name
from workflows import casework, deadline_alerts, errors, organisation
from workflows.persistence import SessionFactory, superseded_alerts

EW = Region.ENGLAND_AND_WALES
CAL = calendar_for(EW)
FACTS = {"category": "sexual_communication", "children": [{"name": "G", "age": 13}]}
REFER = {"referred_to": ["childrens_social_care"]}


def at(text: str) -> datetime:
    return parse_instant(text)


def cal_for(_region: Region) -> WorkingDayCalendar:
    return CAL


def org(sf: SessionFactory) -> tuple[int, int, int, int]:
    when = at("2026-01-01T09:00")
    team = organisation.create_team(sf, name="North")
    ids = [
        organisation.create_user(
            sf,
            username=name,
            display_name=name,
            email=f"{name}@example.org",
            role=role,
            at=when,
            team_id=team,
        )
        for name, role in (("owner", "practitioner"), ("mgr", "manager"), ("hos", "manager"))
    ]
    organisation.set_team_managers(sf, team, manager_id=ids[1], head_of_service_id=ids[2])
    return team, ids[0], ids[1], ids[2]


def referred_case(sf: SessionFactory, team: int | None, owner: int | None) -> int:
    """A case whose referral decision (due Tue 3 March 2026) nobody records."""
    case = casework.raise_concern(
        sf,
        facts=FACTS,
        at=at("2026-03-02T10:00"),
        actor="pat",
        region=EW,
        policy=ENGLAND_2023,
        calendar=CAL,
        owner_id=owner,
        team_id=team,
    )
    assert case.id is not None
    casework.apply_event(
        sf,
        case.id,
        "refer",
        at=at("2026-03-02T11:00"),
        actor="pat",
        data=REFER,
        calendar=CAL,
        policy=ENGLAND_2023,
    )
    return case.id


def alerts(sf: SessionFactory) -> list[tuple[int, str, str, int | None]]:
    return [
        (a.case_id, a.level, a.recipient_role, a.recipient_user_id)
        for a in deadline_alerts.list_alerts(sf)
    ]


def test_each_level_once_as_it_comes_due(session_factory: SessionFactory) -> None:
    team, owner, mgr, hos = org(session_factory)
    case = referred_case(session_factory, team, owner)
    sweeps = {
        # due_soon fell before the deadline started (2 March 11:00), so it is due at once
        "2026-03-02T12:00": [("due_soon", "owner", owner)],
        "2026-03-03T09:00": [("due_today", "owner", owner)],
        "2026-03-04T09:00": [("overdue", "owner", owner)],
        "2026-03-04T10:00": [],
        "2026-03-06T09:00": [("escalated", "manager", mgr)],
        "2026-03-11T09:00": [("escalated", "head_of_service", hos)],
        "2026-03-12T09:00": [],
    }
    seen: list[tuple[int, str, str, int | None]] = []
    for when, expected in sweeps.items():
        result = deadline_alerts.sweep(session_factory, at(when), cal_for, policy_by_name)
        new = alerts(session_factory)[len(seen) :]
        assert new == [(case, level, role, user) for level, role, user in expected], when
        assert result.alerts == len(expected)
        seen += new
    # the immediate referral was met before any sweep, so it produced nothing
    kinds = {a.deadline_kind for a in deadline_alerts.list_alerts(session_factory)}
    assert kinds == {"referral_decision"}


def test_late_sweep_tells_only_what_is_still_true(session_factory: SessionFactory) -> None:
    """DESIGN 3.3: after an outage the owner gets only the most severe level that has passed,
    each escalation reaches its own recipient once, and the levels passed over are recorded as
    superseded, never sent."""
    case = referred_case(session_factory, None, None)
    first = deadline_alerts.sweep(session_factory, at("2026-03-20T09:00"), cal_for, policy_by_name)
    again = deadline_alerts.sweep(session_factory, at("2026-03-20T09:00"), cal_for, policy_by_name)
    assert [(a[1], a[2]) for a in alerts(session_factory)] == [
        ("overdue", "owner"),
        ("escalated", "manager"),
        ("escalated", "head_of_service"),
    ]
    assert {a[0] for a in alerts(session_factory)} == {case}
    # no team, no owner: the roles are kept, the people are resolved at delivery
    assert {a[3] for a in alerts(session_factory)} == {None}
    assert (first.alerts, again.alerts, again.deadlines) == (3, 0, 0)
    with session_factory() as s:
        passed_over = s.execute(
            select(superseded_alerts.c.level, superseded_alerts.c.recipient_role)
            .where(superseded_alerts.c.case_id == case)
            .order_by(superseded_alerts.c.due_at)
        ).all()
    assert [tuple(r) for r in passed_over] == [("due_soon", "owner"), ("due_today", "owner")]


def test_closed_case_is_not_swept(session_factory: SessionFactory) -> None:
    case = referred_case(session_factory, None, None)
    casework.apply_event(
        session_factory,
        case,
        "close",
        at=at("2026-03-02T12:00"),
        actor="pat",
        data={"outcome": "no_further_action", "reason": "resolved"},
        calendar=CAL,
        policy=ENGLAND_2023,
    )
    result = deadline_alerts.sweep(session_factory, at("2026-03-20T09:00"), cal_for, policy_by_name)
    assert (result.deadlines, result.alerts) == (0, 0)


class Crash(Exception):
    pass


def test_sweep_dying_half_way_then_rerun(session_factory: SessionFactory) -> None:
    cases = [referred_case(session_factory, None, None) for _ in range(5)]
    calls = 0

    def dying_policy(name: str) -> Policy:
        nonlocal calls
        calls += 1
        if calls == 3:  # policies are looked up once per batch: the third batch dies
            raise Crash
        return policy_by_name(name)

    with pytest.raises(Crash):
        deadline_alerts.sweep(
            session_factory, at("2026-03-04T09:00"), cal_for, dying_policy, batch_size=2
        )
    half = alerts(session_factory)
    assert 0 < len(half) < len(cases)
    result = deadline_alerts.sweep(
        session_factory, at("2026-03-04T09:00"), cal_for, policy_by_name, batch_size=2
    )
    everything = alerts(session_factory)
    # each overdue once (due today was passed over: the sweep came after midnight)
    assert len(everything) == len(set(everything)) == len(cases)
    assert result.alerts == len(cases) - len(half)
    assert {a[0] for a in everything} == set(cases)


def test_outbox_key_refuses_a_duplicate(session_factory: SessionFactory) -> None:
    referred_case(session_factory, None, None)
    deadline_alerts.sweep(session_factory, at("2026-03-04T09:00"), cal_for, policy_by_name)
    # rewind the deadline's schedule as a racing sweep would see it: the insert is skipped
    from sqlalchemy import update

    from workflows.persistence import deadlines

    with session_factory.begin() as s:
        s.execute(
            update(deadlines)
            .where(deadlines.c.kind == "referral_decision")
            .values(next_alert_at=at("2026-03-03T00:00"), next_alert_level="due_today")
        )
    result = deadline_alerts.sweep(session_factory, at("2026-03-04T09:00"), cal_for, policy_by_name)
    assert (result.deadlines, result.alerts) == (1, 0)
    assert len(alerts(session_factory)) == 1


def test_bad_batch_size(session_factory: SessionFactory) -> None:
    with pytest.raises(errors.InvalidRecord, match="batch_size"):
        deadline_alerts.sweep(
            session_factory, at("2026-03-04T09:00"), cal_for, policy_by_name, batch_size=0
        )


LADO_FACTS = {
    "category": "adult_indecent_images",
    "children": [{"name": "unidentified child in the images", "shown_in_images": True}],
    "alleged_abuser": {
        "kind": "adult",
        "position_of_trust": True,
        "role": "teacher",
        "lives_with_children": False,
        "unsupervised_contact_with_children": True,
    },
}


def restricted_case(sf: SessionFactory, team: int, owner: int) -> int:
    """A LADO-track case whose lado_referral (due Tue 3 March 2026) nobody meets."""
    case = casework.raise_concern(
        sf,
        facts=LADO_FACTS,
        at=at("2026-03-02T10:00"),
        actor="pat",
        region=EW,
        policy=ENGLAND_2023,
        calendar=CAL,
        owner_id=owner,
        team_id=team,
    )
    assert case.id is not None
    assert case.restricted
    return case.id


def escalations(sf: SessionFactory, case_id: int) -> list[tuple[str, str, int | None]]:
    return sorted(
        (a.deadline_kind, a.recipient_role, a.recipient_user_id)
        for a in deadline_alerts.list_alerts(sf, case_id=case_id)
        if a.level == "escalated"
    )


def test_restricted_case_escalates_to_each_named_manager(
    session_factory: SessionFactory,
) -> None:
    team, owner, mgr, hos = org(session_factory)
    named = [
        organisation.create_user(
            session_factory,
            username=name,
            display_name=name,
            email=f"{name}@example.org",
            role="manager",
            at=at("2026-01-01T09:00"),
        )
        for name in ("lado-mgr-1", "lado-mgr-2")
    ]
    case = restricted_case(session_factory, team, owner)
    casework.set_case_managers(session_factory, case, named)
    for when in ("2026-03-20T09:00", "2026-03-20T09:00", "2026-03-21T09:00"):
        deadline_alerts.sweep(session_factory, at(when), cal_for, policy_by_name)
    got = escalations(session_factory, case)
    lado = [(k, r, u) for k, r, u in got if k == "lado_referral"]
    # one alert per named manager at each escalation step, once; never the team's manager or
    # head of service, who may not open the case
    assert lado == sorted(
        ("lado_referral", role, u) for role in ("manager", "head_of_service") for u in named
    )
    assert not {u for _, _, u in got} & {mgr, hos}
    owner_alerts = [
        a
        for a in deadline_alerts.list_alerts(session_factory, case_id=case)
        if a.level == "overdue"
    ]
    assert {a.recipient_user_id for a in owner_alerts} == {owner}


def test_restricted_case_with_no_named_manager_falls_back_to_the_team(
    session_factory: SessionFactory,
) -> None:
    team, owner, mgr, hos = org(session_factory)
    case = restricted_case(session_factory, team, owner)
    deadline_alerts.sweep(session_factory, at("2026-03-20T09:00"), cal_for, policy_by_name)
    lado = [e for e in escalations(session_factory, case) if e[0] == "lado_referral"]
    assert lado == [
        ("lado_referral", "head_of_service", hos),
        ("lado_referral", "manager", mgr),
    ]
