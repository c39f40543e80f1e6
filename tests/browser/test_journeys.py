"""The journeys of issue 4 item 5 in headless Chromium, with axe-core on every page visited."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator

from tests.browser.conftest import ARTIFACTS, Pages

pytestmark = pytest.mark.browser


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


def _yes(box: Locator, question: str) -> None:
    box.locator("fieldset", has_text=question).get_by_label("Yes").check()


def test_sign_in_and_see_my_caseload(pages: Pages) -> None:
    pages.sign_in("pat")
    assert pages.page.get_by_role("heading", name="My caseload").is_visible()
    assert pages.page.locator("table.govuk-table tbody tr").count() > 0


def test_my_alerts_page(pages: Pages) -> None:
    pages.sign_in("pat")
    pages.goto("/alerts")
    assert pages.page.get_by_role("heading", name="My alerts").is_visible()


def test_wrong_password_is_shown_as_an_error(pages: Pages) -> None:
    pages.sign_in("pat", "not-the-password")
    assert pages.page.get_by_text("Enter a correct username and password").first.is_visible()


def test_under_13_imagery_needs_an_immediate_referral(pages: Pages) -> None:
    pages.sign_in("pat")
    pages.goto("/cases/new")
    page = pages.page
    page.get_by_label("Kind of online harm").select_option("youth_produced_sexual_imagery")
    page.locator("#child1-name").fill("K.L.")
    page.locator("#child1-age").fill("12")
    page.locator("#child1-flags-3").check()  # shown in images
    page.get_by_label("Sexual acts").check()
    page.locator("#submit-concern").click()
    pages.check()
    actions = page.locator("#required-actions")
    assert "Immediate referral" in actions.inner_text()
    assert "Immediate referral" in page.locator("#same-day").inner_text()


def test_referral_through_strategy_discussion_to_section_47(pages: Pages) -> None:
    pages.sign_in("pat")
    pages.goto("/cases/new")
    page = pages.page
    page.get_by_label("Kind of online harm").select_option("adult_indecent_images")
    page.locator("#child1-name").fill("R.Z.")
    page.locator("#child1-age").fill("6")
    for flag in ("", "-2", "-3"):  # lives with, known to, shown in images
        page.locator(f"#child1-flags{flag}").check()
    page.get_by_label("Adult", exact=True).check()
    page.get_by_label("Lives with children").check()
    page.get_by_label("Images of own children").check()
    page.locator("#submit-concern").click()
    pages.check()
    assert page.get_by_text("Do not inform the family").first.is_visible()

    box = _open(pages, "refer")
    box.get_by_role("checkbox", name="Police", exact=True).check()
    box.get_by_role("checkbox", name="Children's social care", exact=True).check()
    _submit(pages, "refer")

    box = _open(pages, "convene_strategy_discussion")
    _yes(box, "urgent")
    _submit(pages, "convene_strategy_discussion")

    box = _open(pages, "hold_strategy_discussion")
    for agency in ("Police", "Children's social care", "Health"):
        box.get_by_label(agency, exact=True).check()
    box.get_by_label("Safety of the children in the household").fill("Mother protective")
    box.get_by_label("Safety of the children shown").fill("Child seen today")
    box.get_by_label("When the alleged abuser").fill("After police arrest")
    _yes(box, "criminal investigation")
    _yes(box, "Section 47 threshold")
    _yes(box, "initial child protection conference")
    _submit(pages, "hold_strategy_discussion")

    # not possible yet: no form, and what must come first, linked to where it is done
    assert page.locator("#action-start_section_47").count() == 0
    blocked = page.locator("#blocked-start_section_47").inner_text()
    assert "first record whether the alleged abuser leaves the home" in blocked, blocked

    # the facts are changed on pages of their own: the step that comes first links to one
    page.locator("#blocked-start_section_47").get_by_role("link").click()
    pages.check()
    page.get_by_label("Stays").check()
    page.locator("#submit-record_facts").click()
    pages.check()
    page.locator("#change-working-agreement").click()
    pages.check()
    page.get_by_label("Working agreement: supervision of contact").fill("Supervised by mother")
    page.get_by_label("Working agreement: intimate care").fill("Mother only")
    page.get_by_label("Working agreement: entry to children's rooms").fill("Never")
    page.get_by_label("Working agreement: sleepovers").fill("None")
    review = page.locator("#record_facts-review-date")
    review.get_by_label("Day").fill("15")
    review.get_by_label("Month").fill("1")
    review.get_by_label("Year").fill("2030")
    page.locator("#submit-record_facts").click()
    pages.check()

    _submit(pages, "start_section_47")
    assert "Section 47 enquiry (now)" in page.locator("#state-diagram").inner_text()
    drawing = page.locator("#child-protection-diagram")
    assert drawing.is_visible()
    assert drawing.get_attribute("role") == "img"
    assert drawing.locator(".app-state-diagram__state--now").get_attribute("data-state") == (
        "section_47"
    )
    assert page.locator("pre").count() == 0  # no Mermaid text
    column = page.locator(".govuk-grid-column-one-third", has=drawing)
    column.screenshot(path=str(ARTIFACTS / f"{pages.name}-where-the-case-is.png"))
    assert "Initial child protection conference" in page.locator("#deadlines").inner_text()


def test_a_lado_sees_both_tracks_drawn_on_an_allegations_case(pages: Pages) -> None:
    pages.sign_in("lee")
    pages.page.locator("table.govuk-table tbody tr a").first.click()
    pages.check()  # axe-core on the case page with both drawings
    page = pages.page
    assert page.locator("#child-protection-diagram").is_visible()
    drawing = page.locator("#allegation-diagram")
    assert drawing.is_visible()
    assert drawing.locator(".app-state-diagram__state--now").count() == 1
    column = page.locator(".govuk-grid-column-one-third", has=drawing)
    column.screenshot(path=str(ARTIFACTS / f"{pages.name}-where-the-case-is.png"))


def test_manager_sees_an_overdue_item_on_the_dashboard(pages: Pages) -> None:
    pages.sign_in("morgan")
    pages.goto("/dashboard")
    overdue = pages.page.locator("#overdue tbody tr")
    assert overdue.count() > 0
    assert pages.page.locator("#timeliness-chart").is_visible()
    pages.goto("/caseload?scope=team")
    pages.goto("/calendar")


def test_admin_calendar_and_auditor_pages(pages: Pages) -> None:
    pages.sign_in("ada")
    pages.goto("/calendar?region=scotland&year=2026")
    assert "Andrew" in pages.page.locator("#holidays").inner_text()
    pages.page.get_by_role("button", name=re.compile("Sign out")).click()
    pages.check()
    pages.sign_in("audrey")
    pages.goto("/audit")


def test_the_accessibility_check_fails_on_a_violation(pages: Pages) -> None:
    pages.goto("/sign-in")
    pages.page.evaluate(
        "() => { const i = document.createElement('img'); i.src = '/assets/images/favicon.svg';"
        " document.querySelector('main').appendChild(i); }"
    )
    with pytest.raises(AssertionError, match="image-alt"):
        pages.check()


def _watch(pages: Pages) -> tuple[list[str], list[str]]:
    """Console errors (a CSP refusal is one) and requests to any other host, which are aborted:
    the page must work with no internet."""
    errors: list[str] = []
    outside: list[str] = []
    pages.page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith(pages.base) or url.startswith("data:"):
            r.fallback()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            r.abort()  # type: ignore[attr-defined]

    pages.page.route("**/*", route)
    return errors, outside


def test_pages_run_under_the_content_security_policy(pages: Pages) -> None:
    errors, outside = _watch(pages)
    pages.sign_in("pat")
    pages.goto("/caseload")
    body = pages.page.locator("body")
    # GOV.UK Frontend's inline script ran (it carries the nonce) and its modules started
    assert "govuk-frontend-supported" in (body.get_attribute("class") or "")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert outside == []


def test_api_docs_work_with_no_internet(pages: Pages) -> None:
    errors, outside = _watch(pages)
    pages.page.goto(pages.base + "/api/docs")
    pages.page.wait_for_selector(".opblock", timeout=20_000)
    paths = pages.page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/cases/{case_id}/events" in p.replace("\u200b", "") for p in paths), paths
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert outside == []


def test_the_audit_trail_and_account_pages(pages: Pages) -> None:
    pages.sign_in("audrey")
    pages.goto("/audit?kind=sign_in")
    assert pages.page.get_by_role("heading", name="Audit trail").is_visible()
    assert pages.page.locator("#entries tbody tr").count() >= 1
    pages.goto("/account/password")
    pages.sign_in("ada")
    pages.goto("/admin/users")
    pages.page.get_by_role("link", name="pat", exact=True).click()
    pages.check()
    pages.page.get_by_label("Name of a new token").fill("browser test")
    pages.page.get_by_role("button", name="Issue token").click()
    pages.check()
    assert pages.page.locator("#new-token code").inner_text().startswith("esf_")
