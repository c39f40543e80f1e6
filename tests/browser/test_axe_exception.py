"""The axe check lets through only GOV.UK Frontend's conditional-reveal aria-expanded, never the
same attribute elsewhere."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import AXE_PATH, AXE_RUN, Pages

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

FORM = """<main><form><fieldset><legend>Where</legend><div class="govuk-radios">
<input class="govuk-radios__input" type="radio" id="a" name="q" value="a"
  aria-controls="{controls}" aria-expanded="false"><label for="a">A</label>
<div class="{target_class}" id="reveal"><label for="x">X</label><input id="x" name="x"></div>
</div></fieldset></form></main>"""


def _violations(pages: Pages, controls: str, target_class: str) -> list[Any]:
    pages.page.goto(pages.base + "/sign-in")
    pages.page.set_content(
        "<!DOCTYPE html><html lang='en'><head><title>t</title></head><body>"
        + FORM.format(controls=controls, target_class=target_class)
        + "</body></html>"
    )
    pages.page.add_script_tag(url=pages.base + AXE_PATH)
    result = pages.page.evaluate(AXE_RUN, TAGS)
    return [v["id"] for v in result["violations"]]


def test_the_conditional_reveal_is_let_through(pages: Pages) -> None:
    assert "aria-allowed-attr" not in _violations(pages, "reveal", "govuk-radios__conditional")


def test_aria_expanded_elsewhere_is_still_a_violation(pages: Pages) -> None:
    assert "aria-allowed-attr" in _violations(pages, "reveal", "not-a-reveal")
