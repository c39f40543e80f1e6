"""Rows <-> domain dataclasses: an explicit repository over the Core tables (no ORM objects).

`load_case` builds a `Case` (with its deadlines and, on request, its log); `insert_case` and
`save_case` write a case back: the `cases` row (optimistic lock on `version`), the changed and new
deadlines, the subjects when the facts changed, and the new events drained from the case into the
append-only log, each entry chained to the one before by its hash (`workflows.persistence.chain`).
Every function takes the session of the caller's transaction.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from calendars import Region
from states import (
    AllegationState,
    CaseFacts,
    CaseState,
    DeadlineKind,
    RequiredAction,
    StrategyDiscussion,
)
from workflows.domain import (
    AlertStep,
    AssessmentSubmission,
    Case,
    CaseEvent,
    CaseEventKind,
    Deadline,
    DeadlineStatus,
    HeldStrategyDiscussion,
    MachineMark,
)
from workflows.errors import CaseNotFound, StaleCase
from workflows.persistence.chain import GENESIS, chain_rows
from workflows.persistence.tables import case_events, cases, deadlines, subjects

__all__ = [
    "DeadlineSnapshot",
    "deadline_from_row",
    "event_from_row",
    "insert_case",
    "load_case",
    "load_events",
    "save_case",
    "snapshot_case",
    "snapshot_deadlines",
]

DeadlineSnapshot = dict[int, tuple[Any, ...]]

_DEADLINE_COLUMNS = (
    deadlines.c.id,
    deadlines.c.case_id,
    deadlines.c.kind,
    deadlines.c.anchor_at,
    deadlines.c.due_date,
    deadlines.c.due_at,
    deadlines.c.status,
    deadlines.c.met_at,
    deadlines.c.calendar_version,
    deadlines.c.policy_name,
    deadlines.c.urgent,
    deadlines.c.next_alert_at,
    deadlines.c.next_alert_level,
    deadlines.c.anchor_seq,
    deadlines.c.met_seq,
)


# Statements built once, with bound parameters, so that SQLAlchemy's compiled cache is hit at once
# and no per-call statement building is paid (bench/events.py). They are executed on the session's
# connection: Core execution, no ORM objects.
# the hash of the log's last entry (the chain's head), read with the case
_LOG_HEAD = (
    select(case_events.c.hash)
    .where(case_events.c.case_id == cases.c.id, case_events.c.seq == cases.c.last_seq)
    .scalar_subquery()
    .label("log_head_hash")
)
# the case, its log's head and its deadlines in one round trip (a case has a handful of deadlines)
_SELECT_CASE_WITH_DEADLINES = (
    select(cases, _LOG_HEAD, *(c.label(f"d_{c.name}") for c in _DEADLINE_COLUMNS))
    .select_from(cases.outerjoin(deadlines, deadlines.c.case_id == cases.c.id))
    .where(cases.c.id == bindparam("b_case_id"))
    .order_by(deadlines.c.id)
)
_SELECT_EVENTS = (
    select(case_events)
    .where(case_events.c.case_id == bindparam("b_case_id"))
    .order_by(case_events.c.seq)
)
# SET takes every key of the parameters that names a column; WHERE carries the optimistic lock
_UPDATE_CASE = update(cases).where(
    cases.c.id == bindparam("b_id"), cases.c.version == bindparam("b_version")
)
_UPDATE_DEADLINE = update(deadlines).where(deadlines.c.id == bindparam("b_id"))
_INSERT_DEADLINES = insert(deadlines).returning(deadlines.c.id, sort_by_parameter_order=True)
_INSERT_EVENTS = insert(case_events)
_SELECT_ENTRY_HASH = select(case_events.c.hash).where(
    case_events.c.case_id == bindparam("b_case_id"), case_events.c.seq == bindparam("b_seq")
)
_DELETE_SUBJECTS = delete(subjects).where(subjects.c.case_id == bindparam("b_case_id"))
_INSERT_SUBJECTS = insert(subjects)


def deadline_from_row(row: Row[Any] | Mapping[str, Any]) -> Deadline:
    m = row._mapping if isinstance(row, Row) else row
    level = m["next_alert_level"]
    return Deadline(
        id=m["id"],
        case_id=m["case_id"],
        kind=DeadlineKind(m["kind"]),
        anchor_at=m["anchor_at"],
        due_date=m["due_date"],
        due_at=m["due_at"],
        status=DeadlineStatus(m["status"]),
        met_at=m["met_at"],
        calendar_version=m["calendar_version"],
        policy_name=m["policy_name"],
        urgent=m["urgent"],
        next_alert_at=m["next_alert_at"],
        next_alert_level=AlertStep(level) if level is not None else None,
        anchor_seq=m.get("anchor_seq"),
        met_seq=m.get("met_seq"),
    )


def _deadline_values(d: Deadline, case_id: int) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "kind": d.kind.value,
        "anchor_at": d.anchor_at,
        "due_date": d.due_date,
        "due_at": d.due_at,
        "status": d.status.value,
        "met_at": d.met_at,
        "calendar_version": d.calendar_version,
        "policy_name": d.policy_name,
        "urgent": d.urgent,
        "next_alert_at": d.next_alert_at,
        "next_alert_level": d.next_alert_level.value if d.next_alert_level else None,
        "anchor_seq": d.anchor_seq,
        "met_seq": d.met_seq,
    }


def snapshot_deadlines(case: Case) -> DeadlineSnapshot:
    """The stored values of the case's persisted deadlines, to write back only what changed."""
    assert case.id is not None
    return {
        d.id: tuple(_deadline_values(d, case.id).values())
        for d in case.deadlines
        if d.id is not None
    }


