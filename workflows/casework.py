"""Casework use cases: recording a concern, firing events, reading a case and its deadlines.

Each function opens one transaction (`with session_factory.begin()`), loads what it needs through
the repository, calls the pure domain (`workflows.engine`) and writes back. A refusal
(`TransitionRefused`, `InvalidStep`, `InvalidEventData`, `StaleCase`) is raised inside the
transaction, so it rolls back and nothing is written.

Optimistic locking: a case row carries `version`; `save_case` updates it with
`WHERE id = :id AND version = :loaded` and raises `StaleCase` when another transaction got there
first. `apply_event(..., expected_version=n)` also refuses a change made against an older read.

Times are parameters: nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, delete, insert, select
from sqlalchemy.orm import Session

from calendars import Region, WorkingDayCalendar, london_date, to_utc
from states import (
    CaseFacts,
    Event,
    InvalidEventData,
    Policy,
    RecordFactsData,
    as_event,
    error_kinds,
    parse_event_data,
)
from workflows import engine as domain
from workflows import organisation, people, permissions
from workflows.calendar_days import calendar_for_version
from workflows.domain import Case, Deadline, DeadlineStatus
from workflows.errors import CaseNotFound, InvalidRecord, StaleCase
from workflows.lookups import PolicyFor
from workflows.notifications import NoticeKind, notify
from workflows.organisation import check_users
from workflows.persistence.engine import SessionFactory, reading
from workflows.persistence.repository import (
    deadline_from_row,
    insert_case,
    load_case,
    load_events,
    save_case,
    snapshot_case,
    snapshot_deadlines,
)
from workflows.persistence.tables import (
    case_managers,
    case_views,
    cases,
    deadlines,
    teams,
)

__all__ = [
    "NO_CHILD",
    "SYSTEM_ACTOR",
    "DeadlineView",
    "EventPreview",
    "apply_event",
    "get_case",
    "list_deadlines",
    "preview_event",
    "raise_concern",
    "record_case_view",
    "replay_case",
    "set_case_managers",
]


# -- cases ---------------------------------------------------------------------------------------


def _facts(facts: CaseFacts | Mapping[str, Any]) -> CaseFacts:
    if isinstance(facts, CaseFacts):
        return facts
    try:
        return CaseFacts.model_validate(facts)
    except ValidationError as exc:
        problems = "; ".join(
            f"facts.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidEventData(
            f"raise_concern: {problems}",
            [(("facts", *loc), kind) for loc, kind in error_kinds(exc)],
        ) from None


NO_CHILD = (
    "a concern names at least one child, or the alleged abuser it is about (DESIGN 2): a child "
    "not yet identified, such as one shown in images, is recorded by a description or initials"
)
"""The refusal of a concern, or a facts update, that leaves a case with neither a child nor an
alleged abuser: nobody to safeguard and nobody to act on. A concern about an adult's conduct
(an allegation against a teacher) with no child identified yet is a case (DESIGN 2.2)."""


def raise_concern(
    sf: SessionFactory,
    *,
    facts: CaseFacts | Mapping[str, Any],
    at: datetime,
    actor: str,
    region: Region,
    policy: Policy,
    calendar: WorkingDayCalendar,
    owner_id: int | None = None,
    team_id: int | None = None,
    reference: str | None = None,
    recorded_at: datetime | None = None,
) -> Case:
    """Record a concern: a new case in `concern`, triaged, with the deadlines triage starts, and
    its children and named alleged abuser linked to person records (`workflows.people`). `at` is
    when the concern was received, `recorded_at` (default `at`) when it is written down. A
    concern naming neither a child nor an alleged abuser is refused (`InvalidEventData`,
    `NO_CHILD`)."""
    parsed = _facts(facts)
    if not parsed.children and parsed.alleged_abuser is None:
        raise InvalidEventData(f"raise_concern: facts.children: {NO_CHILD}")
    at = to_utc(at)
    recorded = to_utc(recorded_at) if recorded_at is not None else at
    _check_birth_dates(parsed, at, "raise_concern: facts")
    with sf.begin() as session:
        linked = people.link_people(session, parsed, at=recorded)
        case = domain.raise_concern(
            linked,
            at=at,
            actor=actor,
            region=Region(region),
            policy=policy,
            calendar=calendar,
            reference=reference or "",  # empty: persistence assigns ESF-<id>
            recorded_at=recorded,
        )
        case.owner_id = owner_id
        case.team_id = team_id
        if case.restricted and permissions.passes_to_lado(
            organisation.role_of(session, owner_id),
            restricted=True,
            lados=organisation.count_active(session, "lado"),
        ):
            case.owner_id = None
            case.unallocated_since = at
        insert_case(session, case, at=recorded)
    return case


def _check_birth_dates(facts: CaseFacts | RecordFactsData, at: datetime, where: str) -> None:
    """A date of birth after the day of the event is a mistake (an unborn child has an expected
    date of birth instead)."""
    day = london_date(at)
    for i, child in enumerate(facts.children or ()):
        if child.date_of_birth is not None and child.date_of_birth > day:
            raise InvalidEventData(
                f"{where}.children.{i}.date_of_birth: is after {day.isoformat()}: for a child not "
                "yet born, give the expected date of birth"
            )
    abuser = facts.alleged_abuser
    if abuser is not None and abuser.date_of_birth is not None and abuser.date_of_birth > day:
        raise InvalidEventData(f"{where}.alleged_abuser.date_of_birth: is after {day.isoformat()}")


SYSTEM_ACTOR = "esafety-flow"
"""The actor of what the service does by itself (passing a case to the LADOs)."""

_NEEDS_HISTORY = frozenset({Event.CORRECT_DATE, Event.ADD_NOTE})
"""Events the domain checks against the case's whole log (the corrected event, the amended
note)."""


def _prepare(
    session: Session, case: Case, event: Event, data: Mapping[str, Any] | None, at: datetime
) -> Mapping[str, Any] | None:
    """What the service adds to an event's data before the domain sees it: the people a facts
    update names (linked to person records), the owner's and team's ids of an allocation or a
    transfer (so that the log alone replays them)."""
    if data is None:
        return None
    if event is Event.RECORD_FACTS:
        parsed = parse_event_data(event, data)
        assert isinstance(parsed, RecordFactsData)
        abuser = parsed.alleged_abuser or case.facts.alleged_abuser
        if parsed.children is not None and not parsed.children and abuser is None:
            raise InvalidEventData(f"record_facts: data.children: {NO_CHILD}")
        _check_birth_dates(parsed, at, "record_facts: data")
        if parsed.children is None and parsed.alleged_abuser is None:
            return data
        try:
            merged = case.facts.merged(parsed)
        except ValueError as exc:
            raise InvalidEventData(f"record_facts: {exc}") from None
        linked = people.link_people(session, merged, at=at)
        out = dict(data)
        if parsed.children is not None:
            out["children"] = [c.model_dump(mode="json") for c in linked.children]
        if parsed.alleged_abuser is not None and linked.alleged_abuser is not None:
            out["alleged_abuser"] = linked.alleged_abuser.model_dump(mode="json")
        return out
    if event is Event.ALLOCATE and data.get("owner"):
        return {**data, "owner_id": organisation.user_id_of(session, str(data["owner"]))}
    if event is Event.TRANSFER and data.get("team"):
        return {**data, "team_id": organisation.team_id_of(session, str(data["team"]))}
    return data


def apply_event(
    sf: SessionFactory,
    case_id: int,
    event: Event | str,
    *,
    at: datetime,
    actor: str,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    calendar: WorkingDayCalendar,
    policy: Policy,
    recorded_at: datetime | None = None,
) -> Case:
    """Fire `event` on the case and store the result (states, facts, deadlines, log). `at` is
    when it happened (DESIGN 2.3), `recorded_at` (default `at`) when it is written down.

    `expected_version`: the version the caller read (a form, an API client); a case changed since
    then raises `StaleCase`. Refusals raise and write nothing; an event name outside the contract
    raises `states.UnknownEvent` (bad input, not a refusal)."""
    event = as_event(event)
    at = to_utc(at)
    recorded = to_utc(recorded_at) if recorded_at is not None else at
    with sf.begin() as session:
        case = load_case(session, case_id, with_history=event in _NEEDS_HISTORY)
        if expected_version is not None and case.version != expected_version:
            raise StaleCase(
                f"case {case.reference} is at version {case.version}, not {expected_version}: "
                "someone else changed it; reload it and try again"
            )
        loaded_version = case.version
        before = snapshot_deadlines(case)
        case_before = snapshot_case(case)
        prepared = _prepare(session, case, event, data, recorded)
        was_restricted = case.restricted
        domain.fire(
            case,
            event,
            at=at,
            actor=actor,
            data=prepared,
            calendar=calendar,
            policy=policy,
            recorded_at=recorded,
        )
        owner_before = case_before["owner_id"]
        # only a case that has just become restricted needs the look-ups
        if (
            case.restricted
            and not was_restricted
            and permissions.passes_to_lado(
                organisation.role_of(session, case.owner_id),
                restricted=True,
                lados=organisation.count_active(session, "lado"),
            )
        ):
            # the case has become an allegations case: it leaves its owner for the LADOs'
            # unallocated list (DESIGN 2.5), logged as a transfer so that replay keeps it
            domain.fire(
                case,
                Event.TRANSFER,
                at=recorded,
                actor=SYSTEM_ACTOR,
                data={"lado": True, "reason": "the case is now an allegations (LADO) case"},
                calendar=calendar,
                policy=policy,
                recorded_at=recorded,
            )
            notify(
                session,
                user_id=owner_before,
                kind=NoticeKind.PASSED_ON,
                case_id=case_id,
                at=recorded,
            )
        _tell(session, case, event, prepared or {}, owner_before, recorded)
        save_case(
            session,
            case,
            at=recorded,
            loaded_version=loaded_version,
            deadlines_before=before,
            case_before=case_before,
        )
    return case


@dataclass(frozen=True)
class EventPreview:
    """What an event would do to a case, judged without writing: the case as it would be, and
    the deadlines open before it that it would cancel, meet, or leave open."""

    case: Case
    cancelled: tuple[Deadline, ...]
    met: tuple[Deadline, ...]
    still_open: tuple[Deadline, ...]


def preview_event(
    sf: SessionFactory,
    case_id: int,
    event: Event | str,
    *,
    at: datetime,
    actor: str,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    calendar: WorkingDayCalendar,
    policy: Policy,
    recorded_at: datetime | None = None,
) -> EventPreview:
    """What `apply_event` with the same arguments would do, for a page that asks the user to
    check before a step that cannot be undone (closing a case cancels its open deadlines).
    Reads only (the transaction is rolled back); raises what `apply_event` would raise."""
    event = as_event(event)
    at = to_utc(at)
    recorded = to_utc(recorded_at) if recorded_at is not None else at
    with sf() as session:
        case = load_case(session, case_id, with_history=event in _NEEDS_HISTORY)
        if expected_version is not None and case.version != expected_version:
            raise StaleCase(
                f"case {case.reference} is at version {case.version}, not {expected_version}: "
                "someone else changed it; reload it and try again"
            )
        open_before = [d for d in case.deadlines if d.is_open]
        prepared = _prepare(session, case, event, data, recorded)
        domain.fire(
            case,
            event,
            at=at,
            actor=actor,
            data=prepared,
            calendar=calendar,
            policy=policy,
            recorded_at=recorded,
        )
        session.rollback()
    # `fire` changes the deadlines in place: each open one before is now cancelled, met or open
    return EventPreview(
        case,
        cancelled=tuple(d for d in open_before if d.status is DeadlineStatus.CANCELLED),
        met=tuple(
            d for d in open_before if not d.is_open and d.status is not DeadlineStatus.CANCELLED
        ),
        still_open=tuple(d for d in open_before if d.is_open),
    )


def _tell(
    session: Session,
    case: Case,
    event: Event,
    data: Mapping[str, Any],
    owner_before: int | None,
    at: datetime,
) -> None:
    """DESIGN 2.5: the new owner is told that work has been allocated to them; a team's manager
    that a case has been transferred to their unallocated list."""
    assert case.id is not None
    if event is Event.ALLOCATE and case.owner_id != owner_before:
        notify(session, user_id=case.owner_id, kind=NoticeKind.ALLOCATED, case_id=case.id, at=at)
    elif event is Event.TRANSFER and case.team_id is not None and not data.get("lado"):
        manager = session.execute(
            select(teams.c.manager_id).where(teams.c.id == case.team_id)
        ).scalar_one_or_none()
        notify(session, user_id=manager, kind=NoticeKind.TRANSFERRED, case_id=case.id, at=at)


def get_case(sf: SessionFactory, case_id: int, *, with_history: bool = True) -> Case:
    """The case with its deadlines and (by default) its log; `CaseNotFound` if there is none."""
    with reading(sf) as session:
        return load_case(session, case_id, with_history=with_history)


def replay_case(sf: SessionFactory, case_id: int, policy_for: PolicyFor) -> Case:
    """Rebuild the case from its event log alone (each event with the calendar it was judged
    with). Tests compare the result with the stored case."""
    with reading(sf) as session:
        row = session.execute(select(cases.c.policy_name).where(cases.c.id == case_id)).first()
        if row is None:
            raise CaseNotFound(f"no case with id {case_id}")
        events = load_events(session, case_id)
    return domain.replay(events, lambda v: calendar_for_version(sf, v), policy_for(row.policy_name))


@dataclass(frozen=True)
class DeadlineView:
    """A deadline with its case, and its DESIGN 6 status as judged at `as_of`."""

    deadline: Deadline
    case_id: int
    reference: str
    owner_id: int | None
    team_id: int | None
    status: str


_VIEW_STATUSES = ("open", "overdue", "met", "missed", "cancelled")


def list_deadlines(
    sf: SessionFactory,
    *,
    as_of: datetime,
    owner_id: int | None = None,
    team_id: int | None = None,
    statuses: Iterable[str] | None = None,
    case_id: int | None = None,
) -> list[DeadlineView]:
    """Deadlines by due instant, filtered by owner, team, case and DESIGN 6 status (`open`,
    `overdue`, `met`, `missed`, `cancelled`) judged at `as_of`."""
    as_of = to_utc(as_of)
    wanted = set(statuses) if statuses is not None else set(_VIEW_STATUSES)
    unknown = wanted - set(_VIEW_STATUSES)
    if unknown:
        raise InvalidRecord(
            f"unknown deadline status {sorted(unknown)}: expected some of {list(_VIEW_STATUSES)}"
        )
    stored = {s for s in wanted if s in ("met", "missed", "cancelled")}
    if wanted & {"open", "overdue"}:
        stored.add("open")
    query = (
        select(deadlines, cases.c.reference, cases.c.owner_id, cases.c.team_id)
        .join(cases, cases.c.id == deadlines.c.case_id)
        .where(deadlines.c.status.in_(sorted(stored)))
        .order_by(deadlines.c.due_at, deadlines.c.id)
    )
    if "open" in wanted and "overdue" not in wanted:
        query = query.where(~and_(deadlines.c.status == "open", deadlines.c.due_at <= as_of))
    if "overdue" in wanted and "open" not in wanted:
        query = query.where(~and_(deadlines.c.status == "open", deadlines.c.due_at > as_of))
    if owner_id is not None:
        query = query.where(cases.c.owner_id == owner_id)
    if team_id is not None:
        query = query.where(cases.c.team_id == team_id)
    if case_id is not None:
        query = query.where(deadlines.c.case_id == case_id)
    with reading(sf) as session:
        result = []
        for row in session.execute(query):
            d = deadline_from_row(row)
            result.append(
                DeadlineView(
                    deadline=d,
                    case_id=row.case_id,
                    reference=row.reference,
                    owner_id=row.owner_id,
                    team_id=row.team_id,
                    status=d.status_at(as_of),
                )
            )
        return result


def record_case_view(sf: SessionFactory, case_id: int, user_id: int, *, at: datetime) -> None:
    """Audit: who opened which case when."""
    with sf.begin() as session:
        if session.execute(select(cases.c.id).where(cases.c.id == case_id)).first() is None:
            raise CaseNotFound(f"no case with id {case_id}")
        session.execute(insert(case_views).values(case_id=case_id, user_id=user_id, at=to_utc(at)))


def set_case_managers(sf: SessionFactory, case_id: int, user_ids: Sequence[int]) -> None:
    """Name the managers who may see a restricted case (replaces the list)."""
    with sf.begin() as session:
        if session.execute(select(cases.c.id).where(cases.c.id == case_id)).first() is None:
            raise CaseNotFound(f"no case with id {case_id}")
        check_users(session, user_ids)
        session.execute(delete(case_managers).where(case_managers.c.case_id == case_id))
        if user_ids:
            session.execute(
                insert(case_managers),
                [{"case_id": case_id, "user_id": u} for u in dict.fromkeys(user_ids)],
            )
