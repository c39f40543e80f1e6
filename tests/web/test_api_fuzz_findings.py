"""What the schemathesis run (tests/web/test_api_fuzz.py) found, pinned as plain tests: each was
a 500 or an undocumented answer, and is now a documented 4xx with a reason that writes nothing."""

from __future__ import annotations

import pytest

from tests.web.conftest import NOW, Web, api_headers
from workflows import accounts, organisation, persistence


@pytest.mark.parametrize(
    ("occurred_at", "reason"),
    [
        # before any working-day calendar: the deadline engine had raised CalendarRangeError
        ("0004-01-20T21:55:01+23:55", "no deadline can be counted from that date"),
        ("1970-01-01T00:00:00Z", "no deadline can be counted from that date"),
        # a moment with no UTC instant: the conversion had raised OverflowError
        ("9999-12-31T23:59:59-23:59", "a moment outside the range of dates"),
        ("0001-01-01T00:00:00+23:00", "a moment outside the range of dates"),
    ],
)
def test_a_concern_dated_outside_every_calendar_is_422(
    web: Web, occurred_at: str, reason: str
) -> None:
    before = persistence.count_rows(web.app.session_factory)
    response = web.client().post(
        "/api/v1/cases",
        json={
            "facts": {"category": "other", "children": [{"name": "A"}]},
            "occurred_at": occurred_at,
        },
        headers=api_headers(web.tokens["pat"]),
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "occurred_at"]
    assert problem["msg"].startswith(reason)
    assert persistence.count_rows(web.app.session_factory) == before


def test_an_event_dated_past_the_range_of_dates_is_422(web: Web) -> None:
    response = web.client().post(
        f"/api/v1/cases/{web.north_case}/events",
        json={
            "event": "refer",
            "data": {"referred_to": ["police"]},
            "occurred_at": "9999-12-31T23:59:59-23:59",
        },
        headers=api_headers(web.tokens["pat"]),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "occurred_at"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/reassignments", b"\xff\xfe|\x81!M"),
        ("POST", "/api/v1/reassignments", b'{"to_owner": "pat", "case_ids": [NaN]}'),
        ("PUT", "/api/v1/cases/{lado}/managers", b"\xff\xfe|\x81!M"),
        ("PUT", "/api/v1/cases/{lado}/managers", b'{"managers": ["\\ud800"]}'),
    ],
)
def test_the_work_api_takes_strict_json_only(web: Web, method: str, path: str, body: bytes) -> None:
    """The work API's routes had FastAPI's own parsing: a body that is not UTF-8 was an
    undocumented 400 "There was an error parsing the body"."""
    response = web.client().request(
        method,
        path.format(lado=web.lado_case),
        content=body,
        headers={**api_headers(web.tokens["lee"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_a_performance_token_is_refused_casework_not_a_server_error(web: Web) -> None:
    """The web roles did not know `performance`: every API call with its token was a 500."""
    sf = web.app.session_factory
    pip = organisation.create_user(
        sf,
        username="pip",
        display_name="Pip Performance",
        email="pip@example.org",
        role="performance",
        at=NOW,
    )
    token, _ = accounts.issue_token(sf, user_id=pip, name="t", at=NOW, by_user_id=None)
    client = web.client()
    for path in ("/api/v1/cases", "/api/v1/deadlines", "/api/v1/me/alerts"):
        response = client.get(path, headers=api_headers(token))
        assert response.status_code == 403, (path, response.text)
        assert response.json()["detail"][0]["msg"] == "role performance does not work cases"


def test_every_error_answer_is_documented_with_its_body(web: Web) -> None:
    doc = web.client().get("/api/v1/openapi.json").json()
    assert "Problem" in doc["components"]["schemas"]
    # the API document holds the API only: the calendar pages had appeared in it as operations
    # answering HTML
    assert [p for p in doc["paths"] if not p.startswith("/api/v1/")] == []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"401", "403", "422"} <= documented, (method, path)
            if method in ("post", "put"):
                assert "413" in documented, (method, path)
            for status in documented - {"200", "201"}:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
