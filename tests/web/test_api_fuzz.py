"""Schemathesis over every operation of the JSON API, for every role, against a live server.

The app runs under uvicorn in a thread on a migrated test database (SQLite; PostgreSQL too when
`ESAFETY_TEST_DATABASE_URL` is set) holding the demo's organisation, a performance user and the
three cases of `tests/web/conftest.py`, with an API token per role. Each operation of the OpenAPI
document gets a bounded number of generated requests (`MAX_EXAMPLES`: schemathesis's examples,
coverage and fuzzing phases), valid and invalid, sent with each role's token; every answer must
be no server error (5xx) and conform to the document: a documented status code, its content type,
a body matching its schema, its documented headers.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from calendars import FixedClock, Region
from esafety_flow.bootstrap import App
from esafety_flow.cli.serve_cmd import web_context
from esafety_flow.demo import load_demo_into
from esafety_flow.settings import Settings
from esafety_flow.web import create_app
from states import ENGLAND_2023
from tests.conftest import NO_POSTGRES, _fresh_postgres_schema, _no_postgres
from tests.notify.servers import free_port
from tests.web.conftest import NOW, TEACHER, UNDER_13_IMAGERY, api_headers
from workflows import accounts, casework, organisation, queries
from workflows.persistence import make_engine, make_session_factory, upgrade

MAX_EXAMPLES = int(os.environ.get("ESAFETY_FUZZ_EXAMPLES", "10"))
"""Generated requests per operation and role: the whole run (16 operations, 6 roles) takes well
under a minute per database on a 2-core machine. Set ESAFETY_FUZZ_EXAMPLES for a longer run."""

ROLES = {
    "practitioner": "pat",
    "manager": "morgan",
    "lado": "lee",
    "admin": "ada",
    "auditor": "audrey",
    "performance": "pip",
}

Operation = APIOperation[Any, Any, Any, Any]
ACase = Case[Any]

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass(frozen=True)
class Live:
    base_url: str
    tokens: dict[str, str]
    """role -> an API token of that role's user"""
    cases: tuple[int, ...]


def _organisation(app: App) -> tuple[dict[str, str], tuple[int, ...]]:
    sf = app.session_factory
    load_demo_into(app, cases=False)
    organisation.create_user(
        sf,
        username="pip",
        display_name="Pip Performance",
        email="pip@example.org",
        role="performance",
        at=NOW,
    )
    users = {u.username: u.id for u in queries.list_users_brief(sf)}
    teams = {t.name: t.id for t in queries.list_teams(sf)}
    made = []
    for facts, owner, team in (
        (UNDER_13_IMAGERY, "pat", "North Safeguarding"),
        (UNDER_13_IMAGERY, "priya", "South Safeguarding"),
        (TEACHER, "lee", "Online Harm Hub"),
    ):
        case = casework.raise_concern(
            sf,
            facts=facts,
            at=NOW.replace(hour=9),
            actor=owner,
            region=app.region,
            policy=app.policy,
            calendar=app.calendar_for(app.region),
            owner_id=users[owner],
            team_id=teams[team],
        )
        assert case.id is not None
        made.append(case.id)
    tokens = {
        role: accounts.issue_token(sf, user_id=users[name], name="fuzz", at=NOW, by_user_id=None)[0]
        for role, name in ROLES.items()
    }
    return tokens, tuple(made)


def _serve(database_url: str) -> Iterator[Live]:
    engine = make_engine(database_url)
    upgrade(engine)
    sf = make_session_factory(engine)
    app = App(
        settings=Settings(database_url=database_url, secret_key="fuzz secret key"),
        engine=engine,
        session_factory=sf,
        clock=FixedClock(NOW),
        policy=ENGLAND_2023,
        region=Region.ENGLAND_AND_WALES,
    )
    tokens, made = _organisation(app)
    port = free_port()
    config = uvicorn.Config(
        create_app(web_context(app)), host="127.0.0.1", port=port, log_level="critical"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start in 20 s")
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", tokens, made)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """The app served on a free port over a test database of its own (one per module)."""
    if request.param == "sqlite":
        yield from _serve(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'esafety.db'}")
        return
    base = os.environ.get("ESAFETY_TEST_DATABASE_URL", "")
    if not base:
        _no_postgres(NO_POSTGRES)
    for url in _fresh_postgres_schema(base):
        yield from _serve(url)


def _strategy(operation: Operation, cases: tuple[int, ...]) -> st.SearchStrategy[ACase]:
    """Valid and invalid requests of `operation`; where its path names a case, also valid ones on
    the cases the database holds (an id drawn at random is almost never one)."""
    options = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if "{case_id}" in operation.path:
        options.extend(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"case_id": case_id})
            for case_id in cases
        )
    return st.one_of(options)


def _fuzz(live: Live, role: str, operation: Operation) -> None:
    headers = api_headers(live.tokens[role])

    @given(case=_strategy(operation, live.cases))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: ACase) -> None:
        case.call_and_validate(base_url=live.base_url, headers=headers, checks=CHECKS, timeout=30)

    run()


def _operations(live: Live) -> list[Operation]:
    schema = schemathesis.openapi.from_url(f"{live.base_url}/api/v1/openapi.json")
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document is not valid: {result.err()}"
        found.append(result.ok())
    return found


@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation_answers_as_documented(live: Live, role: str) -> None:
    failures: dict[str, str] = {}
    for operation in _operations(live):
        try:
            _fuzz(live, role, operation)
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures
            failures[operation.label] = str(exc)
    assert not failures, "\n\n".join(f"{label}:\n{why}" for label, why in failures.items())


def test_the_fuzzed_document_has_every_operation(live: Live) -> None:
    labels = {operation.label for operation in _operations(live)}
    assert len(labels) >= 16, sorted(labels)
    assert "POST /api/v1/cases/{case_id}/events" in labels
