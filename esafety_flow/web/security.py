"""Passwords and API tokens at the web edge (the implementations are `workflows.accounts`'s).

- Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).
- API tokens are 256-bit random strings shown once; only their SHA-256 is stored, in
  `api_tokens` (a token has full entropy, so a fast hash is enough and lets the look-up use the
  unique index).
- CSRF tokens and sessions: `esafety_flow.web.sessions`.
"""

from __future__ import annotations

from workflows.accounts import (
    API_TOKEN_PREFIX,
    hash_password,
    hash_secret,
    new_token,
    verify_password,
)

__all__ = [
    "API_TOKEN_PREFIX",
    "hash_api_token",
    "hash_password",
    "new_api_token",
    "verify_password",
]


def new_api_token() -> str:
    return new_token()


def hash_api_token(token: str) -> str:
    return hash_secret(token)
