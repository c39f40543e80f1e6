"""A concern names at least one child or the alleged abuser it is about (DESIGN 2; issue 11,
finding 7): the API answers 422 with the reason, the page shows the error on the first child's
name, a facts update that would leave neither is refused too, and nothing is written. A concern
about a teacher with no child identified yet is a case."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.web.conftest import Web, api_headers, csrf_of
from workflows import casework, persistence
from workflows.persistence import cases


def _rows(web: Web) -> dict[str, int]:
    return persistence.count_rows(web.app.session_factory)


@pytest.mark.parametrize(
    "facts",
    [
        {"category": "online_bullying", "children": []},
        {"category": "staff_online_conduct"},
    ],
)
def test_the_api_refuses_a_concern_with_no_child(web: Web, facts: dict[str, Any]) -> None:
    before = _rows(web)
    response = web.client().post(
        "/api/v1/cases", json={"facts": facts}, headers=api_headers(web.tokens["pat"])
    )
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "facts"]
    assert "facts.children: a concern names at least one child" in problem["msg"]
    assert _rows(web) == before


def test_a_concern_about_a_teacher_with_no_child_identified_is_a_case(web: Web) -> None:
    response = web.client().post(
        "/api/v1/cases",
        json={
            "facts": {
                "category": "staff_online_conduct",
                "alleged_abuser": {"kind": "adult", "position_of_trust": True, "role": "teacher"},
            }
        },
        headers=api_headers(web.tokens["pat"]),
    )
    assert response.status_code == 201, response.text
    assert "refer_to_lado" in response.json()["required_actions"]


def test_the_page_refuses_a_concern_with_no_child(web: Web) -> None:
    client = web.client("pat")
    with web.app.session_factory() as s:
        before = s.execute(select(func.count()).select_from(cases)).scalar_one()
    token = csrf_of(client.get("/cases/new").text)
    response = client.post("/cases/new", data={"category": "online_bullying", "csrf_token": token})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert 'href="#child1-name"' in response.text
    assert "Enter the name (or initials) of at least one child, or who" in response.text
    with web.app.session_factory() as s:
        assert s.execute(select(func.count()).select_from(cases)).scalar_one() == before


def test_a_facts_update_may_not_remove_every_child(web: Web) -> None:
    before = _rows(web)
    version = casework.get_case(web.app.session_factory, web.north_case).version
    response = web.client().post(
        f"/api/v1/cases/{web.north_case}/events",
        json={"event": "record_facts", "data": {"children": []}, "expected_version": version},
        headers=api_headers(web.tokens["pat"]),
    )
    assert response.status_code == 422
    assert "data.children: a concern names at least one child" in response.text
    assert _rows(web) == before
