"""The services on SQLite and PostgreSQL: one transaction each, refusals write nothing, optimistic
locking, the org model, calendar changes, replay."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from calendars import Region, WorkingDayCalendar, calendar_for, parse_instant
from states import ENGLAND_2023, InvalidEventData, UnknownEvent, policy_by_name
from workflows import (
    Case,
    CaseNotFound,
    InvalidStep,
    StaleCase,
    TransitionRefused,
    calendar_days,
    casework,
    errors,
    organisation,
    persistence,
)
from workflows.persistence import SessionFactory
from workflows.persistence.repository import load_case, save_case, snapshot_deadlines

EW = Region.ENGLAND_AND_WALES
CAL = calendar_for(EW)
FACTS: dict[str, Any] = {
    "category": "adult_indecent_images",
    "children": [
        {
            "name": "A",
            "age": 6,
            "lives_with_alleged_abuser": True,
            "known_to_alleged_abuser": True,
            "shown_in_images": True,
        }
    ],
    "alleged_abuser": {"kind": "adult", "lives_with_children": True},
}


def at(text: str) -> datetime:
    return parse_instant(text)


def new_case(sf: SessionFactory, when: str = "2026-03-02T10:15", **kw: Any) -> int:
    case = casework.raise_concern(
        sf,
        facts=FACTS,
        at=at(when),
        actor="pat",
        region=EW,
        policy=ENGLAND_2023,
        calendar=CAL,
        **kw,
    )
    assert case.id is not None
    return case.id


def fire(
    sf: SessionFactory, case_id: int, event: str, when: str, data: Any = None, **kw: Any
) -> Case:
    return casework.apply_event(
        sf,
        case_id,
        event,
        at=at(when),
        actor="pat",
        data=data,
        calendar=CAL,
        policy=ENGLAND_2023,
        **kw,
    )


REFER = {"referred_to": ["police", "childrens_social_care"]}


def test_raise_concern_stores_case_deadlines_subjects_and_log(
    session_factory: SessionFactory,
) -> None:
    case_id = new_case(session_factory)
    case = casework.get_case(session_factory, case_id)
    assert case.state.value == "concern"
    assert case.version == 1
    assert case.reference == f"ESF-{case_id:06d}"
    assert case.history[0].data["reference"] == case.reference
    assert [(d.kind.value, d.due_date, d.status.value) for d in case.deadlines] == [
        ("immediate_referral", date(2026, 3, 2), "open")
    ]
    assert case.history[0].event == "raise_concern"
    assert case.history[0].at == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    rows = persistence.count_rows(session_factory)
    assert rows["subjects"] == 2  # the child and the alleged abuser
    assert rows["case_events"] == len(case.history)


def test_apply_event_moves_state_meets_and_starts_deadlines(
    session_factory: SessionFactory,
) -> None:
    case_id = new_case(session_factory)
    fire(session_factory, case_id, "refer", "2026-03-02T11:00", REFER)
    case = casework.get_case(session_factory, case_id)
    assert case.state.value == "referral"
    assert case.version == 2
    by_kind = {d.kind.value: d for d in case.deadlines}
    assert by_kind["immediate_referral"].status.value == "met"
    assert by_kind["immediate_referral"].met_at == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert by_kind["referral_decision"].due_date == date(2026, 3, 3)
    assert [e.seq for e in case.history] == list(range(1, len(case.history) + 1))


@pytest.mark.parametrize(
    ("event", "when", "data", "error", "message"),
    [
        ("refr", "2026-03-02T11:00", None, UnknownEvent, "unknown event 'refr'"),
        ("start_section_47", "2026-03-02T11:00", None, TransitionRefused, "start_section_47"),
        ("refer", "2026-03-02T11:00", {"referred_to": ["pollice"]}, InvalidEventData, "referred"),
        ("refer", "2026-03-02T11:00", {"colour": "red"}, InvalidEventData, "colour"),
        ("refer", "2026-03-02T10:00", REFER, InvalidStep, "before the concern was raised"),
    ],
    ids=["unknown_event", "wrong_state", "bad_value", "unknown_field", "before_previous"],
)
def test_refusals_write_nothing(
    session_factory: SessionFactory,
    event: str,
    when: str,
    data: Any,
    error: type[Exception],
    message: str,
) -> None:
    case_id = new_case(session_factory)
    before = persistence.count_rows(session_factory)
    stored = casework.get_case(session_factory, case_id)
    with pytest.raises(error, match=message):
        fire(session_factory, case_id, event, when, data)
    assert persistence.count_rows(session_factory) == before
    after = casework.get_case(session_factory, case_id)
    assert (after.state, after.version, after.deadlines) == (
        stored.state,
        stored.version,
        stored.deadlines,
    )


def test_malformed_facts_write_nothing(session_factory: SessionFactory) -> None:
    before = persistence.count_rows(session_factory)
    with pytest.raises(InvalidEventData, match=r"facts\.pets"):
        casework.raise_concern(
            session_factory,
            facts={**FACTS, "pets": 2},
            at=at("2026-03-02T10:15"),
            actor="pat",
            region=EW,
            policy=ENGLAND_2023,
            calendar=CAL,
        )
    assert persistence.count_rows(session_factory) == before


def test_unknown_case(session_factory: SessionFactory) -> None:
    with pytest.raises(CaseNotFound):
        fire(session_factory, 999, "refer", "2026-03-02T11:00", REFER)
    with pytest.raises(CaseNotFound):
        casework.get_case(session_factory, 999)


def test_expected_version_refuses_a_stale_read(session_factory: SessionFactory) -> None:
    case_id = new_case(session_factory)
    read = casework.get_case(session_factory, case_id)
    fire(session_factory, case_id, "refer", "2026-03-02T11:00", REFER)
    before = persistence.count_rows(session_factory)
    with pytest.raises(StaleCase, match="someone else changed it"):
        fire(
            session_factory,
            case_id,
            "close",
            "2026-03-02T12:00",
            {"outcome": "other", "reason": "duplicate"},
            expected_version=read.version,
        )
    assert persistence.count_rows(session_factory) == before
    assert casework.get_case(session_factory, case_id).state.value == "referral"


def test_two_sessions_change_one_case_the_second_is_stale(
    session_factory: SessionFactory,
) -> None:
    case_id = new_case(session_factory)
    # the second writer reads the case first...
    with session_factory() as slow:
        stale = load_case(slow, case_id)
        snapshot = snapshot_deadlines(stale)
    # ...the first writer commits its change...
    fire(session_factory, case_id, "refer", "2026-03-02T11:00", REFER)
    before = persistence.count_rows(session_factory)
    # ...then the second writes what it computed from its old read
    from workflows import fire as domain_fire

    domain_fire(
        stale,
        "close",
        at=at("2026-03-02T11:30"),
        actor="sam",
        data={"outcome": "other", "reason": "duplicate"},
        calendar=CAL,
        policy=ENGLAND_2023,
    )
    with pytest.raises(StaleCase), session_factory.begin() as session:
        save_case(
            session,
            stale,
            at=at("2026-03-02T11:30"),
            loaded_version=1,
            deadlines_before=snapshot,
        )
    assert persistence.count_rows(session_factory) == before
    case = casework.get_case(session_factory, case_id)
    assert (case.state.value, case.version) == ("referral", 2)


def test_list_deadlines_by_status_owner_and_team(session_factory: SessionFactory) -> None:
    team = organisation.create_team(session_factory, name="North")
    owner = organisation.create_user(
        session_factory,
        username="pat",
        display_name="Pat",
        email="pat@example.org",
        role="practitioner",
        at=at("2026-01-01T09:00"),
        team_id=team,
    )
    mine = new_case(session_factory, owner_id=owner, team_id=team)
    other = new_case(session_factory)
    fire(session_factory, mine, "refer", "2026-03-02T11:00", REFER)
    as_of = at("2026-03-04T09:00")  # referral decision (due 3 March) overdue

    def kinds(**kw: Any) -> list[tuple[int, str, str]]:
        return [
            (v.case_id, v.deadline.kind.value, v.status)
            for v in casework.list_deadlines(session_factory, as_of=as_of, **kw)
        ]

    assert kinds(owner_id=owner) == [
        (mine, "immediate_referral", "met"),
        (mine, "referral_decision", "overdue"),
    ]
    assert kinds(statuses=["overdue"]) == [
        (other, "immediate_referral", "overdue"),
        (mine, "referral_decision", "overdue"),
    ]
    assert kinds(team_id=team, statuses=["open"]) == []
    assert kinds(statuses=["met"]) == [(mine, "immediate_referral", "met")]
    assert kinds(statuses=["open"], owner_id=owner) == []
    open_early = casework.list_deadlines(
        session_factory, as_of=at("2026-03-03T09:00"), statuses=["open"], owner_id=owner
    )
    assert [v.deadline.kind.value for v in open_early] == ["referral_decision"]
    with pytest.raises(errors.InvalidRecord, match="unknown deadline status"):
        casework.list_deadlines(session_factory, as_of=as_of, statuses=["late"])


def test_org_model(session_factory: SessionFactory) -> None:
    when = at("2026-01-01T09:00")
    team = organisation.create_team(session_factory, name="North")
    manager = organisation.create_user(
        session_factory,
        username="mo",
        display_name="Mo",
        email="mo@example.org",
        role="manager",
        at=when,
        team_id=team,
    )
    head = organisation.create_user(
        session_factory,
        username="hu",
        display_name="Hu",
        email="hu@example.org",
        role="manager",
        at=when,
    )
    organisation.set_team_managers(
        session_factory, team, manager_id=manager, head_of_service_id=head
    )
    assert organisation.list_teams(session_factory) == [
        organisation.TeamRecord(team, "North", manager, head)
    ]
    assert [u.username for u in organisation.list_users(session_factory, team_id=team)] == ["mo"]
    assert [u.username for u in organisation.list_users(session_factory, role="manager")] == [
        "hu",
        "mo",
    ]
    before = persistence.count_rows(session_factory)
    with pytest.raises(errors.InvalidRecord, match="already taken"):
        organisation.create_team(session_factory, name="North")
    with pytest.raises(errors.InvalidRecord, match="already taken"):
        organisation.create_user(
            session_factory,
            username="mo",
            display_name="Mo 2",
            email="mo2@example.org",
            role="manager",
            at=when,
        )
    with pytest.raises(errors.InvalidRecord, match="role 'boss'"):
        organisation.create_user(
            session_factory,
            username="x",
            display_name="X",
            email="x@example.org",
            role="boss",
            at=when,
        )
    with pytest.raises(errors.InvalidRecord, match="no user with id 999"):
        organisation.set_team_managers(
            session_factory, team, manager_id=999, head_of_service_id=None
        )
    with pytest.raises(errors.InvalidRecord, match="no team with id 999"):
        organisation.set_team_managers(
            session_factory, 999, manager_id=None, head_of_service_id=None
        )
    assert persistence.count_rows(session_factory) == before


def test_case_views_and_case_managers(session_factory: SessionFactory) -> None:
    case_id = new_case(session_factory)
    user = organisation.create_user(
        session_factory,
        username="lado",
        display_name="L",
        email="l@example.org",
        role="lado",
        at=at("2026-01-01T09:00"),
    )
    casework.record_case_view(session_factory, case_id, user, at=at("2026-03-02T12:00"))
    casework.set_case_managers(session_factory, case_id, [user, user])
    rows = persistence.count_rows(session_factory)
    assert (rows["case_views"], rows["case_managers"]) == (1, 1)
    with pytest.raises(CaseNotFound):
        casework.record_case_view(session_factory, 999, user, at=at("2026-03-02T12:00"))
    with pytest.raises(errors.InvalidRecord):
        casework.set_case_managers(session_factory, case_id, [999])
    assert persistence.count_rows(session_factory) == rows


def _calendar_for(sf: SessionFactory) -> Any:
    def get(region: Region) -> WorkingDayCalendar:
        return calendar_days.load_calendar(sf, region)

    return get


def test_add_calendar_day_moves_open_deadlines_only(session_factory: SessionFactory) -> None:
    # a case whose referral decision is open (due Tue 3 March 2026), one whose is met
    open_case = new_case(session_factory)
    fire(session_factory, open_case, "refer", "2026-03-02T11:00", REFER)
    met_case = new_case(session_factory)
    fire(session_factory, met_case, "refer", "2026-03-02T11:00", REFER)
    fire(session_factory, met_case, "start_assessment", "2026-03-02T16:00")
    met_before = casework.get_case(session_factory, met_case).deadlines

    moved = calendar_days.add_calendar_day(
        session_factory,
        region=EW,
        day=date(2026, 3, 3),
        name="A one-off bank holiday",
        added_by="admin",
        at=at("2026-02-20T09:00"),
        policy_for=policy_by_name,
    )
    assert moved == 2  # the open referral decision and the other case's single assessment
    case = casework.get_case(session_factory, open_case)
    decision = next(d for d in case.deadlines if d.kind.value == "referral_decision")
    assert decision.due_date == date(2026, 3, 4)
    assert "extra:2026-03-03" in decision.calendar_version
    assert case.history[-1].kind.value == "deadline_moved"
    # met deadlines are history: the met case's single assessment (also open) moves, its met
    # referral decision does not
    met_after = casework.get_case(session_factory, met_case).deadlines
    assert [d for d in met_after if d.status.value == "met"] == [
        d for d in met_before if d.status.value == "met"
    ]
    # the calendar now counts the day
    assert not calendar_days.load_calendar(session_factory, EW).is_working_day(date(2026, 3, 3))
    days = calendar_days.list_calendar_days(session_factory, EW)
    assert [(d.date, d.kind) for d in days] == [(date(2026, 3, 3), "one_off")]
    # the stored log still replays to the stored case (each event with its own calendar)
    rebuilt = casework.replay_case(session_factory, open_case, policy_by_name)
    assert rebuilt.state == case.state


def test_add_calendar_day_refusals_write_nothing(session_factory: SessionFactory) -> None:
    calendar_days.add_calendar_day(
        session_factory,
        region=EW,
        day=date(2026, 3, 3),
        name="One-off",
        added_by="admin",
        at=at("2026-02-20T09:00"),
        policy_for=policy_by_name,
    )
    before = persistence.count_rows(session_factory)
    with pytest.raises(errors.InvalidRecord, match="already a day off"):
        calendar_days.add_calendar_day(
            session_factory,
            region=EW,
            day=date(2026, 3, 3),
            name="Again",
            added_by="admin",
            at=at("2026-02-20T09:00"),
            policy_for=policy_by_name,
        )
    with pytest.raises(errors.InvalidRecord, match="weekend"):
        calendar_days.add_calendar_day(
            session_factory,
            region=EW,
            day=date(2026, 3, 7),
            name="Saturday",
            added_by="admin",
            at=at("2026-02-20T09:00"),
            policy_for=policy_by_name,
        )
    assert persistence.count_rows(session_factory) == before


def test_replay_case_rebuilds_the_stored_case(session_factory: SessionFactory) -> None:
    case_id = new_case(session_factory)
    fire(session_factory, case_id, "refer", "2026-03-02T11:00", REFER)
    fire(session_factory, case_id, "convene_strategy_discussion", "2026-03-02T12:00")
    stored = casework.get_case(session_factory, case_id)
    rebuilt = casework.replay_case(session_factory, case_id, policy_by_name)
    assert (rebuilt.state, rebuilt.facts, rebuilt.required_actions) == (
        stored.state,
        stored.facts,
        stored.required_actions,
    )
    assert [(d.kind, d.due_date, d.status) for d in rebuilt.deadlines] == [
        (d.kind, d.due_date, d.status) for d in stored.deadlines
    ]
