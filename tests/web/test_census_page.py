"""The CIN census page: every task by owner for managers and the performance team, a caseworker's
own tasks for them, no case links for the performance team, refusals."""

from __future__ import annotations

from datetime import timedelta

from esafety_flow.demo import DEMO_PASSWORD
from esafety_flow.web.security import hash_password
from states import Event
from tests.web.conftest import NOW, Web
from workflows import casework, organisation


def _referred(web: Web) -> tuple[str, str]:
    calendar = web.app.calendar_for(web.app.region)
    refs = []
    for case_id, owner in ((web.north_case, "pat"), (web.south_case, "priya")):
        casework.apply_event(
            web.app.session_factory,
            case_id,
            Event.REFER,
            at=NOW.replace(hour=10),
            actor=owner,
            data={"referred_to": ["childrens_social_care"]},
            calendar=calendar,
            policy=web.app.policy,
        )
        refs.append(casework.get_case(web.app.session_factory, case_id).reference)
    return refs[0], refs[1]


def test_a_manager_sees_every_task_by_owner(web: Web) -> None:
    north, south = _referred(web)
    page = web.client("morgan").get("/returns/census")
    assert page.status_code == 200
    assert f"ethnicity missing for child 1 of {north}" in page.text
    assert f"referral source missing (2026-03-04) for child 1 of {south}" in page.text
    assert "pat: " in page.text
    assert "priya: " in page.text


def test_an_owner_sees_their_own_tasks(web: Web) -> None:
    north, south = _referred(web)
    page = web.client("pat").get("/returns/census?year=2026")
    assert page.status_code == 200
    assert f"ethnicity missing for child 1 of {north}" in page.text
    assert south not in page.text
    assert f'href="/cases/{web.north_case}"' in page.text


def test_the_performance_team_sees_tasks_without_case_links(web: Web) -> None:
    north, _ = _referred(web)
    organisation.create_user(
        web.app.session_factory,
        username="dana",
        display_name="Dana Data",
        email="dana@example.org",
        role="performance",
        at=NOW - timedelta(days=1),
        password_hash=hash_password(DEMO_PASSWORD),
    )
    page = web.client("dana").get("/returns/census")
    assert page.status_code == 200
    assert f"ethnicity missing for child 1 of {north}" in page.text
    assert "/cases/" not in page.text


def test_refusals(web: Web) -> None:
    # a page a role may not use answers 404, as every refused page does
    assert web.client("ada").get("/returns/census").status_code == 404
    bad = web.client("morgan").get("/returns/census?year=1999")
    assert bad.status_code == 400
    assert "2014 to 2099" in bad.text
    assert web.client("morgan").get("/returns/census?year=2026").status_code == 200
    assert "no-tasks" in web.client("pat").get("/returns/census").text
