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
- `unrecorded`: entries past the case's last entry number (written without the service);
- `unjustified` (with `deadlines=True`): the case's stored deadlines are not the ones its log
  gives when replayed (`casework.replay_case`: each event with the calendar it was judged with):
  a due date, status or time met edited, a deadline deleted or added. A replay costs tens of
  milliseconds a case, so this is asked for, not done by default.

Reading only: nothing is written. The walk streams the log, so a large database costs time, not
memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from states import StatesError
from workflows import casework
from workflows.domain import Deadline
from workflows.errors import CaseNotFound, WorkflowError
from workflows.lookups import PolicyFor
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
    UNJUSTIFIED = "unjustified"


@dataclass(frozen=True)
class ChainBreak:
    """One break of a case's chain; `seq` is the entry number (the first one concerned), 0 for
    the case's deadlines (`unjustified`)."""

    case_id: int
    reference: str
    seq: int
    kind: BreakKind
    detail: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq else "deadlines"
        return f"{self.reference} {where}: {self.kind.value}: {self.detail}"


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


def _shown(d: Deadline) -> str:
    met = f", met {d.met_at.isoformat()}" if d.met_at is not None else ""
    return f"due {d.due_date.isoformat()} ({d.status.value}{met})"


def _deadline_breaks(
    sf: SessionFactory, case_id: int, reference: str, policy_for: PolicyFor
) -> list[ChainBreak]:
    def found(detail: str) -> ChainBreak:
        return ChainBreak(case_id, reference, 0, BreakKind.UNJUSTIFIED, detail)

    try:
        rebuilt = casework.replay_case(sf, case_id, policy_for).deadlines
    except (WorkflowError, StatesError, ValueError, KeyError) as exc:
        return [found(f"the log does not replay ({type(exc).__name__}: {exc})")]
    stored = casework.get_case(sf, case_id, with_history=False).deadlines

    def key(d: Deadline) -> tuple[object, ...]:
        return (d.kind.value, d.due_date, d.due_at, d.status.value, d.met_at)

    breaks = []
    for kind in sorted({d.kind.value for d in (*stored, *rebuilt)}):
        mine = sorted((d for d in stored if d.kind.value == kind), key=key)
        logged = sorted((d for d in rebuilt if d.kind.value == kind), key=key)
        if [key(d) for d in mine] == [key(d) for d in logged]:
            continue
        have = "; ".join(_shown(d) for d in mine) or "none"
        want = "; ".join(_shown(d) for d in logged) or "none"
        breaks.append(found(f"{kind}: stored {have}, but the log gives {want}"))
    return breaks


def verify_log(
    sf: SessionFactory,
    *,
    reference: str | None = None,
    deadlines: bool = False,
    policy_for: PolicyFor | None = None,
) -> LogReport:
    """Walk every case's chain (or the one case named by its reference, or id) and report every
    break; `CaseNotFound` for a reference that names no case. With `deadlines` (and the
    `policy_for` that names the cases' policies) also replay each case and compare its stored
    deadlines with the log's."""
    if deadlines and policy_for is None:
        raise ValueError("checking deadlines needs policy_for")
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
        if deadlines and policy_for is not None and walk.expected > 1:
            breaks.extend(_deadline_breaks(sf, case_id, reference_of, policy_for))
    for case_id, walk in walks.items():  # entries of a case row that is gone
        if case_id not in known:
            walk.end()
            breaks.extend(walk.breaks)
    return LogReport(cases=len(known), entries=entries, breaks=tuple(breaks))
