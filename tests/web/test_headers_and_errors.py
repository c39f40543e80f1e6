"""Security headers on every response, every asset served locally (Swagger UI included), and
GOV.UK error pages outside /api (issue 11, finding 9)."""

from __future__ import annotations

import base64
import hashlib
import logging
import re

import pytest
from fastapi.testclient import TestClient

from esafety_flow.cli.serve_cmd import web_context
from esafety_flow.web import create_app
from tests.web.conftest import Web, api_headers, sign_in

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _csp(response: object) -> dict[str, str]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in str(header).split(";"))
    }


def _check_common(response: object) -> None:
    for name, value in COMMON.items():
        assert response.headers[name] == value, name  # type: ignore[attr-defined]
    csp = _csp(response)
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in str(csp)
    assert "unsafe-eval" not in str(csp)


def test_every_kind_of_response_carries_the_headers(web: Web) -> None:
    client = web.client("pat")
    headers = api_headers(web.tokens["pat"])
    responses = [
        client.get("/caseload"),
        client.get(f"/cases/{web.north_case}"),
        client.get("/no-such-page"),
        client.get("/api/v1/cases", headers=headers),
        client.get("/api/v1/nothing"),
        client.get("/static/app.css"),
        client.get("/govuk/govuk-frontend.min.css"),
        web.client().get("/sign-in"),
        client.get("/api/docs"),
    ]
    for response in responses:
        _check_common(response)
    assert "strict-transport-security" not in responses[0].headers  # secure cookies are off


@pytest.mark.parametrize(
    "path", ["/caseload", "/cases/{north}", "/api/v1/cases/{north}", "/api/v1/deadlines"]
)
def test_case_data_is_never_stored_by_a_browser_or_proxy(web: Web, path: str) -> None:
    url = path.format(north=web.north_case)
    client = web.client("pat")
    response = client.get(url, headers=api_headers(web.tokens["pat"]))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_static_assets_may_be_cached(web: Web) -> None:
    response = web.client().get("/govuk/govuk-frontend.min.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")


def test_hsts_when_secure_cookies_are_on(web: Web) -> None:
    ctx = web_context(web.app)
    secure = create_app(ctx.__class__(**{**ctx.__dict__, "secure_cookies": True}))
    response = TestClient(secure, base_url="https://testserver").get("/sign-in")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "secure" in response.headers["set-cookie"].lower()


def test_the_pages_one_inline_script_carries_the_responses_nonce(web: Web) -> None:
    first = web.client("pat").get("/caseload")
    second = web.client("pat").get("/caseload")
    nonces = []
    for response in (first, second):
        scripts = _csp(response)["script-src"]
        nonce = re.search(r"'nonce-([^']+)'", scripts)
        assert nonce is not None
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
        assert inline == [f' nonce="{nonce.group(1)}"']
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]


def test_api_docs_are_served_from_here(web: Web) -> None:
    client = web.client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert "cdn" not in page.text.lower()
    script = re.search(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in _csp(page)["script-src"]


def test_an_unknown_url_outside_the_api_is_the_html_not_found_page(web: Web) -> None:
    for client in (web.client(), web.client("pat")):
        for url in ("/no-such-page", "/cases/1/nothing", "/static/none.css"):
            response = client.get(url)
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("text/html")
            assert '<h1 class="govuk-heading-l">Page not found</h1>' in response.text
    response = web.client().get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


def test_a_wrong_method_is_not_json_outside_the_api(web: Web) -> None:
    response = web.client("pat").delete("/caseload")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")


def test_access_denied_is_shown_as_not_found(web: Web) -> None:
    for path in ("/audit", "/admin/users", "/dashboard", f"/cases/{web.south_case}"):
        response = web.client("pat").get(path)
        assert response.status_code == 404
        assert "Page not found" in response.text


def test_a_server_error_has_a_reference_that_is_also_logged(
    web: Web, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from workflows import queries

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the database went away")

    client = TestClient(
        create_app(web_context(web.app)), raise_server_exceptions=False, follow_redirects=False
    )
    sign_in(client, "pat")
    monkeypatch.setattr(queries, "caseload_page", broken)
    with caplog.at_level(logging.ERROR, logger="esafety_flow.web"):
        response = client.get("/caseload")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in response.text
    reference = re.search(r"give the reference ([0-9A-F]{8})", response.text)
    assert reference is not None
    assert any(reference.group(1) in r.getMessage() for r in caplog.records)
    _check_common(response)
    monkeypatch.setattr(queries, "caseload", broken)
    api = client.get("/api/v1/cases", headers=api_headers(web.tokens["pat"]))
    assert api.status_code == 500
    assert "reference" in api.json()["detail"][0]["msg"]
