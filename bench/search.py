"""Benchmark: the search box (`workflows.search.search`) over 100,000 cases, on SQLite and
PostgreSQL, against the obvious way in the same run.

Run (from the repository root):

    .venv/bin/python bench/search.py [--cases 100000] [--queries 200]
    ESAFETY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/search.py

Data: `--cases` cases in 50 teams, each with one or two children (about 150,000 people) whose
names are drawn from 400 forenames and 400 surnames, some with accents, with dates of birth,
NHS numbers and UPNs; every person's spelling keys (`workflows.people.name_keys`) as the service
writes them. Loaded in bulk with Core `insert()` (PostgreSQL: `COPY` for the keys). PostgreSQL
runs in a fresh schema dropped afterwards, VACUUM ANALYZE-d after loading.

Measured, each `--queries` times with random people of one team, as a practitioner of that team
(the grants of the caseload): a name with a typo ("Jonahtan Smith"), a surname alone, an NHS
number, a date of birth, a case reference. Baseline in the same run: the obvious way of a name
search (read every name of the visible cases and compare each with the query in Python with
difflib, as `workflows.people.names_alike` does) over a sample of 20 queries. Prints p50 / p95 /
max per kind and the ratio of the baseline's median to the name search's median. Target: p95 under
50 ms for every kind of search on this 2-core machine.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from scratch import postgres_url, scratch_schema
from sqlalchemy import Engine, insert, select, text

from states import nhs_number_check_digit, upn_check_letter
from workflows import search
from workflows.people import fold_name, name_keys, names_alike
from workflows.persistence import (
    cases,
    make_engine,
    make_session_factory,
    person_name_keys,
    persons,
    subjects,
    teams,
    upgrade,
)

FORENAMES = [
    f"{a}{b}"
    for a in (
        "Jo",
        "Al",
        "Ma",
        "Sa",
        "El",
        "Zo",
        "Ka",
        "Le",
        "Ro",
        "Da",
        "Ni",
        "Is",
        "Ra",
        "To",
        "Be",
        "Ha",
        "Li",
        "Mi",
        "No",
        "Ya",
    )
    for b in (
        "nathan",
        "ex",
        "ria",
        "rah",
        "la",
        "ë",
        "tie",
        "o",
        "bin",
        "vid",
        "na",
        "abel",
        "ya",
        "by",
        "n",
        "rry",
        "ly",
        "les",
        "ah",
        "smin",
    )
]
SURNAMES = [
    f"{a}{b}"
    for a in (
        "Sm",
        "Jo",
        "Wi",
        "Br",
        "Ta",
        "Da",
        "Ev",
        "Th",
        "Ro",
        "Wa",
        "Mu",
        "Ka",
        "Ó",
        "Mc",
        "Pa",
        "Ch",
        "Ng",
        "Ah",
        "Ba",
        "Ha",
    )
    for b in (
        "ith",
        "nes",
        "lliams",
        "own",
        "ylor",
        "vies",
        "ans",
        "omas",
        "berts",
        "lker",
        "ñoz",
        "hn",
        "'Brien",
        "Donald",
        "tel",
        "en",
        "uyen",
        "med",
        "nks",
        "ll",
    )
]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _nhs_numbers() -> Iterator[str]:
    """Distinct valid NHS numbers, in order."""
    n = 400_000_000
    while True:
        first = f"{n:09d}"
        check = nhs_number_check_digit(first)
        if check is not None:
            yield first + str(check)
        n += 1


def _upn(n: int) -> str:
    body = f"801{(n % 10_000):04d}{(n // 10_000) % 100:02d}{n % 1000:03d}"
    return upn_check_letter(body) + body


def _load(engine: Engine, n_cases: int, rng: random.Random) -> dict[str, Any]:
    t0 = time.perf_counter()
    with engine.begin() as conn:
        team_ids = [
            conn.execute(insert(teams).values(name=f"Team {i}").returning(teams.c.id)).scalar_one()
            for i in range(50)
        ]
    case_rows: list[dict[str, Any]] = []
    person_rows: list[dict[str, Any]] = []
    subject_rows: list[dict[str, Any]] = []
    key_rows: list[dict[str, Any]] = []
    person_id = 0
    numbers = _nhs_numbers()
    people_of_team: dict[int, list[dict[str, Any]]] = {t: [] for t in team_ids}
    for c in range(1, n_cases + 1):
        team = team_ids[c % len(team_ids)]
        case_rows.append(
            {
                "id": c,
                "reference": f"ESF-{c:06d}",
                "region": "england-and-wales",
                "policy_name": "england-2023",
                "state": "assessment",
                "facts": {"category": "online_bullying"},
                "required_actions": [],
                "do_not_inform_family": False,
                "restricted": c % 40 == 0,
                "team_id": team,
                "discussions": [],
                "last_seq": 1,
                "created_at": START,
                "updated_at": START,
                "version": 1,
            }
        )
        for _ in range(1 + (c % 2)):
            person_id += 1
            name = f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}"
            born = date(2008, 1, 1) + timedelta(days=rng.randrange(16 * 365))
            row = {
                "id": person_id,
                "kind": "child",
                "name": name,
                "name_key": fold_name(name),
                "date_of_birth": born,
                "nhs_number": next(numbers),
                "upn": _upn(person_id) if person_id % 3 == 0 else None,
                "created_at": START,
                "updated_at": START,
            }
            person_rows.append(row)
            subject_rows.append(
                {"case_id": c, "role": "child", "name": name, "details": {}, "person_id": person_id}
            )
            key_rows.extend(
                {"person_id": person_id, "key": k} for k in sorted(name_keys(fold_name(name)))
            )
            if c % 40:
                people_of_team[team].append({**row, "case_id": c})
    seen_upn: set[str] = set()
    for row in person_rows:  # a UPN is unique
        upn = row["upn"]
        if upn in seen_upn:
            row["upn"] = None
        elif isinstance(upn, str):
            seen_upn.add(upn)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        for table, rows in ((cases, case_rows), (persons, person_rows), (subjects, subject_rows)):
            for i in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[i : i + 5000])
        if postgres:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            with raw.cursor() as cur:  # type: ignore[attr-defined]
                buffer = io.StringIO("".join(f"{r['person_id']}\t{r['key']}\n" for r in key_rows))
                with cur.copy("COPY person_name_keys (person_id, key) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
        else:
            for i in range(0, len(key_rows), 20000):
                conn.execute(insert(person_name_keys), key_rows[i : i + 20000])
    if postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return {
        "teams": team_ids,
        "people_of_team": people_of_team,
        "persons": len(person_rows),
        "keys": len(key_rows),
        "seconds": time.perf_counter() - t0,
    }


def _typo(name: str, rng: random.Random) -> str:
    first, last = name.split(" ", 1)
    if len(first) > 3:
        i = rng.randrange(1, len(first) - 1)
        first = first[:i] + first[i + 1] + first[i] + first[i + 2 :]
    return f"{first} {last}"


def _timed(fn: Callable[[], Any], times: int) -> list[float]:
    out = []
    for _ in range(times):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _naive(sf: Any, query: str, team: int) -> list[int]:
    """The obvious way: every name of the team's cases, compared one by one."""
    with sf() as s:
        rows = s.execute(
            select(subjects.c.case_id, persons.c.name)
            .join(persons, persons.c.id == subjects.c.person_id)
            .join(cases, cases.c.id == subjects.c.case_id)
            .where(cases.c.team_id == team, cases.c.restricted.is_(False))
        ).all()
    return [r.case_id for r in rows if names_alike(query, r.name)]


