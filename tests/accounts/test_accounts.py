"""`workflows.accounts` on SQLite and PostgreSQL: the password policy, tokens (hashed, several per
user, last use, revoked), deactivation, email addresses (issue 11, findings 3 and 11)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from workflows import accounts, organisation
from workflows.errors import InvalidRecord
from workflows.persistence import SessionFactory, api_tokens, audit_events, count_rows, users

NOW = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)
POLICY = accounts.PasswordPolicy()


def _user(sf: SessionFactory, username: str = "sam") -> int:
    return organisation.create_user(
        sf,
        username=username,
        display_name="Sam Practitioner",
        email=f"{username}@example.org",
        role="practitioner",
        at=NOW,
    )


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12 characters"),
        ("x" * 129, "at most 128 characters"),
        ("password1234", "most common passwords"),
        ("qwertyuiop123", "most common passwords"),
        ("Sam Practitioner 2026", "your username, name or email"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("abcdefghijkl", "too easy to guess"),
    ],
)
def test_the_policy_refuses_weak_passwords_with_a_reason(password: str, reason: str) -> None:
    problem = accounts.password_problem(
        password, policy=POLICY, user_inputs=("sam", "Sam Practitioner", "sam@example.org")
    )
    assert problem is not None
    assert reason in problem


def test_the_policy_accepts_a_passphrase() -> None:
    assert accounts.password_problem("violet anchor kettle marmalade", policy=POLICY) is None


def test_a_refused_password_changes_nothing(session_factory: SessionFactory) -> None:
    user_id = _user(session_factory)
    before = count_rows(session_factory)
    with pytest.raises(InvalidRecord, match="password: is one of the most common"):
        accounts.set_password(
            session_factory, user_id=user_id, password="password1234", at=NOW, by_user_id=None
        )
    assert count_rows(session_factory) == before


def test_set_password_stores_argon2_and_ends_sessions(session_factory: SessionFactory) -> None:
    user_id = _user(session_factory)
    key, _ = accounts.start_session(
        session_factory, user_id=user_id, at=NOW, absolute=timedelta(hours=10)
    )
    ended = accounts.set_password(
        session_factory,
        user_id=user_id,
        password="violet anchor kettle marmalade",
        at=NOW,
        by_user_id=None,
    )
    assert ended == 1
    assert accounts.find_session(session_factory, key, at=NOW, idle=timedelta(minutes=30)) is None
    with session_factory() as s:
        stored = s.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert accounts.verify_password(stored, "violet anchor kettle marmalade")


def test_tokens_are_shown_once_stored_hashed_and_revocable(session_factory: SessionFactory) -> None:
    user_id = _user(session_factory)
    one, first = accounts.issue_token(
        session_factory, user_id=user_id, name="case system", at=NOW, by_user_id=None
    )
    two, _second = accounts.issue_token(
        session_factory, user_id=user_id, name="reports", at=NOW, by_user_id=None
    )
    assert one != two
    with session_factory() as s:
        hashes = set(s.execute(select(api_tokens.c.token_hash)).scalars())
    assert one not in hashes
    assert hashlib.sha256(one.encode()).hexdigest() in hashes
    assert accounts.token_user(session_factory, one, at=NOW + timedelta(hours=1)) == user_id
    listed = accounts.list_tokens(session_factory, user_id)
    assert [t.name for t in listed] == ["reports", "case system"]
    assert listed[1].last_used_at == NOW + timedelta(hours=1)
    accounts.revoke_token(
        session_factory, user_id=user_id, token_id=first.id, at=NOW, by_user_id=None
    )
    assert accounts.token_user(session_factory, one, at=NOW) is None
    assert accounts.token_user(session_factory, two, at=NOW) == user_id
    with pytest.raises(InvalidRecord, match="already revoked"):
        accounts.revoke_token(
            session_factory, user_id=user_id, token_id=first.id, at=NOW, by_user_id=None
        )


def test_deactivation_ends_sessions_and_revokes_tokens(session_factory: SessionFactory) -> None:
    user_id = _user(session_factory)
    token, _ = accounts.issue_token(
        session_factory, user_id=user_id, name="x", at=NOW, by_user_id=None
    )
    key, _ = accounts.start_session(
        session_factory, user_id=user_id, at=NOW, absolute=timedelta(hours=10)
    )
    done = accounts.deactivate_user(session_factory, user_id=user_id, at=NOW, by_user_id=None)
    assert (done.sessions_ended, done.tokens_revoked) == (1, 1)
    assert accounts.token_user(session_factory, token, at=NOW) is None
    assert accounts.find_session(session_factory, key, at=NOW, idle=timedelta(minutes=30)) is None
    with pytest.raises(InvalidRecord, match="already deactivated"):
        accounts.deactivate_user(session_factory, user_id=user_id, at=NOW, by_user_id=None)
    with pytest.raises(InvalidRecord, match="deactivated"):
        accounts.issue_token(session_factory, user_id=user_id, name="y", at=NOW, by_user_id=None)
    with session_factory() as s:
        details = s.execute(
            select(audit_events.c.detail).where(audit_events.c.kind == "account_change")
        ).scalars()
        assert any("deactivated" in (d or "") for d in details)


@pytest.mark.parametrize(
    "address",
    [
        "sam@example.org\nBcc: everyone@example.org",
        "sam@example.org\r",
        "not an address",
        "sam@",
        "sam@localhost",
    ],
)
def test_an_address_that_is_not_one_is_never_stored(
    session_factory: SessionFactory, address: str
) -> None:
    before = count_rows(session_factory)
    with pytest.raises(InvalidRecord, match="email"):
        organisation.create_user(
            session_factory,
            username="sam",
            display_name="Sam",
            email=address,
            role="practitioner",
            at=NOW,
        )
    assert count_rows(session_factory) == before


def test_an_address_is_stored_normalised(session_factory: SessionFactory) -> None:
    organisation.create_user(
        session_factory,
        username="sam",
        display_name="Sam",
        email="Sam@Example.ORG",
        role="practitioner",
        at=NOW,
    )
    with session_factory() as s:
        assert s.execute(select(users.c.email)).scalar_one() == "Sam@example.org"


@pytest.mark.parametrize(
    ("address", "stored"),
    [("w-1@scenario.invalid", "w-1@scenario.invalid"), ("Sam@Esafety.TEST", "Sam@esafety.test")],
)
def test_the_rfc_2606_names_for_tests_are_accepted(address: str, stored: str) -> None:
    assert accounts.normalise_email(address) == stored
