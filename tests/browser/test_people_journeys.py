"""The journeys of people and search (DESIGN 2.4) in headless Chromium over the demo, with
axe-core on every page visited: search for a child from the header's box, raise a concern with a
wrong NHS check digit and see the error beside the field, then put it right and see the child
known to us; confirm a likely match on the check step."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Pages

pytestmark = pytest.mark.browser


def test_search_for_a_child_from_the_header(pages: Pages) -> None:
    pages.sign_in("pat")
    page = pages.page
    page.locator("#header-search").fill("riley evens")  # a typo
    page.locator("#header-search").press("Enter")
    pages.check()
    results = page.locator("#search-results")
    assert "Riley Evans" in results.inner_text()
    assert results.locator("tbody tr").count() == 2
    page.locator("#search-q").fill("943 476 5919")
    page.locator("#search-submit").click()
    pages.check()
    assert page.locator("#search-results tbody tr").count() == 2
    page.locator("#search-results tbody tr a").first.click()
    pages.check()
    known = page.locator("#known-to-us").inner_text()
    assert "1 earlier case" in known
    # a search of one letter is a message, not a list of half the county
    page.locator("#header-search").fill("r")
    page.locator("#header-search").press("Enter")
    pages.check()
    assert page.locator(".govuk-error-summary").get_by_text("at least 2 letters").is_visible()


def test_a_wrong_nhs_check_digit_is_shown_beside_the_field(pages: Pages) -> None:
    pages.sign_in("pat")
    pages.goto("/cases/new")
    page = pages.page
    page.get_by_label("Kind of online harm").select_option("online_bullying")
    page.locator("#child1-name").fill("Riley Evans")
    page.locator("#child1-dob-day").fill("14")
    page.locator("#child1-dob-month").fill("5")
    page.locator("#child1-dob-year").fill("2012")
    page.locator("#child1-sex").check()  # Female
    page.locator("#child1-ethnicity").select_option("WBRI")
    page.locator("#child1-nhs-number").fill("943 476 5918")
    page.locator("#submit-concern").click()
    pages.check()
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_text("check digit is wrong").is_visible()
    assert "check digit is wrong" in page.locator("#child1-nhs-number-error").inner_text()
    # everything typed is still there
    assert page.locator("#child1-name").input_value() == "Riley Evans"
    assert page.locator("#child1-dob-year").input_value() == "2012"
    summary.get_by_role("link", name="check digit is wrong").click()
    assert page.evaluate("document.activeElement.id") == "child1-nhs-number"
    page.locator("#child1-nhs-number").fill("943 476 5919")
    page.locator("#submit-concern").click()
    pages.check()
    # the NHS number is a child already known: linked at once, and said on the triage result
    assert "Concern recorded as" in page.locator(".govuk-notification-banner").first.inner_text()
    known = page.locator("#known-to-us").inner_text()
    assert "linked to the person already known to us" in known
    assert "earlier case" in known


def test_add_another_child_and_confirm_a_likely_match(pages: Pages) -> None:
    pages.sign_in("pat")
    pages.goto("/cases/new")
    page = pages.page
    page.get_by_label("Kind of online harm").select_option("sexual_communication")
    page.locator("#child1-name").fill("Jordan Pryce")
    page.locator("#child1-dob-day").fill("3")
    page.locator("#child1-dob-month").fill("9")
    page.locator("#child1-dob-year").fill("2015")
    page.locator("#add-child").click()
    pages.check()
    page.locator("#child2-name").fill("Sky")
    page.locator("#child2-age").fill("10")
    assert page.locator("#child1-name").input_value() == "Jordan Pryce"
    page.locator("#submit-concern").click()
    pages.check()
    assert page.get_by_role("heading", name="Check the people already known to us").is_visible()
    page.get_by_label("Jordan Price").check()
    page.locator("#confirm-people").click()
    pages.check()
    known = page.locator("#known-to-us").inner_text()
    assert "Jordan Pryce" in known
    assert "1 earlier case" in known