_MISSING = object()


def snapshot_case(case: Case) -> dict[str, Any]:
    """The stored column values of a loaded case, to write back only what changed."""
    return _case_values(case)


def event_from_row(row: Row[Any]) -> CaseEvent:
    m = row._mapping
    return CaseEvent(
        seq=m["seq"],
        at=m["at"],
        recorded_at=m["recorded_at"],
        late=bool(m["late"]),
        corrects=m["corrects"],
        actor=m["actor"],
        kind=CaseEventKind(m["kind"]),
        event=m["event"],
        machine=m["machine"],
        from_state=m["from_state"],
        to_state=m["to_state"],
        data=dict(m["data"]),
        calendar_version=m["calendar_version"],
    )


def _discussions_to_json(held: Sequence[HeldStrategyDiscussion]) -> list[dict[str, Any]]:
    return [
        {
            "at": h.at.isoformat(),
            "record": h.record.model_dump(mode="json"),
            "started_section_47": h.started_section_47,
            "seq": h.seq,
        }
        for h in held
    ]


def _discussions_from_json(raw: Iterable[Mapping[str, Any]]) -> list[HeldStrategyDiscussion]:
    return [
        HeldStrategyDiscussion(
            at=datetime.fromisoformat(item["at"]),
            record=StrategyDiscussion.model_validate(item["record"]),
            started_section_47=bool(item["started_section_47"]),
            seq=item.get("seq"),
        )
        for item in raw
    ]


def _marks_to_json(marks: Mapping[str, MachineMark]) -> dict[str, Any]:
    return {
        name: {"at": m.at.isoformat(), "event": m.event, "seq": m.seq}
        for name, m in sorted(marks.items())
    }


def _marks_from_json(raw: Mapping[str, Any] | None) -> dict[str, MachineMark]:
    return {
        name: MachineMark(datetime.fromisoformat(m["at"]), m["event"], int(m["seq"]))
        for name, m in (raw or {}).items()
    }