def run(url: str, n_cases: int, n_queries: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(7)
    loaded = _load(engine, n_cases, rng)
    print(
        f"  loaded {n_cases:,} cases, {loaded['persons']:,} people, {loaded['keys']:,} spelling "
        f"keys in {loaded['seconds']:.1f} s"
    )
    sf = make_session_factory(engine)
    team = loaded["teams"][3]
    people = loaded["people_of_team"][team]
    picks = [rng.choice(people) for _ in range(n_queries)]
    it = iter(range(10**9))

    def pick() -> dict[str, Any]:
        chosen: dict[str, Any] = picks[next(it) % len(picks)]
        return chosen

    kinds: dict[str, Callable[[], Any]] = {
        "name with a typo": lambda: search.search(sf, _typo(pick()["name"], rng), team_ids=[team]),
        "surname alone": lambda: search.search(
            sf, pick()["name"].split(" ", 1)[1], team_ids=[team]
        ),
        "NHS number": lambda: search.search(sf, pick()["nhs_number"], team_ids=[team]),
        "date of birth": lambda: search.search(
            sf, pick()["date_of_birth"].strftime("%d/%m/%Y"), team_ids=[team]
        ),
        "case reference": lambda: search.search(
            sf, f"ESF-{pick()['case_id']:06d}", team_ids=[team]
        ),
    }
    # correctness: every typo'd name finds its case
    for p in picks[:20]:
        _q, found = search.search(sf, _typo(p["name"], rng), team_ids=[team])
        assert p["case_id"] in [r.case_id for r in found], p["name"]
    medians = {}
    print(f"  {'search':<18} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, fn in kinds.items():
        fn()
        times = sorted(_timed(fn, n_queries))
        p95 = times[int(0.95 * (len(times) - 1))]
        medians[label] = statistics.median(times)
        print(f"  {label:<18} {medians[label]:8.1f} {p95:8.1f} {times[-1]:8.1f}")
    naive = sorted(_timed(lambda: _naive(sf, _typo(pick()["name"], rng), team), 20))
    ratio = statistics.median(naive) / medians["name with a typo"]
    print(
        f"  baseline (every name of the team compared in Python): p50 "
        f"{statistics.median(naive):.1f} ms -> name search {ratio:.0f}x faster"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    pg = postgres_url()
    if pg:
        with scratch_schema(pg) as url:
            print("PostgreSQL")
            run(url, args.cases, args.queries)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        run(f"sqlite:///{tmp}/search.db", args.cases, args.queries)


if __name__ == "__main__":
    main()
