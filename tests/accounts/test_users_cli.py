"""`esafety users add / set-password / issue-token / tokens / revoke-token / deactivate`
(DESIGN 7): bad input is exit 2 with the reason and writes nothing (issue 11, findings 3 and
11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from esafety_flow.cli import app as cli
from workflows import accounts, organisation, persistence
from workflows.persistence import make_engine, make_session_factory, upgrade

GOOD = "violet anchor kettle marmalade"


def _run(url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, [*args, "--database-url", url], input=stdin, env={"ESAFETY_DATABASE_URL": url}
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def url(database_url: str) -> str:
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    assert _run(database_url, "users", "add", "sam", "--name", "Sam", "--email",
                "sam@example.org", "--role", "practitioner")[0] == 0  # fmt: skip
    return database_url


def _rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        return persistence.count_rows(make_session_factory(engine))
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("pat@example.org\nBcc: everyone@example.org", "invalid characters"),
        ("pat.example.org", "must have an @-sign"),
        ("pat@localhost", "should have a period"),
    ],
)
def test_users_add_refuses_an_address_that_is_not_one(url: str, email: str, reason: str) -> None:
    before = _rows(url)
    code, _, err = _run(
        url, "users", "add", "pat", "--name", "Pat", "--email", email, "--role", "practitioner"
    )
    assert code == 2
    assert err.startswith("error: --email")
    assert reason in err
    assert _rows(url) == before


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "at least 12"), ("password1234", "most common"), ("sam sam sam sam", "username")],
)
def test_set_password_refuses_with_the_reason(url: str, password: str, reason: str) -> None:
    before = _rows(url)
    code, _, err = _run(url, "users", "set-password", "sam", "--password-stdin", stdin=password)
    assert code == 2
    assert reason in err
    assert _rows(url) == before


def test_the_account_commands_end_to_end(url: str, tmp_path: Path) -> None:
    code, out, _ = _run(url, "users", "set-password", "sam", "--password-stdin", stdin=GOOD)
    assert (code, out.strip()) == (0, "password of sam set; 0 sessions ended")
    code, out, err = _run(url, "users", "issue-token", "sam", "--name", "case system")
    assert code == 0
    token = out.strip()
    assert token.startswith("esf_")
    assert "shown only now" in err
    engine = make_engine(url)
    sf = make_session_factory(engine)
    try:
        user_id = accounts.user_id_of(sf, "sam")
        assert user_id is not None
        assert accounts.token_user(sf, token, at=organisation.list_users(sf)[0].created_at) == (
            user_id
        )
        code, out, _ = _run(url, "users", "tokens", "sam")
        token_id = out.split("\t")[0]
        assert "case system" in out
        assert "last_used=" in out
        assert token not in out
        assert _run(url, "users", "revoke-token", "sam", token_id)[0] == 0
        assert accounts.token_user(sf, token, at=organisation.list_users(sf)[0].created_at) is None
        code, _, err = _run(url, "users", "revoke-token", "sam", token_id)
        assert (code, "already revoked" in err) == (2, True)
        code, out, _ = _run(url, "users", "deactivate", "sam")
        assert (code, "sam deactivated" in out) == (0, True)
        assert _run(url, "users", "deactivate", "sam")[0] == 2
        assert _run(url, "users", "issue-token", "ghost", "--name", "x")[0] == 2
    finally:
        engine.dispose()
