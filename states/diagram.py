"""The state diagram, generated from the transition tables (house rule 3: never drawn by hand)."""

from __future__ import annotations

from states.errors import StatesError
from states.machines import (
    ALLEGATION_TRANSITIONS,
    CHILD_PROTECTION_TRANSITIONS,
    CREATION_EVENT,
    INITIAL_STATE,
    NO_ALLEGATION,
    Row,
)
from states.model import AllegationState, CaseState

__all__ = ["mermaid_diagram"]

_EVERYWHERE = {
    "record_facts",
    "correct_date",
    "allocate",
    "transfer",
    "add_note",
    "complete_assessment",
    "authorise_assessment",
    "return_assessment",
}
"""Internal events allowed in every open state: listed once in a note, not drawn on every state."""


def _label(row: Row) -> str:
    label = str(row["trigger"])
    conditions = row.get("conditions") or []
    if conditions:
        label += " if " + " and ".join(conditions)
    return label


def _edges(rows: tuple[Row, ...], node: dict[str, str], skip: set[str]) -> list[str]:
    lines = []
    for row in rows:
        if row["trigger"] in skip:
            continue
        for source in row["source"]:
            dest = source if row["dest"] is None else str(row["dest"])
            lines.append(f"        {node[str(source)]} --> {node[dest]} : {_label(row)}")
    return lines


def mermaid_diagram(
    current_state: str | None = None, current_allegation_state: str | None = None
) -> str:
    """A Mermaid `stateDiagram-v2` of both machines; the current states, if given, are highlighted.

    Raises `StatesError` for a state name that is not in the machines.
    """
    if current_state is not None and current_state not in set(CaseState):
        valid = ", ".join(CaseState)
        raise StatesError(f"unknown case state {current_state!r}: expected one of {valid}")
    if current_allegation_state is not None and current_allegation_state not in set(
        AllegationState
    ):
        valid = ", ".join(AllegationState)
        raise StatesError(
            f"unknown allegation state {current_allegation_state!r}: expected one of {valid}"
        )
    cp_node = {s.value: s.value for s in CaseState}
    al_node = {s.value: f"allegation_{s.value}" for s in AllegationState}
    al_node[NO_ALLEGATION] = "[*]"
    lines = [
        "stateDiagram-v2",
        "    state child_protection {",
        f"        [*] --> {INITIAL_STATE.value} : {CREATION_EVENT.value}",
        *_edges(CHILD_PROTECTION_TRANSITIONS, cp_node, _EVERYWHERE),
        f"        {CaseState.CLOSED.value} --> [*]",
        "    }",
        "    state allegation {",
        *(f'        state "{s.value}" as {al_node[s.value]}' for s in AllegationState),
        *_edges(ALLEGATION_TRANSITIONS, al_node, set()),
        f"        {al_node[AllegationState.CLOSED.value]} --> [*]",
        "    }",
        f"    note right of child_protection : {', '.join(sorted(_EVERYWHERE))}"
        " are allowed in every open state without a move",
        "    classDef current fill:#ffdd00,stroke:#0b0c0c,stroke-width:3px",
    ]
    if current_state is not None:
        lines.append(f"    class {cp_node[current_state]} current")
    if current_allegation_state is not None:
        lines.append(f"    class {al_node[current_allegation_state]} current")
    return "\n".join(lines) + "\n"
