"""The layered layout of the state diagram, computed from the tables (house rule 3)."""

from __future__ import annotations

import pytest

from states import (
    CaseState,
    DiagramLayout,
    MachineName,
    StatesError,
    layered_layout,
    machine_layout,
)


def _back(layout: DiagramLayout) -> set[tuple[str, str]]:
    return {(e.source, e.dest) for e in layout.edges if e.back}


def test_child_protection_layers_follow_the_procedure() -> None:
    layout = machine_layout(MachineName.CHILD_PROTECTION)
    assert layout.layers == (
        ("concern",),
        ("referral",),
        ("assessment",),
        ("strategy_discussion", "early_help"),
        ("section_47",),
        ("review",),
        ("closed",),
    )
    assert sorted(layout.states) == sorted(s.value for s in CaseState)


def test_moves_against_the_flow_are_marked_back() -> None:
    layout = machine_layout(MachineName.CHILD_PROTECTION)
    assert _back(layout) == {("section_47", "assessment"), ("early_help", "referral")}


def test_close_from_every_open_state_is_told_once_not_drawn() -> None:
    layout = machine_layout(MachineName.CHILD_PROTECTION)
    assert layout.everywhere == (("close", "closed"),)
    assert not any("close" in e.events for e in layout.edges)
    # the conference's own move to closed is still drawn
    assert any(e.source == "section_47" and e.dest == "closed" for e in layout.edges)


def test_internal_transitions_are_not_moves() -> None:
    events = {ev for e in machine_layout(MachineName.CHILD_PROTECTION).edges for ev in e.events}
    assert "hold_core_group" not in events
    assert "record_facts" not in events
    assert "hold_strategy_discussion" not in events


def test_allegation_track_starts_at_the_lado_referral_without_the_none_sentinel() -> None:
    layout = machine_layout(MachineName.ALLEGATION)
    assert layout.initial == "lado_referral"
    assert layout.start_event == "refer_to_lado"
    assert layout.layers == (("lado_referral",), ("investigation",), ("concluded",), ("closed",))
    assert "none" not in layout.states


def test_a_new_state_is_layered_without_coordinates_written_for_it() -> None:
    rows = (
        {"trigger": "go", "source": ["a"], "dest": "b"},
        {"trigger": "skip", "source": ["a"], "dest": "c"},
        {"trigger": "on", "source": ["b"], "dest": "c"},
        {"trigger": "again", "source": ["c"], "dest": "a"},
        {"trigger": "aside", "source": ["b"], "dest": "new"},
        {"trigger": "end", "source": ["c"], "dest": "d"},
    )
    layout = layered_layout(rows, ["a", "b", "new", "c", "d", "lonely"], "a", "start")
    assert layout.layer_of("a") == 0
    assert layout.layer_of("b") == 1
    assert layout.layer_of("c") == 2  # the longest path, not the shortest
    assert layout.layer_of("new") == 2
    assert layout.layer_of("lonely") == 0  # no move reaches it: it starts a chain of its own
    assert _back(layout) == {("c", "a")}
    # in a layer, the state with the longer way still to go first (c goes on to d)
    assert layout.layers[2] == ("c", "new")
    assert layout.layer_of("d") == 3


def test_layout_refuses_an_initial_state_that_is_not_a_state() -> None:
    with pytest.raises(StatesError, match="initial state 'x'"):
        layered_layout((), ["a"], "x", "start")
