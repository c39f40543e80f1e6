"""The Children in Need census return (DESIGN 8): the DfE's CIN census XML for a reporting year.

The reporting year ending 31 March YYYY runs from 1 April YYYY-1 to 31 March YYYY (the header's
`ReferenceDate`; the collection `Year` is YYYY). The return holds the modules the service records:

- child identifiers (`LAchildID`, `UPN`, date of birth or expected date of birth, `Sex` from the
  2024 to 2025 return on, `GenderCurrent` before it) and characteristics (ethnicity,
  disabilities), from the person record (`persons`; DESIGN 2.4);
- one `CINdetails` per referral episode (`workflows.returns.episodes`) open at any time in the
  year: referral date, source and primary need (the `refer` data), closure date and reason
  (`close`, or a step down to early help), `ReferralNFA` (a referral closed with no assessment and
  no Section 47 enquiry);
- its assessments (start, authorisation date, factors), Section 47 enquiries (start, the ICPC's
  target date as the deadline engine set it, the ICPC date, ICPC not required) and child
  protection plans (start, end, initial and latest category of abuse, review conference dates).

Which records go in (the DfE's rules for a year's return, checked by `csc-validator-be-cin`):
everything dated after the reference date is left out (the log is read as it stood at the end of
31 March, so a case closed later is open in the return); an episode goes in when it started on or
before the reference date and had not closed before the year began; within it, an assessment
authorised, a Section 47 enquiry whose conference was held, a plan or review that ended before the
year began belong to an earlier return and are left out.

The same person in several cases is one `Child` with a `CINdetails` per episode of every case,
oldest first. The LA child ID is `ESF` and the person's id (a child not linked to a person record:
`ESFS` and the subject's id), at most 20 letters and digits as the census rules require
(`la_child_id`).

Streaming: `write_census` writes the XML element by element to a text file object, a child at a
time (text escaped with `xml.sax.saxutils.escape`); `census_children` reads the children in
batches of `batch_size` people (their subjects, the transition events and ICPC deadlines of
their cases: one query each per batch, naming a range of ids rather than a list), so memory holds
one or two batches, never the whole return. On PostgreSQL the next batch is read in a thread
while this one is written (`_prefetched`). Speed at national scale (650,000 referrals): see
docs/benchmarks.md; what costs is Python's work per log entry, so the reading takes only the
columns the episodes use, unpacks rows by position, and leaves the concern's own entry undecoded.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import IO, Any, TypeVar
from xml.sax.saxutils import escape

from sqlalchemy import and_, case, func, null, select, type_coerce

from calendars import end_of_london_day
from states import DeadlineKind, Event
from workflows.domain import CaseEvent, CaseEventKind, Deadline
from workflows.persistence import SessionFactory
from workflows.persistence.repository import deadline_from_row
from workflows.persistence.tables import case_events, cases, deadlines, persons, subjects
from workflows.returns.episodes import Assessment, Plan, Referral, Section47, episodes_of

__all__ = [
    "FIRST_SEX_YEAR",
    "MAX_LA_CHILD_ID",
    "CaseEpisodes",
    "CensusChild",
    "CensusHeader",
    "CensusYear",
    "census_children",
    "census_year",
    "child_record",
    "export_census",
    "la_child_id",
    "write_census",
]

FIRST_SEX_YEAR = 2025
"""The first collection year (reporting year 2024 to 2025) whose return has `Sex`, not
`GenderCurrent`."""
MAX_LA_CHILD_ID = 20
_LA_CHILD_ID = re.compile(r"[A-Za-z0-9]{1,20}")
_GENDER_CURRENT = {"M": "1", "F": "2", "U": "0"}
_FIRST_YEAR, _LAST_YEAR = 2014, 2099


class CensusError(ValueError):
    """A census return that cannot be made as asked (a year or LA code out of range)."""


@dataclass(frozen=True)
class CensusYear:
    """The reporting year ending on 31 March `year`."""

    year: int

    @property
    def start(self) -> date:
        return date(self.year - 1, 4, 1)

    @property
    def reference_date(self) -> date:
        return date(self.year, 3, 31)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.reference_date


def census_year(year: int) -> CensusYear:
    """The reporting year ending 31 March `year`; `CensusError` outside 2014 to 2099 (the CIN
    census in its present form, and the service's calendars)."""
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise CensusError(
            f"year {year}: the CIN census years run from {_FIRST_YEAR} to {_LAST_YEAR}"
        )
    return CensusYear(year)


@dataclass(frozen=True)
class CensusHeader:
    """The return's header: LA code (3 digits), the year, and the software that made it."""

    la_code: str
    year: CensusYear
    made_at: datetime
    software: str = "esafety-flow"
    release: str = "1"
    serial: str = "001"


def la_child_id(person_id: int | None, subject_id: int) -> str:
    """The LA child ID of a person (or of a child subject with no person record)."""
    text = f"ESF{person_id}" if person_id is not None else f"ESFS{subject_id}"
    if not _LA_CHILD_ID.fullmatch(text):
        raise CensusError(f"LA child ID {text!r}: more than {MAX_LA_CHILD_ID} characters")
    return text


@dataclass(frozen=True)
class CaseEpisodes:
    """One case of a child: its reference, owner, the child's place among its children (1-based)
    and the case's episodes as they stood at the end of the reference date."""

    case_id: int
    reference: str
    owner_id: int | None
    child_number: int
    referrals: tuple[Referral, ...]
    plan_starts: tuple[date, ...] = ()


@dataclass(frozen=True)
class CensusChild:
    """One child of the return: identifiers, characteristics and episodes in the year."""

    la_child_id: str
    upn: str | None = None
    date_of_birth: date | None = None
    expected_date_of_birth: date | None = None
    sex: str | None = None
    ethnicity: str | None = None
    disabilities: tuple[str, ...] = ()
    referrals: tuple[Referral, ...] = ()
    plan_starts: tuple[date, ...] = ()
    cases: tuple[CaseEpisodes, ...] = field(default=(), compare=False)

    def previous_plans(self, plan: Plan) -> int:
        """How many child protection plans the child had before this one (NumberOfPreviousCPP):
        the plans recorded by the service, in any case and any year."""
        return sum(1 for start in self.plan_starts if start < plan.start)


def _before_end(events: Sequence[CaseEvent], year: CensusYear) -> list[CaseEvent]:
    """The log as it stood at the end of the reference date (corrections made by then included,
    events dated after it left out)."""
    end = end_of_london_day(year.reference_date)
    return [e for e in events if e.at < end and (e.corrects is None or e.recorded_at < end)]


def _in_year(referral: Referral, year: CensusYear) -> Referral | None:
    """The referral as it goes in the year's return, or None if it belongs to another year."""
    if referral.referral_date > year.reference_date:
        return None
    if referral.closure_date is not None and referral.closure_date < year.start:
        return None
    assessments = tuple(
        a for a in referral.assessments if a.authorised is None or a.authorised >= year.start
    )
    s47s = tuple(s for s in referral.section_47s if s.icpc is None or s.icpc >= year.start)
    plans = tuple(
        replace(p, reviews=tuple(r for r in p.reviews if r >= year.start))
        for p in referral.plans
        if p.end is None or p.end >= year.start
    )
    return replace(referral, assessments=assessments, section_47s=s47s, plans=plans)


def year_referrals(
    history: Sequence[CaseEvent], icpc_deadlines: Sequence[Deadline], year: CensusYear
) -> tuple[tuple[Referral, ...], tuple[date, ...]]:
    """A case's referral episodes in the year's return, and the start dates of every child
    protection plan of the case up to the reference date (to count a child's previous plans)
    (pure)."""
    kept = [d for d in icpc_deadlines if d.anchor_at < end_of_london_day(year.reference_date)]
    episodes = episodes_of(_before_end(history, year), kept)
    starts = tuple(p.start for e in episodes for p in e.plans)
    return tuple(r for r in (_in_year(e, year) for e in episodes) if r is not None), starts


def child_record(
    child_id: str, person: Mapping[str, Any], cases_of_child: Sequence[CaseEpisodes]
) -> CensusChild | None:
    """The child's record from their person row (or subject details) and their cases' episodes
    in the year; None when no episode of theirs falls in the year."""
    ordered = sorted(cases_of_child, key=lambda c: (c.referrals[0].referral_date, c.case_id))
    referrals = sorted((r for c in ordered for r in c.referrals), key=lambda r: r.referral_date)
    if not referrals:
        return None
    disabilities = tuple(str(d) for d in person.get("disabilities") or ())
    return CensusChild(
        la_child_id=child_id,
        upn=person.get("upn"),
        date_of_birth=_as_date(person.get("date_of_birth")),
        expected_date_of_birth=_as_date(person.get("expected_date_of_birth")),
        sex=person.get("sex"),
        ethnicity=person.get("ethnicity"),
        disabilities=disabilities,
        referrals=tuple(referrals),
        plan_starts=tuple(sorted(d for c in cases_of_child for d in c.plan_starts)),
        cases=tuple(c for c in ordered if c.referrals),
    )


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# -- reading the database, in batches -------------------------------------------------------------

_T = TypeVar("_T")
_TRANSITION = CaseEventKind.TRANSITION.value
_ICPC = DeadlineKind.INITIAL_CHILD_PROTECTION_CONFERENCE.value
_PERSON_COLUMNS = (
    persons.c.upn,
    persons.c.date_of_birth,
    persons.c.expected_date_of_birth,
    persons.c.sex,
    persons.c.ethnicity,
    persons.c.disabilities,
)


def census_children(
    sf: SessionFactory, year: CensusYear, *, batch_size: int = 500
) -> Iterator[CensusChild]:
    """Every child with an episode in the year, in order of LA child ID's person id (children
    with a person record first, then any child subject without one), read `batch_size` people
    at a time: each batch is a range of person ids (then of subject ids), so its queries name
    the range rather than a list of ids, and the next batch is read while this one is written
    (`_prefetched`)."""
    batches = _batches(sf, batch_size)
    with sf() as session:
        if session.get_bind().dialect.name == "postgresql":
            batches = _prefetched(batches)
    for batch in batches:
        yield from _children_of(year, batch)


def _prefetched(items: Iterator[_T]) -> Generator[_T]:
    """`items`, read one ahead in a thread of its own: while the caller works on one batch, the
    next one's queries run (PostgreSQL does the reading in its own process, so the two overlap).
    An error in the reading is raised to the caller; a caller that stops early stops the
    reading once the batch being read is done."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="census-prefetch") as reader:
        ahead = reader.submit(next, items, None)
        while (item := ahead.result()) is not None:
            ahead = reader.submit(next, items, None)
            yield item


@dataclass(frozen=True)
class _Batch:
    """The rows of one batch of children: their subjects (with person items), and their cases'
    references, child subjects, transitions and conference deadlines."""

    children: list[dict[str, Any]]
    cases: list[Any]
    child_subjects: list[Any]
    events: list[Any]
    icpcs: list[Any]


def _batches(sf: SessionFactory, batch_size: int) -> Iterator[_Batch]:
    child = subjects.c.role == "child"
    last = 0
    while True:
        with sf() as session:
            next_ids = (
                select(subjects.c.person_id)
                .where(child, subjects.c.person_id > last)
                .distinct()
                .order_by(subjects.c.person_id)
                .limit(batch_size)
                .subquery("next_ids")
            )
            upper = session.execute(select(func.max(next_ids.c.person_id))).scalar()
            if upper is None:
                break
            in_range = and_(child, subjects.c.person_id > last, subjects.c.person_id <= upper)
            rows = session.execute(
                select(subjects.c.id, subjects.c.case_id, subjects.c.person_id, *_PERSON_COLUMNS)
                .join(persons, persons.c.id == subjects.c.person_id)
                .where(in_range)
            ).all()
            yield _read_cases(session, [dict(r._mapping) for r in rows], in_range)
            last = upper
    last = 0
    while True:
        with sf() as session:
            rows = session.execute(
                select(subjects.c.id, subjects.c.case_id, subjects.c.person_id, subjects.c.details)
                .where(child, subjects.c.person_id.is_(None), subjects.c.id > last)
                .order_by(subjects.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            in_range = and_(
                child, subjects.c.person_id.is_(None), subjects.c.id.between(last + 1, rows[-1].id)
            )
            unlinked = [{**dict(r.details), **dict(r._mapping)} for r in rows]
            yield _read_cases(session, unlinked, in_range)
            last = rows[-1].id


def _read_cases(session: Any, children: list[dict[str, Any]], in_range: Any) -> _Batch:
    """The rows of the cases of the children that `in_range` selects."""
    case_ids = select(subjects.c.case_id).where(in_range).scalar_subquery()
    return _Batch(
        children=children,
        cases=session.execute(
            select(cases.c.id, cases.c.reference, cases.c.owner_id).where(cases.c.id.in_(case_ids))
        ).all(),
        child_subjects=session.execute(
            select(subjects.c.id, subjects.c.case_id)
            .where(subjects.c.case_id.in_(case_ids), subjects.c.role == "child")
            .order_by(subjects.c.case_id, subjects.c.id)
        ).all(),
        events=session.execute(
            select(*_EVENT_COLUMNS)
            .where(case_events.c.case_id.in_(case_ids), case_events.c.kind == _TRANSITION)
            .order_by(case_events.c.case_id, case_events.c.seq)
        ).all(),
        icpcs=session.execute(
            select(deadlines).where(deadlines.c.case_id.in_(case_ids), deadlines.c.kind == _ICPC)
        ).all(),
    )


def _children_of(year: CensusYear, batch: _Batch) -> Iterator[CensusChild]:
    case_rows = {r.id: r for r in batch.cases}
    numbers = _child_numbers(batch.child_subjects)
    history: dict[int, list[CaseEvent]] = defaultdict(list)
    for r in batch.events:
        history[r[0]].append(_event(r))
    icpcs: dict[int, list[Deadline]] = defaultdict(list)
    for r in batch.icpcs:
        icpcs[r.case_id].append(deadline_from_row(r))
    referrals = {cid: year_referrals(history[cid], icpcs[cid], year) for cid in case_rows}
    by_child: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in batch.children:
        by_child[la_child_id(r["person_id"], r["id"])].append(r)
    for child_id, child_rows in by_child.items():
        episodes = [
            CaseEpisodes(
                case_id=r["case_id"],
                reference=case_rows[r["case_id"]].reference,
                owner_id=case_rows[r["case_id"]].owner_id,
                child_number=numbers.get(r["id"], 1),
                referrals=referrals[r["case_id"]][0],
                plan_starts=referrals[r["case_id"]][1],
            )
            for r in child_rows
            if referrals[r["case_id"]][0]
        ]
        record = child_record(child_id, child_rows[0], episodes)
        if record is not None:
            yield record


_EVENT_COLUMNS = (
    case_events.c.case_id,
    case_events.c.seq,
    case_events.c.at,
    case_events.c.recorded_at,
    case_events.c.corrects,
    case_events.c.actor,
    case_events.c.event,
    case_events.c.machine,
    case_events.c.from_state,
    case_events.c.to_state,
    # the concern's own entry (its text and the people named) is the largest of a case and the
    # episodes read nothing of it: not read, so not decoded
    type_coerce(
        case((case_events.c.event == Event.RAISE_CONCERN.value, null()), else_=case_events.c.data),
        case_events.c.data.type,
    ),
)


def _event(row: Any) -> CaseEvent:
    """A transition of the log with what the episodes read (not its calendar version), from a
    row of `_EVENT_COLUMNS` (unpacked by position: the export reads every transition of the
    year)."""
    (_case, seq, at, recorded_at, corrects, actor, event, machine, from_state, to_state, data) = row
    return CaseEvent(
        seq=seq,
        at=at,
        recorded_at=recorded_at,
        corrects=corrects,
        actor=actor,
        kind=CaseEventKind.TRANSITION,
        event=event,
        machine=machine,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )


def _child_numbers(child_subjects: Sequence[Any]) -> dict[int, int]:
    """Each child subject's place among its case's children (1-based, in the order recorded),
    from the child subjects in order of case and id."""
    numbers: dict[int, int] = {}
    seen: dict[int, int] = defaultdict(int)
    for r in child_subjects:
        seen[r.case_id] += 1
        numbers[r.id] = seen[r.case_id]
    return numbers


# -- writing the XML, element by element ----------------------------------------------------------


class _Writer:
    """Writes elements to a text file as they come: each child's elements are gathered and
    written in one call when the child is done (`flush`), so the file grows child by child and
    memory holds at most one child's text."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.parts: list[str] = []
        self.depth = 0

    def open(self, name: str) -> None:
        self.parts.append(f"\n{'  ' * self.depth}<{name}>")
        self.depth += 1

    def close(self, name: str) -> None:
        self.depth -= 1
        self.parts.append(f"\n{'  ' * self.depth}</{name}>")

    def item(self, name: str, value: object) -> None:
        if value is None:
            return
        text = value.isoformat() if isinstance(value, date) else escape(str(value))
        self.parts.append(f"\n{'  ' * self.depth}<{name}>{text}</{name}>")

    def flush(self) -> None:
        self.out.write("".join(self.parts))
        self.parts.clear()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def write_census(out: IO[str], header: CensusHeader, children: Iterable[CensusChild]) -> int:
    """Write the return to `out` as the children come; returns how many children it holds."""
    w = _Writer(out)
    w.parts.append('<?xml version="1.0" encoding="utf-8"?>')
    w.open("Message")
    w.open("Header")
    w.open("CollectionDetails")
    w.item("Collection", "CIN")
    w.item("Year", header.year.year)
    w.item("ReferenceDate", header.year.reference_date)
    w.close("CollectionDetails")
    w.open("Source")
    w.item("SourceLevel", "L")
    w.item("LEA", header.la_code)
    w.item("SoftwareCode", header.software)
    w.item("Release", header.release)
    w.item("SerialNo", header.serial)
    w.item("DateTime", header.made_at.astimezone(UTC).replace(tzinfo=None, microsecond=0))
    w.close("Source")
    w.close("Header")
    w.open("Children")
    count = 0
    w.flush()
    for child in children:
        _write_child(w, child, header.year)
        w.flush()
        count += 1
    w.close("Children")
    w.close("Message")
    w.parts.append("\n")
    w.flush()
    return count


def _write_child(w: _Writer, child: CensusChild, year: CensusYear) -> None:
    w.open("Child")
    w.open("ChildIdentifiers")
    w.item("LAchildID", child.la_child_id)
    w.item("UPN", child.upn)
    w.item("PersonBirthDate", child.date_of_birth)
    w.item("ExpectedPersonBirthDate", child.expected_date_of_birth)
    unborn = child.date_of_birth is None and child.expected_date_of_birth is not None
    sex = child.sex or ("U" if unborn else None)  # an unborn child is U (rule 8750)
    if year.year >= FIRST_SEX_YEAR:
        w.item("Sex", sex)
    else:
        w.item("GenderCurrent", _GENDER_CURRENT.get(sex or ""))
    w.close("ChildIdentifiers")
    w.open("ChildCharacteristics")
    w.item("Ethnicity", child.ethnicity)
    if child.disabilities:
        w.open("Disabilities")
        for code in child.disabilities:
            w.item("Disability", code)
        w.close("Disabilities")
    w.close("ChildCharacteristics")
    for referral in child.referrals:
        _write_referral(w, referral, child)
    w.close("Child")


def _write_referral(w: _Writer, r: Referral, child: CensusChild) -> None:
    w.open("CINdetails")
    w.item("CINreferralDate", r.referral_date)
    w.item("ReferralSource", r.source)
    w.item("PrimaryNeedCode", r.primary_need)
    w.item("CINclosureDate", r.closure_date)
    if r.closure_date is not None:
        w.item("ReasonForClosure", r.reason_for_closure)
    for a in r.assessments:
        _write_assessment(w, a)
    for s in r.section_47s:
        _write_section_47(w, s)
    w.item("ReferralNFA", _flag(r.no_further_action))
    for p in r.plans:
        _write_plan(w, p, child.previous_plans(p))
    w.close("CINdetails")


def _write_assessment(w: _Writer, a: Assessment) -> None:
    w.open("Assessments")
    w.item("AssessmentActualStartDate", a.start)
    w.item("AssessmentAuthorisationDate", a.authorised)
    if a.authorised is not None and a.factors:
        w.open("FactorsIdentifiedAtAssessment")
        for code in a.factors:
            w.item("AssessmentFactors", code)
        w.close("FactorsIdentifiedAtAssessment")
    w.close("Assessments")


def _write_section_47(w: _Writer, s: Section47) -> None:
    w.open("Section47")
    w.item("S47ActualStartDate", s.start)
    w.item("InitialCPCtarget", s.icpc_target)
    w.item("DateOfInitialCPC", s.icpc)
    w.item("ICPCnotRequired", _flag(s.icpc_not_required and s.icpc is None))
    w.close("Section47")


def _write_plan(w: _Writer, p: Plan, previous: int) -> None:
    w.open("ChildProtectionPlans")
    w.item("CPPstartDate", p.start)
    w.item("CPPendDate", p.end)
    w.item("InitialCategoryOfAbuse", p.initial_category)
    w.item("LatestCategoryOfAbuse", p.latest_category)
    w.item("NumberOfPreviousCPP", previous)
    for day in p.reviews:  # one Reviews group per review conference
        w.open("Reviews")
        w.item("CPPreviewDate", day)
        w.close("Reviews")
    w.close("ChildProtectionPlans")


def export_census(
    sf: SessionFactory, out: IO[str], header: CensusHeader, *, batch_size: int = 500
) -> int:
    """Write the year's return from the database to `out`; returns the number of children."""
    return write_census(out, header, census_children(sf, header.year, batch_size=batch_size))
