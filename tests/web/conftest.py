"""The web app over a migrated test database (SQLite file, and PostgreSQL when configured) with
the demo's users and a fixed clock, and a few cases in known places."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from calendars import FixedClock, Region
from esafety_flow.bootstrap import App
from esafety_flow.cli.serve_cmd import web_context
from esafety_flow.demo import DEMO_PASSWORD, load_demo_into
from esafety_flow.settings import Settings
from esafety_flow.web import create_app
from states import ENGLAND_2023
from workflows import casework, queries
from workflows.persistence import SessionFactory

NOW = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)  # a Wednesday, GMT

UNDER_13_IMAGERY = {
    "category": "youth_produced_sexual_imagery",
    "children": [{"name": "A", "age": 12, "shown_in_images": True}],
    "imagery": {"sexual_acts": True},
}
TEACHER = {
    "category": "staff_online_conduct",
    "children": [{"name": "B", "age": 14}],
    "alleged_abuser": {"kind": "adult", "position_of_trust": True, "role": "teacher"},
}


@dataclass
class Web:
    app: App
    clock: FixedClock
    users: dict[str, int]
    north_case: int
    south_case: int
    lado_case: int
    tokens: dict[str, str]
    """API tokens the demo issued (pat, lee)."""

    def client(self, username: str | None = None) -> TestClient:
        client = TestClient(create_app(web_context(self.app)), follow_redirects=False)
        if username is not None:
            sign_in(client, username)
        return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> None:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303, response.text


def api_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def web(engine: Engine, session_factory: SessionFactory, database_url: str) -> Web:
    clock = FixedClock(NOW)
    app = App(
        # one key for every app of the test (as `esafety serve` gives all its workers)
        settings=Settings(database_url=database_url, secret_key="test secret key"),
        engine=engine,
        session_factory=session_factory,
        clock=clock,
        policy=ENGLAND_2023,
        region=Region.ENGLAND_AND_WALES,
    )
    loaded = load_demo_into(app, cases=False)
    users = {u.username: u.id for u in queries.list_users_brief(session_factory)}
    teams = {t.name: t.id for t in queries.list_teams(session_factory)}
    calendar = app.calendar_for(app.region)

    def new_case(facts: Mapping[str, object], owner: str, team: str) -> int:
        case = casework.raise_concern(
            session_factory,
            facts=facts,
            at=NOW.replace(hour=9),
            actor=owner,
            region=app.region,
            policy=app.policy,
            calendar=calendar,
            owner_id=users[owner],
            team_id=teams[team],
        )
        assert case.id is not None
        return case.id

    north = new_case(UNDER_13_IMAGERY, "pat", "North Safeguarding")
    south = new_case(UNDER_13_IMAGERY, "priya", "South Safeguarding")
    lado = new_case(TEACHER, "lee", "Online Harm Hub")
    casework.set_case_managers(session_factory, lado, [users["hannah"]])
    return Web(app, clock, users, north, south, lado, loaded.tokens)
