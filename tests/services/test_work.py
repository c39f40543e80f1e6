"""Who does the work (DESIGN 2.5) through the services, on SQLite and PostgreSQL: allocation and
its notices, alerts following the new owner, bulk reassignment, transfers and unallocated lists,
cases passed to the LADOs, assessments awaiting authorisation, oversight and the chronology."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from calendars import Region, calendar_for, parse_instant
from states import ENGLAND_2023, policy_by_name
from workflows import (
    allocation,
    casework,
    deadline_alerts,
    errors,
    notifications,
    organisation,
    oversight,
)
from workflows.chronology import chronology_of
from workflows.persistence import SessionFactory, count_rows

CAL = calendar_for(Region.ENGLAND_AND_WALES)
REFER = {"referred_to": ["childrens_social_care"]}


def at(text: str) -> datetime:
    return parse_instant(text)


def cal_for(_region: Region) -> Any:
    return CAL


class Org:
    def __init__(self, sf: SessionFactory) -> None:
        self.team = organisation.create_team(sf, name="North")
        self.other_team = organisation.create_team(sf, name="South")
        when = at("2026-01-01T09:00")

        def user(name: str, role: str, team: int | None) -> int:
            return organisation.create_user(
                sf,
                username=name,
                display_name=name.title(),
                email=f"{name}@example.test",
                role=role,
                at=when,
                team_id=team,
            )

        self.pat = user("pat", "practitioner", self.team)
        self.sam = user("sam", "practitioner", self.team)
        self.morgan = user("morgan", "manager", self.team)
        self.south_manager = user("sofia", "manager", self.other_team)
        organisation.set_team_managers(
            sf, self.team, manager_id=self.morgan, head_of_service_id=None
        )
        organisation.set_team_managers(
            sf, self.other_team, manager_id=self.south_manager, head_of_service_id=None
        )


@pytest.fixture
def sf(session_factory: SessionFactory) -> SessionFactory:
    return session_factory


@pytest.fixture
def org(session_factory: SessionFactory) -> Org:
    return Org(session_factory)


def new_case(sf: SessionFactory, org: Org, facts: dict[str, Any] | None = None) -> int:
    case = casework.raise_concern(
        sf,
        facts=facts or {"category": "online_bullying", "children": [{"name": "A"}]},
        at=at("2026-03-02T09:00"),
        actor="pat",
        region=Region.ENGLAND_AND_WALES,
        policy=ENGLAND_2023,
        calendar=CAL,
        owner_id=org.pat,
        team_id=org.team,
    )
    assert case.id is not None
    return case.id


def fire(
    sf: SessionFactory, case_id: int, event: str, when: str, data: Any = None, by: str = "pat"
) -> Any:
    return casework.apply_event(
        sf, case_id, event, at=at(when), actor=by, data=data, calendar=CAL, policy=ENGLAND_2023
    )


def test_alerts_after_an_allocation_go_to_the_new_owner(sf: SessionFactory, org: Org) -> None:
    case_id = new_case(sf, org)
    fire(sf, case_id, "refer", "2026-03-02T10:00", REFER)
    fire(sf, case_id, "allocate", "2026-03-02T11:00", {"owner": "sam"}, by="morgan")
    assert casework.get_case(sf, case_id).owner_id == org.sam
    [notice], _total = notifications.notices_of_user(sf, org.sam)
    assert (notice.kind, notice.case_id) == (notifications.NoticeKind.ALLOCATED, case_id)
    deadline_alerts.sweep(sf, at("2026-03-04T09:00"), cal_for, policy_by_name)
    owners = {
        a.recipient_user_id
        for a in deadline_alerts.list_alerts(sf, case_id=case_id)
        if a.recipient_role == "owner"
    }
    assert owners == {org.sam}
    with pytest.raises(errors.TransitionRefused, match="there is no active user called 'nobody'"):
        fire(sf, case_id, "allocate", "2026-03-02T12:00", {"owner": "nobody"}, by="morgan")


def test_a_bulk_reassignment_is_one_transaction_with_a_log_entry_each(
    sf: SessionFactory, org: Org
) -> None:
    ids = [new_case(sf, org) for _ in range(500)]
    assert allocation.open_cases_of(sf, org.pat) == ids
    before = count_rows(sf)
    with pytest.raises(errors.InvalidRecord, match="no case with id 999999"):
        allocation.reassign(
            sf,
            [*ids[:10], 999_999],
            to_owner="sam",
            actor="morgan",
            at=at("2026-03-03T09:00"),
            calendar_for=cal_for,
            policy_for=policy_by_name,
        )
    assert count_rows(sf) == before
    moved = allocation.reassign(
        sf,
        ids,
        to_owner="sam",
        actor="morgan",
        at=at("2026-03-03T09:00"),
        calendar_for=cal_for,
        policy_for=policy_by_name,
    )
    assert moved == 500
    after = count_rows(sf)
    assert after["case_events"] - before["case_events"] == 500  # one allocate entry each
    assert after["user_notices"] - before["user_notices"] == 500
    assert allocation.open_cases_of(sf, org.sam) == ids
    assert allocation.open_cases_of(sf, org.pat) == []
    entry = casework.get_case(sf, ids[0]).history[-1]
    assert (entry.event, entry.actor, entry.data["owner"]) == ("allocate", "morgan", "sam")


def test_a_transfer_waits_on_the_new_teams_unallocated_list(sf: SessionFactory, org: Org) -> None:
    case_id = new_case(sf, org)
    fire(sf, case_id, "refer", "2026-03-02T09:30", REFER)
    fire(
        sf,
        case_id,
        "transfer",
        "2026-03-02T10:00",
        {"team": "South", "reason": "the family moved"},
        by="morgan",
    )
    case = casework.get_case(sf, case_id)
    assert (case.owner_id, case.team_id) == (None, org.other_team)
    [row] = allocation.unallocated(sf, team_ids=[org.other_team])
    assert (row.case_id, row.waiting_since, row.team_name) == (
        case_id,
        at("2026-03-02T10:00"),
        "South",
    )
    assert allocation.unallocated(sf, team_ids=[org.team]) == []
    [told], _ = notifications.notices_of_user(sf, org.south_manager)
    assert told.kind is notifications.NoticeKind.TRANSFERRED
    # while unallocated, the owner's alerts go to the team's manager (DESIGN 6)
    deadline_alerts.sweep(sf, at("2026-03-03T09:00"), cal_for, policy_by_name)
    owner_alerts = [
        a for a in deadline_alerts.list_alerts(sf, case_id=case_id) if a.recipient_role == "owner"
    ]
    assert owner_alerts
    assert {a.recipient_user_id for a in owner_alerts} == {org.south_manager}


def test_a_case_that_becomes_restricted_is_passed_to_the_lados(
    sf: SessionFactory, org: Org
) -> None:
    organisation.create_user(
        sf,
        username="lee",
        display_name="Lee",
        email="lee@example.test",
        role="lado",
        at=at("2026-01-01T09:00"),
    )
    case_id = new_case(sf, org)
    fire(
        sf,
        case_id,
        "record_facts",
        "2026-03-02T10:00",
        {"alleged_abuser": {"kind": "adult", "position_of_trust": True, "role": "coach"}},
    )
    case = casework.get_case(sf, case_id)
    assert case.restricted
    assert case.owner_id is None
    assert case.history[-1].event == "transfer"
    assert case.history[-1].data["lado"] is True
    [told], _ = notifications.notices_of_user(sf, org.pat)
    assert told.kind is notifications.NoticeKind.PASSED_ON
    assert [r.case_id for r in allocation.unallocated(sf, restricted_all=True)] == [case_id]


def test_deactivating_a_worker_releases_their_open_cases(sf: SessionFactory, org: Org) -> None:
    first, second = new_case(sf, org), new_case(sf, org)
    with sf.begin() as session:
        released = allocation.release_cases_of(
            session,
            org.pat,
            at=at("2026-03-03T09:00"),
            actor="ada",
            calendar_for=cal_for,
            policy_for=policy_by_name,
        )
    assert released == [first, second]
    assert {r.case_id for r in allocation.unallocated(sf, team_ids=[org.team])} == {first, second}
    notices, total = notifications.notices_of_user(sf, org.morgan)
    assert total == 2
    assert {n.kind for n in notices} == {notifications.NoticeKind.UNALLOCATED}


def test_assessments_awaiting_authorisation_with_working_days_left(
    sf: SessionFactory, org: Org
) -> None:
    case_id = new_case(sf, org)
    fire(sf, case_id, "refer", "2026-03-02T10:00", REFER)
    fire(sf, case_id, "start_assessment", "2026-03-02T11:00")
    fire(sf, case_id, "complete_assessment", "2026-04-28T11:00", {"factors": ["21"]})
    [row] = oversight.awaiting_authorisation(
        sf, today=date(2026, 4, 30), calendar_for=cal_for, team_ids=[org.team]
    )
    # 45 working days from Monday 2 March: Thursday 7 May; from Thursday 30 April, 4 left
    assert (row.case_id, row.submitted_by, row.due_date, row.working_days_left) == (
        case_id,
        "pat",
        date(2026, 5, 7),
        4,
    )
    with pytest.raises(errors.TransitionRefused, match="you completed this assessment"):
        fire(sf, case_id, "authorise_assessment", "2026-04-30T09:00", by="pat")
    fire(sf, case_id, "authorise_assessment", "2026-04-30T09:00", by="morgan")
    assert (
        oversight.awaiting_authorisation(
            sf, today=date(2026, 4, 30), calendar_for=cal_for, team_ids=[org.team]
        )
        == []
    )
    assessment = next(
        d for d in casework.get_case(sf, case_id).deadlines if d.kind.value == "single_assessment"
    )
    assert (assessment.status.value, assessment.met_at) == ("met", at("2026-04-30T09:00"))


def _plan(sf: SessionFactory, org: Org) -> int:
    facts = {
        "category": "online_grooming",
        "children": [{"name": "C"}],
        "alleged_abuser": {"kind": "adult"},
    }
    case_id = new_case(sf, org, facts)
    fire(
        sf,
        case_id,
        "refer",
        "2026-03-02T10:00",
        {"referred_to": ["police", "childrens_social_care"]},
    )
    fire(sf, case_id, "convene_strategy_discussion", "2026-03-02T11:00", {"urgent": True})
    fire(
        sf,
        case_id,
        "hold_strategy_discussion",
        "2026-03-02T15:00",
        {
            "attendees": ["police", "childrens_social_care", "health"],
            "considerations": {
                "household_children_safety": "safe",
                "image_children_safety": "none shown",
                "when_to_inform_alleged_abuser": "after arrest",
                "criminal_investigation": True,
                "section_47_threshold_met": True,
                "icpc_required": True,
            },
        },
    )
    fire(sf, case_id, "start_section_47", "2026-03-02T16:00")
    fire(
        sf,
        case_id,
        "hold_conference",
        "2026-03-16T10:00",
        {"outcome": "child_protection_plan", "category_of_abuse": "SAB"},
    )
    return case_id


def test_cases_overdue_for_management_oversight(sf: SessionFactory, org: Org) -> None:
    case_id = _plan(sf, org)
    kw: dict[str, Any] = {
        "calendar_for": cal_for,
        "policy_for": policy_by_name,
        "team_ids": [org.team],
    }
    # 20 working days from the plan (Monday 16 March) past Good Friday and Easter Monday:
    # Wednesday 15 April
    assert oversight.oversight_due(sf, today=date(2026, 4, 15), **kw) == []
    [due] = oversight.oversight_due(sf, today=date(2026, 4, 20), **kw)
    assert (due.case_id, due.due, due.last_oversight, due.working_days_overdue) == (
        case_id,
        date(2026, 4, 15),
        None,
        3,
    )
    fire(
        sf,
        case_id,
        "add_note",
        "2026-04-20T09:00",
        {"kind": "management_oversight", "text": "Plan reviewed; visits on track."},
        by="morgan",
    )
    assert oversight.oversight_due(sf, today=date(2026, 4, 20), **kw) == []


def test_the_chronology_is_in_the_order_things_happened(sf: SessionFactory, org: Org) -> None:
    case_id = _plan(sf, org)
    fire(
        sf,
        case_id,
        "add_note",
        "2026-03-03T09:00",
        {"kind": "visit", "text": "C seen at home.", "significant": True},
    )
    fire(sf, case_id, "add_note", "2026-03-03T10:00", {"kind": "other", "text": "phoned school"})
    # a visit on 5 March written up on the 17th: placed by when it happened
    fire(
        sf,
        case_id,
        "add_note",
        "2026-03-05T14:00",
        {"kind": "visit", "text": "Second visit.", "significant": True},
    )
    entries = chronology_of(casework.get_case(sf, case_id).history)
    assert [e.event for e in entries] == [
        "raise_concern",
        "refer",
        "convene_strategy_discussion",
        "hold_strategy_discussion",
        "start_section_47",
        "add_note",
        "add_note",
        "hold_conference",
    ]
    assert [e.kind for e in entries][-3:] == ["note", "note", "decision"]
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_deactivating_an_account_puts_its_open_cases_on_the_unallocated_list(
    sf: SessionFactory, org: Org
) -> None:
    from workflows import accounts

    first = new_case(sf, org)
    done = accounts.deactivate_user(
        sf,
        user_id=org.pat,
        at=at("2026-03-03T09:00"),
        by_user_id=None,
        calendar_for=cal_for,
        policy_for=policy_by_name,
    )
    assert done.cases_released == 1
    assert [r.case_id for r in allocation.unallocated(sf, team_ids=[org.team])] == [first]
    entry = casework.get_case(sf, first).history[-1]
    assert (entry.event, entry.data["reason"]) == (
        "transfer",
        "the owner's account was deactivated",
    )
    [told], _ = notifications.notices_of_user(sf, org.morgan)
    assert told.kind is notifications.NoticeKind.UNALLOCATED
