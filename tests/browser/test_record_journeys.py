"""The journeys of issue 8 on the case page in headless Chromium, with axe-core on every page
visited: date a concern, a referral and a strategy discussion when they happened (yesterday),
correct the referral's date and see what it did to the deadlines, change a fact and find the
change in the timeline. The tests share one server and run in file order."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Locator

from calendars import LONDON
from tests.browser.conftest import Pages

pytestmark = pytest.mark.browser


def _yesterday() -> datetime:
    return datetime.now(LONDON) - timedelta(days=1)


def _date(box: Locator, day: datetime, time: str) -> None:
    """Fill the GOV.UK date input and time of when it happened in `box` (a form or an action's
    container; a form may hold other dates, such as a working agreement's review date)."""
    when = box.locator("div.govuk-date-input[id$='-occurred']")
    when.get_by_label("Day").fill(str(day.day))
    when.get_by_label("Month").fill(str(day.month))
    when.get_by_label("Year").fill(str(day.year))
    when.get_by_label("Time").fill(time)


def _open(p: Pages, event: str) -> Locator:
    box = p.page.locator(f"#action-{event}")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    return box


def _submit(p: Pages, event: str) -> None:
    p.page.locator(f"#submit-{event}").click()
    p.check()


def _new_concern(p: Pages) -> str:
    """A concern recorded now (sexual communication with a 14-year-old); its case's path."""
    p.goto("/cases/new")
    page = p.page
    page.get_by_label("Kind of online harm").select_option("sexual_communication")
    page.locator("#child1-name").fill("J.W.")
    page.locator("#child1-age").fill("14")
    page.locator("#submit-concern").click()
    p.check()
    return re.sub(r"^https?://[^/]+", "", page.url).split("?")[0]


def _correct(p: Pages, entry: str, day: datetime, time: str, reason: str) -> None:
    """Correct the date of the timeline entry whose text contains `entry`."""
    page = p.page
    page.locator("#timeline > li", has_text=entry).get_by_role(
        "link", name=re.compile("Correct the date")
    ).click()
    p.check()
    form = page.locator("form")
    _date(form, day, time)
    page.get_by_label("Why was the date recorded wrong?").fill(reason)
    _submit(p, "correct_date")


def test_a_strategy_discussion_recorded_with_a_past_date_and_time(pages: Pages) -> None:
    pages.sign_in("pat")
    path = _new_concern(pages)
    page = pages.page
    day = _yesterday()
    # the concern came in yesterday morning: its date is put right first
    _correct(pages, "Concern recorded", day, "09:00", "Received by phone yesterday")
    assert page.locator("#corrected").is_visible()
    pages.goto(path)

    box = _open(pages, "refer")
    box.get_by_role("checkbox", name="Police", exact=True).check()
    box.get_by_role("checkbox", name="Children's social care", exact=True).check()
    _date(box, day, "10:00")
    _submit(pages, "refer")

    box = _open(pages, "convene_strategy_discussion")
    box.locator("fieldset", has_text="urgent").get_by_label("No").check()
    _date(box, day, "11:00")
    _submit(pages, "convene_strategy_discussion")

    # a time before the convening is refused beside the date, what was typed kept
    box = _open(pages, "hold_strategy_discussion")
    for agency in ("Police", "Children's social care", "Health"):
        box.get_by_label(agency, exact=True).check()
    box.get_by_label("Safety of the children in the household").fill("No other children")
    box.get_by_label("Safety of the children shown").fill("Seen at school today")
    box.get_by_label("When the alleged abuser").fill("After the police interview")
    for question in ("criminal investigation", "Section 47 threshold", "conference required"):
        box.locator("fieldset", has_text=question).get_by_label("No").check()
    _date(box, day, "10:30")
    _submit(pages, "hold_strategy_discussion")
    summary = page.locator(".govuk-error-summary")
    assert "would come before convene strategy discussion" in summary.inner_text()
    box = page.locator("#action-hold_strategy_discussion")
    assert box.get_by_label("Safety of the children shown").input_value() == "Seen at school today"
    box.get_by_label("Time").fill("16:00")
    _submit(pages, "hold_strategy_discussion")

    timeline = page.locator("#timeline").inner_text()
    assert re.search(r"held \d+ \w+( \d{4})? 16:00, recorded .* by pat", timeline), timeline
    records = page.locator("#records").inner_text()
    assert "Police, Children's social care and Health" in records
    assert "Seen at school today" in records
    deadlines = page.locator("#deadlines").inner_text()
    assert re.search(r"Strategy discussion.*Met", deadlines), deadlines


def test_a_referral_date_is_corrected(pages: Pages) -> None:
    pages.sign_in("pat")
    page = pages.page
    day = _yesterday()
    path = _new_concern(pages)
    _correct(pages, "Concern recorded", day, "09:00", "Received by phone yesterday")
    pages.goto(path)
    box = _open(pages, "refer")
    box.get_by_role("checkbox", name="Police", exact=True).check()
    _date(box, day, "10:00")
    _submit(pages, "refer")
    _correct(pages, "Referred to", day, "09:30", "The referral was phoned in at 09:30")
    effects = page.locator("#correction-effects").inner_text()
    assert "Referral decision" in effects
    assert "judged again" in effects or "moved" in effects
    page.get_by_role("link", name=re.compile("Back to case")).last.click()
    pages.check()
    timeline = page.locator("#timeline").inner_text()
    assert re.search(r"Date corrected from .* 10:00 to .* 09:30: The referral was phoned", timeline)


def test_a_fact_is_changed_from_the_case_page(pages: Pages) -> None:
    pages.sign_in("pat")
    path = _new_concern(pages)
    page = pages.page
    page.locator("#change-significant-harm").click()
    pages.check()
    assert "Not recorded" in page.locator("#current-fact").inner_text()
    page.locator("#submit-record_facts").click()  # no answer: the error summary links the field
    pages.check()
    assert (
        page.locator(".govuk-error-summary")
        .get_by_text("Select whether significant harm is suspected")
        .is_visible()
    )
    page.get_by_label("Yes").check()
    page.locator("#submit-record_facts").click()
    pages.check()
    assert page.url.endswith(f"{path}?done=record_facts")
    facts = page.locator(".govuk-summary-list").first.inner_text()
    assert re.search(r"Significant harm suspected\s+Yes", facts), facts
    assert (
        "Significant harm suspected: Yes (was not recorded)"
        in page.locator("#timeline").inner_text()
    )
