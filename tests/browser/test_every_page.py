"""Every page as each demo role, and each of its forms sent empty, in Chromium with axe-core: no
serious or critical violation on any page or error state, and a screenshot of each in
test-artifacts/.

The crawl follows the links from the home page and opens one page of each kind (a case page,
a case's facts page... the numbers in a path make no new kind), so that every template is seen
in a few minutes. Then every kind of form found is submitted with nothing filled in (forms that
end the session or change an account are left alone): the refusal, the error summary and the
messages beside the fields are checked as a page of their own. This module has its own demo
server, so what an empty form may record touches no other test.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import Pages

ROLES = {
    "pat": {"/caseload", "/cases/N", "/cases/N/facts/category", "/cases/new", "/alerts", "/search"},
    "morgan": {"/dashboard", "/unallocated", "/reassign", "/cases/N/allocate", "/reports"},
    "lee": {"/cases/N", "/cases/N/managers", "/reports/lado"},
    "ada": {"/calendar", "/admin/users", "/admin/users/N"},
    "audrey": {"/audit", "/account/password"},
}
"""Each role's demo login, and kinds of page the crawl must have reached as that role."""
SKIPPED = ("/static/", "/api/", "/sign-out", "/docs", "/__tests__/")
DOWNLOADS = (".csv", ".xlsx", ".xml", ".pdf")
LEFT_ALONE = re.compile(r"sign-out|sign-in|deactivate|revoke|token|password")


def _kind(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


def _links(pages: Pages) -> list[str]:
    hrefs = pages.page.eval_on_selector_all(
        "a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return [str(h) for h in hrefs]


def _forms(pages: Pages) -> list[str]:
    actions = pages.page.eval_on_selector_all(
        "form[method=post], form[method=POST]",
        "forms => forms.map(f => f.getAttribute('action') || location.pathname)",
    )
    return [str(a) for a in actions]


@pytest.mark.parametrize("who", ROLES)
def test_every_page_and_every_empty_form_is_accessible(pages: Pages, who: str) -> None:
    pages.sign_in(who)
    queue = deque(["/", "/caseload?scope=team"])
    seen: set[str] = set()
    forms: dict[str, tuple[str, str]] = {}  # kind of form: (page, action)
    while queue:
        path = queue.popleft()
        if _kind(path) in seen:
            continue
        seen.add(_kind(path))
        response = pages.page.goto(pages.base + path)
        assert response is not None
        assert response.status < 500, f"{path} as {who}: {response.status}"
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        pages.check()
        for action in _forms(pages):
            forms.setdefault(_kind(action), (path, action))
        for href in _links(pages):
            link = urlsplit(href)
            if link.scheme or link.netloc or not link.path.startswith("/"):
                continue
            if link.path.startswith(SKIPPED) or link.path.endswith(DOWNLOADS):
                continue
            queue.append(link.path + (f"?{link.query}" if link.query else ""))
    assert ROLES[who] <= seen, f"not reached as {who}: {ROLES[who] - seen}"
    for kind, (on_page, action) in sorted(forms.items()):
        if LEFT_ALONE.search(kind):
            continue
        pages.page.goto(pages.base + on_page)
        form = pages.page.locator(f'form[action="{action}"]').first
        if form.count() == 0:
            continue  # the page changed meanwhile (an empty form was accepted)
        with pages.page.expect_navigation():
            form.evaluate("f => f.requestSubmit()")
        pages.check()
