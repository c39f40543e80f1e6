"""The case event log's hash chain (issue 11, item 8; DESIGN 9), on SQLite and PostgreSQL: every
entry the service writes is chained to the one before, and `verify_log` finds an entry forged,
changed or deleted with plain SQL by someone who lifted the append-only triggers."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, insert, inspect, select, text

from calendars import Region, calendar_for, parse_instant
from states import ENGLAND_2023, policy_by_name
from workflows import casework
from workflows.log_integrity import BreakKind, verify_log
from workflows.persistence import (
    SessionFactory,
    alembic_config,
    case_events,
    cases,
    make_engine,
    make_session_factory,
    upgrade,
)
from workflows.persistence.chain import CHAINED_COLUMNS, GENESIS, chain_rows, entry_hash

from .tampering import as_table_owner, seq_rows

EW = Region.ENGLAND_AND_WALES
CAL = calendar_for(EW)
FACTS: dict[str, Any] = {
    "category": "adult_indecent_images",
    "children": [
        {
            "name": "Åsa",
            "age": 6,
            "lives_with_alleged_abuser": True,
            "known_to_alleged_abuser": True,
            "shown_in_images": True,
        }
    ],
    "alleged_abuser": {"kind": "adult", "lives_with_children": True},
}
REFER = {"referred_to": ["police", "childrens_social_care"]}


def worked_case(sf: SessionFactory, when: str = "2026-03-02T10:15") -> int:
    """A case with a log of several entries: the concern, a referral, an assessment, a note."""
    case = casework.raise_concern(
        sf,
        facts=FACTS,
        at=parse_instant(when),
        actor="pat",
        region=EW,
        policy=ENGLAND_2023,
        calendar=CAL,
    )
    assert case.id is not None
    start = parse_instant(when)
    for event, hours, data in (
        ("refer", 1, REFER),
        ("start_assessment", 5, None),
        ("add_note", 23, {"kind": "visit", "text": "seen at home"}),
    ):
        casework.apply_event(
            sf,
            case.id,
            event,
            at=start + timedelta(hours=hours),
            actor="pat",
            data=data,
            calendar=CAL,
            policy=ENGLAND_2023,
        )
    return case.id


def _last_seq(engine: Engine, case_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(cases.c.last_seq).where(cases.c.id == case_id)).scalar_one())


def _reference(engine: Engine, case_id: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(select(cases.c.reference).where(cases.c.id == case_id)).scalar_one()
        )


def test_the_hash_covers_every_column_but_the_surrogate_id() -> None:
    """A column added to the log later must be added to the chain, or this fails."""
    assert set(case_events.c.keys()) - {"id", "prev_hash", "hash"} == set(CHAINED_COLUMNS)


def test_the_encoding_is_canonical_json_of_utc_instants() -> None:
    row = {
        "case_id": 1,
        "seq": 1,
        "at": parse_instant("2026-07-01T10:00"),  # BST: 09:00 UTC
        "recorded_at": datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
        "actor": "pat",
        "kind": "transition",
        "data": {"b": [1, "ü"], "a": None},
    }
    expected = json.dumps(
        {
            "actor": "pat",
            "at": "2026-07-01T09:00:00.000000+00:00",
            "calendar_version": None,
            "case_id": 1,
            "corrects": None,
            "data": {"a": None, "b": [1, "ü"]},
            "event": None,
            "from_state": None,
            "kind": "transition",
            "late": False,
            "machine": None,
            "prev_hash": GENESIS,
            "recorded_at": "2026-07-01T09:00:00.000000+00:00",
            "seq": 1,
            "to_state": None,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert entry_hash(GENESIS, row) == hashlib.sha256(expected.encode()).hexdigest()
    assert entry_hash("1" * 64, row) != entry_hash(GENESIS, row)
    with pytest.raises(ValueError, match="naive"):
        entry_hash(GENESIS, {**row, "at": datetime(2026, 7, 1, 9, 0)})  # noqa: DTZ001


def test_every_entry_the_service_writes_is_chained(
    engine: Engine, session_factory: SessionFactory
) -> None:
    case_id = worked_case(session_factory)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(case_events).order_by("seq"))]
    assert [r["seq"] for r in rows] == list(range(1, _last_seq(engine, case_id) + 1))
    assert len(rows) > 4
    prev = GENESIS
    for row in rows:
        assert row["prev_hash"] == prev
        assert row["hash"] == entry_hash(prev, row)
        prev = row["hash"]
    report = verify_log(session_factory)
    assert report.intact, report.breaks
    assert (report.cases, report.entries) == (1, len(rows))


def test_an_intact_log_of_several_cases_verifies(session_factory: SessionFactory) -> None:
    for day in ("02", "03", "04"):
        worked_case(session_factory, f"2026-02-{day}T08:00")
    report = verify_log(session_factory)
    assert report.intact
    assert report.cases == 3


def test_a_changed_entry_is_found(engine: Engine, session_factory: SessionFactory) -> None:
    case_id = worked_case(session_factory)
    worked_case(session_factory, "2026-03-02T10:30")  # an intact neighbour
    with as_table_owner(engine) as conn:
        conn.execute(
            text("UPDATE case_events SET actor = 'someone else' WHERE case_id = :c AND seq = 2"),
            {"c": case_id},
        )
    report = verify_log(session_factory)
    assert [(b.reference, b.seq, b.kind) for b in report.breaks] == [
        (_reference(engine, case_id), 2, BreakKind.CHANGED)
    ]
    assert str(report.breaks[0]).endswith("entry 2: changed: its content does not match its hash")


def test_a_changed_entry_with_its_hash_recomputed_breaks_the_next_link(
    engine: Engine, session_factory: SessionFactory
) -> None:
    case_id = worked_case(session_factory)
    with as_table_owner(engine) as conn:
        row = dict(
            conn.execute(
                select(case_events).where(case_events.c.case_id == case_id, case_events.c.seq == 2)
            )
            .one()
            ._mapping
        )
        row["data"] = {**row["data"], "referred_to": ["police"]}
        forged = entry_hash(row["prev_hash"], row)
        conn.execute(
            case_events.update()
            .where(case_events.c.id == row["id"])
            .values(data=row["data"], hash=forged)
        )
    breaks = verify_log(session_factory).breaks
    assert [(b.seq, b.kind) for b in breaks] == [(3, BreakKind.UNCHAINED)]
    assert "does not follow entry 2" in breaks[0].detail


def test_a_forged_entry_is_found(engine: Engine, session_factory: SessionFactory) -> None:
    """A forged INSERT (no trigger stands in its way) with a made-up hash."""
    case_id = worked_case(session_factory)
    last = _last_seq(engine, case_id)
    with engine.begin() as conn:
        head = seq_rows(conn, case_id)[-1].hash
        conn.execute(
            insert(case_events),
            [
                {
                    "case_id": case_id,
                    "seq": last + 1,
                    "at": parse_instant("2026-03-04T09:00"),
                    "recorded_at": parse_instant("2026-03-04T09:00"),
                    "actor": "pat",
                    "kind": "transition",
                    "event": "close",
                    "data": {"outcome": "no_further_action", "reason": "forged"},
                    "prev_hash": head,
                    "hash": "f" * 64,
                }
            ],
        )
    kinds = [(b.seq, b.kind) for b in verify_log(session_factory).breaks]
    assert kinds == [(last + 1, BreakKind.CHANGED), (last + 1, BreakKind.UNRECORDED)]


def test_a_forged_entry_with_a_correct_hash_is_not_on_the_case(
    engine: Engine, session_factory: SessionFactory
) -> None:
    case_id = worked_case(session_factory)
    last = _last_seq(engine, case_id)
    with engine.begin() as conn:
        row: dict[str, Any] = {
            "case_id": case_id,
            "seq": last + 1,
            "at": parse_instant("2026-03-04T09:00"),
            "recorded_at": parse_instant("2026-03-04T09:00"),
            "actor": "pat",
            "kind": "transition",
            "event": "close",
            "data": {},
        }
        chain_rows([row], seq_rows(conn, case_id)[-1].hash)
        conn.execute(insert(case_events), [row])
    breaks = verify_log(session_factory).breaks
    assert [(b.seq, b.kind) for b in breaks] == [(last + 1, BreakKind.UNRECORDED)]
    assert f"the case records {last} entries" in breaks[0].detail


@pytest.mark.parametrize("where", ["middle", "end"])
def test_a_deleted_entry_is_found(
    engine: Engine, session_factory: SessionFactory, where: str
) -> None:
    case_id = worked_case(session_factory)
    last = _last_seq(engine, case_id)
    gone = 2 if where == "middle" else last
    with as_table_owner(engine) as conn:
        conn.execute(
            text("DELETE FROM case_events WHERE case_id = :c AND seq = :s"),
            {"c": case_id, "s": gone},
        )
    breaks = verify_log(session_factory).breaks
    assert [(b.seq, b.kind) for b in breaks] == [(gone, BreakKind.MISSING)]
    if where == "middle":
        assert breaks[0].detail == "entry 2 missing before entry 3"
    else:
        assert breaks[0].detail == (
            f"the log ends at entry {last - 1} but the case records {last} entries"
        )


def test_a_case_whose_whole_log_is_deleted_is_found(
    engine: Engine, session_factory: SessionFactory
) -> None:
    case_id = worked_case(session_factory)
    with as_table_owner(engine) as conn:
        conn.execute(text("DELETE FROM case_events WHERE case_id = :c"), {"c": case_id})
    breaks = verify_log(session_factory).breaks
    assert [(b.seq, b.kind, b.detail) for b in breaks] == [
        (1, BreakKind.MISSING, "the case has no log entries")
    ]


def test_one_case_can_be_checked_alone(engine: Engine, session_factory: SessionFactory) -> None:
    broken = worked_case(session_factory)
    intact = worked_case(session_factory, "2026-03-02T10:30")
    with as_table_owner(engine) as conn:
        conn.execute(
            text("UPDATE case_events SET at = :at WHERE case_id = :c AND seq = 1"),
            {"c": broken, "at": datetime(2026, 3, 1, tzinfo=UTC)},
        )
    assert verify_log(session_factory, reference=_reference(engine, intact)).intact
    one = verify_log(session_factory, reference=_reference(engine, broken))
    assert one.cases == 1
    assert [b.seq for b in one.breaks] == [1]


def test_work_after_a_break_goes_on_and_chains_to_what_is_stored(
    engine: Engine, session_factory: SessionFactory
) -> None:
    """A broken log does not stop casework: new entries chain to the stored head, and only the
    tampered entry is reported."""
    case_id = worked_case(session_factory)
    with as_table_owner(engine) as conn:
        conn.execute(
            text("UPDATE case_events SET actor = 'x' WHERE case_id = :c AND seq = 1"),
            {"c": case_id},
        )
    casework.apply_event(
        session_factory,
        case_id,
        "add_note",
        at=parse_instant("2026-03-05T10:00"),
        actor="pat",
        data={"kind": "contact", "text": "phoned"},
        calendar=CAL,
        policy=ENGLAND_2023,
    )
    assert [(b.seq, b.kind) for b in verify_log(session_factory).breaks] == [(1, BreakKind.CHANGED)]


def test_migration_0400_chains_the_entries_written_before_it(database_url: str) -> None:
    """From 0110 with cases worked there: the backfill chains each case's entries in seq order,
    the columns become NOT NULL, and the log is append-only afterwards."""
    eng = make_engine(database_url)
    try:
        upgrade(eng, "0110")
        sf = make_session_factory(eng)
        with eng.begin() as conn:
            # the log as revision 0110 wrote it: the same rows without the two columns
            ids = []
            for n in range(3):
                case_id = conn.execute(
                    insert(cases).returning(cases.c.id),
                    [
                        {
                            "reference": f"ESF-OLD{n}",
                            "region": "england-and-wales",
                            "policy_name": "england-2023",
                            "state": "concern",
                            "facts": {},
                            "required_actions": [],
                            "do_not_inform_family": False,
                            "restricted": False,
                            "discussions": [],
                            "last_seq": 3,
                            "created_at": datetime(2026, 3, 2, tzinfo=UTC),
                            "updated_at": datetime(2026, 3, 2, tzinfo=UTC),
                            "version": 1,
                        }
                    ],
                ).scalar_one()
                ids.append(case_id)
                for seq in (3, 1, 2):  # inserted out of order: the chain follows seq
                    conn.execute(
                        text(
                            "INSERT INTO case_events (case_id, seq, at, recorded_at, actor, kind, "
                            "data, late) VALUES (:c, :s, :at, :at, 'pat', 'transition', :d, :late)"
                        ),
                        {
                            "c": case_id,
                            "s": seq,
                            "at": datetime(2026, 3, 2, 10, seq, 7, 123456, tzinfo=UTC),
                            "d": json.dumps({"n": n, "seq": seq, "name": "Zoë"}),
                            "late": seq == 2,
                        },
                    )
        upgrade(eng)
        report = verify_log(sf)
        assert report.intact, report.breaks
        assert (report.cases, report.entries) == (3, 9)
        with eng.connect() as conn:
            first = seq_rows(conn, ids[0])
        assert [r.seq for r in first] == [1, 2, 3]
        assert first[0].prev_hash == GENESIS
        assert first[1].prev_hash == first[0].hash
        columns = {c["name"]: c for c in inspect(eng).get_columns("case_events")}
        assert not columns["hash"]["nullable"]
        assert not columns["prev_hash"]["nullable"]
        with pytest.raises(Exception, match="append-only"), eng.begin() as conn:
            conn.execute(text("UPDATE case_events SET actor = 'x'"))
        with pytest.raises(Exception, match="append-only"), eng.begin() as conn:
            conn.execute(text("DELETE FROM case_events"))
        with eng.begin() as conn:  # and back: the columns go, the triggers stay
            command.downgrade(alembic_config(conn), "0110")
        assert "hash" not in {c["name"] for c in inspect(eng).get_columns("case_events")}
        with pytest.raises(Exception, match="append-only"), eng.begin() as conn:
            conn.execute(text("DELETE FROM case_events"))
    finally:
        eng.dispose()


def test_deadlines_the_log_gives_verify(session_factory: SessionFactory) -> None:
    worked_case(session_factory)
    worked_case(session_factory, "2026-03-02T10:30")
    report = verify_log(session_factory, deadlines=True, policy_for=policy_by_name)
    assert report.intact, report.breaks


def test_a_deadline_edited_or_deleted_with_plain_sql_is_found(
    engine: Engine, session_factory: SessionFactory
) -> None:
    """The service's role may update deadlines (the sweep does), so a due date edited behind the
    service's back shows only against the log."""
    edited = worked_case(session_factory)
    deleted = worked_case(session_factory, "2026-03-02T10:30")
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE deadlines SET due_date = :d "
                "WHERE case_id = :c AND kind = 'single_assessment'"
            ),
            {"c": edited, "d": date(2026, 12, 24)},
        )
        conn.execute(
            text("DELETE FROM deadlines WHERE case_id = :c AND kind = 'single_assessment'"),
            {"c": deleted},
        )
    assert verify_log(session_factory).intact  # the chain itself is untouched
    breaks = verify_log(session_factory, deadlines=True, policy_for=policy_by_name).breaks
    assert [(b.case_id, b.seq, b.kind) for b in breaks] == [
        (edited, 0, BreakKind.UNJUSTIFIED),
        (deleted, 0, BreakKind.UNJUSTIFIED),
    ]
    assert "single_assessment: stored due 2026-12-24 (open), but the log gives due" in str(
        breaks[0]
    )
    assert str(breaks[0]).startswith(f"{_reference(engine, edited)} deadlines: unjustified: ")
    assert "single_assessment: stored none, but the log gives due" in breaks[1].detail
    with pytest.raises(ValueError, match="policy_for"):
        verify_log(session_factory, deadlines=True)
