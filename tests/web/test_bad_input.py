"""Bad input at the web and API edge (issue 11, findings 6 and 7): a clear 4xx with a reason,
never a 500, and nothing written (on SQLite and PostgreSQL). A refused look-up of a case is the
one thing recorded: a `refused_lookup` entry of the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import UNDER_13_IMAGERY, Web, api_headers, csrf_of
from workflows.persistence import count_rows

HUGE = "9" * 5000
TOO_BIG_ID = str(2**63)


@contextmanager
def writes_nothing(web: Web, *, audited: int = 0) -> Iterator[None]:
    """Nothing changes but `audited` new audit entries (refused look-ups)."""
    before = count_rows(web.app.session_factory)
    yield
    after = count_rows(web.app.session_factory)
    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert changed == ({"audit_events": audited} if audited else {})


def _client(web: Web) -> TestClient:
    client = TestClient(
        web.client("pat").app, raise_server_exceptions=False, follow_redirects=False
    )
    from tests.web.conftest import sign_in

    sign_in(client, "pat")
    return client


@pytest.mark.parametrize(
    "path",
    [
        f"/cases/{TOO_BIG_ID}",
        f"/cases/{HUGE[:40]}",
        "/cases/0",
        "/cases/-1",
        "/cases/abc",
        "/cases/²",
    ],
)
def test_a_case_id_out_of_range_is_page_not_found(web: Web, path: str) -> None:
    client = _client(web)
    audited = 0 if path.endswith(("abc", "²")) else 1
    with writes_nothing(web, audited=audited):
        response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/api/v1/cases/{TOO_BIG_ID}", None),
        ("POST", f"/api/v1/cases/{TOO_BIG_ID}/events", {"event": "refer"}),
        ("GET", f"/api/v1/deadlines?case_id={TOO_BIG_ID}", None),
        ("GET", "/api/v1/cases/-5", None),
    ],
)
def test_an_api_case_id_out_of_range_is_404(web: Web, method: str, path: str, body: object) -> None:
    client = _client(web)
    with writes_nothing(web, audited=1):
        response = client.request(method, path, json=body, headers=api_headers(web.tokens["pat"]))
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


@pytest.mark.parametrize(
    "page", ["²", HUGE, "0", "-1", "1.5", "", "\uff11"]
)  # the last: a fullwidth digit one
@pytest.mark.parametrize("route", ["/caseload", "/alerts", "/caseload?scope=team&x=1"])
def test_a_page_number_that_is_not_one_is_400_naming_it(web: Web, route: str, page: str) -> None:
    client = _client(web)
    joiner = "&" if "?" in route else "?"
    with writes_nothing(web):
        response = client.get(f"{route}{joiner}page={page}")
    assert response.status_code == 400
    assert "page number" in response.text


@pytest.mark.parametrize("version", ["²", HUGE, "1e3", "-1"])
def test_an_expected_version_that_is_not_one_is_400_in_a_form(web: Web, version: str) -> None:
    client = _client(web)
    csrf = csrf_of(client.get("/caseload").text)
    with writes_nothing(web):
        response = client.post(
            f"/cases/{web.north_case}/events/refer",
            data={"csrf_token": csrf, "referred_to": ["police"], "expected_version": version},
        )
    assert response.status_code == 400
    assert "which version of the case you read" in response.text
    assert "expected_version" not in response.text


@pytest.mark.parametrize("age", ["²", HUGE, "12.5", "٣"])
def test_an_age_that_is_not_one_is_400_in_the_concern_form(web: Web, age: str) -> None:
    client = _client(web)
    csrf = csrf_of(client.get("/cases/new").text)
    with writes_nothing(web):
        response = client.post(
            "/cases/new",
            data={
                "csrf_token": csrf,
                "category": "online_bullying",
                "child1.name": "A",
                "child1.age": age,
            },
        )
    assert response.status_code == 400
    assert "Enter the age of child 1 as a whole number from 0 to 25" in response.text


def _event(web: Web, client: TestClient, body: str) -> tuple[int, list[dict[str, object]]]:
    response = client.post(
        f"/api/v1/cases/{web.north_case}/events",
        content=body.encode("utf-8", "surrogatepass"),
        headers={**api_headers(web.tokens["pat"]), "content-type": "application/json"},
    )
    return response.status_code, response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        ('{"event": "refer", "expected_version": ' + HUGE + "}", "expected_version", "digits"),
        ('{"event": "refer", "expected_version": 1099511627776}', "expected_version", "less"),
        ('{"event": "refer", "expected_version": 0}', "expected_version", "greater"),
        ('{"event": "refer", "data": {"referred_to": NaN}}', "referred_to", "NaN"),
        ('{"event": "refer", "data": {"urgent": Infinity}}', "urgent", "Infinity"),
        ('{"event": "refer", "data": {"x": 1e999}}', "x", "too large"),
        ('{"event": "refer", "data": {"note": "\\ud800"}}', "note", "lone surrogate"),
        ('{"event": "refer", "data": {"note": "a\\u0000b"}}', "note", "NUL"),
        ('{"event": "refer", "data": {"\\udfff": 1}}', "data", "lone surrogate"),
        ('{"event": "refer", "data": ' + "[" * 40 + "]" * 40 + "}", "body", "nested"),
        ('{"event": "refer", "data": ' + "[" * 100000 + "]" * 100000 + "}", "body", "nested"),
        ('{"event": "refer",', "body", "invalid JSON"),
    ],
)
def test_json_that_is_not_strict_json_is_422_naming_where(
    web: Web, body: str, loc: str, words: str
) -> None:
    client = _client(web)
    with writes_nothing(web):
        status, detail = _event(web, client, body)
    assert status == 422
    assert loc in list(detail[0]["loc"])  # type: ignore[call-overload]
    assert words in str(detail[0]["msg"])


@pytest.mark.parametrize(
    ("age", "words"),
    [("²", "integer"), (HUGE, "digits"), ("NaN", "NaN"), ("1e999", "too large"), ("-1", "0")],
)
def test_a_bad_age_in_the_api_is_422(web: Web, age: str, words: str) -> None:
    client = _client(web)
    child = '{"name": "A", "age": ' + (f'"{age}"' if age == "²" else age) + "}"
    body = '{"facts": {"category": "online_bullying", "children": [' + child + "]}}"
    with writes_nothing(web):
        response = client.post(
            "/api/v1/cases",
            content=body,
            headers={**api_headers(web.tokens["pat"]), "content-type": "application/json"},
        )
    assert response.status_code == 422
    assert words in response.text


def test_a_body_over_the_limit_is_413_for_the_api(web: Web) -> None:
    client = _client(web)
    padding = "x" * (10 * 1024 * 1024)
    body = '{"facts": ' + str(UNDER_13_IMAGERY).replace("'", '"') + ', "pad": "' + padding + '"}'
    with writes_nothing(web):
        response = client.post(
            "/api/v1/cases",
            content=body,
            headers={**api_headers(web.tokens["pat"]), "content-type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["detail"][0]["msg"] == (
        "the request body is larger than the limit of 1,048,576 bytes"
    )


def test_a_chunked_body_over_the_limit_is_413(web: Web) -> None:
    client = _client(web)

    def chunks() -> Iterator[bytes]:
        yield b'{"facts": {"category": "online_bullying", "children": []}, "pad": "'
        for _ in range(200):
            yield b"x" * 65536
        yield b'"}'

    with writes_nothing(web):
        response = client.post(
            "/api/v1/cases",
            content=chunks(),
            headers={**api_headers(web.tokens["pat"]), "content-type": "application/json"},
        )
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/cases/new", "/sign-in", "/calendar/days"])
def test_a_form_over_the_limit_is_413_with_a_page(web: Web, path: str) -> None:
    client = _client(web)
    csrf = csrf_of(client.get("/caseload").text)
    with writes_nothing(web):
        response = client.post(
            path,
            data={
                "csrf_token": csrf,
                "category": "online_bullying",
                "child1.name": "A" * 2_000_000,
            },
        )
    assert response.status_code == 413
    assert "What you sent is too large" in response.text
    assert "1,048,576 bytes" in response.text


def test_a_bad_query_parameter_on_a_page_is_400_not_json(web: Web) -> None:
    client = web.client("ada")
    with writes_nothing(web):
        response = client.get(f"/calendar?year={HUGE}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "year" in response.text
