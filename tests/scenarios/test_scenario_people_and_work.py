"""Scenario files with the recording and work contract of DESIGN 6: `recorded_at`, `by`, `users:`,
`correct_date` by step, and the replay enforcing who may do what as the web app does."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from workflows.scenario import ScenarioError, parse_scenario, run_scenario

CASE = {
    "category": "youth_produced_sexual_imagery",
    "children": [{"name": "B", "age": 15}],
    "imagery": {},
}
REFER = {"referred_to": ["childrens_social_care"]}


def _run(steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    scenario, policy = parse_scenario({"name": "t", "case": CASE, "steps": steps, **extra})
    return run_scenario(scenario, policy)


def _assessed(**overrides: Any) -> list[dict[str, Any]]:
    return [
        {"at": "2026-03-09T09:00", "event": "raise_concern"},
        {"at": "2026-03-09T10:00", "event": "refer", "data": REFER},
        {"at": "2026-03-09T11:00", "event": "start_assessment"},
        {"at": "2026-04-20T12:00", "event": "complete_assessment", "data": {"factors": ["21"]}},
    ]


def test_only_a_manager_who_did_not_complete_it_authorises() -> None:
    doc = _run(
        [
            *_assessed(),
            {"at": "2026-04-21T09:00", "event": "authorise_assessment"},  # by worker
            {"at": "2026-04-21T09:30", "event": "authorise_assessment", "by": "manager"},
        ]
    )
    [refused] = doc["rejected"]
    assert (refused["step"], refused["event"]) == (5, "authorise_assessment")
    assert "only a manager of the case's team" in refused["reason"]
    assessment = next(d for d in doc["deadlines"] if d["kind"] == "single_assessment")
    assert (assessment["status"], assessment["met_at"]) == ("met", "2026-04-21T08:30:00Z")
    assert doc["history"][-1]["by"] == "manager"


def test_a_manager_cannot_authorise_their_own_assessment() -> None:
    steps = _assessed()
    steps[3] = {**steps[3], "by": "manager"}
    doc = _run(
        [*steps, {"at": "2026-04-21T09:00", "event": "authorise_assessment", "by": "manager"}]
    )
    assert [r["reason"] for r in doc["rejected"]] == [
        "you completed this assessment: another manager must authorise it"
    ]
    # the head of service may
    doc = _run([*steps, {"at": "2026-04-21T09:00", "event": "authorise_assessment", "by": "head"}])
    assert doc["rejected"] == []


def test_users_set_the_organisation_and_the_owner() -> None:
    users = [
        {"username": "asha", "role": "practitioner", "team": "East"},
        {"username": "ben", "role": "practitioner", "team": "East"},
        {"username": "cleo", "role": "manager", "team": "East"},
        {"username": "dev", "role": "head_of_service", "team": "East"},
    ]
    doc = _run(
        [
            {"at": "2026-03-02T10:00", "event": "raise_concern"},
            {"at": "2026-03-02T11:00", "event": "refer", "data": REFER},
            {"at": "2026-03-02T12:00", "event": "allocate", "data": {"owner": "ben"}, "by": "asha"},
            {"at": "2026-03-02T12:05", "event": "allocate", "data": {"owner": "ben"}, "by": "cleo"},
            {"at": "2026-03-11T09:00", "sweep": True},
        ],
        users=users,
    )
    assert [(r["step"], r["reason"]) for r in doc["rejected"]] == [
        (3, "only a manager of the case's team can allocate it")
    ]
    recipients = {(a["to"], a["recipient"]) for a in doc["alerts"]}
    assert ("owner", "ben") in recipients  # the alerts follow the new owner
    assert ("manager", "cleo") in recipients
    assert ("head_of_service", "dev") in recipients
    assert "asha" not in {r for _to, r in recipients}


def test_an_event_dated_after_it_was_recorded_is_rejected() -> None:
    doc = _run(
        [
            {"at": "2026-03-02T10:00", "event": "raise_concern"},
            {
                "at": "2026-03-03T10:00",
                "recorded_at": "2026-03-02T12:00",
                "event": "refer",
                "data": REFER,
            },
        ]
    )
    [refused] = doc["rejected"]
    assert refused["at"] == "2026-03-03T10:00:00Z"
    assert "in the future" in refused["reason"]


def test_a_correction_of_a_refused_step_is_rejected() -> None:
    doc = _run(
        [
            {"at": "2026-03-02T10:00", "event": "raise_concern"},
            {"at": "2026-03-02T11:00", "event": "start_assessment"},  # refused: no referral
            {
                "at": "2026-03-02T12:00",
                "event": "correct_date",
                "data": {"step": 2, "occurred_at": "2026-03-02T10:30", "reason": "typo"},
            },
        ]
    )
    assert [r["step"] for r in doc["rejected"]] == [2, 3]
    assert "step 2 was not recorded" in doc["rejected"][1]["reason"]


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ([{"username": "a", "role": "manager", "team": "T"}], "at least one practitioner"),
        ([{"username": "a", "role": "practitioner"}], "needs a team"),
        (
            [
                {"username": "a", "role": "practitioner", "team": "T"},
                {"username": "a", "role": "manager", "team": "T"},
            ],
            "listed more than once",
        ),
        ([{"username": "a", "role": "boss", "team": "T"}], "users.0.role"),
    ],
)
def test_bad_users_make_the_file_malformed(users: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(
            {
                "name": "t",
                "users": users,
                "case": CASE,
                "steps": [{"at": "2026-03-02T10:00", "event": "raise_concern"}],
            }
        )


def test_a_lado_raises_and_owns_an_allegations_case() -> None:
    text = """
    name: raised by the LADO
    users:
      - {username: worker, role: practitioner, team: North}
      - {username: lee, role: lado}
    case:
      category: staff_online_conduct
      children: [{name: C, age: 14}]
      alleged_abuser: {kind: adult, position_of_trust: true, role: youth worker}
    steps:
      - {at: "2026-03-02T10:00", event: raise_concern, by: lee}
      - {at: "2026-03-02T11:00", event: refer_to_lado, by: lee}
      - {at: "2026-03-06T09:00", sweep: true}
    """
    scenario, policy = parse_scenario(yaml.safe_load(text))
    doc = run_scenario(scenario, policy)
    assert doc["allegation_state"] == "lado_referral"
    assert {a["recipient"] for a in doc["alerts"] if a["to"] == "owner"} == {"lee"}
