"""The pages of who does the work (issue 9): allocation, transfer, the unallocated lists, bulk
reassignment with its check-your-answers step, authorisation and return of an assessment, notes
with amendments, named managers, the chronology (page, print view, CSV), the work notices on the
alerts page and the dashboard's sections; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from calendars import Region
from tests.web.conftest import NOW, TEACHER, Web, csrf_of
from workflows import casework, queries

WHEN = {"occurred-day": "4", "occurred-month": "3", "occurred-year": "2026", "occurred-time": "10:30"}


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    token = csrf_of(client.get("/caseload").text)
    return client.post(url, data={**data, "csrf_token": token})


def _fire(web: Web, case_id: int, event: str, by: str, data: Any = None, hour: int = 10) -> None:
    casework.apply_event(
        web.app.session_factory,
        case_id,
        event,
        at=NOW.replace(hour=hour),
        actor=by,
        data=data,
        calendar=web.app.calendar_for(Region.ENGLAND_AND_WALES),
        policy=web.app.policy,
    )


def _owner(web: Web, case_id: int) -> int | None:
    access = queries.case_access(web.app.session_factory, case_id)
    assert access is not None
    return access.owner_id


def _errors(html: str) -> list[tuple[str, str]]:
    """The error summary's (link, message) pairs."""
    summary = html.split('class="govuk-error-summary"', 1)
    if len(summary) == 1:
        return []
    return re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', summary[1].split("</ul>", 1)[0])


def test_the_case_page_shows_who_does_the_work(web: Web) -> None:
    page = web.client("pat").get(f"/cases/{web.north_case}")
    assert page.status_code == 200, page.text
    panel = page.text.split('id="work"', 1)[1]
    assert "Pat Practitioner" in panel and "North Safeguarding" in panel
    assert f"/cases/{web.north_case}/allocate" not in panel  # a practitioner does not allocate
    assert "Add a note" in panel and "Chronology of this case" in panel
    manager = web.client("morgan").get(f"/cases/{web.north_case}").text
    assert f"/cases/{web.north_case}/allocate" in manager
    assert f"/cases/{web.north_case}/transfer" in manager
