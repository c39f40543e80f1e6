"""A calendar change recomputes the region's open deadlines in batches, each its own transaction:
resumable after a crash, and a case changed meanwhile is done again alone, not the whole run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from states import policy_by_name
from tests.services.test_services import EW, REFER, at, fire, new_case
from workflows import calendar_days, casework
from workflows.errors import InvalidRecord
from workflows.persistence import SessionFactory, count_rows, repository

DAY = date(2026, 3, 3)
ADDED_AT = "2026-02-20T09:00"


def _referred_cases(sf: SessionFactory, n: int) -> list[int]:
    """`n` cases referred on Monday 2 March 2026: each has an open referral decision due Tuesday
    3 March, moved by a day off on 3 March."""
    ids = []
    for _ in range(n):
        case_id = new_case(sf)
        fire(sf, case_id, "refer", "2026-03-02T11:00", REFER)
        ids.append(case_id)
    return ids


def _record_day(sf: SessionFactory) -> None:
    """The day alone, as a run that crashed straight after recording it left it."""
    calendar_days.add_calendar_day(
        sf,
        region=EW,
        day=DAY,
        name="A one-off bank holiday",
        added_by="admin",
        at=at(ADDED_AT),
        policy_for=policy_by_name,
        batch_size=10**6,
        progress=None,
    )


def _down_at(monkeypatch: pytest.MonkeyPatch, n: int) -> Callable[[], None]:
    """From now on the recalculation's `n`th case fails (the machine went down); returns the
    undo."""
    real = calendar_days._recompute
    calls = {"n": 0}

    def down(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == n:
            raise RuntimeError("the machine went down")
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar_days, "_recompute", down)
    return lambda: monkeypatch.setattr(calendar_days, "_recompute", real)


def _day_without_recalculation(sf: SessionFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The day recorded by a run that went down before recomputing any case."""
    undo = _down_at(monkeypatch, 1)
    with pytest.raises(RuntimeError):
        _record_day(sf)
    undo()


def _moves(sf: SessionFactory, case_id: int) -> list[str]:
    return [
        e.data["deadline"]
        for e in casework.get_case(sf, case_id).history
        if e.kind == "deadline_moved"
    ]


def _decision_due(sf: SessionFactory, case_id: int) -> date:
    case = casework.get_case(sf, case_id)
    return next(d.due_date for d in case.deadlines if d.kind.value == "referral_decision")