def _assessment_to_json(a: AssessmentSubmission | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {"by": a.by, "at": a.at.isoformat(), "seq": a.seq, "factors": list(a.factors)}


def _assessment_from_json(raw: Mapping[str, Any] | None) -> AssessmentSubmission | None:
    if not raw:
        return None
    return AssessmentSubmission(
        by=raw["by"],
        at=datetime.fromisoformat(raw["at"]),
        seq=int(raw["seq"]),
        factors=tuple(raw.get("factors") or ()),
    )


def _case_values(case: Case) -> dict[str, Any]:
    return {
        "region": case.region.value,
        "policy_name": case.policy_name,
        "state": case.state.value,
        "allegation_state": case.allegation_state.value if case.allegation_state else None,
        "facts": case.facts.model_dump(mode="json"),
        "required_actions": [a.value for a in case.required_actions],
        "do_not_inform_family": case.do_not_inform_family,
        "restricted": case.restricted,
        "owner_id": case.owner_id,
        "team_id": case.team_id,
        "outcome": case.outcome,
        "discussions": _discussions_to_json(case.strategy_discussions),
        "section_47_started_at": case.section_47_started_at,
        "referral_at": case.referral_at,
        "referral_seq": case.referral_seq,
        "last_event_at": case.last_event_at,
        "last_seq": case.last_seq,
        "machine_last": _marks_to_json(case.machine_last),
        "assessment": _assessment_to_json(case.assessment),
        "unallocated_since": case.unallocated_since,
        "created_at": case.created_at,
    }


def load_events(session: Session, case_id: int) -> list[CaseEvent]:
    """The case's log, oldest first."""
    rows = session.connection().execute(_SELECT_EVENTS, {"b_case_id": case_id})
    return [event_from_row(r) for r in rows]


def load_case(session: Session, case_id: int, *, with_history: bool = False) -> Case:
    rows = session.connection().execute(_SELECT_CASE_WITH_DEADLINES, {"b_case_id": case_id}).all()
    if not rows:
        raise CaseNotFound(f"no case with id {case_id}")
    m = rows[0]._mapping
    case = Case(
        id=m["id"],
        reference=m["reference"],
        region=Region(m["region"]),
        policy_name=m["policy_name"],
        state=CaseState(m["state"]),
        allegation_state=AllegationState(m["allegation_state"]) if m["allegation_state"] else None,
        facts=CaseFacts.model_validate(m["facts"]),
        required_actions=tuple(RequiredAction(a) for a in m["required_actions"]),
        do_not_inform_family=m["do_not_inform_family"],
        restricted=m["restricted"],
        owner_id=m["owner_id"],
        team_id=m["team_id"],
        outcome=m["outcome"],
        version=m["version"],
        strategy_discussions=_discussions_from_json(m["discussions"]),
        section_47_started_at=m["section_47_started_at"],
        referral_at=m["referral_at"],
        referral_seq=m["referral_seq"],
        last_event_at=m["last_event_at"],
        last_seq=m["last_seq"],
        machine_last=_marks_from_json(m["machine_last"]),
        assessment=_assessment_from_json(m["assessment"]),
        unallocated_since=m["unallocated_since"],
        created_at=m["created_at"],
    )
    if m["log_head_hash"] is not None:
        case.log_head = (m["last_seq"], m["log_head_hash"])
    case.deadlines = [
        deadline_from_row({c.name: r._mapping[f"d_{c.name}"] for c in _DEADLINE_COLUMNS})
        for r in rows
        if r._mapping["d_id"] is not None
    ]
    if with_history:
        case.history = load_events(session, case_id)
    return case


def _subject_rows(case_id: int, facts: CaseFacts) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "case_id": case_id,
            "role": "child",
            "name": child.name,
            "details": child.model_dump(mode="json"),
            "person_id": child.person_id,
        }
        for child in facts.children
    ]
    if facts.alleged_abuser is not None:
        rows.append(
            {
                "case_id": case_id,
                "role": "alleged_abuser",
                "name": facts.alleged_abuser.name,
                "details": facts.alleged_abuser.model_dump(mode="json"),
                "person_id": facts.alleged_abuser.person_id,
            }
        )
    return rows


def _write_subjects(session: Session, case_id: int, facts: CaseFacts) -> None:
    conn = session.connection()
    conn.execute(_DELETE_SUBJECTS, {"b_case_id": case_id})
    rows = _subject_rows(case_id, facts)
    if rows:
        conn.execute(_INSERT_SUBJECTS, rows)


def _prev_hash(session: Session, case: Case, seq: int) -> str:
    """The hash of the case's entry `seq` (GENESIS before the first): the head read with the
    case, else looked up. A missing entry (deleted by someone who bypassed the triggers) chains
    to GENESIS, and `esafety audit verify` reports the gap."""
    if seq == 0:
        return GENESIS
    if case.log_head is not None and case.log_head[0] == seq:
        return case.log_head[1]
    found = (
        session.connection()
        .execute(_SELECT_ENTRY_HASH, {"b_case_id": case.id, "b_seq": seq})
        .scalar_one_or_none()
    )
    return found if found is not None else GENESIS


