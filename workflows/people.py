"""People (DESIGN 2.4): children and alleged abusers as person records shared across cases.

A case's facts name its children and alleged abuser; each of them is also a row of `persons`,
linked from the case's `subjects` and from the facts themselves (`person_id`), so that the same
child in a second case is the same person.

At intake (`link_people`, inside the caller's transaction):

- a child or adult whose facts give a `person_id` is that person (the practitioner confirmed a
  match offered to them);
- otherwise an exact NHS number or UPN match links the person at once;
- otherwise a new person is recorded. A likely match (same date of birth and the same or a
  similar name) is never linked silently: `possible_matches` offers it, and the practitioner
  confirms it (by giving its `person_id`) or records a new person.

The person record keeps the census items (date of birth, sex, ethnicity, NHS number, UPN,
disabilities, SEN) as last recorded on any case. `known_to_us` counts a case's people's other
cases, and says which of them the viewer may open; `cases_of_people` lists the cases of the
people offered as likely matches, before the new case exists.

Names are matched folded (`fold_name`: lower case, accents and punctuation removed) and found
despite a small typo through `person_name_keys`: each word's spelling keys (`name_keys`, the word
and the word with one letter deleted: two spellings within one substitution, insertion,
deletion or transposition share a key), indexed on both databases.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.orm import Session

from states import AllegedAbuser, CaseFacts, Child, InvalidEventData
from workflows.persistence.tables import cases, person_name_keys, persons, subjects

__all__ = [
    "KnownCase",
    "KnownPerson",
    "PersonMatch",
    "Readable",
    "cases_of_people",
    "fold_name",
    "known_to_us",
    "link_people",
    "name_keys",
    "names_alike",
    "possible_matches",
    "word_keys",
    "write_name_keys",
]

_SHORT_WORD = 4
"""Words shorter than this are keyed as they are: one deletion from "jo" matches far too much."""
_WORD_LIMIT = 32


def fold_name(text: str) -> str:
    """A name as it is compared: accents removed, lower case, apostrophes dropped, every other
    mark a space ("Zoë O'Brien-Smith" -> "zoe obrien smith")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = plain.replace("'", "").replace("\u2019", "")
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return " ".join(words)


def _words(folded: str) -> list[str]:
    return [w[:_WORD_LIMIT] for w in folded.split() if w]


def word_keys(word: str) -> set[str]:
    """The spelling keys of one folded word: itself and, for words of four letters or more, every
    spelling with one letter deleted."""
    keys = {word}
    if len(word) >= _SHORT_WORD:
        keys.update(word[:i] + word[i + 1 :] for i in range(len(word)))
    return keys


def name_keys(folded: str) -> set[str]:
    """Every spelling key of every word of a folded name."""
    keys: set[str] = set()
    for word in _words(folded):
        keys |= word_keys(word)
    return keys


def names_alike(a: str, b: str) -> bool:
    """Whether two names are the same or nearly so (DESIGN 2.4, "a close name"): equal when
    folded, the same words in another order, or a similarity of at least 0.85."""
    fa, fb = fold_name(a), fold_name(b)
    if not fa or not fb:
        return False
    if fa == fb or sorted(fa.split()) == sorted(fb.split()):
        return True
    return SequenceMatcher(None, fa, fb).ratio() >= 0.85


@dataclass(frozen=True)
class PersonMatch:
    """A person who may be the one being recorded: why (`exact` for an NHS number or UPN, else
    `likely`), and what a practitioner needs to judge it."""

    person_id: int
    name: str
    date_of_birth: date | None
    how: str


def write_name_keys(session: Session, person_id: int, name: str) -> None:
    """Replace the person's spelling keys (after a new person or a changed name)."""
    conn = session.connection()
    conn.execute(delete(person_name_keys).where(person_name_keys.c.person_id == person_id))
    keys = sorted(name_keys(fold_name(name)))
    if keys:
        conn.execute(insert(person_name_keys), [{"person_id": person_id, "key": k} for k in keys])


