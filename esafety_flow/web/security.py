"""Passwords, API tokens and CSRF tokens.

- Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).
- API tokens are 256-bit random strings shown once; only their SHA-256 is stored (a token has full
  entropy, so a fast hash is enough and lets the look-up use the unique index).
- A CSRF token is generated per session and compared in constant time on every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "API_TOKEN_PREFIX",
    "csrf_matches",
    "hash_api_token",
    "hash_password",
    "new_api_token",
    "new_csrf_token",
    "verify_password",
]

API_TOKEN_PREFIX = "esf_"
_HASHER = PasswordHasher()
# verified against when the user does not exist, so that timing does not reveal usernames
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("password: must not be empty")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash`; a missing hash never matches."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
