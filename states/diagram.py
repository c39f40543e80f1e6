"""The state diagram, generated from the transition tables (house rule 3: never drawn by hand):
the Mermaid text, and the layered layout the case page draws as SVG (`layered_layout`: which
states go in which layer and in what order, which moves go back; no coordinates, no text)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from states.errors import StatesError
from states.machines import (
    ALLEGATION_TRANSITIONS,
    CHILD_PROTECTION_TRANSITIONS,
    CREATION_EVENT,
    INITIAL_STATE,
    NO_ALLEGATION,
    Row,
)
from states.model import AllegationState, CaseState, MachineName

__all__ = ["DiagramEdge", "DiagramLayout", "layered_layout", "machine_layout", "mermaid_diagram"]

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


@dataclass(frozen=True)
class DiagramEdge:
    """A move between two different states: the events that make it (in table order) and whether
    it goes `back` against the flow from the initial state (drawn apart from the flow)."""

    source: str
    dest: str
    events: tuple[str, ...]
    back: bool


@dataclass(frozen=True)
class DiagramLayout:
    """A machine's states in layers, each layer's states in drawing order.

    `layers[n]` holds the states whose longest path of forward moves from the initial state is `n`
    moves long (a state no forward move reaches starts a layer-0 chain of its own). `edges` are
    the moves drawn as arrows; `everywhere` the moves allowed from every other state, `(event,
    dest)`, told once instead of drawn from each state. `start_event` enters `initial`.
    """

    initial: str
    start_event: str
    layers: tuple[tuple[str, ...], ...]
    edges: tuple[DiagramEdge, ...]
    everywhere: tuple[tuple[str, str], ...]

    @property
    def states(self) -> tuple[str, ...]:
        """Every state, layer by layer."""
        return tuple(s for layer in self.layers for s in layer)

    def layer_of(self, state: str) -> int:
        for n, layer in enumerate(self.layers):
            if state in layer:
                return n
        raise StatesError(f"unknown state {state!r} in the diagram")


def _moves(rows: Iterable[Row], states: Sequence[str]) -> list[tuple[str, str, str]]:
    """`(source, dest, event)` of each row that changes state, in table order."""
    known = set(states)
    moves = []
    for row in rows:
        if row["dest"] is None:
            continue
        dest = str(row["dest"])
        for source in row["source"]:
            if str(source) != dest and str(source) in known and dest in known:
                moves.append((str(source), dest, str(row["trigger"])))
    return moves


def layered_layout(
    rows: Iterable[Row], states: Sequence[str], initial: str, start_event: str
) -> DiagramLayout:
    """Layer the graph of `rows` over `states` (moves to or from other states are left out).

    A depth-first walk from `initial`, then from each state not yet seen (table order), marks as
    back every move to a state still on the walk's path; the others form an acyclic graph whose
    longest path from a root gives each state's layer. Within a layer, states are ordered by the
    mean position of the states they come from, then those with the longer way still to go first
    (the main line of the procedure keeps to one side), then in the order of `states`.
    """
    if initial not in states:
        raise StatesError(f"initial state {initial!r} is not one of the states")
    rows = tuple(rows)
    moves = _moves(rows, states)
    sources_of: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if row["dest"] is not None:
            key = (str(row["trigger"]), str(row["dest"]))
            sources_of.setdefault(key, set()).update(str(s) for s in row["source"])
    everywhere = tuple(
        key
        for key, sources in sources_of.items()
        if key[1] in states and len(others := set(states) - {key[1]}) > 2 and sources >= others
    )
    out: dict[str, list[str]] = {s: [] for s in states}
    for source, dest, _ in moves:
        if dest not in out[source]:
            out[source].append(dest)

    back: set[tuple[str, str]] = set()
    seen: set[str] = set()
    for root in (initial, *states):
        if root in seen:
            continue
        seen.add(root)
        path = {root}
        stack = [(root, iter(out[root]))]
        while stack:
            node, todo = stack[-1]
            nxt = next(todo, None)
            if nxt is None:
                stack.pop()
                path.discard(node)
            elif nxt in path:
                back.add((node, nxt))
            elif nxt not in seen:
                seen.add(nxt)
                path.add(nxt)
                stack.append((nxt, iter(out[nxt])))

    forward = {s: [d for d in out[s] if (s, d) not in back] for s in states}
    preds: dict[str, list[str]] = {s: [] for s in states}
    for s in states:
        for d in forward[s]:
            preds[d].append(s)

    @functools.cache
    def depth(state: str) -> int:  # the longest forward path from a root to `state`
        return max((depth(p) + 1 for p in preds[state]), default=0)

    @functools.cache
    def still_to_go(state: str) -> int:  # the longest forward path from `state` to a sink
        return max((still_to_go(d) + 1 for d in forward[state]), default=0)

    count = max(depth(s) for s in states) + 1
    layers: list[list[str]] = [[] for _ in range(count)]
    position: dict[str, int] = {}
    order = {s: i for i, s in enumerate(states)}
    for n in range(count):
        members = [s for s in states if depth(s) == n]

        def rank(state: str) -> tuple[float, int, int]:
            placed = [position[p] for p in preds[state] if p in position]
            centre = sum(placed) / len(placed) if placed else 0.0
            return (centre, -still_to_go(state), order[state])

        layers[n] = sorted(members, key=rank)
        position.update((s, i) for i, s in enumerate(layers[n]))

    drawn = {(e, d) for e, d in everywhere}
    edges: dict[tuple[str, str], list[str]] = {}
    for source, dest, event in moves:
        if (event, dest) in drawn:
            continue
        events = edges.setdefault((source, dest), [])
        if event not in events:
            events.append(event)
    return DiagramLayout(
        initial=initial,
        start_event=start_event,
        layers=tuple(tuple(layer) for layer in layers),
        edges=tuple(
            DiagramEdge(s, d, tuple(events), (s, d) in back) for (s, d), events in edges.items()
        ),
        everywhere=everywhere,
    )


@functools.cache
def machine_layout(name: MachineName) -> DiagramLayout:
    """The layout of machine `name` (computed once: the tables are static). The allegation track
    starts at the state `refer_to_lado` leads to; its sentinel "none" is not drawn."""
    if name is MachineName.CHILD_PROTECTION:
        return layered_layout(
            CHILD_PROTECTION_TRANSITIONS,
            [s.value for s in CaseState],
            INITIAL_STATE.value,
            CREATION_EVENT.value,
        )
    (start,) = (r for r in ALLEGATION_TRANSITIONS if NO_ALLEGATION in r["source"])
    rest = tuple(r for r in ALLEGATION_TRANSITIONS if r is not start)
    return layered_layout(
        rest, [s.value for s in AllegationState], str(start["dest"]), str(start["trigger"])
    )
