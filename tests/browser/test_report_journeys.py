"""The statutory returns' pages in headless Chromium, with axe-core on every page visited: a
manager downloads Annex A (after a date it refuses), a LADO reads the year's figures."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Pages

pytestmark = pytest.mark.browser


def test_a_manager_downloads_annex_a(pages: Pages) -> None:
    pages.sign_in("morgan")
    pages.page.get_by_role("link", name="Reports").click()
    pages.check()
    pages.page.get_by_role("link", name="Ofsted Annex A").click()
    pages.check()
    field = pages.page.get_by_label("Date of the inspection")
    field.fill("31/12/2026")
    pages.page.get_by_role("button", name="Download Annex A (XLSX)").click()
    pages.check()
    assert pages.page.locator(".govuk-error-summary").is_visible()
    pages.page.get_by_label("Date of the inspection").fill("2026-01-05")
    with pages.page.expect_download() as info:
        pages.page.get_by_role("button", name="Download Annex A (XLSX)").click()
    assert info.value.suggested_filename == "annex-a-2026-01-05.xlsx"


def test_a_lado_reads_the_years_figures(pages: Pages) -> None:
    pages.sign_in("lee")
    pages.goto("/reports")
    pages.page.get_by_role("link", name="LADO annual report").click()
    pages.check()
    assert pages.page.locator("#lado-chart").is_visible()
    assert pages.page.locator("#by-sector tbody tr").count() == 12
    pages.page.get_by_label("Reporting year ending 31 March").fill("1999")
    pages.page.get_by_role("button", name="Show").click()
    pages.check()
    assert pages.page.locator(".govuk-error-summary").is_visible()
