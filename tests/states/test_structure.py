"""Walks the transition tables (house rule 3)."""

from __future__ import annotations

from collections import deque

from states import (
    ALLEGATION_TRANSITIONS,
    CHILD_PROTECTION_TRANSITIONS,
    CREATION_EVENT,
    ENGLAND_2023,
    GUARDS,
    INITIAL_STATE,
    MACHINE_OF_EVENT,
    NO_ALLEGATION,
    AllegationState,
    CaseState,
    Event,
    MachineName,
    machine_states,
    mermaid_diagram,
    transitions_of,
)

ALL_ROWS = CHILD_PROTECTION_TRANSITIONS + ALLEGATION_TRANSITIONS


def reachable(machine: MachineName, start: str) -> set[str]:
    seen = {start}
    todo = deque([start])
    while todo:
        state = todo.popleft()
        for row in transitions_of(machine):
            if state in row["source"] and row["dest"] is not None and row["dest"] not in seen:
                seen.add(str(row["dest"]))
                todo.append(str(row["dest"]))
    return seen


def test_every_case_state_reachable_from_concern() -> None:
    assert reachable(MachineName.CHILD_PROTECTION, INITIAL_STATE) == set(CaseState)


def test_every_allegation_state_reachable_from_none() -> None:
    reached = reachable(MachineName.ALLEGATION, NO_ALLEGATION)
    assert reached == {NO_ALLEGATION, *AllegationState}


def test_closed_has_no_way_out() -> None:
    """Only case-level events (no move) are listed from closed, and their `case_open` guard
    refuses them unless the LADO track is still open."""
    for row in ALL_ROWS:
        if "closed" in row["source"]:
            assert row["dest"] is None, row
            assert "case_open" in row["conditions"], row


def test_every_source_and_dest_is_a_state() -> None:
    for machine in MachineName:
        states = set(machine_states(machine))
        for row in transitions_of(machine):
            assert set(row["source"]) <= states, row
            assert row["dest"] is None or row["dest"] in states, row


def test_guard_names_exist_and_every_guard_is_used() -> None:
    used = {name for row in ALL_ROWS for name in row.get("conditions", ())}
    assert used <= set(GUARDS)
    assert set(GUARDS) <= used


def test_every_event_is_in_a_table() -> None:
    in_tables = {row["trigger"] for row in ALL_ROWS}
    assert in_tables | {CREATION_EVENT} == set(Event)
    assert CREATION_EVENT not in in_tables
    assert set(MACHINE_OF_EVENT) == set(Event)


def test_events_belong_to_one_machine() -> None:
    cp = {row["trigger"] for row in CHILD_PROTECTION_TRANSITIONS}
    al = {row["trigger"] for row in ALLEGATION_TRANSITIONS}
    assert not cp & al
    assert all(MACHINE_OF_EVENT[e] is MachineName.ALLEGATION for e in al)


def test_every_timescale_names_real_events_of_the_tables() -> None:
    in_tables = {row["trigger"] for row in ALL_ROWS} | {CREATION_EVENT}
    for rule in ENGLAND_2023.rules.values():
        assert rule.started_by, rule.kind
        assert set(rule.started_by) <= in_tables, rule.kind
        assert set(rule.met_by) <= in_tables, rule.kind


def test_only_contract_keys_in_rows() -> None:
    for row in ALL_ROWS:
        assert set(row) <= {"trigger", "source", "dest", "conditions"}, row


def test_diagram_draws_every_drawn_row() -> None:
    text = mermaid_diagram()
    assert text.startswith("stateDiagram-v2\n")
    for row in ALL_ROWS:
        assert str(row["trigger"]) in text
    assert "class " not in text.replace("classDef", "")


def test_diagram_highlights_current_states() -> None:
    text = mermaid_diagram("section_47", "concluded")
    assert "    class section_47 current" in text
    assert "    class allegation_concluded current" in text


def test_diagram_refuses_unknown_state() -> None:
    import pytest

    from states import StatesError

    with pytest.raises(StatesError, match="unknown case state 'sectino_47'"):
        mermaid_diagram("sectino_47")
    with pytest.raises(StatesError, match="unknown allegation state 'none'"):
        mermaid_diagram(None, "none")
