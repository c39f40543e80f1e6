"""Logs without personal data (issue 11, finding 8): no SQL parameters, no exception messages
(a database error can quote the row it refused), no query strings, no client address unless a
setting asks for it; text or JSON lines; uvicorn's access log through the same formatter."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from esafety_flow.cli.serve_cmd import web_context
from esafety_flow.logging import AccessLogFilter, logging_config, service_formatter
from esafety_flow.web import create_app
from tests.web.conftest import Web, csrf_of, sign_in
from workflows import casework
from workflows.persistence import subjects

CHILD = "Robin-Zephyr"
QUERY = "scope=team&secret=Robin-Zephyr"


@contextmanager
def captured(formatter: logging.Formatter) -> Iterator[io.StringIO]:
    """What the service's loggers write through `formatter` meanwhile."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    loggers = [logging.getLogger(n) for n in ("esafety_flow", "uvicorn.error", "sqlalchemy")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield out
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


FORMATTERS = {"text": service_formatter("text"), "json": service_formatter("json")}


def _failing_insert(web: Web) -> None:
    """What a database error looks like: a row with a child's name that a constraint refuses
    (PostgreSQL's message quotes the failing row)."""
    with web.app.session_factory.begin() as s:
        s.execute(
            insert(subjects).values(case_id=web.north_case, role="bogus", name=CHILD, details={})
        )


def test_engines_hide_sql_parameters(web: Web) -> None:
    with pytest.raises(DBAPIError) as info:
        _failing_insert(web)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(info.value)
    if web.app.engine.dialect.name == "sqlite":
        assert CHILD not in str(info.value)
    else:  # PostgreSQL quotes the failing row: why the log formatter withholds messages
        assert CHILD in str(info.value)


@pytest.mark.parametrize("kind", ["text", "json"])
def test_a_database_error_in_a_request_logs_no_name_and_no_query(
    web: Web, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    client = TestClient(
        create_app(web_context(web.app)), raise_server_exceptions=False, follow_redirects=False
    )
    sign_in(client, "pat")

    def broken(*args: object, **kwargs: object) -> None:
        _failing_insert(web)

    monkeypatch.setattr(casework, "get_case", broken)
    with captured(FORMATTERS[kind]) as out:
        response = client.get(f"/cases/{web.north_case}?{QUERY}")
    assert response.status_code == 500
    written = out.getvalue()
    assert "server error" in written
    assert "IntegrityError" in written  # the kind of error and where, never its message
    assert CHILD not in written
    assert "secret=" not in written
    assert "scope=team" not in written
    if kind == "json":
        line = json.loads(written.splitlines()[0])
        assert line["level"] == "ERROR"
        assert line["reference"] in response.text


@pytest.mark.parametrize("kind", ["text", "json"])
def test_a_failing_request_with_a_name_in_its_body_logs_no_name(
    web: Web, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    client = TestClient(
        create_app(web_context(web.app)), raise_server_exceptions=False, follow_redirects=False
    )
    sign_in(client, "pat")

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError(f"could not record child {CHILD}")

    monkeypatch.setattr(casework, "raise_concern", broken)
    csrf = csrf_of(client.get("/cases/new").text)
    with captured(FORMATTERS[kind]) as out:
        response = client.post(
            f"/cases/new?{QUERY}",
            data={"csrf_token": csrf, "category": "online_bullying", "child1.name": CHILD},
        )
    assert response.status_code == 500
    written = out.getvalue()
    assert "ValueError" in written
    assert CHILD not in written
    assert "secret" not in written


def _access_record() -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.9:51234", "GET", f"/caseload?{QUERY}", "1.1", 200),
        None,
    )


@pytest.mark.parametrize("kind", ["text", "json"])
def test_access_lines_carry_no_query_string_or_address(kind: str) -> None:
    record = _access_record()
    assert AccessLogFilter(client_address=False).filter(record)
    line = FORMATTERS[kind].format(record)
    assert "/caseload" in line
    assert "secret" not in line
    assert "203.0.113.9" not in line
    if kind == "json":
        fields = json.loads(line)
        assert (fields["method"], fields["path"], fields["status"]) == ("GET", "/caseload", 200)
        assert "client" not in fields


def test_the_client_address_when_a_setting_asks_for_it() -> None:
    record = _access_record()
    AccessLogFilter(client_address=True).filter(record)
    fields = json.loads(FORMATTERS["json"].format(record))
    assert fields["client"] == "203.0.113.9:51234"
    assert "secret" not in json.dumps(fields)


def test_logging_config_routes_uvicorns_access_log_through_the_filter() -> None:
    config = logging_config(log_format="json")
    assert config["loggers"]["uvicorn.access"]["handlers"] == ["access"]
    assert config["handlers"]["access"]["filters"] == ["access"]
    assert config["formatters"]["service"] == {
        "()": "esafety_flow.logging.service_formatter",
        "log_format": "json",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_esafety_serve_writes_json_access_lines_without_query_or_address(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "ESAFETY_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "ESAFETY_LOG_FORMAT": "json",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from esafety_flow.cli import main; main()",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        httpx.get(f"http://127.0.0.1:{port}/sign-in?next=/cases/1&{QUERY}", timeout=5)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "uvicorn.access"]
    assert any(line["path"] == "/sign-in" and line["status"] == 200 for line in access), err
    assert CHILD not in err
    assert "next=" not in err
    assert "127.0.0.1:" not in " ".join(str(line.get("message")) for line in access)
