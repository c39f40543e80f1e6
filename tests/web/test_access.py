"""Every role against every route (who may read, who may change), CSRF rejection, and ids that
cannot be guessed into another team's or a LADO case."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from tests.web.conftest import Web, csrf_of
from workflows.persistence import calendar_days, case_events, case_views, cases, users

USERS = ("pat", "sam", "priya", "morgan", "nina", "hannah", "lee", "ada", "audrey")


def _expected_reads(web: Web) -> dict[str, dict[str, int]]:
    """route -> user -> status. 404 (not 403) where a case exists but is not theirs, and for a
    page their role may not open."""
    caseload = {u: 200 for u in ("pat", "sam", "priya", "morgan", "nina", "hannah", "lee")}
    dashboard = {"morgan": 200, "nina": 200, "hannah": 200}
    calendar = {"morgan": 200, "nina": 200, "hannah": 200, "ada": 200}
    return {
        "/caseload": caseload,
        "/caseload?scope=team": caseload,
        "/cases/new": caseload,
        "/search": caseload,
        "/search?q=Alex": caseload,
        f"/cases/{web.north_case}": {"pat": 200, "sam": 200, "morgan": 200, "hannah": 200},
        f"/cases/{web.south_case}": {"priya": 200, "nina": 200, "hannah": 200},
        f"/cases/{web.lado_case}": {"lee": 200, "hannah": 200},
        "/cases/999999": {},
        "/dashboard": dashboard,
        "/calendar": calendar,
        "/audit": {"audrey": 200},
    }


def _denied(route: str) -> int:
    """A page the user may not open answers "page not found", like a case they may not see."""
    return 404


def test_every_role_against_every_page(web: Web) -> None:
    table = _expected_reads(web)
    clients = {u: web.client(u) for u in USERS}
    for route, allowed in table.items():
        for user, client in clients.items():
            response = client.get(route)
            expected = allowed.get(user, _denied(route))
            assert response.status_code == expected, (route, user, response.status_code)


def test_anonymous_pages_redirect_to_sign_in(web: Web) -> None:
    client = web.client()
    for route in _expected_reads(web):
        response = client.get(route)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=")


def _events(web: Web, case_id: int) -> int:
    with web.app.session_factory() as s:
        return int(
            s.execute(
                select(func.count())
                .select_from(case_events)
                .where(case_events.c.case_id == case_id)
            ).scalar_one()
        )


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("pat", 303),
        ("sam", 303),
        ("morgan", 303),
        ("hannah", 303),
        ("priya", 404),
        ("nina", 404),
        ("lee", 404),
        ("ada", 404),
        ("audrey", 404),
    ],
)
def test_who_may_change_a_team_case(web: Web, user: str, status: int) -> None:
    client = web.client(user)
    token = csrf_of(client.get("/sign-in").text)
    before = _events(web, web.north_case)
    response = client.post(
        f"/cases/{web.north_case}/events/refer",
        data={"csrf_token": token, "referred_to": ["police", "childrens_social_care"]},
    )
    assert response.status_code == status
    if status == 303:
        assert _events(web, web.north_case) > before
    else:
        assert _events(web, web.north_case) == before


@pytest.mark.parametrize("user", ["pat", "priya", "morgan", "nina", "ada", "audrey"])
def test_lado_cases_are_not_reachable_by_guessing(web: Web, user: str) -> None:
    client = web.client(user)
    page = client.get(f"/cases/{web.lado_case}")
    assert page.status_code == 404
    assert "teacher" not in page.text
    token = csrf_of(client.get("/sign-in").text)
    before = _events(web, web.lado_case)
    response = client.post(
        f"/cases/{web.lado_case}/events/refer_to_lado", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert _events(web, web.lado_case) == before


def test_lado_and_named_manager_work_the_lado_case(web: Web) -> None:
    for user in ("lee", "hannah"):
        page = web.client(user).get(f"/cases/{web.lado_case}")
        assert page.status_code == 200
        assert "Restricted: allegations (LADO) case" in page.text


def _count(web: Web, table: object) -> int:
    with web.app.session_factory() as s:
        return int(s.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_every_form_post_without_csrf_is_refused_and_writes_nothing(web: Web) -> None:
    pat = web.client("pat")
    ada = web.client("ada")
    posts = [
        (pat, "/cases/new", {"category": "online_bullying", "child1.name": "Z"}),
        (pat, f"/cases/{web.north_case}/events/refer", {"referred_to": "police"}),
        (ada, "/calendar/days", {"date": "2026-03-06", "name": "Extra"}),
        (pat, "/sign-out", {}),
    ]
    before = (_count(web, cases), _count(web, case_events), _count(web, calendar_days))
    for client, route, data in posts:
        for token in (None, "wrong-token"):
            body = dict(data) if token is None else {**data, "csrf_token": token}
            response = client.post(route, data=body)
            assert response.status_code == 403, (route, token)
            assert "security token" in response.text
    assert (_count(web, cases), _count(web, case_events), _count(web, calendar_days)) == before
    assert pat.get("/caseload").status_code == 200  # still signed in: sign-out was refused


def test_sign_in_form_needs_its_csrf_token(web: Web) -> None:
    client = web.client()
    client.get("/sign-in")
    response = client.post("/sign-in", data={"username": "pat", "password": "demo-password"})
    assert response.status_code == 403
    assert client.get("/caseload").status_code == 303


def test_wrong_password_and_inactive_user_cannot_sign_in(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/sign-in").text)
    bad = client.post("/sign-in", data={"username": "pat", "password": "nope", "csrf_token": token})
    assert bad.status_code == 400
    assert "Enter a correct username and password" in bad.text
    with web.app.session_factory.begin() as s:
        s.execute(update(users).where(users.c.username == "sam").values(active=False))
    token = csrf_of(client.get("/sign-in").text)
    off = client.post(
        "/sign-in", data={"username": "sam", "password": "demo-password", "csrf_token": token}
    )
    assert off.status_code == 400


def test_deactivated_user_is_signed_out_at_once(web: Web) -> None:
    client = web.client("sam")
    assert client.get("/caseload").status_code == 200
    with web.app.session_factory.begin() as s:
        s.execute(update(users).where(users.c.username == "sam").values(active=False))
    assert client.get("/caseload").status_code == 303


def test_session_cookie_is_httponly_and_samesite(web: Web) -> None:
    client = web.client()
    before = client.get("/sign-in").headers["set-cookie"].lower()
    assert before.startswith("esafety_signin=")  # the sign-in form's token, no session yet
    assert "httponly" in before
    assert "samesite=strict" in before
    response = client.post(
        "/sign-in",
        data={
            "username": "pat",
            "password": "demo-password",
            "csrf_token": csrf_of(client.get("/sign-in").text),
        },
    )
    cookies = [c.lower() for c in response.headers.get_list("set-cookie")]
    session = next(c for c in cookies if c.startswith("esafety_session="))
    assert "httponly" in session
    assert "samesite=lax" in session
    assert "max-age=36000" in session  # the absolute limit: 10 hours
    assert "secure" not in session  # ESAFETY_SECURE_COOKIES is off here


def test_sign_in_does_not_redirect_off_site(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={
            "username": "pat",
            "password": "demo-password",
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/caseload"


def test_every_case_view_is_recorded_and_shown_to_auditors(web: Web) -> None:
    before = _count(web, case_views)
    web.client("pat").get(f"/cases/{web.north_case}")
    web.client("priya").get(f"/cases/{web.north_case}")  # refused: not a view
    assert _count(web, case_views) == before + 1
    audit = web.client("audrey").get("/audit?kind=case_view")
    assert audit.status_code == 200
    row = audit.text.split('id="entries"')[1]
    assert "pat" in row
    assert "priya" not in row
