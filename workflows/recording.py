"""Recording timeliness (DESIGN 2.3): how much of each worker's recording was written down late.

An entry of a case's log is late when it was recorded more than the policy's
`recording_timeliness` after it happened (`late` on the entry, judged when it was written; a
`correct_date` of the event judges it again, and the latest correction wins, as in
`workflows.domain.effective_history`). `late_recording` counts, per worker, the events they
recorded in a period and how many of them were late, over the cases a manager's dashboard shows
(the unrestricted cases of their teams, and restricted cases naming them). Read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from workflows.persistence.engine import SessionFactory
from workflows.persistence.tables import case_events, cases
from workflows.queries import visible_cases

__all__ = ["WorkerRecording", "late_recording"]


@dataclass(frozen=True)
class WorkerRecording:
    """One worker's recording in the period: `recorded` events written down, `late` of them
    written after the recording timeliness."""

    actor: str
    recorded: int
    late: int


def late_recording(
    sf: SessionFactory,
    *,
    team_ids: Iterable[int],
    since: datetime,
    until: datetime,
    manager_id: int | None = None,
) -> list[WorkerRecording]:
    """Per worker (their username), the events of the visible cases they recorded from `since`
    up to and including `until`, and how many were late, most late first. Deadline entries
    (written by the service) are not counted; a `correct_date` is counted as recorded by whoever
    corrected, and the event it corrects counts late or not as last corrected."""
    visible = visible_cases(sorted(set(team_ids)), manager_id=manager_id)
    if visible is None:
        return []
    in_period = (
        select(
            case_events.c.case_id,
            case_events.c.seq,
            case_events.c.actor,
            case_events.c.late,
        )
        .join(cases, cases.c.id == case_events.c.case_id)
        .where(
            visible,
            case_events.c.kind == "transition",
            case_events.c.recorded_at >= since,
            case_events.c.recorded_at <= until,
        )
    )
    corrections = (
        select(case_events.c.case_id, case_events.c.corrects, case_events.c.data)
        .join(cases, cases.c.id == case_events.c.case_id)
        .where(visible, case_events.c.corrects.is_not(None))
        .order_by(case_events.c.case_id, case_events.c.seq)
    )
    with sf() as s:
        rows = s.execute(in_period).all()
        judged: dict[tuple[int, int], bool] = {
            (int(r.case_id), int(r.corrects)): bool((r.data or {}).get("late", False))
            for r in s.execute(corrections)
        }
    counts: dict[str, list[int]] = {}
    for r in rows:
        late = judged.get((int(r.case_id), int(r.seq)), bool(r.late))
        tally = counts.setdefault(r.actor, [0, 0])
        tally[0] += 1
        tally[1] += int(late)
    return sorted(
        (WorkerRecording(actor, n, late) for actor, (n, late) in counts.items()),
        key=lambda w: (-w.late, w.actor),
    )
