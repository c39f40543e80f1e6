"""One search box (issue "Casework as it is recorded", DESIGN 2.4): a case reference, a person's
name (tolerant of case, accents and a small typo), an NHS number, a UPN or a date of birth.

`search(sf, text, grants...)` reads what the text is (`parse_query`) and answers with the cases
the searcher may open (the same grants as the caseload: the unrestricted cases of their teams,
restricted cases only for LADOs and the managers named on them), each with the person who
matched. Read-only; the caller records the search in the audit trail. `case_summaries` gives what
a results page shows of each case found (its children's names and its worker), in one query.

Names are found through `person_name_keys` (`workflows.people.name_keys`: each word and the word
with one letter deleted), one indexed look-up per word of the query; candidates are then ranked by
how close the whole name is. Every query is shaped for an index, so a search stays fast with
100,000 cases (bench/search.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Select,
    and_,
    any_,
    bindparam,
    intersect,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from states import InvalidIdentifier, normalise_nhs_number, normalise_upn
from workflows.people import fold_name, word_keys
from workflows.persistence.engine import SessionFactory, reading
from workflows.persistence.tables import cases, person_name_keys, persons, subjects, users
from workflows.queries import visible_cases

__all__ = [
    "CaseSummary",
    "QueryKind",
    "SearchQuery",
    "SearchResult",
    "case_summaries",
    "parse_query",
    "search",
]

RESULT_LIMIT = 50
_CANDIDATES = 500
_PEOPLE = 5_000
"""The most people one name search considers (a very common name; the best are ranked first)."""
_QUERY_LIMIT = 200


class QueryKind(StrEnum):
    REFERENCE = "reference"
    NHS_NUMBER = "nhs_number"
    UPN = "upn"
    DATE_OF_BIRTH = "date_of_birth"
    NAME = "name"


@dataclass(frozen=True)
class SearchQuery:
    """What a search text was read as."""

    kind: QueryKind
    value: str
    day: date | None = None


@dataclass(frozen=True)
class SearchResult:
    case_id: int
    reference: str
    state: str
    restricted: bool
    person_name: str | None
    date_of_birth: date | None
    role: str | None
    matched: QueryKind


_REFERENCE = re.compile(r"^(?:esf-?)?0*(\d{1,9})$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")


def _as_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def parse_query(text: str) -> SearchQuery:
    """Read a search text: a reference ("ESF-000123", "123"), an NHS number (10 digits with a
    valid check digit, spaces allowed), a UPN, a date ("2014-03-02", "2/3/2014", "2 March 2014")
    or else a name. Raises ValueError for an empty or over-long text."""
    stripped = " ".join(text.split())
    if not stripped:
        raise ValueError("enter a name, a case reference, an NHS number, a UPN or a date of birth")
    if len(stripped) > _QUERY_LIMIT:
        raise ValueError(f"a search is at most {_QUERY_LIMIT} characters")
    digits = stripped.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) == 10:
        try:
            return SearchQuery(QueryKind.NHS_NUMBER, normalise_nhs_number(digits))
        except InvalidIdentifier:
            pass
    if len(stripped.replace(" ", "")) == 13:
        try:
            return SearchQuery(QueryKind.UPN, normalise_upn(stripped))
        except InvalidIdentifier:
            pass
    reference = _REFERENCE.match(stripped)
    if reference:
        return SearchQuery(QueryKind.REFERENCE, f"ESF-{int(reference.group(1)):06d}")
    day = _as_date(stripped)
    if day is not None:
        return SearchQuery(QueryKind.DATE_OF_BIRTH, day.isoformat(), day)
    return SearchQuery(QueryKind.NAME, fold_name(stripped))


def _people_of_name(folded: str) -> Select[tuple[int]] | CompoundSelect[tuple[int]] | None:
    """Person ids whose name has, for every word of the query, a word one edit away."""
    words = [w for w in folded.split() if w][:6]
    if not words:
        return None
    per_word = [
        select(person_name_keys.c.person_id)
        .where(person_name_keys.c.key.in_(sorted(word_keys(w[:32]))))
        .distinct()
        for w in words
    ]
    if len(per_word) == 1:
        return per_word[0]
    return intersect(*per_word)


def _closeness(query: str, name: str | None) -> float:
    return SequenceMatcher(None, query, fold_name(name or "")).ratio()


def search(
    sf: SessionFactory,
    text: str,
    *,
    team_ids: Iterable[int] = (),
    restricted_all: bool = False,
    restricted_manager_id: int | None = None,
) -> tuple[SearchQuery, list[SearchResult]]:
    """The cases the searcher may open that the text finds, best first, at most 50."""
    query = parse_query(text)
    visible = visible_cases(
        sorted(set(team_ids)), restricted_all=restricted_all, manager_id=restricted_manager_id
    )
    if visible is None:
        return query, []
    # from the people found to their cases (each person's few subject rows by index), then the
    # grants: the people are the selective side
    base = (
        select(
            cases.c.id,
            cases.c.reference,
            cases.c.state,
            cases.c.restricted,
            persons.c.name,
            persons.c.date_of_birth,
            subjects.c.role,
        )
        .select_from(persons)
        .join(subjects, subjects.c.person_id == persons.c.id)
        .join(cases, cases.c.id == subjects.c.case_id)
    )
    condition: ColumnElement[bool]
    if query.kind is QueryKind.REFERENCE:
        stmt = (
            select(cases.c.id, cases.c.reference, cases.c.state, cases.c.restricted)
            .where(cases.c.reference == query.value, visible)
            .limit(1)
        )
        with reading(sf) as s:
            rows = s.execute(stmt).all()
        return query, [
            SearchResult(
                r.id, r.reference, r.state, bool(r.restricted), None, None, None, query.kind
            )
            for r in rows
        ]
    if query.kind is QueryKind.NHS_NUMBER:
        condition = persons.c.nhs_number == query.value
    elif query.kind is QueryKind.UPN:
        condition = persons.c.upn == query.value
    elif query.kind is QueryKind.DATE_OF_BIRTH:
        condition = persons.c.date_of_birth == query.day
    else:
        people = _people_of_name(query.value)
        if people is None:
            return query, []
        # the people first, on their own: joined in one statement, PostgreSQL hashed every
        # subject row against them (85 ms at 150,000 people) instead of probing the index;
        # on PostgreSQL the ids go as one array (a list of 1,000 literals took 120 ms to plan)
        with reading(sf) as s:
            ids = list(s.execute(people.limit(_PEOPLE)).scalars())
            postgres = s.get_bind().dialect.name == "postgresql"
        if not ids:
            return query, []
        condition = (
            subjects.c.person_id == any_(bindparam("people", ids, type_=ARRAY(BigInteger)))
            if postgres
            else subjects.c.person_id.in_(ids)
        )
    stmt = base.where(and_(condition, visible)).order_by(cases.c.id.desc()).limit(_CANDIDATES)
    with reading(sf) as s:
        rows = s.execute(stmt).all()
    results = [
        SearchResult(
            r.id,
            r.reference,
            r.state,
            bool(r.restricted),
            r.name,
            r.date_of_birth,
            r.role,
            query.kind,
        )
        for r in rows
    ]
    if query.kind is QueryKind.NAME:
        results.sort(key=lambda r: -_closeness(query.value, r.person_name))
    return query, results[:RESULT_LIMIT]


@dataclass(frozen=True)
class CaseSummary:
    """What a list of results shows of a case: its children's names and its worker."""

    children: tuple[str, ...]
    owner: str | None


def case_summaries(sf: SessionFactory, case_ids: Iterable[int]) -> dict[int, CaseSummary]:
    """The children's names (in the order recorded) and the worker's display name of each case;
    call it only with the ids `search` returned (they are the cases the searcher may open)."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return {}
    stmt = (
        select(cases.c.id, users.c.display_name, subjects.c.name, subjects.c.role)
        .select_from(cases)
        .outerjoin(users, users.c.id == cases.c.owner_id)
        .outerjoin(subjects, subjects.c.case_id == cases.c.id)
        .where(cases.c.id.in_(wanted))
        .order_by(cases.c.id, subjects.c.id)
    )
    children: dict[int, list[str]] = {c: [] for c in wanted}
    owners: dict[int, str | None] = {}
    with reading(sf) as s:
        for r in s.execute(stmt):
            owners[int(r.id)] = r.display_name
            if r.role == "child" and r.name:
                children[int(r.id)].append(r.name)
    return {c: CaseSummary(tuple(children[c]), owners.get(c)) for c in wanted}
