"""Sign-in throttling (issue 11, finding 2): per account and per client address, with a clear
message; every failure recorded and shown to an auditor; the failure text does not reveal
whether the username exists."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.conftest import Web, csrf_of
from workflows.persistence import audit_events, sign_in_attempts

GENERIC = "Enter a correct username and password"
THROTTLED = "There have been too many failed attempts to sign in"


def _try(client: TestClient, username: str, password: str) -> tuple[int, str]:
    response = client.post(
        "/sign-in",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(client.get("/sign-in").text),
        },
    )
    return response.status_code, response.text


def test_five_wrong_passwords_pause_the_account(web: Web) -> None:
    client = web.client()
    for _ in range(5):
        status, text = _try(client, "pat", "wrong password")
        assert (status, GENERIC in text) == (400, True)
    status, text = _try(web.client(), "pat", "demo-password")  # even the right one, elsewhere
    assert status == 429
    assert THROTTLED in text
    assert "Wait 15 minutes" in text
    web.clock.advance(timedelta(minutes=15, seconds=1))
    assert _try(web.client(), "pat", "demo-password")[0] == 303


def test_an_unknown_username_is_answered_and_throttled_the_same(web: Web) -> None:
    client = web.client()
    known = [_try(client, "pat", "wrong password") for _ in range(6)]
    unknown = [_try(client, "nobody-here", "wrong password") for _ in range(6)]
    assert [s for s, _ in known] == [s for s, _ in unknown] == [400] * 5 + [429]
    assert all(GENERIC in t for _, t in known[:5] + unknown[:5])


def test_twenty_failures_from_one_address_pause_every_account_from_it(web: Web) -> None:
    client = web.client()
    for n in range(20):
        assert _try(client, f"guess{n}", "wrong password")[0] == 400
    status, text = _try(client, "sam", "demo-password")
    assert status == 429
    assert THROTTLED in text


def test_a_success_resets_the_accounts_count(web: Web) -> None:
    client = web.client()
    for _ in range(4):
        _try(client, "pat", "wrong password")
    assert _try(client, "pat", "demo-password")[0] == 303
    client = web.client()
    for _ in range(4):
        assert _try(client, "pat", "wrong password")[0] == 400
    assert _try(client, "pat", "demo-password")[0] == 303


def test_every_failure_is_recorded_and_shown_to_the_auditor(web: Web) -> None:
    client = web.client()
    _try(client, "pat", "wrong password")
    _try(client, "nobody-here", "wrong password")
    with web.app.session_factory() as s:
        outcomes = s.execute(select(sign_in_attempts.c.outcome)).scalars().all()
        failed = s.execute(
            select(func.count())
            .select_from(audit_events)
            .where(audit_events.c.kind == "sign_in_failed")
        ).scalar_one()
    assert sorted(outcomes) == ["unknown_user", "wrong_password"]
    assert failed == 2
    page = web.client("audrey").get("/audit?kind=sign_in_failed").text
    entries = page.split('id="entries"')[1]
    assert "wrong password" in entries
    assert "unknown username" in entries
    assert "nobody-here" not in page  # the typed name is never stored
