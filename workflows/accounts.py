"""Accounts (DESIGN 9): passwords and their policy, API tokens, server-side sessions, sign-in
attempts and their throttle, email addresses, deactivation. One transaction per use case; every
change of an account is an `account_change` entry of the audit trail (`workflows.audit`).

Secrets are never stored: a password as argon2id (argon2-cffi's defaults, RFC 9106 low-memory
profile), an API token and a session id as SHA-256 (each is 256 random bits from `secrets`, so a
fast hash suffices and lets the look-up use a unique index). A token or session id is returned
once, when it is made, and never again.

    token, record = issue_token(sf, user_id=7, name="case system", at=now, by_user_id=admin)
    key, session = start_session(sf, user_id=7, at=now, absolute=timedelta(hours=10))
    found = find_session(sf, key, at=later, idle=timedelta(minutes=30))   # None once ended
    set_password(sf, user_id=7, password="...", at=now, by_user_id=7)      # ends their sessions
    deactivate_user(sf, user_id=7, at=now, by_user_id=admin)               # ends everything

Refusals raise `workflows.errors.InvalidRecord` with the reason (a weak password, an unknown
user or token, an address that is not one).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Column, and_, func, insert, select, update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from calendars import to_utc
from workflows.allocation import release_cases_of
from workflows.audit import AuditKind, audit_in
from workflows.errors import InvalidRecord
from workflows.lookups import CalendarFor, PolicyFor
from workflows.persistence.engine import SessionFactory, reading
from workflows.persistence.tables import api_tokens, sessions, sign_in_attempts, users
from workflows.queries import UserGrants, user_grants_of, user_grants_select

SYSTEM_ACTOR = "esafety-flow"
"""The actor of what the service does itself (a departed worker's cases released)."""

__all__ = [
    "API_TOKEN_PREFIX",
    "FAILED_OUTCOMES",
    "TOUCH_AFTER",
    "AccountRecord",
    "Deactivation",
    "LiveSession",
    "PasswordPolicy",
    "SessionRecord",
    "Throttle",
    "TokenRecord",
    "account_of",
    "active_token_counts",
    "deactivate_user",
    "end_session",
    "find_live_session",
    "find_session",
    "hash_password",
    "hash_secret",
    "insert_token",
    "issue_token",
    "list_accounts",
    "list_tokens",
    "new_token",
    "normalise_email",
    "password_problem",
    "record_sign_in",
    "revoke_token",
    "set_password",
    "set_password_hash",
    "sign_in_throttle",
    "start_session",
    "token_grants",
    "token_user",
    "user_id_of",
    "verify_password",
]

API_TOKEN_PREFIX = "esf_"
TOUCH_AFTER = timedelta(minutes=1)
"""A session's `last_seen_at` and a token's `last_used_at` are written at most once a minute
(the idle limit is counted in minutes; a write per request would cost every page a commit)."""

_HASHER = PasswordHasher()
# verified against when the user does not exist, so that timing does not reveal usernames
_DUMMY_HASH = _HASHER.hash("not a password of anyone")

_COMMON_PASSWORDS = frozenset(p.casefold() for p in FREQUENCY_LISTS["passwords"])
"""The 30,000 most common passwords of the breach corpora zxcvbn ships (its `passwords` list)."""


# -- secrets -------------------------------------------------------------------------------------


def hash_secret(value: str) -> str:
    """SHA-256 (hex) of a random token or session id."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("password: must not be empty")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash`; a missing hash never matches (and takes as
    long as one that does not)."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(address: str) -> str:
    """The address in its normal form (email-validator's syntax check, no DNS look-up), or
    InvalidRecord with the reason ("an email address must have an @-sign", a line break...).

    Special-use domains (localhost, .local, .onion...) are refused, except the two RFC 2606
    names made for this: `.test` (test suites, demonstrations) and `.invalid` (an address that
    must never receive mail, as the scenario runner gives its synthetic users), which are checked
    like any other domain."""
    text = address
    invalid_tld = address.lower().endswith(".invalid")
    if invalid_tld:  # checked as .test (allowed by test_environment), then given back its name
        text = address[: -len(".invalid")] + ".test"
    try:
        found = validate_email(text, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError as exc:
        raise InvalidRecord(f"email {address[:80]!r}: {exc}") from None
    return found[: -len(".test")] + ".invalid" if invalid_tld else found


# -- passwords -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordPolicy:
    """What a new password must be (NIST SP 800-63B: length, not a known-breached or common
    password, not the user's own name; no composition rules)."""

    min_length: int = 12
    max_length: int = 128
    min_score: int = 3
    """zxcvbn's estimate, 0-4: 3 is "safely unguessable" against an online attack and a slowed
    offline one."""


def password_problem(
    password: str, *, policy: PasswordPolicy, user_inputs: Sequence[str] = ()
) -> str | None:
    """Why `password` may not be used (a sentence the person can act on), or None."""
    if len(password) < policy.min_length:
        return f"must be at least {policy.min_length} characters long"
    if len(password) > policy.max_length:
        return f"must be at most {policy.max_length} characters long"
    folded = password.casefold()
    if folded in _COMMON_PASSWORDS:
        return "is one of the most common passwords (found in data breaches): choose another"
    words = [w.casefold() for text in user_inputs for w in text.replace("@", " ").split()]
    if any(len(w) >= 3 and w in folded for w in words):
        return "must not contain your username, name or email address"
    result = zxcvbn(password, user_inputs=list(user_inputs), max_length=policy.max_length)
    if int(result["score"]) < policy.min_score:
        feedback = result.get("feedback") or {}
        hint = feedback.get("warning") or " ".join(feedback.get("suggestions") or [])
        return (
            "is too easy to guess"
            + (f" ({hint.rstrip('.')})" if hint else "")
            + (": try a passphrase of four or more unrelated words")
        )
    return None


def _user(session: Session, user_id: int) -> tuple[str, str, str, bool]:
    row = session.execute(
        select(users.c.username, users.c.display_name, users.c.email, users.c.active).where(
            users.c.id == user_id
        )
    ).first()
    if row is None:
        raise InvalidRecord(f"no user with id {user_id}")
    return row.username, row.display_name, row.email, bool(row.active)


def _end_sessions(session: Session, user_id: int, at: datetime, reason: str) -> int:
    result = session.execute(
        update(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
        .values(ended_at=at, end_reason=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def set_password(
    sf: SessionFactory,
    *,
    user_id: int,
    password: str,
    at: datetime,
    by_user_id: int | None,
    policy: PasswordPolicy | None = None,
) -> int:
    """Set a user's password after checking it against `policy`; every session of the user
    ends. Returns how many sessions ended. InvalidRecord names what is wrong with the password."""
    policy = policy or PasswordPolicy()
    with reading(sf) as session:
        username, display_name, email, _active = _user(session, user_id)
    problem = password_problem(password, policy=policy, user_inputs=(username, display_name, email))
    if problem is not None:
        raise InvalidRecord(f"password: {problem}")
    return set_password_hash(
        sf, user_id=user_id, password_hash=hash_password(password), at=at, by_user_id=by_user_id
    )


def set_password_hash(
    sf: SessionFactory, *, user_id: int, password_hash: str, at: datetime, by_user_id: int | None
) -> int:
    """Store an already hashed password (no policy check: `set_password` is the way for a person's
    password); every session of the user ends. Returns how many sessions ended."""
    at = to_utc(at)
    with sf.begin() as session:
        _user(session, user_id)
        session.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(password_hash=password_hash, password_changed_at=at)
        )
        ended = _end_sessions(session, user_id, at, "password_changed")
        audit_in(
            session,
            kind=AuditKind.ACCOUNT_CHANGE,
            at=at,
            user_id=by_user_id,
            detail=f"password set for user {user_id}; {ended} sessions ended",
        )
    return ended


# -- API tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenRecord:
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _token(row: object) -> TokenRecord:
    r = row._mapping  # type: ignore[attr-defined]
    return TokenRecord(
        r["id"], r["user_id"], r["name"], r["created_at"], r["last_used_at"], r["revoked_at"]
    )


_TOKEN_COLS = (
    api_tokens.c.id,
    api_tokens.c.user_id,
    api_tokens.c.name,
    api_tokens.c.created_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked_at,
)


def new_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def insert_token(
    session: Session, *, user_id: int, name: str, token_hash: str, at: datetime
) -> int:
    """A token row within the caller's transaction (organisation.create_user's `api_token_hash`)."""
    token_id: int = session.execute(
        insert(api_tokens)
        .values(user_id=user_id, name=name, token_hash=token_hash, created_at=to_utc(at))
        .returning(api_tokens.c.id)
    ).scalar_one()
    return token_id


def issue_token(
    sf: SessionFactory, *, user_id: int, name: str, at: datetime, by_user_id: int | None
) -> tuple[str, TokenRecord]:
    """A new API token for the user: (the token, shown this once; its record)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidRecord("token name: must not be empty")
    if len(name) > 100:
        raise InvalidRecord("token name: must be at most 100 characters")
    token = new_token()
    at = to_utc(at)
    with sf.begin() as session:
        _username, _name, _email, active = _user(session, user_id)
        if not active:
            raise InvalidRecord(f"user {user_id} is deactivated: no token can be issued")
        token_id = insert_token(
            session, user_id=user_id, name=name, token_hash=hash_secret(token), at=at
        )
        audit_in(
            session,
            kind=AuditKind.ACCOUNT_CHANGE,
            at=at,
            user_id=by_user_id,
            detail=f"token {token_id} issued to user {user_id}",
        )
        row = session.execute(select(*_TOKEN_COLS).where(api_tokens.c.id == token_id)).one()
    return token, _token(row)


def list_tokens(sf: SessionFactory, user_id: int) -> list[TokenRecord]:
    """The user's tokens, newest first, revoked ones included (with when)."""
    with reading(sf) as session:
        rows = session.execute(
            select(*_TOKEN_COLS)
            .where(api_tokens.c.user_id == user_id)
            .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc())
        ).all()
    return [_token(r) for r in rows]


def revoke_token(
    sf: SessionFactory, *, user_id: int, token_id: int, at: datetime, by_user_id: int | None
) -> TokenRecord:
    """Revoke one of the user's tokens (from this moment it opens nothing)."""
    at = to_utc(at)
    with sf.begin() as session:
        row = session.execute(
            select(*_TOKEN_COLS).where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id)
        ).first()
        if row is None:
            raise InvalidRecord(f"user {user_id} has no token {token_id}")
        if row.revoked_at is not None:
            raise InvalidRecord(f"token {token_id} was already revoked")
        session.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=at))
        audit_in(
            session,
            kind=AuditKind.ACCOUNT_CHANGE,
            at=at,
            user_id=by_user_id,
            detail=f"token {token_id} of user {user_id} revoked",
        )
        row = session.execute(select(*_TOKEN_COLS).where(api_tokens.c.id == token_id)).one()
    return _token(row)


def token_user(sf: SessionFactory, token: str, *, at: datetime) -> int | None:
    """The id of the active user whose unrevoked token this is (noting its use), or None."""
    found = token_grants(sf, token, at=at)
    return None if found is None else found.user.id


def token_grants(sf: SessionFactory, token: str, *, at: datetime) -> UserGrants | None:
    """The active user whose unrevoked token this is, with the teams they manage, in ONE
    statement (the token joined to `queries.user_grants_select`), its use noted; or None."""
    at = to_utc(at)
    with reading(sf) as session:
        rows = session.execute(
            user_grants_select(api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(
                api_tokens.c.token_hash == hash_secret(token),
                api_tokens.c.revoked_at.is_(None),
                users.c.active.is_(True),
            )
        ).all()
    found = user_grants_of(rows)
    if found is None:
        return None
    row = rows[0]
    if row.last_used_at is None or at - row.last_used_at >= TOUCH_AFTER:
        with sf.begin() as session:
            session.execute(
                update(api_tokens).where(api_tokens.c.id == row.token_id).values(last_used_at=at)
            )
    return found


# -- sessions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRecord:
    id: int
    user_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


_SESSION_COLS = (
    sessions.c.id,
    sessions.c.user_id,
    sessions.c.csrf_token,
    sessions.c.created_at,
    sessions.c.last_seen_at,
    sessions.c.expires_at,
)


def start_session(
    sf: SessionFactory, *, user_id: int, at: datetime, absolute: timedelta
) -> tuple[str, SessionRecord]:
    """A new session for the user: (its random id, for the cookie only; its record). It ends
    at `at + absolute` whatever happens (its use never moves that), or sooner."""
    key = secrets.token_urlsafe(32)
    at = to_utc(at)
    record = {
        "key_hash": hash_secret(key),
        "user_id": user_id,
        "csrf_token": secrets.token_urlsafe(32),
        "created_at": at,
        "last_seen_at": at,
        "expires_at": at + absolute,
    }
    with sf.begin() as session:
        session_id: int = session.execute(
            insert(sessions).values(**record).returning(sessions.c.id)
        ).scalar_one()
    return key, SessionRecord(session_id, user_id, str(record["csrf_token"]), at, at, at + absolute)


def find_session(
    sf: SessionFactory, key: str, *, at: datetime, idle: timedelta
) -> SessionRecord | None:
    """The live session with this id, its use noted; None when there is none, it has ended, its
    user is deactivated, or it has expired (idle for `idle`, or past its absolute limit: it is
    then ended as `expired`)."""
    found = find_live_session(sf, key, at=at, idle=idle)
    return None if found is None else found.record


@dataclass(frozen=True)
class LiveSession:
    """A live session and its user with the teams they manage, read together."""

    record: SessionRecord
    user: UserGrants


def find_live_session(
    sf: SessionFactory, key: str, *, at: datetime, idle: timedelta
) -> LiveSession | None:
    """`find_session`, and the session's user with their grants, in ONE statement (the session
    joined to `queries.user_grants_select`): every signed-in page starts with it."""
    at = to_utc(at)
    with reading(sf) as session:
        rows = session.execute(
            user_grants_select(
                sessions.c.id.label("session_id"),
                *_SESSION_COLS[1:],
            )
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.key_hash == hash_secret(key), sessions.c.ended_at.is_(None))
        ).all()
    user = user_grants_of(rows)
    if user is None or not user.user.active:
        return None
    row = rows[0]
    if at >= row.expires_at or at >= row.last_seen_at + idle:
        with sf.begin() as session:
            session.execute(
                update(sessions)
                .where(sessions.c.id == row.session_id, sessions.c.ended_at.is_(None))
                .values(ended_at=at, end_reason="expired")
            )
        return None
    last_seen = row.last_seen_at
    if at - last_seen >= TOUCH_AFTER:
        last_seen = at
        with sf.begin() as session:
            session.execute(
                update(sessions).where(sessions.c.id == row.session_id).values(last_seen_at=at)
            )
    record = SessionRecord(
        row.session_id, row.user_id, row.csrf_token, row.created_at, last_seen, row.expires_at
    )
    return LiveSession(record, user)


def end_session(sf: SessionFactory, key: str, *, at: datetime) -> int | None:
    """Sign-out: end the session with this id everywhere it is used (a copied cookie included)
    and record it; returns its user's id, or None when it had no live session."""
    at = to_utc(at)
    with sf.begin() as session:
        row = session.execute(
            select(sessions.c.id, sessions.c.user_id).where(
                sessions.c.key_hash == hash_secret(key), sessions.c.ended_at.is_(None)
            )
        ).first()
        if row is None:
            return None
        session.execute(
            update(sessions)
            .where(sessions.c.id == row.id)
            .values(ended_at=at, end_reason="signed_out")
        )
        audit_in(session, kind=AuditKind.SIGN_OUT, at=at, user_id=row.user_id)
    return int(row.user_id)


# -- sign-in attempts ----------------------------------------------------------------------------

FAILED_OUTCOMES = ("wrong_password", "unknown_user", "inactive")
"""Outcomes that count toward the throttle (a throttled attempt is recorded but not counted, so
a lock lasts one window from the failures that caused it)."""

_OUTCOME_DETAIL = {
    "wrong_password": "wrong password",
    "unknown_user": "unknown username",
    "inactive": "deactivated account",
}


@dataclass(frozen=True)
class Throttle:
    """Whether a sign-in may be tried now, and if not, until when and why."""

    blocked: bool
    until: datetime | None = None
    reason: str | None = None


def _blocked_until(
    session: Session,
    key_column: Column[str],
    key: str,
    *,
    since: datetime,
    limit: int,
    window: timedelta,
) -> datetime | None:
    rows = session.execute(
        select(sign_in_attempts.c.at)
        .where(
            key_column == key,
            sign_in_attempts.c.at > since,
            sign_in_attempts.c.outcome.in_(FAILED_OUTCOMES),
        )
        .order_by(sign_in_attempts.c.at.desc())
        .limit(limit)
    ).all()
    if len(rows) < limit:
        return None
    # blocked while `limit` failures lie in the window: until the limit-th latest leaves it
    oldest: datetime = rows[-1].at
    return oldest + window


def sign_in_throttle(
    sf: SessionFactory,
    *,
    username_key: str,
    address_key: str,
    at: datetime,
    window: timedelta,
    max_per_account: int,
    max_per_address: int,
) -> Throttle:
    """Whether sign-in is throttled for this (typed) username or this client address: too many
    failures within `window` (for the username, only those since its last success)."""
    at = to_utc(at)
    start = at - window
    with reading(sf) as session:
        last_ok = session.execute(
            select(func.max(sign_in_attempts.c.at)).where(
                sign_in_attempts.c.username_key == username_key,
                sign_in_attempts.c.outcome == "ok",
                sign_in_attempts.c.at > start,
            )
        ).scalar_one()
        account = _blocked_until(
            session,
            sign_in_attempts.c.username_key,
            username_key,
            since=max(start, last_ok) if last_ok is not None else start,
            limit=max_per_account,
            window=window,
        )
        address = _blocked_until(
            session,
            sign_in_attempts.c.address_key,
            address_key,
            since=start,
            limit=max_per_address,
            window=window,
        )
    if account is not None and account > at:
        return Throttle(True, account, "account")
    if address is not None and address > at:
        return Throttle(True, address, "address")
    return Throttle(False)


def record_sign_in(
    sf: SessionFactory,
    *,
    at: datetime,
    outcome: str,
    username_key: str,
    address_key: str,
    user_id: int | None,
    throttled_by: str | None = None,
    where: str | None = None,
) -> None:
    """Record a sign-in attempt for the throttle, and in the audit trail: `sign_in` on success,
    `sign_in_failed` with the reason otherwise (the account where the username matched one).
    `where` names a check of the password other than the sign-in form (the current password on
    the change-password page), which counts towards the same throttle."""
    at = to_utc(at)
    with sf.begin() as session:
        session.execute(
            insert(sign_in_attempts).values(
                at=at,
                outcome=outcome,
                username_key=username_key,
                address_key=address_key,
                user_id=user_id,
            )
        )
        if outcome == "ok":
            audit_in(session, kind=AuditKind.SIGN_IN, at=at, user_id=user_id)
            return
        detail = (
            f"throttled: too many failures for this {throttled_by}"
            if outcome == "throttled"
            else _OUTCOME_DETAIL[outcome]
        )
        if where:
            detail = f"{detail} at {where}"
        # address fingerprint: the first characters of its keyed hash, so that an auditor can
        # see repeated attempts from one place without the address itself
        audit_in(
            session,
            kind=AuditKind.SIGN_IN_FAILED,
            at=at,
            user_id=user_id,
            detail=f"{detail}; source {address_key[:10]}",
        )


# -- accounts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRecord:
    """A user as account management shows them (no password hash)."""

    id: int
    username: str
    display_name: str
    email: str
    role: str
    team_id: int | None
    active: bool
    created_at: datetime
    password_changed_at: datetime | None
    deactivated_at: datetime | None
    has_password: bool


_ACCOUNT_COLS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.email,
    users.c.role,
    users.c.team_id,
    users.c.active,
    users.c.created_at,
    users.c.password_changed_at,
    users.c.deactivated_at,
    users.c.password_hash.is_not(None).label("has_password"),
)


