"""The API records casework as it happens (DESIGN 2.3, 2.4): `occurred_at`, the order rule's
refusals, corrections by `event_id`, identifiers checked, people known from other cases, search
and the permission rules shared with the pages."""

from __future__ import annotations

from typing import Any

from states import nhs_number_check_digit
from tests.web.conftest import NOW, UNDER_13_IMAGERY, Web, api_headers
from workflows import audit

NHS = "943476591" + str(nhs_number_check_digit("943476591"))


def _post_case(web: Web, facts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = web.client().post(
        "/api/v1/cases", json={"facts": facts, **extra}, headers=api_headers(web.tokens["pat"])
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _event(web: Web, case: dict[str, Any], **body: Any) -> Any:
    return web.client().post(
        f"/api/v1/cases/{case['id']}/events", json=body, headers=api_headers(web.tokens["pat"])
    )


def test_an_event_is_dated_when_it_happened(web: Web) -> None:
    case = _post_case(web, UNDER_13_IMAGERY, occurred_at="2026-03-04T09:00")
    assert case["deadlines"][0]["due_date"] == "2026-03-04"
    refer = {"referred_to": ["police", "childrens_social_care"]}
    answer = _event(web, case, event="refer", data=refer, occurred_at="2026-03-04T10:30")
    assert answer.status_code == 200, answer.text
    met = next(d for d in answer.json()["deadlines"] if d["kind"] == "immediate_referral")
    assert (met["status"], met["met_at"]) == ("met", "2026-03-04T10:30:00Z")
    entries = web.client().get(
        f"/api/v1/cases/{case['id']}/timeline", headers=api_headers(web.tokens["pat"])
    )
    assert entries.status_code == 200
    refer_entry = next(e for e in entries.json() if e["event"] == "refer")
    assert refer_entry["at"] == "2026-03-04T10:30:00Z"
    assert refer_entry["recorded_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert (refer_entry["by"], refer_entry["late"]) == ("pat", False)


def test_a_future_or_out_of_order_date_is_refused_naming_occurred_at(web: Web) -> None:
    case = _post_case(web, UNDER_13_IMAGERY)
    refer = {"referred_to": ["police"]}
    future = _event(web, case, event="refer", data=refer, occurred_at="2026-03-04T12:00")
    assert future.status_code == 422
    [detail] = future.json()["detail"]
    assert detail["loc"] == ["body", "occurred_at"]
    assert "in the future" in detail["msg"]
    early = _event(web, case, event="refer", data=refer, occurred_at="2026-03-03T09:00")
    assert early.status_code == 422
    assert "before the concern was raised" in early.json()["detail"][0]["msg"]
    future_concern = web.client().post(
        "/api/v1/cases",
        json={"facts": UNDER_13_IMAGERY, "occurred_at": "2026-03-05T09:00"},
        headers=api_headers(web.tokens["pat"]),
    )
    assert future_concern.status_code == 422
    assert future_concern.json()["detail"][0]["loc"] == ["body", "occurred_at"]
    again = (
        web.client()
        .get(f"/api/v1/cases/{case['id']}", headers=api_headers(web.tokens["pat"]))
        .json()
    )
    assert (again["state"], again["version"]) == ("concern", case["version"])


def test_correct_date_names_the_event_by_its_id(web: Web) -> None:
    case = _post_case(web, UNDER_13_IMAGERY, occurred_at="2026-03-04T09:00")
    refer = {"referred_to": ["police", "childrens_social_care"]}
    assert _event(web, case, event="refer", data=refer).status_code == 200
    entries = web.client().get(
        f"/api/v1/cases/{case['id']}/timeline", headers=api_headers(web.tokens["pat"])
    )
    refer_id = next(e["event_id"] for e in entries.json() if e["event"] == "refer")
    corrected = _event(
        web,
        case,
        event="correct_date",
        data={"event_id": refer_id, "occurred_at": "2026-03-04T10:00", "reason": "rang at 10"},
    )
    assert corrected.status_code == 200, corrected.text
    entries = web.client().get(
        f"/api/v1/cases/{case['id']}/timeline", headers=api_headers(web.tokens["pat"])
    )
    refer_entry = next(e for e in entries.json() if e["event_id"] == refer_id)
    assert (refer_entry["at"], refer_entry["original_at"]) == (
        "2026-03-04T10:00:00Z",
        "2026-03-04T11:00:00Z",
    )
    wrong = _event(
        web,
        case,
        event="correct_date",
        data={"event_id": 999, "occurred_at": "2026-03-04T10:00", "reason": "x"},
    )
    assert wrong.status_code == 422
    assert "there is no event 999" in wrong.json()["detail"][0]["msg"]


def test_a_wrong_nhs_check_digit_is_refused_naming_the_field(web: Web) -> None:
    wrong = NHS[:-1] + str((int(NHS[-1]) + 1) % 10)
    facts = {"category": "online_bullying", "children": [{"name": "A", "nhs_number": wrong}]}
    answer = web.client().post(
        "/api/v1/cases", json={"facts": facts}, headers=api_headers(web.tokens["pat"])
    )
    assert answer.status_code == 422
    [detail] = answer.json()["detail"]
    assert detail["loc"][-3:] == ["children", 0, "nhs_number"]
    assert "check digit" in detail["msg"]


def test_people_known_to_us_and_likely_matches(web: Web) -> None:
    first = _post_case(
        web,
        {"category": "online_bullying", "children": [{"name": "Ali Khan", "nhs_number": NHS}]},
    )
    second = _post_case(
        web,
        {"category": "online_bullying", "children": [{"name": "Ali Khan", "nhs_number": NHS}]},
    )
    [known] = second["known_to_us"]
    assert (known["role"], known["earlier_cases"]) == ("child", 1)
    assert known["cases"][0]["reference"] == first["reference"]
    dob = {"name": "Bea Lowe", "date_of_birth": "2012-01-31"}
    third = _post_case(web, {"category": "online_bullying", "children": [dob]})
    fourth = _post_case(
        web, {"category": "online_bullying", "children": [{**dob, "name": "Bea Low"}]}
    )
    person = third["facts"]["children"][0]["person_id"]
    assert [(m["child"], m["person_id"]) for m in fourth["possible_matches"]] == [(0, person)]
    adult = {"kind": "adult", "name": "Pat Smith", "position_of_trust": True, "role": "coach"}
    bully = {"category": "online_bullying", "children": [{"name": "D"}]}
    _post_case(web, {**bully, "alleged_abuser": adult})
    again = _post_case(web, {**bully, "alleged_abuser": {**adult, "name": "pat smith"}})
    assert [m["role"] for m in again["possible_matches"]] == ["alleged_abuser"]
    matches = web.client().get(
        "/api/v1/people/matches",
        params={"name": "bea lowe", "date_of_birth": "2012-01-31"},
        headers=api_headers(web.tokens["pat"]),
    )
    assert person in [m["person_id"] for m in matches.json()]


def test_search(web: Web) -> None:
    case = _post_case(web, {"category": "online_bullying", "children": [{"name": "Ines Muñoz"}]})
    found = web.client().get(
        "/api/v1/search", params={"q": "ines munoz"}, headers=api_headers(web.tokens["pat"])
    )
    assert found.status_code == 200
    assert found.json()["query_kind"] == "name"
    assert [r["case_id"] for r in found.json()["results"]] == [case["id"]]
    empty = web.client().get(
        "/api/v1/search", params={"q": "  "}, headers=api_headers(web.tokens["pat"])
    )
    assert empty.status_code == 422
    logged = audit.search_audit(
        web.app.session_factory, page=1, per_page=10, kinds=[audit.AuditKind.SEARCH]
    )
    assert [(e.user_id, "name search, 1 results" in (e.detail or "")) for e in logged.rows] == [
        (web.users["pat"], True)
    ]


def test_a_practitioner_cannot_authorise(web: Web) -> None:
    case = _post_case(web, UNDER_13_IMAGERY)
    refused = _event(web, case, event="authorise_assessment")
    assert refused.status_code == 403
    assert "only a manager" in refused.json()["detail"][0]["msg"]
