"""Benchmark: the CIN census export (`workflows.returns.census.export_census`) for a large
authority and for a national-scale year, on PostgreSQL, with time and peak memory, against a
plain SELECT of the same rows measured in the same run.

Run: ``ESAFETY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test
.venv/bin/python bench/census.py [--referrals 20000 650000] [--template 400]``
(``ESAFETY_TEST_DATABASE_URL`` is used when the first is not set). Each size runs in a fresh
schema, dropped afterwards.

Data: a template year of `--template` children is recorded through the services
(`esafety_flow.census_sample.load_sample_year`: referrals with no further action, assessments,
Section 47 enquiries, conferences and plans across England's bank holidays). Its rows (persons,
subjects, cases, the whole log of `case_events`, deadlines) are then copied, with fresh ids, into
the benchmark schema with PostgreSQL's COPY until it holds the asked number of referrals: one
child and one referral per case, as the template has. Not through the services: at national
scale they would take hours, and the export reads only rows.

Measured, each in a child process of its own (so each peak is its own: `ru_maxrss`):

- baseline: the same reads as the export makes, done plainly: every child subject with its
  person, every transition event and every ICPC deadline of their cases, streamed from the
  server (`yield_per`) and dropped;
- export: `export_census` to a file (`/dev/null`-like: a temporary file, deleted), the XML
  written element by element, children read 500 people a batch.

Targets (issue 10): the national year under 5 minutes and under 2 GiB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb
from scratch import required_postgres_url, scratch_schema
from sqlalchemy import Engine, Table, select

from esafety_flow.bootstrap import bootstrap
from esafety_flow.census_sample import load_sample_year
from esafety_flow.settings import Settings
from workflows.persistence import make_engine, make_session_factory, upgrade
from workflows.persistence.tables import (
    case_events,
    cases,
    deadlines,
    persons,
    subjects,
    teams,
    users,
)
from workflows.returns import census

YEAR = 2026
COPIED: tuple[Table, ...] = (persons, cases, subjects, case_events, deadlines)
JSON_COLUMNS = {
    "persons": {"disabilities"},
    "cases": {"facts", "required_actions", "outcome", "discussions", "machine_last", "assessment"},
    "subjects": {"details"},
    "case_events": {"data"},
}


def _template(children: int) -> dict[str, list[dict[str, Any]]]:
    """The rows of a generated year recorded through the services (SQLite, in a temporary file)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'template.db'}"
        app = bootstrap(Settings(database_url=url))
        try:
            load_sample_year(app, year=YEAR, children=children, seed=11)
            with app.engine.connect() as conn:
                rows = {
                    t.name: [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]
                    for t in (*COPIED,)
                }
                users_rows = [dict(r._mapping) for r in conn.execute(select(users))]
                teams_rows = [dict(r._mapping) for r in conn.execute(select(teams))]
        finally:
            app.close()
    rows["users"], rows["teams"] = users_rows, teams_rows
    return rows


def _copy_rows(engine: Engine, table: str, columns: Sequence[str], rows: Any) -> None:
    json_columns = JSON_COLUMNS.get(table, set())
    raw = engine.raw_connection()
    try:
        cursor: Any = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        Jsonb(row[c]) if c in json_columns and row[c] is not None else row[c]
                        for c in columns
                    ]
                )
        raw.commit()
    finally:
        raw.close()


