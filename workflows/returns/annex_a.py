"""Ofsted's Annex A lists (DESIGN 8): the child-level lists a local authority hands the
inspectors on the first day of an inspection of its children's services (ILACS), drawn up from
the case log at any date.

Lists 1 (contacts), 3 (referrals), 4 (assessments), 5 (Section 47 enquiries and initial child
protection conferences) and 7 (children on a child protection plan), with the template's column
headings and code lists (docs/returns.md, "Annex A", says where each comes from and how it is
filled in). `annex_a(sf, as_of=...)` reads the database in batches of cases and returns the lists;
`write_workbook(annex, out)` writes them as an XLSX workbook (openpyxl's write-only mode: rows
are streamed to the file, one sheet per list).

The lists read the log as it now reads (corrected dates at their corrected times) up to the end
of the as-of date (Europe/London): what happened after it is left out, so a past date gives the
lists as they stood then. Look-back periods run back from the as-of date by calendar months
(`calendars.add_months`): six months for lists 1, 3, 4 and 5 (inclusive of both ends); list 7
holds the plans open at the as-of date. One row per child of the case (a contact or referral
about two children is two rows); a child is the person record shared across cases (DESIGN
2.4), so the "in the last 12 months" counts run across the child's cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import select

from calendars import add_months, end_of_london_day, london_date
from states import DeadlineKind, Event
from states.census import Ethnicity
from workflows.domain import CaseEvent, Deadline, effective_history
from workflows.persistence.engine import SessionFactory
from workflows.persistence.repository import deadline_from_row, event_from_row
from workflows.persistence.tables import case_events, cases, deadlines, persons, teams, users
from workflows.returns.episodes import Referral, episodes_of

__all__ = [
    "ANNEX_A_LISTS",
    "LOOK_BACK_MONTHS",
    "AnnexA",
    "AnnexList",
    "ListSpec",
    "annex_a",
    "write_workbook",
]

LOOK_BACK_MONTHS = 6
"""Lists 1, 3, 4 and 5: the six months before the inspection."""
COUNT_MONTHS = 12
"""The "in the last 12 months" counts of lists 3 and 5."""

_COMMON = (
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
)
_DISABILITY = "Does the Child have a Disability"
_ALLOCATED = ("Allocated Team", "Allocated Worker")


@dataclass(frozen=True)
class ListSpec:
    """One list of the template: its number, sheet name, title and column headings."""

    number: int
    title: str
    columns: tuple[str, ...]

    @property
    def sheet(self) -> str:
        return f"List {self.number}"


ANNEX_A_LISTS: tuple[ListSpec, ...] = (
    ListSpec(1, "Contacts", (*_COMMON, "Date of Contact", "Contact Source")),
    ListSpec(
        3,
        "Referrals",
        (
            *_COMMON,
            "Date of referral",
            "Referral Source",
            "Referral NFA?",
            "Number of Referrals in Last 12 Months",
            *_ALLOCATED,
        ),
    ),
    ListSpec(
        4,
        "Assessments",
        (
            *_COMMON,
            _DISABILITY,
            "Continuous Assessment Start Date",
            "Child Seen During Continuous Assessment",
            "Continuous Assessment Date of Authorisation",
            "Was the child assessed as requiring LA children's social care support?",
            *_ALLOCATED,
        ),
    ),
    ListSpec(
        5,
        "Section 47 enquiries and ICPCs",
        (
            *_COMMON,
            _DISABILITY,
            "Strategy discussion initiating Section 47 Enquiry Start Date",
            "Was an Initial Child Protection Conference deemed unnecessary?",
            "Date of Initial Child Protection Conference",
            "Did the Initial Child Protection Conference Result in a Child Protection Plan",
            "Number of Section 47 Enquiries in the last 12 months",
            "Number of ICPCs in the last 12 months",
            *_ALLOCATED,
        ),
    ),
    ListSpec(
        7,
        "Child protection plans",
        (
            *_COMMON,
            _DISABILITY,
            "Child Protection Plan Start Date",
            "Initial Category of Abuse",
            "Latest Category of Abuse",
            "Date of the Last Statutory Visit",
            "Was the Child Seen Alone?",
            "Date of latest review conference",
            "Child Protection Plan End Date",
            "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
            "Months (Y/N)",
            "Number of Previous Child Protection Plans",
            *_ALLOCATED,
        ),
    ),
)

# The template's code lists, as its drop-downs spell them.
YES, NO, UNKNOWN = "a) Yes", "b) No", "c) Unknown"
_GENDER = {"M": "a) Male", "F": "b) Female"}
_GENDER_NOT_RECORDED = "c) Not stated/recorded"
_ETHNICITY = {code.value: f"{chr(ord('a') + i)}) {code.value}" for i, code in enumerate(Ethnicity)}
_SOURCE = {
    "1A": "a) 1A: Individual",
    "1B": "b) 1B: Individual",
    "1C": "c) 1C: Individual",
    "1D": "d) 1D: Individual",
    "2A": "e) 2A: Schools",
    "2B": "f) 2B: Education services",
    "3A": "g) 3A: Health services",
    "3B": "h) 3B: Health services",
    "3C": "i) 3C: Health services",
    "3D": "j) 3D: Health services",
    "3E": "k) 3E: Health services",
    "3F": "l) 3F: Health services",
    "4": "m) 4: Housing",
    "5A": "n) 5A: LA services",
    "5B": "o) 5B: LA services",
    "5C": "p) 5C: LA services",
    "5D": "p1) 5D: LA services",
    "6": "q) 6: Police",
    "7": "r) 7: Other legal agency",
    "8": "s) 8: Other",
    "9": "t) 9: Anonymous",
    "10": "u) 10: Unknown",
}
_CATEGORY = {
    "NEG": "a) Neglect",
    "PHY": "b) Physical abuse",
    "SAB": "c) Sexual abuse",
    "EMO": "d) Emotional abuse",
    "MUL": "e) Multiple/not recommended",
}
_NO_SUPPORT_CLOSURES = frozenset({"RC8", "RC9"})


@dataclass(frozen=True)
class AnnexList:
    """One list as drawn up: its spec and its rows (one value per column; dates as `date`)."""

    spec: ListSpec
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class AnnexA:
    as_of: date
    since: date
    """The first day of the six-month look-back."""
    lists: tuple[AnnexList, ...]

    def list(self, number: int) -> AnnexList:
        return next(x for x in self.lists if x.spec.number == number)


@dataclass(frozen=True)
class _Child:
    key: str
    columns: tuple[Any, ...]
    disability: str


@dataclass
class _CaseRecord:
    team: str | None
    worker: str | None
    children: tuple[_Child, ...]
    concern: date | None
    referrals: tuple[Referral, ...]
    visits: tuple[date, ...]


@dataclass
class _People:
    """Per child, the dates the "in the last 12 months" and "previous plans" counts read."""

    referrals: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))
    section_47s: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))
    icpcs: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))
    plans: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))


def _age(born: date | None, on: date) -> int | None:
    if born is None or born > on:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _disability(codes: Sequence[str] | None) -> str:
    if not codes:
        return UNKNOWN
    return NO if list(codes) == ["NONE"] else YES


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _child(
    reference: str, index: int, raw: Mapping[str, Any], person: Mapping[str, Any] | None, on: date
) -> _Child:
    """A child of a case as the lists show them: the person record's census items (as last
    recorded on any case), else what this case recorded."""
    src: Mapping[str, Any] = person if person is not None else raw
    born = _as_date(src.get("date_of_birth"))
    age = _age(born, on)
    if age is None and born is None and src.get("expected_date_of_birth") is None:
        age = raw.get("age")
    key = str(person["id"]) if person is not None else f"{reference}-{index + 1}"
    sex = src.get("sex")
    ethnicity = src.get("ethnicity")
    return _Child(
        key=key,
        columns=(
            key,
            _GENDER.get(str(sex), _GENDER_NOT_RECORDED),
            _ETHNICITY.get(str(ethnicity)) if ethnicity else None,
            born,
            age,
        ),
        disability=_disability(src.get("disabilities")),
    )


def _until(history: Sequence[CaseEvent], as_of: date) -> list[CaseEvent]:
    """The log as it now reads, up to the end of the as-of date (corrections applied and then
    dropped, so that reading it again changes nothing)."""
    cutoff = end_of_london_day(as_of)
    return [e for e in effective_history(history) if e.corrects is None and e.at < cutoff]


def _record(
    row: Mapping[str, Any],
    history: Sequence[CaseEvent],
    icpc_deadlines: Sequence[Deadline],
    people: Mapping[int, Mapping[str, Any]],
    names: tuple[Mapping[int, str], Mapping[int, str]],
    as_of: date,
) -> _CaseRecord | None:
    events = _until(history, as_of)
    if not events:
        return None  # raised after the as-of date
    facts = row["facts"] or {}
    children = tuple(
        _child(row["reference"], i, raw, people.get(raw.get("person_id") or 0), as_of)
        for i, raw in enumerate(facts.get("children") or [])
    )
    concern = next(
        (london_date(e.at) for e in events if e.event == Event.RAISE_CONCERN.value), None
    )
    visits = tuple(
        london_date(e.at)
        for e in events
        if e.event == Event.ADD_NOTE.value and e.data.get("kind") == "visit"
    )
    team_names, worker_names = names
    return _CaseRecord(
        team=team_names.get(row["team_id"]) if row["team_id"] is not None else None,
        worker=worker_names.get(row["owner_id"]) if row["owner_id"] is not None else None,
        children=children,
        concern=concern,
        referrals=episodes_of(events, icpc_deadlines),
        visits=visits,
    )


def _batches(sf: SessionFactory, batch_size: int) -> Iterator[list[Mapping[str, Any]]]:
    last = 0
    query = select(cases.c.id, cases.c.reference, cases.c.team_id, cases.c.owner_id, cases.c.facts)
    while True:
        with sf() as s:
            rows: list[Mapping[str, Any]] = [
                dict(r._mapping)
                for r in s.execute(
                    query.where(cases.c.id > last).order_by(cases.c.id).limit(batch_size)
                )
            ]
        if not rows:
            return
        last = rows[-1]["id"]
        yield rows


def _load_batch(
    sf: SessionFactory, rows: Sequence[Mapping[str, Any]]
) -> tuple[dict[int, list[CaseEvent]], dict[int, list[Deadline]], dict[int, Mapping[str, Any]]]:
    ids = [r["id"] for r in rows]
    person_ids = {
        c["person_id"]
        for r in rows
        for c in (r["facts"] or {}).get("children") or []
        if c.get("person_id")
    }
    history: dict[int, list[CaseEvent]] = defaultdict(list)
    icpcs: dict[int, list[Deadline]] = defaultdict(list)
    with sf() as s:
        for e in s.execute(
            select(case_events)
            .where(case_events.c.case_id.in_(ids))
            .order_by(case_events.c.case_id, case_events.c.seq)
        ):
            history[e.case_id].append(event_from_row(e))
        for d in s.execute(
            select(deadlines).where(
                deadlines.c.case_id.in_(ids),
                deadlines.c.kind == DeadlineKind.INITIAL_CHILD_PROTECTION_CONFERENCE.value,
            )
        ):
            icpcs[d.case_id].append(deadline_from_row(d))
        people: dict[int, Mapping[str, Any]] = {
            p.id: dict(p._mapping)
            for p in s.execute(select(persons).where(persons.c.id.in_(sorted(person_ids))))
        }
    return history, icpcs, people


def _within(d: date | None, since: date, as_of: date) -> bool:
    return d is not None and since <= d <= as_of


def _count(dates: Sequence[date], since: date, as_of: date) -> int:
    return sum(1 for d in dates if since <= d <= as_of)


def annex_a(sf: SessionFactory, *, as_of: date, batch_size: int = 500) -> AnnexA:
    """Lists 1, 3, 4, 5 and 7 as at the end of `as_of` (see the module docstring)."""
    since = add_months(as_of, -LOOK_BACK_MONTHS)
    year_ago = add_months(as_of, -COUNT_MONTHS)
    with sf() as s:
        team_names = {t.id: t.name for t in s.execute(select(teams.c.id, teams.c.name))}
        worker_names = {
            u.id: u.display_name for u in s.execute(select(users.c.id, users.c.display_name))
        }
    records: list[_CaseRecord] = []
    people = _People()
    for rows in _batches(sf, batch_size):
        history, icpcs, persons_of = _load_batch(sf, rows)
        for row in rows:
            record = _record(
                row,
                history.get(row["id"], []),
                icpcs.get(row["id"], []),
                persons_of,
                (team_names, worker_names),
                as_of,
            )
            if record is None:
                continue
            for child in record.children:
                for r in record.referrals:
                    people.referrals[child.key].append(r.referral_date)
                    people.section_47s[child.key].extend(s.start for s in r.section_47s)
                    people.icpcs[child.key].extend(s.icpc for s in r.section_47s if s.icpc)
                    people.plans[child.key].extend(p.start for p in r.plans)
            if _relevant(record, since):
                records.append(record)
    lists: dict[int, list[tuple[Any, ...]]] = {spec.number: [] for spec in ANNEX_A_LISTS}
    for record in records:
        _rows_of(record, lists, people, since, year_ago, as_of)
    return AnnexA(
        as_of=as_of,
        since=since,
        lists=tuple(AnnexList(spec, tuple(lists[spec.number])) for spec in ANNEX_A_LISTS),
    )


def _relevant(record: _CaseRecord, since: date) -> bool:
    """Whether the case can put a row on any list (anything on or after the look-back's start,
    or a plan or assessment still open)."""
    if not record.children:
        return False
    if record.concern is not None and record.concern >= since:
        return True
    for r in record.referrals:
        if r.referral_date >= since or r.closure_date is None or r.closure_date >= since:
            return True
    return False


def _rows_of(
    record: _CaseRecord,
    lists: dict[int, list[tuple[Any, ...]]],
    people: _People,
    since: date,
    year_ago: date,
    as_of: date,
) -> None:
    allocated = (record.team, record.worker)
    first_source = record.referrals[0].source if record.referrals else None
    for child in record.children:
        common = child.columns
        if _within(record.concern, since, as_of):
            lists[1].append((*common, record.concern, _SOURCE.get(first_source or "")))
        for r in record.referrals:
            if _within(r.referral_date, since, as_of):
                lists[3].append(
                    (
                        *common,
                        r.referral_date,
                        _SOURCE.get(r.source or ""),
                        YES if r.no_further_action and r.closure_date is not None else NO,
                        _count(people.referrals[child.key], year_ago, as_of),
                        *allocated,
                    )
                )
            for a in r.assessments:
                still_open = a.authorised is None and r.closure_date is None
                if not (
                    still_open
                    or _within(a.start, since, as_of)
                    or _within(a.authorised, since, as_of)
                ):
                    continue
                end = a.authorised or as_of
                seen = YES if any(a.start <= v <= end for v in record.visits) else UNKNOWN
                support = None
                if a.authorised is not None:
                    support = NO if r.reason_for_closure in _NO_SUPPORT_CLOSURES else YES
                lists[4].append(
                    (
                        *common,
                        child.disability,
                        a.start,
                        seen,
                        a.authorised,
                        support,
                        *allocated,
                    )
                )
            for s47 in r.section_47s:
                if not (_within(s47.start, since, as_of) or _within(s47.icpc, since, as_of)):
                    continue
                plan = None
                if s47.icpc is not None:
                    plan = YES if any(p.start == s47.icpc for p in r.plans) else NO
                lists[5].append(
                    (
                        *common,
                        child.disability,
                        s47.start,
                        YES if s47.icpc_not_required else NO,
                        s47.icpc,
                        plan,
                        _count(people.section_47s[child.key], year_ago, as_of),
                        _count(people.icpcs[child.key], year_ago, as_of),
                        *allocated,
                    )
                )
            for p in r.plans:
                if p.end is not None or p.start > as_of:
                    continue
                visits = [v for v in record.visits if p.start <= v <= as_of]
                lists[7].append(
                    (
                        *common,
                        child.disability,
                        p.start,
                        _CATEGORY.get(p.initial_category or ""),
                        _CATEGORY.get(p.latest_category or ""),
                        max(visits) if visits else None,
                        None,
                        p.reviews[-1] if p.reviews else None,
                        None,
                        None,
                        sum(1 for d in people.plans[child.key] if d < p.start),
                        *allocated,
                    )
                )


_DATE_FORMAT = "DD/MM/YYYY"


def write_workbook(annex: AnnexA, out: str | Path | IO[bytes]) -> None:
    """The lists as an XLSX workbook, one sheet per list ("List 1", ...), the column headings
    in the first row, dates as Excel dates shown dd/mm/yyyy. Write-only: each row goes to the
    file as it is appended."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for annex_list in annex.lists:
        sheet = workbook.create_sheet(annex_list.spec.sheet)
        header = []
        for heading in annex_list.spec.columns:
            cell = WriteOnlyCell(sheet, value=heading)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in annex_list.rows:
            cells: list[Any] = []
            for value in row:
                if isinstance(value, date):
                    # openpyxl writes a date as a date serial (its stubs name datetime only)
                    cell = WriteOnlyCell(sheet, value=cast(Any, value))
                    cell.number_format = _DATE_FORMAT
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    workbook.save(out)
