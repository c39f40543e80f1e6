"""An existing database migrates with nothing lost (issue "Casework as it is recorded").

`release_0006_demo.json` is every row of the demo database made by the previous release (schema
revision 0006: fifty cases across every pathway). The test loads it into a database at 0006, on
SQLite and PostgreSQL, upgrades it to the head revision and checks that every case, event and
deadline is still there, that each event's `occurred_at` is its old time, that each child and
named alleged abuser became a person, and that the migrated cases can still be worked and
corrected.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Date, DateTime, Engine, MetaData, func, select, text

from calendars import calendar_for
from states import ENGLAND_2023, policy_by_name
from workflows import casework
from workflows.domain import effective_history
from workflows.log_integrity import verify_log
from workflows.persistence import (
    case_events,
    cases,
    deadlines,
    make_engine,
    make_session_factory,
    persons,
    subjects,
    upgrade,
)

FIXTURE = Path(__file__).with_name("release_0006_demo.json")
ORDER = (
    "teams",
    "users",
    "cases",
    "case_managers",
    "subjects",
    "case_events",
    "deadlines",
    "alerts",
    "alert_deliveries",
    "notices",
    "calendar_days",
    "case_views",
)


def _value(column: Any, value: Any, sqlite: bool) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        instant = datetime.fromisoformat(value).replace(tzinfo=UTC)
        return instant.replace(tzinfo=None) if sqlite else instant
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, JSON) and isinstance(value, str):
        return json.loads(value)
    return value


def _previous_release(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine, "0006")
    meta = MetaData()
    meta.reflect(engine)
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        for name in ORDER:
            table = meta.tables[name]
            rows = [
                {c.name: _value(c, row[c.name], sqlite) for c in table.columns if c.name in row}
                for row in data[name]
            ]
            if rows:
                conn.execute(table.insert(), rows)
            if not sqlite and rows and "id" in table.columns:
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :n)"),
                    {"n": max(r["id"] for r in rows)},
                )
    return engine


@pytest.fixture
def migrated(database_url: str) -> Any:
    engine = _previous_release(database_url)
    with engine.connect() as conn:
        before = {
            "cases": conn.execute(select(func.count()).select_from(cases)).scalar_one(),
            "events": conn.execute(
                select(case_events.c.case_id, case_events.c.seq, case_events.c.at)
            ).all(),
            "deadlines": conn.execute(
                select(
                    deadlines.c.id,
                    deadlines.c.kind,
                    deadlines.c.due_date,
                    deadlines.c.status,
                    deadlines.c.met_at,
                )
            ).all(),
            "named_subjects": conn.execute(
                select(func.count()).select_from(subjects).where(subjects.c.name.is_not(None))
            ).scalar_one(),
        }
    upgrade(engine)
    yield engine, before
    engine.dispose()


def test_every_case_event_and_deadline_is_kept(migrated: Any) -> None:
    engine, before = migrated
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert before["cases"] == len(data["cases"]) == 50
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 50
        events = conn.execute(
            select(
                case_events.c.case_id,
                case_events.c.seq,
                case_events.c.at,
                case_events.c.recorded_at,
                case_events.c.late,
            )
        ).all()
        kept = conn.execute(
            select(
                deadlines.c.id,
                deadlines.c.kind,
                deadlines.c.due_date,
                deadlines.c.status,
                deadlines.c.met_at,
            )
        ).all()
        anchors = conn.execute(
            select(func.count()).select_from(deadlines).where(deadlines.c.anchor_seq.is_(None))
        ).scalar_one()
    assert sorted((e.case_id, e.seq, e.at) for e in events) == sorted(
        (e.case_id, e.seq, e.at) for e in before["events"]
    )
    # each event happened when it was stamped, and was recorded then
    assert all(e.recorded_at == e.at and not e.late for e in events)
    assert sorted(kept) == sorted(before["deadlines"])
    assert anchors == 0  # every deadline knows the event it is counted from
    # migration 0400 chained every case's entries (issue 11, item 8)
    report = verify_log(make_session_factory(engine))
    assert report.intact, report.breaks[:3]
    assert (report.cases, report.entries) == (50, len(events))


def test_each_child_and_named_alleged_abuser_becomes_a_person(migrated: Any) -> None:
    engine, before = migrated
    with engine.connect() as conn:
        people = conn.execute(select(func.count()).select_from(persons)).scalar_one()
        unlinked = conn.execute(
            select(func.count())
            .select_from(subjects)
            .where(subjects.c.name.is_not(None), subjects.c.person_id.is_(None))
        ).scalar_one()
    assert people == before["named_subjects"] > 0
    assert unlinked == 0
    sf = make_session_factory(engine)
    for case_id in range(1, 51):
        case = casework.get_case(sf, case_id)
        assert all(child.person_id is not None for child in case.facts.children)


def test_migrated_cases_can_still_be_worked_and_corrected(migrated: Any) -> None:
    engine, _before = migrated
    sf = make_session_factory(engine)
    calendar = calendar_for(casework.get_case(sf, 1).region)
    open_referrals = []
    for case_id in range(1, 51):
        case = casework.get_case(sf, case_id)
        refer = next((e for e in case.history if e.event == "refer"), None)
        if refer is not None and case.state.value != "closed":
            open_referrals.append((case, refer))
    assert open_referrals
    case, refer = open_referrals[0]
    assert case.id is not None
    earlier = refer.at - timedelta(hours=1)
    concern = case.history[0].at
    assert earlier > concern
    now = max(e.recorded_at for e in case.history) + timedelta(minutes=5)
    corrected = casework.apply_event(
        sf,
        case.id,
        "correct_date",
        at=now,
        actor="pat",
        data={"event_id": refer.seq, "occurred_at": earlier.isoformat(), "reason": "migrated"},
        calendar=calendar,
        policy=ENGLAND_2023,
    )
    decision = next(d for d in corrected.deadlines if d.kind.value == "referral_decision")
    assert decision.anchor_at == earlier
    shown = next(e for e in effective_history(corrected.history) if e.seq == refer.seq)
    assert shown.at == earlier
    # the log still replays to the stored states and deadlines
    rebuilt = casework.replay_case(sf, case.id, policy_by_name)
    stored = casework.get_case(sf, case.id)
    assert (rebuilt.state, rebuilt.allegation_state) == (stored.state, stored.allegation_state)
    assert [(d.kind, d.due_date, d.status) for d in rebuilt.deadlines] == [
        (d.kind, d.due_date, d.status) for d in stored.deadlines
    ]
    # the new entries are chained to the migrated ones
    assert verify_log(sf).intact