def test_a_day_off_recomputes_every_case_in_batches_with_progress(
    session_factory: SessionFactory,
) -> None:
    ids = _referred_cases(session_factory, 5)
    seen: list[tuple[int, int]] = []
    moved = calendar_days.add_calendar_day(
        session_factory,
        region=EW,
        day=DAY,
        name="A one-off bank holiday",
        added_by="admin",
        at=at(ADDED_AT),
        policy_for=policy_by_name,
        batch_size=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert moved == 5
    for case_id in ids:
        assert _decision_due(session_factory, case_id) == date(2026, 3, 4)
        assert _moves(session_factory, case_id) == ["referral_decision"]
    # nothing is left: a second run recomputes nothing and writes nothing
    again = calendar_days.recalculate_region(
        session_factory, EW, at=at(ADDED_AT), actor="admin", policy_for=policy_by_name
    )
    assert (again.cases, again.moved, again.batches) == (0, 0, 0)


def test_a_run_that_crashed_midway_resumes_where_it_stopped(
    session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _referred_cases(session_factory, 5)
    undo = _down_at(monkeypatch, 4)
    with pytest.raises(RuntimeError):
        _record_day(session_factory)
    undo()
    # the day is recorded; its one batch was rolled back whole: a re-run does every case
    done_before = [c for c in ids if _moves(session_factory, c)]
    assert done_before == []
    first = calendar_days.recalculate_region(
        session_factory, EW, at=at(ADDED_AT), actor="admin", policy_for=policy_by_name, batch_size=2
    )
    assert (first.cases, first.moved, first.batches) == (5, 5, 3)
    for case_id in ids:
        assert _moves(session_factory, case_id) == ["referral_decision"]  # once, not twice


def test_a_crash_between_batches_keeps_the_batches_done(
    session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _referred_cases(session_factory, 5)
    undo = _down_at(monkeypatch, 3)
    with pytest.raises(RuntimeError):
        calendar_days.add_calendar_day(
            session_factory,
            region=EW,
            day=DAY,
            name="A one-off bank holiday",
            added_by="admin",
            at=at(ADDED_AT),
            policy_for=policy_by_name,
            batch_size=2,
        )
    undo()
    assert [bool(_moves(session_factory, c)) for c in ids] == [True, True, False, False, False]
    rest = calendar_days.recalculate_region(
        session_factory, EW, at=at(ADDED_AT), actor="admin", policy_for=policy_by_name, batch_size=2
    )
    assert (rest.cases, rest.moved) == (3, 3)
    for case_id in ids:
        assert _moves(session_factory, case_id) == ["referral_decision"]


def test_a_case_changed_meanwhile_is_done_again_alone(
    session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A practitioner records an event on a case after the recalculation read it and before it
    wrote it: that case is read again and recomputed; the rest of its batch is kept; the
    practitioner's event stands."""
    ids = _referred_cases(session_factory, 3)
    target = ids[0]
    real_load = repository.load_case
    edited = {"done": False}

    def load_then_someone_edits(session: Any, case_id: int) -> Any:
        case = real_load(session, case_id)
        if case_id == target and not edited["done"]:
            edited["done"] = True
            fire(session_factory, target, "start_assessment", "2026-03-02T16:00")
        return case

    _day_without_recalculation(session_factory, monkeypatch)
    monkeypatch.setattr(calendar_days, "load_case", load_then_someone_edits)
    run = calendar_days.recalculate_region(
        session_factory, EW, at=at(ADDED_AT), actor="admin", policy_for=policy_by_name, batch_size=3
    )
    assert (run.cases, run.batches, run.redone, run.left) == (3, 1, 1, 0)
    moved = run.moved
    # the changed case's referral decision was met by the assessment it started, whose 45
    # working days move instead; the other two cases' referral decisions move
    assert moved == 3
    history = casework.get_case(session_factory, target).history
    assert any(e.event == "start_assessment" for e in history)
    assert _moves(session_factory, target) == ["single_assessment"]
    for case_id in ids[1:]:
        assert _moves(session_factory, case_id) == ["referral_decision"]


def test_a_batch_size_below_one_is_refused(session_factory: SessionFactory) -> None:
    with pytest.raises(InvalidRecord):
        calendar_days.recalculate_region(
            session_factory,
            EW,
            at=at(ADDED_AT),
            actor="admin",
            policy_for=policy_by_name,
            batch_size=0,
        )


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 2, 19), "is in the past"),
        (date(2026, 2, 21), "is a Saturday"),
        (date(2026, 4, 3), "already a bank holiday in england-and-wales: Good Friday"),
    ],
)
def test_a_day_that_can_never_be_added_is_refused_and_writes_nothing(
    session_factory: SessionFactory, day: date, reason: str
) -> None:
    before = count_rows(session_factory)
    with pytest.raises(InvalidRecord, match=reason):
        calendar_days.add_calendar_day(
            session_factory,
            region=EW,
            day=day,
            name="Extra",
            added_by="admin",
            at=at(ADDED_AT),
            policy_for=policy_by_name,
        )
    with pytest.raises(InvalidRecord, match=reason):
        calendar_days.preview_calendar_change(
            session_factory,
            region=EW,
            day=day,
            name="Extra",
            at=at(ADDED_AT),
            policy_for=policy_by_name,
        )
    assert count_rows(session_factory) == before


def test_the_preview_lists_the_moves_and_writes_nothing(session_factory: SessionFactory) -> None:
    ids = _referred_cases(session_factory, 2)
    before = count_rows(session_factory)
    moves = calendar_days.preview_calendar_change(
        session_factory,
        region=EW,
        day=DAY,
        name="Extra",
        at=at(ADDED_AT),
        policy_for=policy_by_name,
    )
    assert [(m.case_id, m.deadline, m.old_due, m.new_due) for m in moves] == [
        (case_id, "referral_decision", date(2026, 3, 3), date(2026, 3, 4)) for case_id in ids
    ]
    assert count_rows(session_factory) == before


def test_removing_a_day_moves_the_deadlines_back_and_keeps_both_moves_in_the_log(
    session_factory: SessionFactory,
) -> None:
    [case_id] = _referred_cases(session_factory, 1)
    _record_day(session_factory)
    assert _decision_due(session_factory, case_id) == date(2026, 3, 4)
    back = calendar_days.preview_calendar_change(
        session_factory,
        region=EW,
        day=DAY,
        name="",
        at=at("2026-02-21T09:00"),
        policy_for=policy_by_name,
        remove=True,
    )
    assert [(m.old_due, m.new_due) for m in back] == [(date(2026, 3, 4), date(2026, 3, 3))]
    name, moved = calendar_days.remove_calendar_day(
        session_factory,
        region=EW,
        day=DAY,
        removed_by="admin",
        at=at("2026-02-21T09:00"),
        policy_for=policy_by_name,
    )
    assert (name, moved) == ("A one-off bank holiday", 1)
    assert _decision_due(session_factory, case_id) == date(2026, 3, 3)
    assert _moves(session_factory, case_id) == ["referral_decision", "referral_decision"]
    assert calendar_days.list_calendar_days(session_factory, EW) == []
    # the log still replays: each move judged with the calendar it names
    assert casework.replay_case(session_factory, case_id, policy_by_name).state == (
        casework.get_case(session_factory, case_id).state
    )
    with pytest.raises(InvalidRecord, match="not a day off added"):
        calendar_days.remove_calendar_day(
            session_factory,
            region=EW,
            day=DAY,
            removed_by="admin",
            at=at("2026-02-21T09:00"),
            policy_for=policy_by_name,
        )
