"""The case page's state diagram: server-drawn SVG of the two machines (no JavaScript, no CDN).

`states.machine_layout` gives each machine's layers (the longest path of forward moves from the
initial state) and the moves; this module gives them coordinates and draws them. Layers go down
the page, a layer's states side by side; every arrow leaves a box at its bottom and enters one at
its top. An arrow between neighbouring layers runs down the gap between them; a longer forward
move runs down a lane on the left (on the right to a state in the last of several columns), a
move back up a lane on the right; each horizontal run has its own track. Each box holds the state's
name in words; each arrow its events' names where they fit (and every move is written in the
`desc`). The current state is drawn with a thick border, a yellow fill and the word "(now)", so
it does not depend on colour. `case_diagram` is cached per pair of states: the tables are static.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from esafety_flow.web.common import _label
from states import (
    AllegationState,
    CaseState,
    DiagramEdge,
    DiagramLayout,
    MachineName,
    StatesError,
    machine_layout,
)
from states.labels import inline_label

__all__ = ["CaseDiagram", "case_diagram", "layout_svg"]

_INK = "#0b0c0c"  # GOV.UK black: text, borders and arrows (19:1 against white)
_NOW = "#ffdd00"  # GOV.UK yellow behind the current state (its black text: 15:1)
_FONT = 'font-family="GDS Transport, arial, sans-serif"'

_BOX_W = 124
_BOX_PAD = 8
_LINE_H = 16
_STATE_SIZE = 13
_STATE_CHARS = 14  # characters of a 13px line that fit inside a box
_LABEL_SIZE = 12
_LABEL_CHAR_W = 6.6  # a generous average width of a 12px character
_COL_GAP = 18
_LANE = 10
_BAND = 16  # the top and bottom of each gap, where the arrows' labels go
_TRACK = 7  # one horizontal run of an arrow across a gap
_MARGIN = 8
_HEAD = 7  # the arrowhead's length


def _lines(text: str, width: int = _STATE_CHARS) -> list[str]:
    """`text` broken at spaces into lines of at most `width` characters (a longer word alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


@dataclass
class _Box:
    state: str
    lines: list[str]
    x: float = 0.0
    y: float = 0.0
    h: float = 0.0
    exits: list[float] = field(default_factory=list)
    entries: list[float] = field(default_factory=list)


@dataclass
class _Label:
    x: float
    y: float  # baseline
    text: str

    @property
    def right(self) -> float:
        return self.x + len(self.text) * _LABEL_CHAR_W

    def overlaps(self, other: _Label) -> bool:
        return (
            self.x < other.right + 4
            and other.x < self.right + 4
            and abs(self.y - other.y) < _LABEL_SIZE + 2
        )


def _spread(box: _Box, count: int, centre: int | None) -> list[float]:
    """`count` points along a box's side; the one at index `centre` (the move straight down the
    same column, if any) at the middle, so the main line of the procedure is drawn straight."""
    if count == 0:
        return []
    if centre is None:
        return [box.x + _BOX_W * (i + 1) / (count + 1) for i in range(count)]
    step = min(_BOX_W / 2 / (max(centre, count - 1 - centre) + 1), 24.0)
    middle = box.x + _BOX_W / 2
    return [middle + (i - centre) * step for i in range(count)]


def layout_svg(
    layout: DiagramLayout,
    *,
    current: str | None,
    title: str,
    ident: str,
    label: Callable[[str], str] = _label,
) -> str:
    """The SVG of `layout` with `current` (if any) highlighted; `ident` prefixes its ids.

    `role="img"`, labelled by its `title` and a `desc` that lists the states in order (the
    current one marked "now") and every move in words.
    """
    if current is not None and current not in layout.states:
        raise StatesError(f"unknown state {current!r}: expected one of {', '.join(layout.states)}")
    return _Drawing(layout, current, label).svg(title, ident)


_LEFT, _DOWN, _RIGHT = 0, 1, 2


class _Drawing:
    """The coordinates of one layout: boxes, attachment points, gaps, lanes."""

    def __init__(
        self, layout: DiagramLayout, current: str | None, label: Callable[[str], str]
    ) -> None:
        self.layout, self.current, self.label = layout, current, label
        self.layer_of = {s: n for n, layer in enumerate(layout.layers) for s in layer}
        self.column = {s: i for layer in layout.layers for i, s in enumerate(layer)}
        columns = max(len(layer) for layer in layout.layers)
        span = {e: abs(self.layer_of[e.dest] - self.layer_of[e.source]) for e in layout.edges}
        # a move between neighbouring layers runs down the gap between them; a longer one down a
        # lane on the left (on the right if it goes to a state in the last of several columns)
        # and a move back up a lane on the right; the shortest nearest the boxes, so lanes nest
        self.way: dict[DiagramEdge, int] = {}
        for e in layout.edges:
            if e.back:
                self.way[e] = _RIGHT
            elif span[e] == 1:
                self.way[e] = _DOWN
            elif columns > 1 and self.column[e.dest] == columns - 1:
                self.way[e] = _RIGHT
            else:
                self.way[e] = _LEFT
        self.lanes = {
            side: sorted((e for e in layout.edges if self.way[e] == side), key=span.__getitem__)
            for side in (_LEFT, _RIGHT)
        }
        self.left = _MARGIN + _LANE * len(self.lanes[_LEFT])
        self.inner_right = self.left + columns * _BOX_W + (columns - 1) * _COL_GAP
        self.width = self.inner_right + _LANE * len(self.lanes[_RIGHT]) + _MARGIN
        self.boxes: dict[str, _Box] = {}
        for state in layout.states:
            lines = _lines(label(state)) + (["(now)"] if state == current else [])
            box = _Box(state, lines, h=2 * _BOX_PAD + _LINE_H * len(lines))
            box.x = self.left + self.column[state] * (_BOX_W + _COL_GAP)
            self.boxes[state] = box
        # exits spread along each box's bottom and entries along its top in the order their
        # arrows go (left lanes, the gap below by column, right lanes), so that few arrows cross
        self.outs = {
            s: sorted(
                (e for e in layout.edges if e.source == s), key=lambda e: self._order(e, e.dest)
            )
            for s in self.boxes
        }
        self.ins = {
            s: sorted(
                (e for e in layout.edges if e.dest == s), key=lambda e: self._order(e, e.source)
            )
            for s in self.boxes
        }
        # the start marker's arrow enters the initial state down its middle, or after the other
        # arrows in when one of them comes straight down the column
        self.start_first = self._straight_index(self.ins[layout.initial]) is None
        for state, box in self.boxes.items():
            outs, ins = self.outs[state], self.ins[state]
            box.exits = _spread(box, len(outs), self._straight_index(outs))
            if state != layout.initial:
                box.entries = _spread(box, len(ins), self._straight_index(ins))
            elif self.start_first:
                box.entries = _spread(box, len(ins) + 1, 0)
            else:
                box.entries = _spread(box, len(ins) + 1, self._straight_index(ins))
        # gap n is above layer n (gap 0 holds the start marker): each horizontal run of an arrow
        # across a gap has its own track, the runs to and from lanes outside those in the gap
        runs: dict[int, list[tuple[tuple[int, float], DiagramEdge]]] = {
            n: [] for n in range(len(layout.layers) + 1)
        }
        for e in layout.edges:
            a, b = self.layer_of[e.source], self.layer_of[e.dest]
            x0, x1 = self.exit_x(e), self.entry_x(e)
            if self.way[e] == _DOWN:
                if abs(x0 - x1) > 0.5:
                    runs[b].append(((2, x0), e))
            else:
                left = self.way[e] == _LEFT
                runs[a + 1].append(((0, x0) if left else (1, -x0), e))
                runs[b].append(((3, -x1) if left else (4, x1), e))
        self.runs = {n: [e for _, e in sorted(r, key=lambda r: r[0])] for n, r in runs.items()}
        self.gap_h = {n: 2 * _BAND + _TRACK * max(len(r), 1) for n, r in self.runs.items()}
        y = float(_MARGIN)
        self.tops: list[float] = []
        self.gap_top: list[float] = []
        for n, layer in enumerate(layout.layers):
            self.gap_top.append(y)
            y += self.gap_h[n]
            self.tops.append(y)
            y += max(self.boxes[s].h for s in layer)
        last = len(layout.layers)
        self.gap_top.append(y)  # below the last layer: only moves back from it use this gap
        self.height = y + (self.gap_h[last] if self.runs[last] else _MARGIN)
        for state, box in self.boxes.items():
            box.y = self.tops[self.layer_of[state]]
        self.labels: list[_Label] = []

    def _order(self, e: DiagramEdge, other: str) -> tuple[int, int]:
        way = self.way[e]
        index = self.lanes[way].index(e) if way != _DOWN else 0
        if way == _LEFT:
            return (0, -index)
        if way == _RIGHT:
            return (2, index)
        return (1, self.column[other])

    def _straight_index(self, edges: list[DiagramEdge]) -> int | None:
        """The index of the move straight down the same column among `edges`, if any."""
        for i, e in enumerate(edges):
            if self.way[e] == _DOWN and self.column[e.source] == self.column[e.dest]:
                return i
        return None

    def exit_x(self, e: DiagramEdge) -> float:
        return self.boxes[e.source].exits[self.outs[e.source].index(e)]

    def entry_x(self, e: DiagramEdge) -> float:
        after_start = e.dest == self.layout.initial and self.start_first
        return self.boxes[e.dest].entries[self.ins[e.dest].index(e) + after_start]

    def start_x(self) -> float:
        initial = self.layout.initial
        return self.boxes[initial].entries[0 if self.start_first else len(self.ins[initial])]

    def track(self, n: int, e: DiagramEdge) -> float:
        return self.gap_top[n] + _BAND + _TRACK * (self.runs[n].index(e) + 0.5)

    def lane_x(self, e: DiagramEdge) -> float:
        if self.way[e] == _LEFT:
            return self.left - _LANE * (self.lanes[_LEFT].index(e) + 0.5)
        return self.inner_right + _LANE * (self.lanes[_RIGHT].index(e) + 0.5)

    def points(self, e: DiagramEdge) -> list[tuple[float, float]]:
        src, dst = self.boxes[e.source], self.boxes[e.dest]
        x0, y0, x1, y1 = self.exit_x(e), src.y + src.h, self.entry_x(e), dst.y
        a, b = self.layer_of[e.source], self.layer_of[e.dest]
        if self.way[e] == _DOWN:
            if e not in self.runs[b]:
                return [(x0, y0), (x1, y1)]
            t = self.track(b, e)
            return [(x0, y0), (x0, t), (x1, t), (x1, y1)]
        lx, t0, t1 = self.lane_x(e), self.track(a + 1, e), self.track(b, e)
        return [(x0, y0), (x0, t0), (lx, t0), (lx, t1), (x1, t1), (x1, y1)]

    def place(self, text: str, spots: list[tuple[float, float]]) -> None:
        """Write `text` at the first of `spots` where it is clear of the other labels (the drawing
        widens for it); nowhere if none is (the `desc` lists every move)."""
        for x, y in spots:
            candidate = _Label(x + 4, y, text)
            if not any(candidate.overlaps(other) for other in self.labels):
                self.labels.append(candidate)
                return

    def svg(self, title: str, ident: str) -> str:
        layout, label = self.layout, self.label
        first = self.boxes[layout.initial]
        sx, sy = self.start_x(), first.y - self.gap_h[0] + _BAND
        self.place(label(layout.start_event), [(sx + 6, sy - 2)])
        arrows = [
            f'<circle cx="{sx:.1f}" cy="{sy - 6:.1f}" r="6" fill="{_INK}"/>',
            _arrow([(sx, sy), (sx, first.y)]),
        ]
        for e in layout.edges:
            points = self.points(e)
            arrows.append(_arrow(points))
            (x0, y0), (x1, y1) = points[0], points[-1]
            text = " or ".join(label(ev) for ev in e.events)
            self.place(text, [(x1, y1 - _HEAD - 3), (x0, y0 + _LABEL_SIZE + 2)])
        width = max([self.width, *(t.right + _MARGIN for t in self.labels)])
        note: list[str] = []
        if layout.everywhere:
            told = "; ".join(
                f"{label(ev)} (to {inline_label(dest)}): from every other state"
                for ev, dest in layout.everywhere
            )
            note = _lines(told, int((width - 2 * _MARGIN) / _LABEL_CHAR_W))
        height = self.height + (_LINE_H * len(note) + _MARGIN if note else 0)
        parts = [
            f'<svg class="app-chart app-state-diagram" id="{escape(ident)}" role="img" '
            f'aria-labelledby="{escape(ident)}-title {escape(ident)}-desc" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
            f'height="{height:.0f}" {_FONT} xmlns="http://www.w3.org/2000/svg">',
            f'<title id="{escape(ident)}-title">{escape(title)}</title>',
            f'<desc id="{escape(ident)}-desc">'
            f"{escape(_description(layout, self.current, label))}</desc>",
            *arrows,
        ]
        parts.extend(
            f'<text x="{t.x:.1f}" y="{t.y:.1f}" font-size="{_LABEL_SIZE}" fill="{_INK}" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(t.text)}</text>'
            for t in self.labels
        )
        for state, box in self.boxes.items():
            parts.append(_box(box, now=state == self.current))
        parts.extend(
            f'<text x="{_MARGIN}" y="{self.height + _LINE_H * (i + 1) - 4:.1f}" '
            f'font-size="{_LABEL_SIZE}" fill="{_INK}">{escape(line)}</text>'
            for i, line in enumerate(note)
        )
        parts.append("</svg>")
        return "".join(parts)


def _arrow(points: list[tuple[float, float]]) -> str:
    """A line through `points` ending in an arrowhead pointing down (every arrow enters a box at
    its top)."""
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    tx, ty = points[-1]
    return (
        f'<polyline points="{path}" fill="none" stroke="{_INK}" stroke-width="1.5"/>'
        f'<polygon points="{tx - 4:.1f},{ty - _HEAD:.1f} {tx + 4:.1f},{ty - _HEAD:.1f} '
        f'{tx:.1f},{ty:.1f}" fill="{_INK}"/>'
    )


def _box(box: _Box, *, now: bool) -> str:
    """A state's box: its name in words; the current state bold, in a thick border, on yellow,
    with "(now)" (more than colour)."""
    classes = "app-state-diagram__state" + (" app-state-diagram__state--now" if now else "")
    weight = ' font-weight="bold"' if now else ""
    parts = [
        f'<g class="{classes}" data-state="{escape(box.state)}">'
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{_BOX_W}" height="{box.h:.1f}" '
        f'fill="{_NOW if now else "#ffffff"}" stroke="{_INK}" '
        f'stroke-width="{4 if now else 1.5}"/>'
    ]
    parts.extend(
        f'<text x="{box.x + _BOX_W / 2:.1f}" y="{box.y + _BOX_PAD + _LINE_H * (i + 1) - 4:.1f}" '
        f'text-anchor="middle" font-size="{_STATE_SIZE}"{weight} fill="{_INK}">'
        f"{escape(line)}</text>"
        for i, line in enumerate(box.lines)
    )
    parts.append("</g>")
    return "".join(parts)


def _description(layout: DiagramLayout, current: str | None, label: Callable[[str], str]) -> str:
    states = ", ".join(label(s) + (" (now)" if s == current else "") for s in layout.states)
    moves = [f"{label(layout.start_event)}: starts at {inline_label(layout.initial)}"]
    for e in layout.edges:
        events = " or ".join(label(ev) for ev in e.events)
        moves.append(f"{events}: {inline_label(e.source)} to {inline_label(e.dest)}")
    for ev, dest in layout.everywhere:
        moves.append(f"{label(ev)}: every other state to {inline_label(dest)}")
    return f"States in the order of the procedure: {states}. Moves: {'; '.join(moves)}."


@dataclass(frozen=True)
class CaseDiagram:
    """The case page's drawings: the child protection track, and the allegation (LADO) track when
    the case has one."""

    child_protection: Markup
    allegation: Markup | None


@functools.cache
def case_diagram(state: str, allegation_state: str | None) -> CaseDiagram:
    """The drawings of a case in `state` (and `allegation_state`), each with its current state
    highlighted; drawn once per pair. Raises `StatesError` for a state not in the machines."""
    if state not in set(CaseState):
        raise StatesError(f"unknown case state {state!r}")
    if allegation_state is not None and allegation_state not in set(AllegationState):
        raise StatesError(f"unknown allegation state {allegation_state!r}")
    child_protection = layout_svg(
        machine_layout(MachineName.CHILD_PROTECTION),
        current=state,
        title="Child protection: where the case is in the procedure",
        ident="child-protection-diagram",
    )
    allegation = None
    if allegation_state is not None:
        allegation = layout_svg(
            machine_layout(MachineName.ALLEGATION),
            current=allegation_state,
            title="Allegation (LADO) track: where it is",
            ident="allegation-diagram",
        )
    # safe markup: every text in the drawings was escaped as it was drawn
    return CaseDiagram(Markup(child_protection), None if allegation is None else Markup(allegation))
