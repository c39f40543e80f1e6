"""Answers that depend on another are revealed under it, as the Design System's conditional
reveal: the working agreement under "Stays in the home", the category of abuse under a child
protection plan. A blank form and a form shown again both keep them there."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from esafety_flow.web.pages import event_fields_html, event_fields_html_of
from esafety_flow.web.record_views import event_form
from states import Event
from tests.web.conftest import NOW


class _Conditionals(HTMLParser):
    """The ids of the inputs inside each radios conditional block, by the block's id."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: dict[str, list[str]] = {}
        self._open: list[tuple[str | None, int]] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "div":
            self._depth += 1
            if "govuk-radios__conditional" in (values.get("class") or ""):
                self._open.append((values.get("id"), self._depth))
                self.blocks[str(values.get("id"))] = []
        if tag in ("input", "textarea") and self._open and values.get("id"):
            self.blocks[str(self._open[-1][0])].append(str(values["id"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            if self._open and self._open[-1][1] == self._depth:
                self._open.pop()
            self._depth -= 1


def _blocks(html: str) -> dict[str, list[str]]:
    parser = _Conditionals()
    parser.feed(html)
    return parser.blocks


def test_the_working_agreement_is_revealed_under_stays_in_the_home() -> None:
    html = str(event_fields_html(Event.HOLD_STRATEGY_DISCUSSION))
    [(block, inputs)] = _blocks(html).items()
    assert re.search(r'value="stays"[^>]*data-aria-controls="' + re.escape(block), html)
    assert "hold_strategy_discussion-working-agreement-review-date-day" in inputs
    assert "hold_strategy_discussion-working-agreement-sleepovers" in inputs
    # every part of the agreement once, and only inside the reveal
    assert html.count('name="working_agreement.sleepovers"') == 1


def test_the_category_of_abuse_is_revealed_under_a_plan() -> None:
    html = str(event_fields_html(Event.HOLD_CONFERENCE))
    [(block, inputs)] = _blocks(html).items()
    assert re.search(
        r'value="child_protection_plan"[^>]*data-aria-controls="' + re.escape(block), html
    )
    assert any(i.startswith("hold_conference-category-of-abuse") for i in inputs)


def test_a_form_shown_again_keeps_the_revealed_answers() -> None:
    form = event_form(
        NOW,
        {
            "leave_home_decision": ["stays"],
            "working_agreement.sleepovers": ["None at the home"],
        },
    )
    html = str(event_fields_html_of(Event.HOLD_STRATEGY_DISCUSSION, form))
    assert re.search(r'value="stays"[^>]*checked', html)
    assert "None at the home" in html
