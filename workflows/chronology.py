"""A case's chronology (DESIGN 2.5): its significant events and notes and every decision, in the
order they happened, with who recorded each and when.

The chronology is read from the log as it now stands (`effective_history`: corrected events at
their corrected times). It holds:

- every move of either machine (a referral, a Section 47 enquiry starting, a conference, the
  LADO track's steps, a closure);
- every decision: a strategy discussion (its answers and decisions), a conference's outcome, an
  assessment submitted, authorised or returned, an allegation's outcome, a LADO strategy
  meeting, a case passed to the LADOs or transferred, a date corrected;
- every note marked significant and every management-oversight note; an amending note is shown
  with the note it amends.

Entries are data (the event, its data, both times, who); pages, print and CSV say them in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from states import Event
from workflows.domain import CaseEvent, effective_history

__all__ = ["ChronologyEntry", "chronology_of"]

_DECISIONS = frozenset(
    {
        Event.HOLD_STRATEGY_DISCUSSION,
        Event.HOLD_CONFERENCE,
        Event.HOLD_REVIEW_CONFERENCE,
        Event.COMPLETE_ASSESSMENT,
        Event.AUTHORISE_ASSESSMENT,
        Event.RETURN_ASSESSMENT,
        Event.RECORD_ALLEGATION_OUTCOME,
        Event.HOLD_LADO_STRATEGY_MEETING,
        Event.TRANSFER,
        Event.CORRECT_DATE,
        Event.CLOSE,
        Event.CLOSE_ALLEGATION,
    }
)


@dataclass(frozen=True)
class ChronologyEntry:
    event_id: int
    event: str
    at: datetime
    recorded_at: datetime
    by: str
    late: bool
    original_at: datetime | None
    from_state: str | None
    to_state: str | None
    data: dict[str, Any]
    kind: str
    """`event` (a move of the procedure), `decision` or `note`."""


def _kind(e: CaseEvent) -> str | None:
    ev = Event(str(e.event))
    if ev is Event.ADD_NOTE:
        significant = bool(e.data.get("significant"))
        return "note" if significant or e.data.get("kind") == "management_oversight" else None
    if ev in _DECISIONS:
        return "decision"
    if e.from_state != e.to_state or ev is Event.RAISE_CONCERN:
        return "event"
    return None


def chronology_of(history: Sequence[CaseEvent]) -> list[ChronologyEntry]:
    """The chronology of a case from its whole log, oldest first by when things happened."""
    entries = []
    for e in effective_history(history):
        if not e.is_transition or e.event is None:
            continue
        kind = _kind(e)
        if kind is None:
            continue
        entries.append(
            ChronologyEntry(
                event_id=e.seq,
                event=e.event,
                at=e.at,
                recorded_at=e.recorded_at,
                by=e.actor,
                late=e.late,
                original_at=e.original_at,
                from_state=e.from_state,
                to_state=e.to_state,
                data=e.data,
                kind=kind,
            )
        )
    entries.sort(key=lambda c: (c.at, c.event_id))
    return entries