def _person_values(subject: Child | AllegedAbuser, name: str, kind: str) -> dict[str, Any]:
    values: dict[str, Any] = {"name": name, "name_key": fold_name(name)[:200]}
    for field in (
        "date_of_birth",
        "expected_date_of_birth",
        "sex",
        "ethnicity",
        "nhs_number",
        "upn",
        "sen",
    ):
        if field in type(subject).model_fields:
            value = getattr(subject, field)
            if value is not None:
                values[field] = getattr(value, "value", value)
    disabilities: Sequence[Any] = getattr(subject, "disabilities", None) or ()
    if disabilities:
        values["disabilities"] = [getattr(d, "value", d) for d in disabilities]
    return values


def _identifier_match(session: Session, subject: Child | AllegedAbuser) -> Row[Any] | None:
    for field in ("nhs_number", "upn"):
        value = getattr(subject, field, None)
        if value:
            row = session.execute(
                select(persons.c.id, persons.c.name).where(getattr(persons.c, field) == value)
            ).first()
            if row is not None:
                return row
    return None


def _check_identifiers(
    session: Session, subject: Child | AllegedAbuser, person_id: int, where: str
) -> None:
    """A person confirmed by id must not carry an NHS number or UPN that is another person's."""
    for field in ("nhs_number", "upn"):
        value = getattr(subject, field, None)
        if not value:
            continue
        other = session.execute(
            select(persons.c.id).where(
                getattr(persons.c, field) == value, persons.c.id != person_id
            )
        ).first()
        if other is not None:
            label = "NHS number" if field == "nhs_number" else "UPN"
            raise InvalidEventData(
                f"{where}.{field}: this {label} belongs to another person already known to us "
                f"(person {other.id}): check the number, or choose that person"
            )


def _link_one(
    session: Session,
    subject: Child | AllegedAbuser,
    *,
    name: str,
    kind: str,
    at: datetime,
    where: str,
) -> int:
    values = _person_values(subject, name, kind)
    person_id = subject.person_id
    if person_id is not None:
        found = session.execute(select(persons.c.id).where(persons.c.id == person_id)).first()
        if found is None:
            raise InvalidEventData(f"{where}.person_id: there is no person {person_id}")
        _check_identifiers(session, subject, person_id, where)
    else:
        exact = _identifier_match(session, subject)
        if exact is not None:
            person_id = int(exact.id)
    if person_id is None:
        created: int = session.execute(
            insert(persons)
            .values(kind=kind, created_at=at, updated_at=at, **values)
            .returning(persons.c.id)
        ).scalar_one()
        write_name_keys(session, created, name)
        return created
    current = session.execute(select(persons.c.name).where(persons.c.id == person_id)).scalar_one()
    session.execute(
        update(persons).where(persons.c.id == person_id).values(updated_at=at, **values)
    )
    if current != name:
        write_name_keys(session, person_id, name)
    return person_id


def link_people(session: Session, facts: CaseFacts, *, at: datetime) -> CaseFacts:
    """The facts with every child and the named alleged abuser linked to a person record (see the
    module docstring); creates and updates `persons` in the caller's transaction. Raises
    `InvalidEventData` naming the field for an unknown `person_id` or an identifier that is
    another person's."""
    children = []
    for i, child in enumerate(facts.children):
        person_id = _link_one(
            session, child, name=child.name, kind="child", at=at, where=f"children.{i}"
        )
        children.append(child.model_copy(update={"person_id": person_id}))
    update_: dict[str, Any] = {"children": children}
    abuser = facts.alleged_abuser
    if abuser is not None and abuser.name:
        kind = "child" if abuser.kind.value == "child" else "adult"
        person_id = _link_one(
            session, abuser, name=abuser.name, kind=kind, at=at, where="alleged_abuser"
        )
        update_["alleged_abuser"] = abuser.model_copy(update={"person_id": person_id})
    return facts.model_copy(update=update_)


