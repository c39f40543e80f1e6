"""The hash chain of the case event log (DESIGN 9: the log is tamper-evident).

Every `case_events` row carries `prev_hash`, the `hash` of the case's entry before it
(`GENESIS`, sixty-four zeros, for entry 1), and `hash`: the SHA-256 (hex) of the canonical
encoding of `prev_hash` and the entry's content, which is every stored column but the surrogate
`id` (assigned by the database, never part of what was recorded; `case_id` and `seq` name the
entry) and `hash` itself (`CHAINED_COLUMNS`).

The canonical encoding is one JSON object with sorted keys and no spaces (UTF-8, no NaN):
instants as UTC ISO 8601 with microseconds (`2026-03-02T10:15:00.000000+00:00`, what both
databases keep), `data` as JSON with sorted keys, booleans, integers and strings as themselves.
It is computed from the values as they are written, which are the values read back (the log's
data holds no floats: every event's data is a pydantic model dumped as JSON of strings, integers,
booleans, lists and objects).

`chain_rows` is the one place that computes it for rows about to be inserted: the repository's
`_append_events` and migration 0400's backfill of the entries written before the chain existed.
`workflows.log_integrity.verify_log` walks the chains.

A chain shows a changed, forged or deleted entry to anyone who recomputes it; an attacker who
owns the tables could recompute every hash after a change, which is why on PostgreSQL the
service connects as a role that may only insert and read the log (docs/security.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["CHAINED_COLUMNS", "GENESIS", "chain_rows", "entry_hash"]

GENESIS = "0" * 64
"""The `prev_hash` of a case's first entry."""

CHAINED_COLUMNS = (
    "case_id",
    "seq",
    "at",
    "recorded_at",
    "late",
    "corrects",
    "actor",
    "kind",
    "event",
    "machine",
    "from_state",
    "to_state",
    "data",
    "calendar_version",
)
"""The columns of `case_events` that an entry's hash covers, besides `prev_hash` (every column
but `id`, `prev_hash` and `hash`; a test keeps this list equal to the table's)."""


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive instant {value.isoformat()} in a log entry")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of a log entry (`row` holds at least `CHAINED_COLUMNS`; missing nullable columns
    count as null, `late` as false) following the entry whose hash is `prev_hash`."""
    content: dict[str, Any] = {name: _canonical(row.get(name)) for name in CHAINED_COLUMNS}
    content["late"] = bool(content["late"])
    content["prev_hash"] = prev_hash
    encoded = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def chain_rows(rows: Iterable[MutableMapping[str, Any]], prev_hash: str) -> str:
    """Set `prev_hash` and `hash` of consecutive entries of one case, the first following the
    entry whose hash is `prev_hash`; returns the last entry's hash."""
    for row in rows:
        row["prev_hash"] = prev_hash
        prev_hash = row["hash"] = entry_hash(prev_hash, row)
    return prev_hash
