"""The journeys of issue 9 (who does the work) in headless Chromium over the demo, with axe-core
on every page visited: allocate a case, add and amend a note, return and authorise an
assessment, print a chronology (to PDF, then PNG pages with pdftoppm), cover a worker's leave.
The tests share one server and run in file order."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.browser.conftest import ARTIFACTS, Pages

pytestmark = pytest.mark.browser


def test_a_manager_allocates_a_waiting_case(pages: Pages) -> None:
    pages.sign_in("morgan")
    pages.goto("/dashboard")
    page = pages.page
    assert page.locator("#dashboard-unallocated tbody tr").count() >= 1
    assert page.locator("#dashboard-awaiting tbody tr").count() >= 1
    assert page.locator("#dashboard-oversight tbody tr").count() >= 1
    pages.goto("/unallocated")
    page.locator("#unallocated tbody tr").first.get_by_role(
        "link", name=re.compile("Allocate")
    ).click()
    pages.check()
    page.locator("#submit-allocate").click()  # nobody chosen: the error summary links the field
    pages.check()
    assert (
        page.locator(".govuk-error-summary")
        .get_by_text("Select who the case is allocated to")
        .is_visible()
    )
    page.get_by_label("Sam Social-Worker").check()
    page.locator("#submit-allocate").click()
    pages.check()
    assert "Sam Social-Worker" in page.locator("#work-owner").inner_text()


def test_a_practitioner_adds_and_amends_a_note(pages: Pages) -> None:
    pages.sign_in("pat")
    page = pages.page
    page.locator("table.govuk-table tbody tr a").first.click()
    pages.check()
    page.locator("#add-note-link").click()
    pages.check()
    page.get_by_label("Visit", exact=True).check()
    page.get_by_label("Note", exact=True).fill(
        "Seen at school with the designated safeguarding lead."
    )
    page.get_by_label(re.compile("significant event")).check()
    page.get_by_label("Time").fill("00:00")  # today, never in the future
    page.locator("#submit-add_note").click()
    pages.check()
    notes = page.locator("#notes")
    assert "Seen at school with the designated safeguarding lead." in notes.inner_text()
    page.locator("#notes li").last.get_by_role("link", name=re.compile("Amend this note")).click()
    pages.check()
    page.get_by_label("The corrected note").fill("Seen at home with mother, not at school.")
    page.locator("#submit-add_note").click()
    pages.check()
    text = page.locator("#notes").inner_text()
    assert "Seen at school with the designated safeguarding lead." in text
    assert "Seen at home with mother, not at school." in text
    assert "Amendment" in text
    assert "Amended" in text


def test_a_manager_returns_one_assessment_and_authorises_another(pages: Pages) -> None:
    pages.sign_in("morgan")
    pages.goto("/dashboard")
    page = pages.page
    links = page.locator("#dashboard-awaiting tbody tr a")
    first, second = links.nth(0).get_attribute("href"), links.nth(1).get_attribute("href")
    assert first
    assert second
    pages.goto(first)
    page.locator("#return-link").click()
    pages.check()
    page.locator("#submit-return_assessment").click()
    pages.check()
    assert page.locator(".govuk-error-summary").is_visible()
    page.get_by_label("What needs to change").fill("Add the child's own words about the contact.")
    page.locator("#submit-return_assessment").click()
    pages.check()
    assert "Returned to the worker" in page.locator("#work").inner_text()
    pages.goto(second)
    page.locator("#authorise-link").click()
    pages.check()
    page.locator("#submit-authorise_assessment").click()
    pages.check()
    assert "Last authorised by Morgan Manager" in page.locator("#work").inner_text()
    met = page.locator("#deadlines tr", has_text="Single assessment").inner_text()
    assert "Met" in met or "Missed" in met


def _pdf_pages(pdf: str, prefix: str) -> list[str]:
    tool = shutil.which("pdftoppm")
    if tool is None:
        if os.environ.get("ESAFETY_REQUIRE_BROWSER", "") == "1":
            pytest.fail("ESAFETY_REQUIRE_BROWSER=1 but pdftoppm (poppler-utils) is missing")
        pytest.skip("pdftoppm not found: install Debian's poppler-utils")
    subprocess.run([tool, "-png", "-r", "80", pdf, prefix], check=True, timeout=120)
    return sorted(str(p) for p in ARTIFACTS.glob(f"{os.path.basename(prefix)}-*.png"))


def test_a_practitioner_prints_a_chronology(pages: Pages) -> None:
    pages.sign_in("pat")
    page = pages.page
    page.locator("table.govuk-table tbody tr a").first.click()
    pages.check()
    page.locator("#chronology-link").click()
    pages.check()
    assert page.locator("#chronology tbody tr").count() >= 2
    page.locator("#print-link").click()
    pages.check()
    page.emulate_media(media="print")
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator("#print-button").is_visible()
    assert page.locator("#chronology").is_visible()
    for old in ARTIFACTS.glob("chronology-print-*.png"):
        old.unlink()
    pdf = ARTIFACTS / "chronology-print.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=False)
    assert pdf.read_bytes().startswith(b"%PDF")
    pngs = _pdf_pages(str(pdf), str(ARTIFACTS / "chronology-print"))
    assert pngs, "pdftoppm made no page"


def test_a_manager_covers_a_workers_leave_in_one_confirmed_step(pages: Pages) -> None:
    pages.sign_in("morgan")
    pages.goto("/reassign")
    page = pages.page
    page.get_by_label("Pat Practitioner").check()
    page.get_by_label("Who will take them over?").select_option("sam")
    page.locator("#submit-reassign-people").click()
    pages.check()
    boxes = page.locator("input[name=case]")
    total = boxes.count()
    assert total >= 2
    assert all(boxes.nth(i).is_checked() for i in range(total))  # all their open cases
    boxes.nth(total - 1).uncheck()  # one stays with Pat
    page.locator("#submit-reassign-cases").click()
    pages.check()
    assert page.get_by_role(
        "heading", name="Check the reassignment before you confirm it"
    ).is_visible()
    assert page.locator("#chosen-cases li").count() == total - 1
    page.locator("#confirm-reassign").click()
    pages.check()
    assert (
        f"{total - 1} cases are now allocated to Sam Social-Worker"
        in page.locator("#reassigned").inner_text()
    )
    pages.sign_in("sam")
    pages.goto("/alerts")
    assert page.locator("#notices li").count() >= total - 1
