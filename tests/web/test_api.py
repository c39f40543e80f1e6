"""The JSON API: authentication, access, validation (422 naming the field), refusals, stale
updates (409), unknown ids (404), and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.web.conftest import NOW, UNDER_13_IMAGERY, Web, api_headers
from workflows import accounts
from workflows.persistence import case_events, cases

ROUTES = [
    ("GET", "/api/v1/cases", None),
    ("POST", "/api/v1/cases", {"facts": UNDER_13_IMAGERY}),
    ("GET", "/api/v1/cases/{north}", None),
    (
        "POST",
        "/api/v1/cases/{north}/events",
        {"event": "refer", "data": {"referred_to": ["police"]}},
    ),
    ("GET", "/api/v1/deadlines", None),
]


def _give_tokens(web: Web) -> dict[str, str]:
    return {
        name: accounts.issue_token(
            web.app.session_factory, user_id=web.users[name], name="test", at=NOW, by_user_id=None
        )[0]
        for name in ("sam", "priya", "morgan", "hannah", "lee", "ada", "audrey")
    }


def _call(web: Web, method: str, route: str, body: Any, headers: dict[str, str]) -> int:
    url = route.format(north=web.north_case)
    client = web.client()
    response = client.request(method, url, json=body, headers=headers)
    return int(response.status_code)


def test_anonymous_and_unknown_tokens_get_401(web: Web) -> None:
    for method, route, body in ROUTES:
        assert _call(web, method, route, body, {}) == 401
        assert _call(web, method, route, body, api_headers("esf_not_a_token")) == 401
    response = web.client().get("/api/v1/cases")
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"][0]["loc"] == ["header", "Authorization"]


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        # GET list, POST create, GET north case, POST event on north, GET deadlines
        ("sam", [200, 201, 200, 200, 200]),
        ("priya", [200, 201, 404, 404, 200]),
        ("morgan", [200, 201, 200, 200, 200]),
        ("lee", [200, 201, 404, 404, 200]),
        ("ada", [403, 403, 403, 403, 403]),
        ("audrey", [403, 403, 403, 403, 403]),
    ],
)
def test_every_role_against_every_api_route(web: Web, user: str, expected: list[int]) -> None:
    tokens = _give_tokens(web)
    got = [
        _call(web, method, route, body, api_headers(tokens[user])) for method, route, body in ROUTES
    ]
    assert got == expected


def test_create_case_runs_triage_at_once(web: Web) -> None:
    response = web.client().post(
        "/api/v1/cases", json={"facts": UNDER_13_IMAGERY}, headers=api_headers(web.tokens["pat"])
    )
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "concern"
    assert "immediate_referral" in body["required_actions"]
    kinds = {d["kind"]: d for d in body["deadlines"]}
    assert kinds["immediate_referral"]["due_date"] == "2026-03-04"
    assert kinds["immediate_referral"]["status"] == "open"


def test_case_carries_the_no_tipping_off_restriction(web: Web) -> None:
    facts = {
        "category": "adult_indecent_images",
        "children": [{"name": "K", "age": 8, "known_to_alleged_abuser": True}],
        "alleged_abuser": {"kind": "adult", "lives_with_children": True},
    }
    response = web.client().post(
        "/api/v1/cases", json={"facts": facts}, headers=api_headers(web.tokens["pat"])
    )
    assert response.status_code == 201
    body = response.json()
    assert body["do_not_inform_family"] is True
    assert body["family_may_be_informed"] is False
    assert "no strategy discussion has yet decided when" in body["family_disclosure_reason"]
    plain = (
        web.client()
        .get(f"/api/v1/cases/{web.north_case}", headers=api_headers(web.tokens["pat"]))
        .json()
    )
    assert (plain["do_not_inform_family"], plain["family_may_be_informed"]) == (False, True)


def test_validation_errors_name_the_field(web: Web) -> None:
    client = web.client()
    bad_facts = client.post(
        "/api/v1/cases",
        json={"facts": {"category": "not_a_category"}},
        headers=api_headers(web.tokens["pat"]),
    )
    assert bad_facts.status_code == 422
    assert bad_facts.json()["detail"][0]["loc"] == ["body", "facts", "category"]
    unknown_field = client.post(
        "/api/v1/cases",
        json={"facts": {"category": "other", "colour": "red"}},
        headers=api_headers(web.tokens["pat"]),
    )
    assert unknown_field.status_code == 422
    assert unknown_field.json()["detail"][0]["loc"] == ["body", "facts", "colour"]
    bad_region = client.post(
        "/api/v1/cases",
        json={"facts": {"category": "other"}, "region": "wales"},
        headers=api_headers(web.tokens["pat"]),
    )
    assert bad_region.status_code == 422
    assert bad_region.json()["detail"][0]["loc"] == ["body", "region"]
    bad_event = client.post(
        f"/api/v1/cases/{web.north_case}/events",
        json={"event": "fly"},
        headers=api_headers(web.tokens["pat"]),
    )
    assert bad_event.status_code == 422
    assert bad_event.json()["detail"][0]["loc"] == ["body", "event"]
    bad_data = client.post(
        f"/api/v1/cases/{web.north_case}/events",
        json={"event": "refer", "data": {"referred_to": ["the_press"]}},
        headers=api_headers(web.tokens["pat"]),
    )
    assert bad_data.status_code == 422
    detail = bad_data.json()["detail"][0]
    assert detail["loc"] == ["body", "data"]
    assert "referred_to" in detail["msg"]


def _event_count(web: Web) -> int:
    with web.app.session_factory() as s:
        return int(s.execute(select(func.count()).select_from(case_events)).scalar_one())


def test_refused_event_is_422_with_the_reason_and_writes_nothing(web: Web) -> None:
    before = _event_count(web)
    response = web.client().post(
        f"/api/v1/cases/{web.north_case}/events",
        json={"event": "start_section_47"},
        headers=api_headers(web.tokens["pat"]),
    )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["type"] == "transition_refused"
    assert "start_section_47" in detail["msg"]
    assert _event_count(web) == before


def test_stale_update_is_409_and_writes_nothing(web: Web) -> None:
    client = web.client()
    case = client.get(
        f"/api/v1/cases/{web.north_case}", headers=api_headers(web.tokens["pat"])
    ).json()
    version = case["version"]
    first = client.post(
        f"/api/v1/cases/{web.north_case}/events",
        json={"event": "refer", "data": {"referred_to": ["police"]}, "expected_version": version},
        headers=api_headers(web.tokens["pat"]),
    )
    assert first.status_code == 200
    assert first.json()["state"] == "referral"
    before = _event_count(web)
    second = client.post(
        f"/api/v1/cases/{web.north_case}/events",
        json={"event": "step_down", "expected_version": version},
        headers=api_headers(web.tokens["pat"]),
    )
    assert second.status_code == 409
    assert second.json()["detail"][0]["loc"] == ["body", "expected_version"]
    assert _event_count(web) == before


def test_unknown_ids_are_404(web: Web) -> None:
    client = web.client()
    assert (
        client.get("/api/v1/cases/987654", headers=api_headers(web.tokens["pat"])).status_code
        == 404
    )
    missing = client.post(
        "/api/v1/cases/987654/events",
        json={"event": "refer"},
        headers=api_headers(web.tokens["pat"]),
    )
    assert missing.status_code == 404
    assert (
        client.get(
            "/api/v1/deadlines?case_id=987654", headers=api_headers(web.tokens["pat"])
        ).status_code
        == 404
    )


def test_list_and_deadlines_only_show_visible_cases(web: Web) -> None:
    client = web.client()
    listed = {
        c["id"] for c in client.get("/api/v1/cases", headers=api_headers(web.tokens["pat"])).json()
    }
    assert web.north_case in listed
    assert web.south_case not in listed
    assert web.lado_case not in listed
    deadlines = client.get("/api/v1/deadlines", headers=api_headers(web.tokens["pat"])).json()
    assert {d["case_id"] for d in deadlines} == {web.north_case}
    one = client.get(
        f"/api/v1/deadlines?case_id={web.north_case}", headers=api_headers(web.tokens["pat"])
    ).json()
    assert [d["kind"] for d in one] == ["immediate_referral"]


def test_api_views_are_recorded(web: Web) -> None:
    from workflows.persistence import case_views

    web.client().get(f"/api/v1/cases/{web.north_case}", headers=api_headers(web.tokens["pat"]))
    with web.app.session_factory() as s:
        rows = s.execute(select(case_views.c.case_id)).scalars().all()
    assert rows == [web.north_case]


def test_openapi_document_lists_the_api(web: Web) -> None:
    doc = web.client().get("/api/v1/openapi.json").json()
    assert set(doc["paths"]) >= {
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/events",
        "/api/v1/cases/{case_id}/timeline",
        "/api/v1/deadlines",
        "/api/v1/search",
        "/api/v1/people/matches",
    }


def test_no_cases_table_rows_for_refused_creation(web: Web) -> None:
    with web.app.session_factory() as s:
        before = s.execute(select(func.count()).select_from(cases)).scalar_one()
    web.client().post("/api/v1/cases", json={"facts": {}}, headers=api_headers(web.tokens["pat"]))
    with web.app.session_factory() as s:
        assert s.execute(select(func.count()).select_from(cases)).scalar_one() == before