def _load(engine: Engine, template: dict[str, list[dict[str, Any]]], referrals: int) -> int:
    """Copy the template's cases until `referrals` cases are in; returns the cases loaded."""
    for name in ("teams", "users"):
        rows = template[name]
        if name == "teams":  # teams before their managers: set the managers afterwards
            rows = [{**r, "manager_id": None, "head_of_service_id": None} for r in rows]
        _copy_rows(engine, name, list(rows[0]), rows)
    with engine.begin() as conn:
        for t in template["teams"]:
            conn.exec_driver_sql(
                "UPDATE teams SET manager_id = %(m)s WHERE id = %(id)s",
                {"m": t["manager_id"], "id": t["id"]},
            )
    per_copy = len(template["cases"])
    copies = -(-referrals // per_copy)
    span = {t.name: max(r["id"] for r in template[t.name]) for t in COPIED}

    def rows_of(name: str) -> Any:
        for k in range(copies):
            for r in template[name]:
                case_id = r["case_id"] if "case_id" in r else r["id"]
                if name != "persons" and k * per_copy + (case_id - 1) >= referrals:
                    continue
                out = {**r, "id": r["id"] + k * span[name]}
                if "case_id" in r:
                    out["case_id"] = r["case_id"] + k * span["cases"]
                if "person_id" in r and r["person_id"] is not None:
                    out["person_id"] = r["person_id"] + k * span["persons"]
                if name == "cases":
                    out["reference"] = f"ESF-{k:05d}-{r['id']:06d}"
                if name == "persons":
                    out["nhs_number"] = out["upn"] = None
                yield out

    for table in COPIED:
        _copy_rows(engine, table.name, [c.name for c in table.columns], rows_of(table.name))
    with engine.begin() as conn:
        for table in COPIED:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT max(id) FROM {table.name}))"
            )
        conn.exec_driver_sql("ANALYZE")
        loaded: int = conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one()
    return loaded


def _baseline(url: str) -> int:
    """The export's reads, done plainly: rows streamed from the server and dropped."""
    engine = make_engine(url)
    count = 0
    try:
        with engine.connect() as conn:
            for stmt in (
                select(subjects.c.id, subjects.c.case_id, subjects.c.person_id, persons)
                .join(persons, persons.c.id == subjects.c.person_id)
                .where(subjects.c.role == "child"),
                select(case_events).where(case_events.c.kind == "transition"),
                select(deadlines).where(deadlines.c.kind == "initial_child_protection_conference"),
            ):
                for _ in conn.execution_options(yield_per=5000).execute(stmt):
                    count += 1
    finally:
        engine.dispose()
    return count


def _export(url: str) -> int:
    engine = make_engine(url)
    header = census.CensusHeader(
        la_code="201", year=census.census_year(YEAR), made_at=datetime.now(UTC)
    )
    try:
        with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
            return census.export_census(make_session_factory(engine), out, header)
    finally:
        engine.dispose()


def _measured(job: Callable[[str], int], url: str, queue: Any) -> None:
    started = time.perf_counter()
    result = job(url)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((result, seconds, peak_kib))


def _run(job: Callable[[str], int], url: str) -> tuple[int, float, float]:
    """(result, seconds, peak MiB) of `job` in a child process of its own."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_measured, args=(job, url, queue))
    process.start()
    result, seconds, peak_kib = queue.get()
    process.join()
    return result, seconds, peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, nargs="+", default=[20_000, 650_000])
    parser.add_argument("--template", type=int, default=400)
    args = parser.parse_args()
    base = required_postgres_url()
    started = time.perf_counter()
    template = _template(args.template)
    print(
        f"template: {len(template['cases'])} cases, {len(template['case_events'])} log entries, "
        f"recorded through the services in {time.perf_counter() - started:.1f} s"
    )
    for referrals in args.referrals:
        with scratch_schema(base) as url:
            engine = make_engine(url)
            upgrade(engine)
            t0 = time.perf_counter()
            loaded = _load(engine, template, referrals)
            engine.dispose()
            print(f"\n{loaded} referrals bulk-loaded (COPY) in {time.perf_counter() - t0:.1f} s")
            rows, base_s, base_mib = _run(_baseline, url)
            print(
                f"  baseline (plain SELECT, {rows} rows): {base_s:7.1f} s  peak {base_mib:7.0f} MiB"
            )
            children, export_s, export_mib = _run(_export, url)
            print(
                f"  export ({children} children):        {export_s:7.1f} s  peak "
                f"{export_mib:7.0f} MiB  ({export_s / base_s:.1f}x the baseline's time)"
            )


if __name__ == "__main__":
    main()