def _append_events(session: Session, case: Case, events: Sequence[CaseEvent]) -> None:
    """Append the entries to the log, each chained to the one before (the one place where log
    rows are written, `workflows.persistence.chain`)."""
    if not events:
        return
    assert case.id is not None
    rows: list[dict[str, Any]] = [
        {
            "case_id": case.id,
            "seq": e.seq,
            "at": e.at,
            "recorded_at": e.recorded_at,
            "late": e.late,
            "corrects": e.corrects,
            "actor": e.actor,
            "kind": e.kind.value,
            "event": e.event,
            "machine": e.machine,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "data": e.data,
            "calendar_version": e.calendar_version,
        }
        for e in events
    ]
    for before, after in itertools.pairwise(events):
        if after.seq != before.seq + 1:
            raise ValueError(f"log entries {before.seq} and {after.seq} are not consecutive")
    head = chain_rows(rows, _prev_hash(session, case, events[0].seq - 1))
    session.connection().execute(_INSERT_EVENTS, rows)
    case.log_head = (events[-1].seq, head)


def _write_deadlines(session: Session, case: Case, before: DeadlineSnapshot | None = None) -> None:
    assert case.id is not None
    new = [d for d in case.deadlines if d.id is None]
    changed: list[dict[str, Any]] = []
    for d in case.deadlines:
        if d.id is None:
            continue
        values = _deadline_values(d, case.id)
        if before is None or before.get(d.id) != tuple(values.values()):
            changed.append({"b_id": d.id, **values})
    conn = session.connection()
    if changed:
        conn.execute(_UPDATE_DEADLINE, changed)
    if new:
        ids = conn.execute(_INSERT_DEADLINES, [_deadline_values(d, case.id) for d in new]).scalars()
        for d, new_id in zip(new, ids, strict=True):
            d.id = new_id
            d.case_id = case.id


def insert_case(session: Session, case: Case, *, at: datetime) -> int:
    """Insert a new case, its deadlines, subjects and log. A case without a reference gets
    `ESF-<id>` (zero-padded), also written into its `raise_concern` log entry before the log is
    appended. Sets `case.id`, `case.reference` and `case.version` (1)."""
    placeholder = case.reference or f"pending-{uuid.uuid4().hex}"
    case_id: int = session.execute(
        insert(cases)
        .values(
            **_case_values(case),
            reference=placeholder,
            updated_at=at,
            version=1,
        )
        .returning(cases.c.id)
    ).scalar_one()
    if not case.reference:
        case.reference = f"ESF-{case_id:06d}"
        session.execute(update(cases).where(cases.c.id == case_id).values(reference=case.reference))
        for event in case.pending_events:
            if event.data.get("reference") == "":
                event.data["reference"] = case.reference
    case.id = case_id
    case.version = 1
    for d in case.deadlines:
        d.case_id = case_id
    _write_deadlines(session, case)
    _write_subjects(session, case_id, case.facts)
    _append_events(session, case, case.drain_events())
    return case_id


def save_case(
    session: Session,
    case: Case,
    *,
    at: datetime,
    loaded_version: int,
    deadlines_before: DeadlineSnapshot,
    case_before: dict[str, Any] | None = None,
) -> None:
    """Write a loaded and changed case back. The UPDATE carries `version = loaded_version` in its
    WHERE clause: if another transaction changed the case first, no row matches and `StaleCase`
    is raised before anything else is written (the caller's transaction then rolls back).
    With `case_before` (from `snapshot_case` at load time) only the changed columns are written
    and the subjects are rewritten only when the facts changed."""
    assert case.id is not None
    values = _case_values(case)
    if case_before is not None:  # write only the columns that changed
        values = {k: v for k, v in values.items() if case_before.get(k, _MISSING) != v}
    result = session.connection().execute(
        _UPDATE_CASE,
        {
            **values,
            "updated_at": at,
            "version": loaded_version + 1,
            "b_id": case.id,
            "b_version": loaded_version,
        },
    )
    if result.rowcount != 1:
        raise StaleCase(
            f"case {case.reference} was changed by someone else since it was read "
            f"(version {loaded_version}); reload it and try again"
        )
    case.version = loaded_version + 1
    _write_deadlines(session, case, deadlines_before)
    if "facts" in values and (case_before is None or case_before.get("facts") != values["facts"]):
        _write_subjects(session, case.id, case.facts)
    _append_events(session, case, case.drain_events())
