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

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from workflows.persistence.engine import SessionFactory, serial_reading
from workflows.persistence.tables import case_events, cases
from workflows.queries import union_of_parts, visible_parts

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
    parts = visible_parts(sorted(set(team_ids)), manager_id=manager_id)
    if not parts:
        return []
    in_period = and_(
        case_events.c.kind == "transition",
        case_events.c.recorded_at >= since,
        case_events.c.recorded_at <= until,
    )
    # counted in SQL, one row per worker, with each entry's `late` as it was written...
    per_worker = (
        select(
            case_events.c.actor,
            func.count().label("recorded"),
            func.sum(case((case_events.c.late, 1), else_=0)).label("late"),
        )
        .join(cases, cases.c.id == case_events.c.case_id)
        .where(in_period)
        .group_by(case_events.c.actor)
    )
    # ...then the few entries of the period that a correction judged again, each with its
    # corrections in order (the latest wins); `ix_case_events_corrections` holds only those
    corrected = aliased(case_events)
    corrections = (
        select(
            case_events.c.case_id,
            case_events.c.seq,
            case_events.c.corrects,
            case_events.c.data,
            corrected.c.actor,
            corrected.c.late,
        )
        .join(cases, cases.c.id == case_events.c.case_id)
        .join(
            corrected,
            and_(
                corrected.c.case_id == case_events.c.case_id,
                corrected.c.seq == case_events.c.corrects,
            ),
        )
        .where(
            case_events.c.corrects.is_not(None),
            corrected.c.kind == "transition",
            corrected.c.recorded_at >= since,
            corrected.c.recorded_at <= until,
        )
    )
    counts: dict[str, list[int]] = {}
    with serial_reading(sf) as s:  # no parallel workers for a count of a few milliseconds
        for r in s.execute(union_of_parts(per_worker, parts)):  # one row per worker and grant
            tally = counts.setdefault(r.actor, [0, 0])
            tally[0] += int(r.recorded)
            tally[1] += int(r.late or 0)
        found = s.execute(union_of_parts(corrections, parts)).all()
    judged: dict[tuple[int, int], tuple[str, bool, bool]] = {
        (int(r.case_id), int(r.corrects)): (
            r.actor,
            bool(r.late),
            bool((r.data or {}).get("late", False)),
        )
        # each case's corrections in order: the latest wins
        for r in sorted(found, key=lambda r: (int(r.case_id), int(r.seq)))
    }
    for actor, written_late, judged_late in judged.values():
        counts[actor][1] += int(judged_late) - int(written_late)
    return sorted(
        (WorkerRecording(actor, n, late) for actor, (n, late) in counts.items()),
        key=lambda w: (-w.late, w.actor),
    )
