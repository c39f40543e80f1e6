"""Checking the case event log's hash chains (DESIGN 9: the log is tamper-evident).

Each `case_events` entry carries the hash of its case's entry before it and the SHA-256 of that
and of its own content (`workflows.persistence.chain`). `verify_log` walks every case's chain (or
one case's) in `seq` order and reports each break (`ChainBreak`) with the case reference and the
entry number:

- `changed`: an entry's content does not match its hash (changed after it was written, or
  forged with a wrong hash);
- `unchained`: an entry's `prev_hash` is not the hash of the entry before it (the one before was
  changed and its hash recomputed, or this one was forged in its place);
- `missing`: entry numbers skip (entries deleted from the middle), the chain ends before the
  case's last entry number (`cases.last_seq`: entries deleted from the end), or a case has no
  log at all;
- `unrecorded`: entries past the case's last entry number (written without the service).

Reading only: nothing is written. The walk streams the log, so a large database costs time, not
memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from workflows.errors import CaseNotFound
from workflows.persistence.chain import GENESIS, entry_hash
from workflows.persistence.engine import SessionFactory
from workflows.persistence.tables import case_events, cases

__all__ = ["BreakKind", "ChainBreak", "LogReport", "verify_log"]

_STREAM_ROWS = 2000


class BreakKind(StrEnum):
    CHANGED = "changed"
    UNCHAINED = "unchained"
    MISSING = "missing"
    UNRECORDED = "unrecorded"


@dataclass(frozen=True)
class ChainBreak:
    """One break of a case's chain; `seq` is the entry number (the first one concerned)."""

    case_id: int
    reference: str
    seq: int
    kind: BreakKind
    detail: str

    def __str__(self) -> str:
        return f"{self.reference} entry {self.seq}: {self.kind.value}: {self.detail}"


@dataclass(frozen=True)
class LogReport:
    cases: int
    entries: int
    breaks: tuple[ChainBreak, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks


def _case_id(sf: SessionFactory, reference: str) -> int:
    text = reference.strip()
    with sf() as session:
        found = session.execute(select(cases.c.id).where(cases.c.reference == text)).scalar()
        if found is None and text.isascii() and text.isdigit() and len(text) <= 18:
            found = session.execute(select(cases.c.id).where(cases.c.id == int(text))).scalar()
    if found is None:
        raise CaseNotFound(f"no case with reference {text!r}")
    return int(found)


class _Walk:
    """The state of one case's chain while its entries stream past."""

    def __init__(self, case_id: int, reference: str, last_seq: int) -> None:
        self.case_id = case_id
        self.reference = reference
        self.last_seq = last_seq
        self.expected = 1
        self.prev_hash = GENESIS
        self.breaks: list[ChainBreak] = []

    def _break(self, seq: int, kind: BreakKind, detail: str) -> None:
        self.breaks.append(ChainBreak(self.case_id, self.reference, seq, kind, detail))

    def entry(self, row: dict[str, Any]) -> None:
        seq = int(row["seq"])
        gap = seq != self.expected
        if gap:
            missing = (
                f"entry {self.expected}"
                if seq == self.expected + 1
                else f"entries {self.expected} to {seq - 1}"
            )
            self._break(self.expected, BreakKind.MISSING, f"{missing} missing before entry {seq}")
        if entry_hash(row["prev_hash"], row) != row["hash"]:
            self._break(seq, BreakKind.CHANGED, "its content does not match its hash")
        elif not gap and row["prev_hash"] != self.prev_hash:
            before = "the start of the log" if seq == 1 else f"entry {seq - 1}"
            self._break(
                seq,
                BreakKind.UNCHAINED,
                f"it does not follow {before} (its previous hash is not the hash of {before})",
            )
        self.expected = seq + 1
        self.prev_hash = row["hash"]

    def end(self) -> None:
        last = self.expected - 1
        if last == 0:
            self._break(1, BreakKind.MISSING, "the case has no log entries")
        elif last < self.last_seq:
            self._break(
                last + 1,
                BreakKind.MISSING,
                f"the log ends at entry {last} but the case records {self.last_seq} entries",
            )
        elif last > self.last_seq:
            self._break(
                self.last_seq + 1,
                BreakKind.UNRECORDED,
                f"the log goes on to entry {last} but the case records {self.last_seq} entries",
            )


def _entries(sf: SessionFactory, case_id: int | None) -> Iterator[dict[str, Any]]:
    query = select(case_events).order_by(case_events.c.case_id, case_events.c.seq)
    if case_id is not None:
        query = query.where(case_events.c.case_id == case_id)
    with sf() as session:
        result = session.execute(query.execution_options(yield_per=_STREAM_ROWS))
        for row in result:
            yield dict(row._mapping)


def verify_log(sf: SessionFactory, *, reference: str | None = None) -> LogReport:
    """Walk every case's chain (or the one case named by its reference, or id) and report every
    break; `CaseNotFound` for a reference that names no case."""
    only = _case_id(sf, reference) if reference is not None else None
    query = select(cases.c.id, cases.c.reference, cases.c.last_seq).order_by(cases.c.id)
    if only is not None:
        query = query.where(cases.c.id == only)
    with sf() as session:
        known = {row.id: (row.reference, row.last_seq) for row in session.execute(query)}
    breaks: list[ChainBreak] = []
    walks: dict[int, _Walk] = {}
    walk: _Walk | None = None
    entries = 0
    for row in _entries(sf, only):
        entries += 1
        if walk is None or walk.case_id != row["case_id"]:
            reference_of, last_seq = known.get(row["case_id"], (f"case {row['case_id']}", 0))
            walk = walks[row["case_id"]] = _Walk(row["case_id"], reference_of, last_seq)
        walk.entry(row)
    for case_id, (reference_of, last_seq) in known.items():
        walk = walks.get(case_id) or _Walk(case_id, reference_of, last_seq)
        walk.end()
        breaks.extend(walk.breaks)
    for case_id, walk in walks.items():  # entries of a case row that is gone
        if case_id not in known:
            walk.end()
            breaks.extend(walk.breaks)
    return LogReport(cases=len(known), entries=entries, breaks=tuple(breaks))
