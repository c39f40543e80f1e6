"""Calendar administration: the region's working-day calendar as configured, and the one-off
bank holidays and local closure days an administrator adds (DESIGN 3.2).

A calendar is versioned data: the `holidays` package's days plus the rows of `calendar_days`.
`add_calendar_day` records a day (one transaction), then `recalculate_region` recomputes the open
deadlines of the region's cases in batches, each batch its own transaction, so that a region of
100,000 cases neither holds one transaction for minutes nor loses the whole run to one concurrent
edit. Each move is in its case's log with both dates and both calendar versions.

Resumable: a case still to do is one with an open deadline stored with another calendar version
than the region's current one (`recalculate` stamps every open deadline it looks at with the
version it used), so running `recalculate_region` again after a crash does what is left and
nothing twice. A case changed by someone else while its batch ran (`StaleCase` at the save) is
read again and recomputed in a transaction of its own; the rest of the batch is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, select
from sqlalchemy.orm import Session

from calendars import (
    BankHoliday,
    CalendarSpec,
    Region,
    WorkingDayCalendar,
    build_calendar,
    calendar_for,
    london_date,
    to_utc,
)
from workflows import engine as domain
from workflows.domain import CaseEventKind, DeadlineStatus
from workflows.errors import InvalidRecord, StaleCase
from workflows.lookups import PolicyFor
from workflows.persistence.engine import SessionFactory, reading
from workflows.persistence.repository import (
    load_case,
    save_case,
    snapshot_deadlines,
)
from workflows.persistence.tables import (
    calendar_days,
    cases,
    deadlines,
)

__all__ = [
    "CalendarDayRecord",
    "Move",
    "Recalculation",
    "add_calendar_day",
    "calendar_for_version",
    "calendar_spec",
    "list_calendar_days",
    "load_calendar",
    "preview_calendar_change",
    "recalculate_region",
    "remove_calendar_day",
]

log = logging.getLogger(__name__)

RECALCULATION_BATCH = 200
"""Cases recomputed in one transaction."""
STALE_RETRIES = 3
"""How many times a case changed meanwhile is read again before the run gives it up for now."""


# -- calendars -----------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _calendar(spec: CalendarSpec) -> WorkingDayCalendar:
    return build_calendar(spec)


@dataclass(frozen=True)
class CalendarDayRecord:
    region: Region
    date: date
    name: str
    kind: str
    added_by: str
    added_at: datetime


def list_calendar_days(sf: SessionFactory, region: Region | None = None) -> list[CalendarDayRecord]:
    """The one-off bank holidays and closure days administrators added, by date."""
    query = select(calendar_days).order_by(calendar_days.c.date)
    if region is not None:
        query = query.where(calendar_days.c.region == Region(region).value)
    with reading(sf) as session:
        return [
            CalendarDayRecord(
                region=Region(r.region),
                date=r.date,
                name=r.name,
                kind=r.kind,
                added_by=r.added_by,
                added_at=r.added_at,
            )
            for r in session.execute(query)
        ]


def _spec_in(session: Session, region: Region, *, closures: bool) -> CalendarSpec:
    rows = session.execute(
        select(calendar_days.c.date, calendar_days.c.name, calendar_days.c.kind)
        .where(calendar_days.c.region == region.value)
        .order_by(calendar_days.c.date)
    ).all()
    extra = tuple(BankHoliday(r.date, r.name, "one_off") for r in rows if r.kind == "one_off")
    closure = tuple(BankHoliday(r.date, r.name, "closure") for r in rows if r.kind == "closure")
    return CalendarSpec(region, extra_days=extra, closure_days=closure if closures else ())


def calendar_spec(sf: SessionFactory, region: Region, *, closures: bool = False) -> CalendarSpec:
    """The region's calendar as configured: the `holidays` bank holidays, the one-off days added
    in `calendar_days` and, when `closures` (the authority's option), its local closure days."""
    with reading(sf) as session:
        return _spec_in(session, Region(region), closures=closures)


def load_calendar(
    sf: SessionFactory, region: Region, *, closures: bool = False
) -> WorkingDayCalendar:
    """The region's current calendar (built once per distinct spec and shared)."""
    return _calendar(calendar_spec(sf, region, closures=closures))


def calendar_for_version(sf: SessionFactory, version: str) -> WorkingDayCalendar:
    """Rebuild the calendar a stored `calendar_version` names (its region, one-off and closure
    dates; names come from `calendar_days`). Used to replay a log judged with older calendars."""
    try:
        region_text, _holidays, extra_part, closure_part = version.split("/")
        region = Region.parse(region_text)
    except ValueError as exc:
        raise InvalidRecord(f"calendar version {version!r} cannot be read: {exc}") from None
    with reading(sf) as session:
        names = {
            (r.date, r.kind): r.name
            for r in session.execute(
                select(calendar_days.c.date, calendar_days.c.kind, calendar_days.c.name).where(
                    calendar_days.c.region == region.value
                )
            )
        }
        current = _spec_in(session, region, closures=True)

    def days(part: str, prefix: str, kind: Any) -> tuple[BankHoliday, ...]:
        listed = part.removeprefix(prefix)
        if listed == "none":
            return ()
        if listed.endswith("days-") or "days-" in listed:  # a digest: today's closure list
            return current.closure_days
        found = [date.fromisoformat(t) for t in listed.split(",")]
        return tuple(BankHoliday(d, names.get((d, kind), "one-off day"), kind) for d in found)

    spec = CalendarSpec(
        region,
        extra_days=days(extra_part, "extra:", "one_off"),
        closure_days=days(closure_part, "closure:", "closure"),
    )
    return _calendar(spec)


# -- calendar changes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recalculation:
    """What a recalculation did: cases recomputed, deadlines moved, batches, batches redone case by
    case because someone changed one of their cases meanwhile, and cases left for the next run
    (changed again at every retry)."""

    cases: int = 0
    moved: int = 0
    batches: int = 0
    redone: int = 0
    left: int = 0


Progress = Callable[[int, int], None]
"""Called after each batch with (cases done, cases to do at the start)."""


def _stale_cases(region: Region, version: str) -> Any:
    """The region's cases with an open deadline computed on another calendar version."""
    return and_(
        cases.c.region == region.value,
        exists().where(
            deadlines.c.case_id == cases.c.id,
            deadlines.c.status == DeadlineStatus.OPEN.value,
            deadlines.c.calendar_version != version,
        ),
    )


def _recompute(
    session: Session,
    case_id: int,
    calendar: WorkingDayCalendar,
    *,
    at: datetime,
    actor: str,
    policy_for: PolicyFor,
) -> int:
    """Recompute one case's open deadlines inside `session`; the number moved. `StaleCase` when
    the case changed since it was read."""
    case = load_case(session, case_id)
    loaded_version = case.version
    before = snapshot_deadlines(case)
    policy = policy_for(case.policy_name)
    events = domain.recalculate(case, calendar, at=at, actor=actor, policy=policy)
    if events or snapshot_deadlines(case) != before:
        save_case(session, case, at=at, loaded_version=loaded_version, deadlines_before=before)
    return sum(1 for e in events if e.kind is CaseEventKind.DEADLINE_MOVED)


def recalculate_region(
    sf: SessionFactory,
    region: Region,
    *,
    at: datetime,
    actor: str,
    policy_for: PolicyFor,
    closures_enabled: bool = False,
    batch_size: int = RECALCULATION_BATCH,
    progress: Progress | None = None,
) -> Recalculation:
    """Recompute, on the region's current calendar, every open deadline not yet computed on it,
    `batch_size` cases a transaction (see the module's docstring). `at` and `actor` date and sign
    the `deadline_moved` entries: a resumed run passes the instant the day was recorded."""
    if batch_size < 1:
        raise InvalidRecord(f"batch size {batch_size}: at least 1")
    region = Region(region)
    at = to_utc(at)
    calendar = load_calendar(sf, region, closures=closures_enabled)
    todo = _stale_cases(region, calendar.version)
    with sf() as session:
        total = session.execute(select(func.count()).select_from(cases).where(todo)).scalar_one()
    done = moved = batches = redone = left = 0
    after = 0
    while True:
        with sf() as session:
            ids = list(
                session.execute(
                    select(cases.c.id)
                    .where(todo, cases.c.id > after)
                    .order_by(cases.c.id)
                    .limit(batch_size)
                ).scalars()
            )
        if not ids:
            break
        after = ids[-1]
        batches += 1
        try:
            with sf.begin() as session:
                moved_here = sum(
                    _recompute(session, i, calendar, at=at, actor=actor, policy_for=policy_for)
                    for i in ids
                )
            moved += moved_here
            done += len(ids)
        except StaleCase:
            # someone changed a case of this batch meanwhile: the batch is rolled back and each
            # of its cases done alone, a changed one read again
            redone += 1
            for case_id in ids:
                for attempt in range(STALE_RETRIES):
                    try:
                        with sf.begin() as session:
                            moved += _recompute(
                                session,
                                case_id,
                                calendar,
                                at=at,
                                actor=actor,
                                policy_for=policy_for,
                            )
                        done += 1
                        break
                    except StaleCase:
                        if attempt == STALE_RETRIES - 1:
                            left += 1
        if progress is not None:
            progress(done, total)
        log.info("recalculated %d of %d cases of %s", done, total, region.value)
    return Recalculation(cases=done, moved=moved, batches=batches, redone=redone, left=left)


def _statutory_name(spec: CalendarSpec, day: date) -> str | None:
    """The name of the statutory bank holiday on `day`, if it is one (weekdays only)."""
    try:
        found = calendar_for(spec.region).bank_holidays(day.year)
    except ValueError:
        return None
    return next((h.name for h in found if h.date == day and h.kind == "statutory"), None)


def _refuse_day(spec: CalendarSpec, day: date, *, today: date) -> None:
    """A day that cannot be added: in the past (its deadlines are already judged), a weekend or a
    statutory bank holiday (never a working day already)."""
    if day < today:
        raise InvalidRecord(
            f"{day} is in the past: a day off can be added from today ({today}) onwards"
        )
    if day.weekday() >= 5:
        raise InvalidRecord(f"{day} is a {day:%A}: a weekend day is never a working day")
    statutory = _statutory_name(spec, day)
    if statutory is not None:
        raise InvalidRecord(f"{day} is already a bank holiday in {spec.region.value}: {statutory}")


@dataclass(frozen=True)
class Move:
    """An open deadline a calendar change would move (for the check before confirming it)."""

    case_id: int
    reference: str
    owner_id: int | None
    deadline: str
    old_due: date
    new_due: date


def _affected_cases(session: Session, region: Region, day: date) -> list[int]:
    return list(
        session.execute(
            select(cases.c.id)
            .where(
                cases.c.region == region.value,
                exists().where(
                    deadlines.c.case_id == cases.c.id,
                    deadlines.c.status == DeadlineStatus.OPEN.value,
                    deadlines.c.due_date >= day,
                ),
            )
            .order_by(cases.c.id)
        ).scalars()
    )


def preview_calendar_change(
    sf: SessionFactory,
    *,
    region: Region,
    day: date,
    name: str,
    at: datetime,
    policy_for: PolicyFor,
    remove: bool = False,
    kind: str = "one_off",
    closures_enabled: bool = False,
) -> list[Move]:
    """The open deadlines that adding (or, with `remove`, removing) the day would move, with
    their old and new due dates. Reads only; refuses what `add_calendar_day` or
    `remove_calendar_day` would refuse."""
    region = Region(region)
    at = to_utc(at)
    with reading(sf) as session:
        before = _spec_in(session, region, closures=closures_enabled)
        listed = session.execute(
            select(calendar_days.c.kind).where(
                calendar_days.c.region == region.value, calendar_days.c.date == day
            )
        ).scalar_one_or_none()
        if remove:
            if listed is None:
                raise InvalidRecord(f"{day} is not a day off added to {region.value}")
            _refuse_past(day, at)
            spec = CalendarSpec(
                region,
                extra_days=tuple(d for d in before.extra_days if d.date != day),
                closure_days=tuple(d for d in before.closure_days if d.date != day),
            )
        else:
            if listed is not None:
                raise InvalidRecord(f"{day} is already a day off in {region.value}")
            _refuse_day(before, day, today=london_date(at))
            new_day = BankHoliday(
                day, name or "day off", "one_off" if kind == "one_off" else "closure"
            )
            try:
                spec = CalendarSpec(
                    region,
                    extra_days=(*before.extra_days, new_day)
                    if kind == "one_off"
                    else before.extra_days,
                    closure_days=(*before.closure_days, new_day)
                    if kind == "closure" and closures_enabled
                    else before.closure_days,
                )
            except ValueError as exc:
                raise InvalidRecord(f"{day}: {exc}") from None
        if spec == before:
            return []
        calendar = _calendar(spec)
        moves: list[Move] = []
        for case_id in _affected_cases(session, region, day):
            case = load_case(session, case_id)
            events = domain.recalculate(
                case, calendar, at=at, actor="preview", policy=policy_for(case.policy_name)
            )
            moves.extend(
                Move(
                    case_id,
                    case.reference,
                    case.owner_id,
                    str(e.data["deadline"]),
                    date.fromisoformat(e.data["old_due_date"]),
                    date.fromisoformat(e.data["new_due_date"]),
                )
                for e in events
                if e.kind is CaseEventKind.DEADLINE_MOVED
            )
        session.rollback()
        return moves


def _refuse_past(day: date, at: datetime) -> None:
    today = london_date(at)
    if day < today:
        raise InvalidRecord(f"{day} is in the past: its deadlines are already judged")


def remove_calendar_day(
    sf: SessionFactory,
    *,
    region: Region,
    day: date,
    removed_by: str,
    at: datetime,
    policy_for: PolicyFor,
    closures_enabled: bool = False,
    batch_size: int = RECALCULATION_BATCH,
    progress: Progress | None = None,
) -> tuple[str, int]:
    """Remove a day off added by mistake (today or later) and move the open deadlines back, each
    move in its case's log. Returns the day's name and how many deadlines moved. The caller
    records the removal in the audit trail (who, when, which day)."""
    region = Region(region)
    at = to_utc(at)
    _refuse_past(day, at)
    with sf.begin() as session:
        name = session.execute(
            select(calendar_days.c.name).where(
                calendar_days.c.region == region.value, calendar_days.c.date == day
            )
        ).scalar_one_or_none()
        if name is None:
            raise InvalidRecord(f"{day} is not a day off added to {region.value}")
        session.execute(
            delete(calendar_days).where(
                calendar_days.c.region == region.value, calendar_days.c.date == day
            )
        )
    moved = recalculate_region(
        sf,
        region,
        at=at,
        actor=removed_by,
        policy_for=policy_for,
        closures_enabled=closures_enabled,
        batch_size=batch_size,
        progress=progress,
    ).moved
    return str(name), moved


def add_calendar_day(
    sf: SessionFactory,
    *,
    region: Region,
    day: date,
    name: str,
    added_by: str,
    at: datetime,
    policy_for: PolicyFor,
    kind: str = "one_off",
    closures_enabled: bool = False,
    batch_size: int = RECALCULATION_BATCH,
    progress: Progress | None = None,
) -> int:
    """Record a one-off bank holiday (or a local closure day), then recompute the open deadlines
    of the region's cases with the new calendar in batches (`recalculate_region`; DESIGN 3.2:
    19 September 2022 was announced ten days ahead). Returns how many deadlines moved; each move
    is in its case's log."""
    region = Region(region)
    at = to_utc(at)
    if kind not in ("one_off", "closure"):
        raise InvalidRecord(f"kind {kind!r}: expected one_off or closure")
    with sf.begin() as session:
        exists = session.execute(
            select(calendar_days.c.name).where(
                calendar_days.c.region == region.value, calendar_days.c.date == day
            )
        ).first()
        if exists is not None:
            raise InvalidRecord(f"{day} is already a day off in {region.value}: {exists.name}")
        spec_before = _spec_in(session, region, closures=closures_enabled)
        _refuse_day(spec_before, day, today=london_date(at))
        extra = spec_before.extra_days
        closure = spec_before.closure_days
        new_day = BankHoliday(day, name, "one_off" if kind == "one_off" else "closure")
        try:
            spec = CalendarSpec(
                region,
                extra_days=(*extra, new_day) if kind == "one_off" else extra,
                closure_days=(*closure, new_day)
                if kind == "closure" and closures_enabled
                else closure,
            )
        except ValueError as exc:
            raise InvalidRecord(f"{day}: {exc}") from None
        session.execute(
            insert(calendar_days).values(
                region=region.value, date=day, name=name, kind=kind, added_by=added_by, added_at=at
            )
        )
        if spec == spec_before:  # a closure day while closures are off changes nothing
            return 0
    return recalculate_region(
        sf,
        region,
        at=at,
        actor=added_by,
        policy_for=policy_for,
        closures_enabled=closures_enabled,
        batch_size=batch_size,
        progress=progress,
    ).moved
