"""Error states in headless Chromium (issue 12 item 8): a refused form keeps every value typed, its
error summary links to the field and focuses it; each error state is axe-clean with a screenshot
in test-artifacts/; closing a case goes through check your answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator

from tests.browser.conftest import ARTIFACTS, Pages

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
DISCUSSION = "hold_strategy_discussion"
MISSING = f"{DISCUSSION}-considerations-when-to-inform-alleged-abuser"
"""The one required answer the refused discussion leaves blank (its textarea's id)."""


def _shot(p: Pages, state: str) -> None:
    """A screenshot of the error state named for it (beside the numbered one of each check)."""
    p.page.screenshot(path=str(ARTIFACTS / f"error-state-{state}.png"), full_page=True)


def _open(p: Pages, event: str) -> Locator:
    """The action's form container on the case page, opened."""
    box = p.page.locator(f"#action-{event}")
    summary = box.locator("summary")
    if summary.count() and box.get_attribute("open") is None:
        summary.click()
    return box


def _submit(p: Pages, event: str) -> None:
    _open(p, event)
    p.page.locator(f"#submit-{event}").click()
    p.check()


def _radio(box: Locator, question: str, answer: str) -> Locator:
    return box.locator("fieldset", has_text=question).get_by_label(answer, exact=True)


def _new_concern(p: Pages, name: str) -> None:
    """An adult with indecent images who lives with the child: a strategy discussion follows."""
    p.goto("/cases/new")
    page = p.page
    page.get_by_label("Kind of online harm").select_option("adult_indecent_images")
    page.locator("#child1-name").fill(name)
    page.locator("#child1-age").fill("6")
    for flag in ("", "-2", "-3"):  # lives with, known to, shown in images
        page.locator(f"#child1-flags{flag}").check()
    page.get_by_label("Adult", exact=True).check()
    page.get_by_label("Lives with children").check()
    page.get_by_label("Images of own children").check()
    page.locator("#submit-concern").click()
    p.check()


TEXTS = {
    "considerations-household-children-safety": "Mother protective, grandmother nearby",
    "considerations-image-children-safety": "Child seen at school today",
    "considerations-contact-with-children-through-work": "Coaches an under-9s football team",
    "considerations-employer-action": "Club suspends him from coaching",
    "working-agreement-supervision-of-contact": "Supervised by mother",
    "working-agreement-intimate-care": "Mother only",
    "working-agreement-entry-to-childrens-rooms": "Never",
    "working-agreement-sleepovers": "None",
}
"""Each free-text answer of the discussion, by its input's id after the form's prefix."""

RADIOS = {
    "criminal investigation": "Yes",
    "Section 47 threshold": "No",
    "initial child protection conference": "Yes",
    "leave the home": "Stays in the home",
}


def test_a_refused_strategy_discussion_keeps_every_value_typed(pages: Pages) -> None:
    pages.sign_in("pat")
    _new_concern(pages, "T.Y.")
    page = pages.page
    box = _open(pages, "refer")
    box.get_by_role("checkbox", name="Police", exact=True).check()
    box.get_by_role("checkbox", name="Children's social care", exact=True).check()
    _submit(pages, "refer")
    _submit(pages, "convene_strategy_discussion")

    box = _open(pages, DISCUSSION)
    attended = ("Police", "Children's social care", "Health")
    for agency in attended:
        box.get_by_role("checkbox", name=agency, exact=True).check()
    for question, answer in RADIOS.items():  # "Stays in the home" reveals the agreement
        _radio(box, question, answer).check()
    for suffix, text in TEXTS.items():
        page.locator(f"#{DISCUSSION}-{suffix}").fill(text)
    review = {"day": "15", "month": "1", "year": "2030"}
    for part, value in review.items():
        page.locator(f"#{DISCUSSION}-working-agreement-review-date-{part}").fill(value)
    yesterday = datetime.now(LONDON).date() - timedelta(days=1)
    when = {
        "day": str(yesterday.day),
        "month": str(yesterday.month),
        "year": str(yesterday.year),
        "time": "09:30",
    }
    for part, value in when.items():
        page.locator(f"#{DISCUSSION}-occurred-{part}").fill(value)
    _submit(pages, DISCUSSION)  # axe-clean with its errors, screenshot
    _shot(pages, "strategy-discussion-refused")

    # refused: the one answer left blank is said beside it and in the summary
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    link = summary.get_by_role("link", name="Enter when the alleged abuser and their partner")
    assert link.count() == 1
    assert link.get_attribute("href") == f"#{MISSING}"
    assert summary.get_by_role("link").count() == 1, summary.inner_text()
    field = page.locator(".govuk-form-group", has=page.locator(f"#{MISSING}"))
    assert "Enter when the alleged abuser and their partner will be told" in (
        field.locator(".govuk-error-message").inner_text()
    )

    # every value typed is kept
    box = page.locator(f"#action-{DISCUSSION}")
    assert box.get_attribute("open") is not None
    for agency in ("Police", "Children's social care", "Health", "Education", "LADO"):
        checked = box.get_by_role("checkbox", name=agency, exact=True).is_checked()
        assert checked is (agency in attended), agency
    for suffix, text in TEXTS.items():
        assert page.locator(f"#{DISCUSSION}-{suffix}").input_value() == text, suffix
    assert page.locator(f"#{MISSING}").input_value() == ""
    for question, answer in RADIOS.items():
        assert _radio(box, question, answer).is_checked(), question
    assert _radio(box, "Section 47 threshold", "Yes").is_checked() is False
    for part, value in review.items():
        got = page.locator(f"#{DISCUSSION}-working-agreement-review-date-{part}").input_value()
        assert got == value, part
    for part, value in when.items():
        assert page.locator(f"#{DISCUSSION}-occurred-{part}").input_value() == value, part

    # the summary's link takes the user to the field, ready to type
    link.click()
    focused = page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused == MISSING
    page.keyboard.type("After the police interview")
    assert page.locator(f"#{MISSING}").input_value() == "After the police interview"


def test_a_refused_event_form_and_the_new_concern_and_facts_errors(pages: Pages) -> None:
    pages.sign_in("pat")
    page = pages.page
    pages.goto("/cases/new")
    page.locator("#submit-concern").click()
    pages.check()  # the new-concern form with errors
    _shot(pages, "new-concern")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert summary.get_by_role("link").count() >= 1

    _new_concern(pages, "E.S.")
    _submit(pages, "refer")  # nothing checked: refused beside the field
    _shot(pages, "event-form-refused")
    summary = page.locator(".govuk-error-summary")
    assert "Select who the referral went to" in summary.inner_text()

    page.locator("#change-working-agreement").click()
    pages.check()
    page.get_by_label("Working agreement: supervision of contact").fill("Supervised by mother")
    page.locator("#submit-record_facts").click()
    pages.check()  # a facts page with errors
    _shot(pages, "facts-page")
    summary = page.locator(".govuk-error-summary")
    assert "Enter what the working agreement says about intimate care" in summary.inner_text()
    assert page.get_by_label("Working agreement: supervision of contact").input_value() == (
        "Supervised by mother"
    )


def test_the_calendar_refuses_a_date_that_is_not_real(pages: Pages) -> None:
    pages.sign_in("ada")
    pages.goto("/calendar")
    page = pages.page
    page.locator("#day-day").fill("31")
    page.locator("#day-month").fill("2")
    page.locator("#day-year").fill(str(datetime.now(LONDON).year + 1))
    page.locator("#day-name").fill("Extra day off")
    page.locator("#submit-day").click()
    pages.check()
    _shot(pages, "calendar-add-day")
    summary = page.locator(".govuk-error-summary")
    assert "The date must be a real date" in summary.inner_text()
    assert page.locator("#day-day").input_value() == "31"
    assert page.locator("#day-name").input_value() == "Extra day off"


def test_sign_in_with_a_wrong_password(pages: Pages) -> None:
    pages.sign_in("pat", "not-the-password")
    _shot(pages, "sign-in")
    summary = pages.page.locator(".govuk-error-summary")
    assert "Enter a correct username and password" in summary.inner_text()
    assert pages.page.get_by_label("Username").input_value() == "pat"


def test_the_page_not_found_page(pages: Pages) -> None:
    pages.sign_in("pat")
    response = pages.page.goto(pages.base + "/no-such-page")
    assert response is not None
    assert response.status == 404
    pages.check()
    _shot(pages, "page-not-found")
    assert pages.page.get_by_role("heading", name="Page not found").is_visible()
    assert "{" not in pages.page.locator("main").inner_text()  # not raw JSON


def test_closing_a_case_asks_to_check_the_answers(pages: Pages) -> None:
    pages.sign_in("pat")
    _new_concern(pages, "C.L.")
    page = pages.page
    deadlines = page.locator("#deadlines").inner_text()
    box = _open(pages, "close")
    outcome = 'input[name="outcome"][value="no_further_action"]'
    box.locator(outcome).check()
    page.locator("#close-reason").fill("Seen by the school nurse, no concern")
    box.locator('input[name="reason_for_closure"][value="RC8"]').check()
    _submit(pages, "close")

    # check your answers: nothing is written yet
    assert page.get_by_role("heading", name="Check your answers before closing the case").count()
    answers = page.locator("#answers").inner_text()
    assert "No further action" in answers
    assert "Seen by the school nurse, no concern" in answers
    cancelled = page.locator("#cancelled-deadlines")
    assert cancelled.locator("tbody tr").count() >= 1
    first = cancelled.locator("tbody tr td").first.inner_text()
    assert first in deadlines

    # "Change" goes back to the form with the answers kept
    page.locator("#answer-close-reason").get_by_role("button", name="Change").click()
    pages.check()
    assert page.locator("#action-close").get_attribute("open") is not None
    assert page.locator("#close-reason").input_value() == "Seen by the school nurse, no concern"
    assert page.locator(f"#action-close {outcome}").is_checked()
    page.locator("#close-reason").fill("Seen by the school nurse: no concern")
    _submit(pages, "close")
    assert "Seen by the school nurse: no concern" in page.locator("#answers").inner_text()

    page.get_by_role("button", name="Close the case").click()
    pages.check()
    assert "This case is closed" in page.locator("#next-steps").inner_text()
    assert "Cancelled" in page.locator("#deadlines").inner_text()
