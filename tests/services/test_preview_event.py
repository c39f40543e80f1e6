"""`casework.preview_event` (the check page before closing a case): what `apply_event` would do,
judged without writing; it refuses what `apply_event` refuses."""

from __future__ import annotations

from typing import Any

import pytest

from states import ENGLAND_2023, CaseState
from tests.services.test_services import CAL, REFER, at, fire, new_case
from workflows import InvalidStep, StaleCase, TransitionRefused, casework
from workflows.persistence import SessionFactory

CLOSE = {"outcome": "no_further_action", "reason": "No concern after the visit"}


def _preview(sf: SessionFactory, case_id: int, when: str, **kw: Any) -> casework.EventPreview:
    return casework.preview_event(
        sf,
        case_id,
        "close",
        at=at(when),
        actor="pat",
        data=kw.pop("data", CLOSE),
        calendar=CAL,
        policy=ENGLAND_2023,
        **kw,
    )


def test_the_preview_names_what_the_close_cancels_and_writes_nothing(
    session_factory: SessionFactory,
) -> None:
    case_id = new_case(session_factory)
    fire(session_factory, case_id, "refer", "2026-03-02T11:00", REFER)
    before = casework.get_case(session_factory, case_id)
    preview = _preview(session_factory, case_id, "2026-03-02T12:00")
    assert preview.case.state is CaseState.CLOSED
    after = casework.get_case(session_factory, case_id)
    assert after.state is before.state
    assert after.version == before.version
    assert len(after.history) == len(before.history)
    assert [d.status for d in after.deadlines] == [d.status for d in before.deadlines]
    closed = fire(session_factory, case_id, "close", "2026-03-02T12:00", CLOSE)
    cancelled = [(d.kind, d.due_date) for d in closed.deadlines if d.status == "cancelled"]
    assert cancelled
    assert [(d.kind, d.due_date) for d in preview.cancelled] == cancelled
    assert preview.still_open == ()


def test_the_preview_refuses_what_the_close_would_refuse(session_factory: SessionFactory) -> None:
    case_id = new_case(session_factory)
    fire(session_factory, case_id, "refer", "2026-03-02T11:00", REFER)
    version = casework.get_case(session_factory, case_id).version
    with pytest.raises(StaleCase):
        _preview(session_factory, case_id, "2026-03-02T12:00", expected_version=version - 1)
    with pytest.raises(InvalidStep):  # before the case's last event of its track
        _preview(session_factory, case_id, "2026-03-02T10:30")
    fire(session_factory, case_id, "close", "2026-03-02T12:00", CLOSE)
    with pytest.raises(TransitionRefused):
        _preview(session_factory, case_id, "2026-03-02T13:00")