def possible_matches(
    session: Session,
    *,
    name: str,
    date_of_birth: date | None,
    exclude: Iterable[int] = (),
    limit: int = 5,
) -> list[PersonMatch]:
    """People who may be this one (DESIGN 2.4): the same date of birth and the same or a similar
    name; with no date of birth, the same name (folded) only."""
    excluded = set(exclude)
    query = select(persons.c.id, persons.c.name, persons.c.date_of_birth)
    if date_of_birth is not None:
        query = query.where(persons.c.date_of_birth == date_of_birth)
    else:
        query = query.where(persons.c.name_key == fold_name(name)[:200])
    rows: Sequence[Row[Any]] = session.execute(query.order_by(persons.c.id).limit(200)).all()
    found = [
        PersonMatch(int(r.id), r.name, r.date_of_birth, "likely")
        for r in rows
        if int(r.id) not in excluded and names_alike(name, r.name)
    ]
    return found[:limit]


@dataclass(frozen=True)
class KnownCase:
    """Another case a person of this case is in."""

    case_id: int
    reference: str
    visible: bool
    restricted: bool
    position_of_trust: bool


@dataclass(frozen=True)
class KnownPerson:
    """One of this case's people and the other cases they are in (DESIGN 2.4: "known to us")."""

    person_id: int
    name: str
    role: str
    cases: tuple[KnownCase, ...]

    @property
    def count(self) -> int:
        return len(self.cases)


Readable = Callable[[Collection[int]], AbstractSet[int]]
"""Which of these case ids the viewer may open (asked once for all the cases a list names)."""


def known_to_us(session: Session, case_id: int, *, readable: Readable) -> list[KnownPerson]:
    """Each person of the case who is also in other cases, with those cases, newest first;
    `readable(case_ids)` says which of them the viewer may open (only those are linked; the
    others are counted). An alleged abuser named in an earlier case where they were in a position
    of trust is marked, as LADOs look for repeated concerns. Three statements whatever the
    number of people and cases: the case's people, their other cases, and `readable`."""
    mine = session.execute(
        select(subjects.c.person_id, subjects.c.role, persons.c.name)
        .join(persons, persons.c.id == subjects.c.person_id)
        .where(subjects.c.case_id == case_id)
        .order_by(subjects.c.id)
    ).all()
    others = _cases_of(session, [int(m.person_id) for m in mine], readable, besides=case_id)
    return [
        KnownPerson(int(m.person_id), m.name, m.role, others[int(m.person_id)])
        for m in mine
        if others.get(int(m.person_id))
    ]


def cases_of_people(
    session: Session, person_ids: Iterable[int], *, readable: Readable
) -> dict[int, tuple[KnownCase, ...]]:
    """The cases each of these people is in, newest first (a likely match offered at intake, with
    what the practitioner may see of it: `readable` as for `known_to_us`)."""
    return _cases_of(session, person_ids, readable)


def _cases_of(
    session: Session,
    person_ids: Iterable[int],
    readable: Readable,
    *,
    besides: int | None = None,
) -> dict[int, tuple[KnownCase, ...]]:
    """The cases of each person (other than case `besides`), newest first, each case once, with
    the viewer's visibility decided in one call for all of them."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    stmt = (
        select(
            subjects.c.person_id,
            cases.c.id,
            cases.c.reference,
            cases.c.restricted,
            subjects.c.details,
        )
        .join(cases, cases.c.id == subjects.c.case_id)
        .where(subjects.c.person_id.in_(wanted))
        .order_by(cases.c.id.desc())
    )
    if besides is not None:
        stmt = stmt.where(cases.c.id != besides)
    rows = session.execute(stmt).all()
    visible = readable({int(r.id) for r in rows}) if rows else set()
    found: dict[int, list[KnownCase]] = {p: [] for p in wanted}
    seen: set[tuple[int, int]] = set()
    for r in rows:
        key = (int(r.person_id), int(r.id))
        if key in seen:
            continue
        seen.add(key)
        found[int(r.person_id)].append(
            KnownCase(
                case_id=int(r.id),
                reference=r.reference,
                visible=int(r.id) in visible,
                restricted=bool(r.restricted),
                position_of_trust=bool((r.details or {}).get("position_of_trust")),
            )
        )
    return {p: tuple(c) for p, c in found.items()}