def _account(row: object) -> AccountRecord:
    r = row._mapping  # type: ignore[attr-defined]
    return AccountRecord(
        **{**r, "active": bool(r["active"]), "has_password": bool(r["has_password"])}
    )


def list_accounts(sf: SessionFactory) -> list[AccountRecord]:
    with reading(sf) as session:
        rows = session.execute(select(*_ACCOUNT_COLS).order_by(users.c.username)).all()
    return [_account(r) for r in rows]


def account_of(sf: SessionFactory, user_id: int) -> AccountRecord | None:
    if not 0 <= user_id < 2**63:
        return None
    with reading(sf) as session:
        row = session.execute(select(*_ACCOUNT_COLS).where(users.c.id == user_id)).first()
    return None if row is None else _account(row)


def user_id_of(sf: SessionFactory, username: str) -> int | None:
    with reading(sf) as session:
        found = session.execute(select(users.c.id).where(users.c.username == username)).scalar()
    return None if found is None else int(found)


# -- deactivation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deactivation:
    user_id: int
    sessions_ended: int
    tokens_revoked: int
    cases_released: int = 0


def deactivate_user(
    sf: SessionFactory,
    *,
    user_id: int,
    at: datetime,
    by_user_id: int | None,
    calendar_for: CalendarFor | None = None,
    policy_for: PolicyFor | None = None,
) -> Deactivation:
    """Deactivate a user: from this moment they can do nothing. Their account is marked inactive,
    every live session ends (`deactivated`) and every token is revoked, in one transaction, with
    an `account_change` entry in the audit trail.

    This is THE place where a user leaves: work that must follow a departure belongs in this
    same transaction, after the revocations. With the calendars and policies to fire events by
    (`calendar_for`, `policy_for`), the user's open cases go to their team's unallocated list
    (DESIGN 2.5: a `transfer` in each case's log, and each team's manager told), so that alerts
    reach the team's managers (`workflows.allocation.release_cases_of`). The CLI
    (`esafety users deactivate`) and the admin page both pass them.
    """
    at = to_utc(at)
    with sf.begin() as session:
        _username, _name, _email, active = _user(session, user_id)
        if not active:
            raise InvalidRecord(f"user {user_id} is already deactivated")
        session.execute(
            update(users).where(users.c.id == user_id).values(active=False, deactivated_at=at)
        )
        ended = _end_sessions(session, user_id, at, "deactivated")
        revoked = int(
            session.execute(
                update(api_tokens)
                .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            ).rowcount  # type: ignore[attr-defined]
        )
        released = []
        if calendar_for is not None and policy_for is not None:
            released = release_cases_of(
                session,
                user_id,
                at=at,
                actor=SYSTEM_ACTOR,
                calendar_for=calendar_for,
                policy_for=policy_for,
            )
        audit_in(
            session,
            kind=AuditKind.ACCOUNT_CHANGE,
            at=at,
            user_id=by_user_id,
            detail=(
                f"user {user_id} deactivated; {ended} sessions ended, {revoked} tokens revoked, "
                f"{len(released)} open cases to the unallocated list"
            ),
        )
    return Deactivation(user_id, ended, revoked, len(released))


def active_token_counts(sf: SessionFactory, user_ids: Iterable[int]) -> dict[int, int]:
    """Unrevoked tokens per user (the admin list)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    with reading(sf) as session:
        rows = session.execute(
            select(api_tokens.c.user_id, func.count())
            .where(and_(api_tokens.c.user_id.in_(wanted), api_tokens.c.revoked_at.is_(None)))
            .group_by(api_tokens.c.user_id)
        ).all()
    return {int(r[0]): int(r[1]) for r in rows}
