"""The API of who does the work (DESIGN 2.5): notes, allocation, bulk reassignment,
authorisation, the chronology, named managers, a user's alerts; documented in OpenAPI."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import NOW, UNDER_13_IMAGERY, Web, api_headers
from workflows import accounts


def _tokens(web: Web) -> tuple[str, str]:
    """An API token of morgan (a manager) and of lee (a LADO)."""
    manager, _record = accounts.issue_token(
        web.app.session_factory, user_id=web.users["morgan"], name="tests", at=NOW, by_user_id=None
    )
    return manager, web.tokens["lee"]


def _post(web: Web, path: str, body: Any, token: str | None = None) -> Any:
    headers = api_headers(token or web.tokens["pat"])
    return web.client().post(path, json=body, headers=headers)


def _case(web: Web) -> dict[str, Any]:
    answer = _post(
        web, "/api/v1/cases", {"facts": UNDER_13_IMAGERY, "occurred_at": "2026-03-04T08:00"}
    )
    assert answer.status_code == 201, answer.text
    case: dict[str, Any] = answer.json()
    return case


def test_assessment_submitted_authorised_and_judged_at_authorisation(web: Web) -> None:
    manager_token, _lado = _tokens(web)
    case = _case(web)
    events = f"/api/v1/cases/{case['id']}/events"
    for body in (
        {
            "event": "refer",
            "data": {"referred_to": ["childrens_social_care"]},
            "occurred_at": "2026-03-04T09:00",
        },
        {"event": "start_assessment", "occurred_at": "2026-03-04T09:30"},
        {
            "event": "complete_assessment",
            "data": {"factors": ["4A"]},
            "occurred_at": "2026-03-04T10:00",
        },
    ):
        assert _post(web, events, body).status_code == 200
    waiting = web.client().get(
        "/api/v1/assessments/awaiting-authorisation", headers=api_headers(manager_token)
    )
    assert [(r["case_id"], r["submitted_by"]) for r in waiting.json()] == [(case["id"], "pat")]
    assert _post(web, events, {"event": "authorise_assessment"}).status_code == 403
    authorised = _post(web, events, {"event": "authorise_assessment"}, manager_token)
    assert authorised.status_code == 200, authorised.text
    assessment = next(d for d in authorised.json()["deadlines"] if d["kind"] == "single_assessment")
    assert assessment["status"] == "met"


def test_notes_are_amended_not_edited(web: Web) -> None:
    case = _case(web)
    events = f"/api/v1/cases/{case['id']}/events"
    note = {"kind": "visit", "text": "Seen at school.", "significant": True}
    assert _post(web, events, {"event": "add_note", "data": note}).status_code == 200
    listed = (
        web.client()
        .get(f"/api/v1/cases/{case['id']}/notes", headers=api_headers(web.tokens["pat"]))
        .json()
    )
    first = listed[0]["event_id"]
    amendment = {"kind": "visit", "text": "Seen at home.", "amends": first}
    assert _post(web, events, {"event": "add_note", "data": amendment}).status_code == 200
    listed = (
        web.client()
        .get(f"/api/v1/cases/{case['id']}/notes", headers=api_headers(web.tokens["pat"]))
        .json()
    )
    assert [(n["text"], n["amends"], n["amended_by"]) for n in listed] == [
        ("Seen at school.", None, [listed[1]["event_id"]]),
        ("Seen at home.", first, []),
    ]
    chronology = (
        web.client()
        .get(f"/api/v1/cases/{case['id']}/chronology", headers=api_headers(web.tokens["pat"]))
        .json()
    )
    assert [c["kind"] for c in chronology].count("note") == 1  # the amendment is not significant


def test_bulk_reassignment_and_allocation_notices(web: Web) -> None:
    manager_token, _lado = _tokens(web)
    first, second = _case(web), _case(web)
    refused = _post(web, "/api/v1/reassignments", {"to_owner": "sam", "from_owner": "pat"})
    assert refused.status_code == 403
    moved = _post(
        web, "/api/v1/reassignments", {"to_owner": "sam", "from_owner": "pat"}, manager_token
    )
    assert moved.status_code == 200, moved.text
    assert {first["id"], second["id"]} <= set(moved.json()["case_ids"])
    again = (
        web.client()
        .get(f"/api/v1/cases/{first['id']}", headers=api_headers(web.tokens["pat"]))
        .json()
    )
    assert again["owner_id"] == web.users["sam"]
    neither = _post(web, "/api/v1/reassignments", {"to_owner": "sam"}, manager_token)
    assert neither.status_code == 422


def test_named_managers_of_a_restricted_case(web: Web) -> None:
    _manager, lado_token = _tokens(web)
    path = f"/api/v1/cases/{web.lado_case}/managers"
    client = web.client()
    named = client.put(path, json={"managers": ["morgan"]}, headers=api_headers(lado_token))
    assert named.status_code == 200, named.text
    assert named.json()["managers"] == ["morgan"]
    wrong = client.put(path, json={"managers": ["pat"]}, headers=api_headers(lado_token))
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "managers", "0"]


def test_my_alerts(web: Web) -> None:
    mine = web.client().get("/api/v1/me/alerts", headers=api_headers(web.tokens["pat"]))
    assert mine.status_code == 200
    assert set(mine.json()) == {"alerts", "total_alerts", "notices"}


def test_openapi_documents_the_work_api_and_its_errors(web: Web) -> None:
    doc = web.client().get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/reassignments",
        "/api/v1/unallocated",
        "/api/v1/assessments/awaiting-authorisation",
        "/api/v1/oversight/due",
        "/api/v1/cases/{case_id}/notes",
        "/api/v1/cases/{case_id}/chronology",
        "/api/v1/cases/{case_id}/managers",
        "/api/v1/me/alerts",
    ):
        operations = doc["paths"][path]
        for operation in operations.values():
            expected = {"401", "403", "422"}
            if "{case_id}" in path or path.endswith("/reassignments"):
                expected |= (
                    {"404", "413"} if "put" in operations or "post" in operations else {"404"}
                )
            assert expected <= set(operation["responses"]), path
