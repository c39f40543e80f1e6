"""Server-side sessions (issue 11, finding 1): sign-out ends the session everywhere its cookie is
used, idle and absolute limits, the cookie is set once and holds only a random id stored hashed,
a password change or deactivation ends every session of the user."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from esafety_flow.web import SESSION_COOKIE
from tests.web.conftest import Web, api_headers, csrf_of
from workflows import accounts
from workflows.persistence import count_rows, sessions


def _copy(web: Web, client: TestClient) -> TestClient:
    """Another browser holding a copy of `client`'s session cookie."""
    other = web.client()
    other.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return other


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(web: Web) -> None:
    client = web.client("pat")
    copy = _copy(web, client)
    assert copy.get("/caseload").status_code == 200
    csrf = csrf_of(copy.get(f"/cases/{web.north_case}").text)
    client.post("/sign-out", data={"csrf_token": csrf_of(client.get("/caseload").text)})
    assert copy.get("/caseload").status_code == 303
    before = count_rows(web.app.session_factory)
    response = copy.post(
        f"/cases/{web.north_case}/events/refer",
        data={"csrf_token": csrf, "referred_to": ["police"]},
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")
    after = count_rows(web.app.session_factory)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {}
    with web.app.session_factory() as s:
        reasons = s.execute(select(sessions.c.end_reason)).scalars().all()
    assert "signed_out" in reasons


def test_the_session_ends_after_30_idle_minutes(web: Web) -> None:
    client = web.client("pat")
    web.clock.advance(timedelta(minutes=29))
    assert client.get("/caseload").status_code == 200  # used: the idle limit starts again
    web.clock.advance(timedelta(minutes=29))
    assert client.get("/caseload").status_code == 200
    web.clock.advance(timedelta(minutes=30))
    assert client.get("/caseload").status_code == 303
    with web.app.session_factory() as s:
        assert s.execute(select(sessions.c.end_reason)).scalar_one() == "expired"


def test_use_never_moves_the_absolute_limit_of_10_hours(web: Web) -> None:
    client = web.client("pat")
    for _ in range(33):  # 9 h 54 min of use, every 18 minutes
        web.clock.advance(timedelta(minutes=18))
        response = client.get("/caseload")
        assert response.status_code == 200
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")  # never re-issued
    web.clock.advance(timedelta(minutes=6))
    assert client.get("/caseload").status_code == 303


def test_the_cookie_holds_a_random_id_stored_only_hashed(web: Web) -> None:
    first = web.client("pat").cookies[SESSION_COOKIE]
    second = web.client("pat").cookies[SESSION_COOKIE]
    assert first != second
    assert len(first) >= 40
    with web.app.session_factory() as s:
        stored = set(s.execute(select(sessions.c.key_hash)).scalars())
    assert first not in stored
    assert hashlib.sha256(first.encode()).hexdigest() in stored


def test_signing_in_again_ends_the_browsers_old_session(web: Web) -> None:
    from tests.web.conftest import sign_in

    client = web.client("pat")
    old = _copy(web, client)
    sign_in(client, "sam")
    assert old.get("/caseload").status_code == 303
    assert client.get("/caseload").status_code == 200


def test_a_password_change_ends_every_session_of_the_user(web: Web) -> None:
    one, two, other = web.client("pat"), web.client("pat"), web.client("sam")
    accounts.set_password(
        web.app.session_factory,
        user_id=web.users["pat"],
        password="violet anchor kettle marmalade",
        at=web.clock.now(),
        by_user_id=None,
    )
    assert one.get("/caseload").status_code == 303
    assert two.get("/caseload").status_code == 303
    assert other.get("/caseload").status_code == 200


def test_a_deactivated_user_can_do_nothing_from_that_moment(web: Web) -> None:
    page = web.client("pat")
    headers = api_headers(web.tokens["pat"])
    assert page.get("/caseload").status_code == 200
    assert web.client().get("/api/v1/cases", headers=headers).status_code == 200
    done = accounts.deactivate_user(
        web.app.session_factory, user_id=web.users["pat"], at=web.clock.now(), by_user_id=None
    )
    assert (done.sessions_ended, done.tokens_revoked) == (1, 1)
    assert page.get("/caseload").status_code == 303
    assert web.client().get("/api/v1/cases", headers=headers).status_code == 401
    # nor can they sign in again
    client = web.client()
    response = client.post(
        "/sign-in",
        data={
            "username": "pat",
            "password": "demo-password",
            "csrf_token": csrf_of(client.get("/sign-in").text),
        },
    )
    assert response.status_code == 400
