"""The case page's state diagram: accessible SVG drawn on the server from the tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from esafety_flow.web.common import _label
from esafety_flow.web.diagram import case_diagram, layout_svg
from states import (
    AllegationState,
    CaseState,
    MachineName,
    StatesError,
    layered_layout,
    machine_layout,
)
from tests.web.conftest import Web, csrf_of

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _states(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "data-state" in g.attrib]


def _texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def test_the_drawing_is_an_image_with_a_title_and_a_description() -> None:
    root = _parse(case_diagram("section_47", None).child_protection)
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert title.text
    assert desc is not None
    assert desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "Section 47 enquiry (now)" in desc.text
    assert "Hold conference: Section 47 enquiry to child protection plan" in desc.text
    assert "Close: every other state to closed" in desc.text


def test_every_state_is_drawn_once_with_its_name_in_words() -> None:
    drawing = case_diagram("concern", "investigation")
    assert drawing.allegation is not None
    for svg, states in (
        (drawing.child_protection, CaseState),
        (drawing.allegation, AllegationState),
    ):
        boxes = _states(_parse(svg))
        assert sorted(g.get("data-state") or "" for g in boxes) == sorted(s.value for s in states)
        for g in boxes:
            words = " ".join(_texts(g)).removesuffix(" (now)")
            assert words == _label(g.get("data-state"))
    assert "Referred to the LADO" in drawing.allegation
    assert "_" not in "".join(_texts(_parse(drawing.child_protection)))


@pytest.mark.parametrize("state", [s.value for s in CaseState])
def test_only_the_current_state_is_highlighted(state: str) -> None:
    root = _parse(case_diagram(state, None).child_protection)
    now = [g for g in _states(root) if "app-state-diagram__state--now" in g.get("class", "")]
    assert [g.get("data-state") for g in now] == [state]
    (box,) = now
    rect = box.find(f"{SVG}rect")
    assert rect is not None
    assert rect.get("stroke-width") == "4"
    assert _texts(box)[-1] == "(now)"
    assert sum(text == "(now)" for text in _texts(root)) == 1


def test_each_move_is_an_arrow() -> None:
    layout = machine_layout(MachineName.CHILD_PROTECTION)
    root = _parse(case_diagram("concern", None).child_protection)
    # one per move and one from the start marker
    assert len(list(root.iter(f"{SVG}polyline"))) == len(layout.edges) + 1
    labels = set(_texts(root))
    assert "Refer" in labels
    assert "Start Section 47 enquiry" in labels


def test_the_allegation_track_is_drawn_only_when_the_case_has_one() -> None:
    assert case_diagram("referral", None).allegation is None
    root = _parse(case_diagram("closed", "concluded").allegation or "")
    assert root.get("id") == "allegation-diagram"
    assert [g.get("data-state") for g in _states(root) if "--now" in g.get("class", "")] == [
        "concluded"
    ]


def test_drawn_once_per_pair_of_states() -> None:
    assert case_diagram("review", "investigation") is case_diagram("review", "investigation")
    assert case_diagram("review", None) is not case_diagram("review", "investigation")


def test_unknown_states_are_refused() -> None:
    with pytest.raises(StatesError, match="unknown case state 'sectino_47'"):
        case_diagram("sectino_47", None)
    with pytest.raises(StatesError, match="unknown allegation state 'none'"):
        case_diagram("review", "none")


def test_names_and_events_are_escaped() -> None:
    rows = (
        {"trigger": "a<b&c", "source": ["x<y"], "dest": 'q"z'},
        {"trigger": "</svg>", "source": ['q"z'], "dest": "x<y"},
    )
    layout = layered_layout(rows, ["x<y", 'q"z'], "x<y", "<script>")
    svg = layout_svg(layout, current='q"z', title="T & <U>", ident="t", label=lambda s: s)
    root = _parse(svg)  # well-formed: nothing broke out
    assert "<script>" not in svg
    assert "x&lt;y" in svg
    assert "a&lt;b&amp;c" in svg
    assert 'data-state="q&quot;z"' in svg
    assert (root.find(f"{SVG}title").text or "") == "T & <U>"  # type: ignore[union-attr]
    assert {g.get("data-state") for g in _states(root)} == {"x<y", 'q"z'}


def test_case_page_draws_the_diagram_instead_of_mermaid_text(web: Web) -> None:
    page = web.client("pat").get(f"/cases/{web.north_case}").text
    assert "stateDiagram" not in page
    assert "app-mermaid" not in page
    assert '<svg class="app-chart app-state-diagram" id="child-protection-diagram" role="img"' in (
        page
    )
    assert 'id="state-diagram"' in page  # the states in words stay
    assert "Moves from here" in page
    assert "&lt;svg" not in page


def test_case_page_draws_the_allegation_track_once_the_case_has_one(web: Web) -> None:
    lee = web.client("lee")
    assert 'id="allegation-diagram"' not in lee.get(f"/cases/{web.lado_case}").text
    token = csrf_of(lee.get("/caseload").text)
    lee.post(f"/cases/{web.lado_case}/events/refer_to_lado", data={"csrf_token": token})
    page = lee.get(f"/cases/{web.lado_case}").text
    drawing = page.split('id="allegation-diagram"', 1)[1].split("</svg>", 1)[0]
    assert 'app-state-diagram__state--now" data-state="lado_referral"' in drawing


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("lado_referral", "Referred to the LADO"),
        ("refer_to_lado", "Refer to LADO"),
        ("hold_lado_strategy_meeting", "Hold LADO strategy meeting"),
        ("lado", "LADO"),
        ("colorado_rule", "Colorado rule"),  # only the word
        ("start_section_47", "Start Section 47 enquiry"),
        ("childrens_social_care", "Children's social care"),
    ],
)
def test_state_and_event_names_in_words(code: str, words: str) -> None:
    assert _label(code) == words
