"""Account management in the web app (issue 11, finding 11): an administrator sets passwords,
issues tokens (shown once), lists them with their last use, revokes them and deactivates users;
everyone changes their own password."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from tests.web.conftest import Web, api_headers, csrf_of, sign_in
from workflows.persistence import count_rows

GOOD = "violet anchor kettle marmalade"


def _post(client: TestClient, url: str, data: dict[str, str]) -> Response:
    csrf = csrf_of(
        client.get("/admin/users").text if "/admin" in url else client.get("/account/password").text
    )
    response: Response = client.post(url, data={**data, "csrf_token": csrf})
    return response


def test_only_administrators_manage_accounts(web: Web) -> None:
    assert web.client("ada").get("/admin/users").status_code == 200
    for user in ("pat", "morgan", "audrey"):
        assert web.client(user).get("/admin/users").status_code == 404
        assert web.client(user).get(f"/admin/users/{web.users['sam']}").status_code == 404


def test_the_list_shows_every_user_with_their_tokens(web: Web) -> None:
    page = web.client("ada").get("/admin/users").text
    table = page.split('id="users"')[1]
    assert all(name in table for name in ("pat", "sam", "lee", "audrey"))


def test_an_administrator_sets_a_password_and_the_policy_applies(web: Web) -> None:
    admin = web.client("ada")
    sam = web.users["sam"]
    before = count_rows(web.app.session_factory)
    weak = _post(admin, f"/admin/users/{sam}/password", {"password": "password1234",
                                                         "confirm": "password1234"})  # fmt: skip
    assert weak.status_code == 400
    assert "most common passwords" in weak.text
    mismatch = _post(admin, f"/admin/users/{sam}/password", {"password": GOOD, "confirm": "x"})
    assert mismatch.status_code == 400
    assert count_rows(web.app.session_factory) == before
    signed_in = web.client("sam")
    done = _post(admin, f"/admin/users/{sam}/password", {"password": GOOD, "confirm": GOOD})
    assert done.status_code == 303
    assert signed_in.get("/caseload").status_code == 303  # their sessions ended
    sign_in(web.client(), "sam", GOOD)


def test_a_token_is_shown_once_works_lists_its_use_and_can_be_revoked(web: Web) -> None:
    admin = web.client("ada")
    sam = web.users["sam"]
    issued = _post(admin, f"/admin/users/{sam}/tokens", {"name": "case system"})
    assert issued.status_code == 201
    token = re.search(r"(esf_[A-Za-z0-9_-]{40,})", issued.text)
    assert token is not None
    page = admin.get(f"/admin/users/{sam}").text
    assert token.group(1) not in page  # never shown again
    assert "Never" in page.split('id="token-list"')[1]
    assert web.client().get("/api/v1/cases", headers=api_headers(token.group(1))).status_code == 200
    listed = admin.get(f"/admin/users/{sam}").text.split('id="token-list"')[1]
    assert "case system" in listed
    assert "Never" not in listed  # its last use is shown
    token_id = re.search(r"/tokens/(\d+)/revoke", listed)
    assert token_id is not None
    revoked = _post(admin, f"/admin/users/{sam}/tokens/{token_id.group(1)}/revoke", {})
    assert revoked.status_code == 303
    assert web.client().get("/api/v1/cases", headers=api_headers(token.group(1))).status_code == 401
    assert _post(admin, f"/admin/users/{sam}/tokens", {"name": "  "}).status_code == 400


def test_deactivation_from_the_page(web: Web) -> None:
    admin = web.client("ada")
    pat = web.client("pat")
    response = _post(admin, f"/admin/users/{web.users['pat']}/deactivate", {})
    assert response.status_code == 303
    assert pat.get("/caseload").status_code == 303
    assert (
        web.client().get("/api/v1/cases", headers=api_headers(web.tokens["pat"])).status_code == 401
    )
    own = _post(admin, f"/admin/users/{web.users['ada']}/deactivate", {})
    assert own.status_code == 400
    assert web.client("ada").get("/admin/users/99999999999999999999").status_code == 404


def test_everyone_changes_their_own_password(web: Web) -> None:
    client = web.client("pat")
    wrong = _post(client, "/account/password", {"current": "nope", "password": GOOD,
                                                 "confirm": GOOD})  # fmt: skip
    assert wrong.status_code == 400
    assert "current password is not correct" in wrong.text
    done = _post(client, "/account/password", {"current": "demo-password", "password": GOOD,
                                                "confirm": GOOD})  # fmt: skip
    assert done.status_code == 303
    assert client.get("/caseload").status_code == 303  # signed out everywhere, this one too
    sign_in(web.client(), "pat", GOOD)
