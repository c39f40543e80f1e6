"""The returns' pages: who may open them (404 for anyone else), the Annex A download and the
LADO report with its chart and CSV, bad input (400 with the reason), the audit trail's export
entries; and a performance user, who opens no case."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from esafety_flow.demo import DEMO_PASSWORD
from esafety_flow.web.security import hash_password
from states import Event
from tests.web.conftest import NOW, Web, api_headers
from workflows import accounts, audit, casework, organisation
from workflows.persistence import case_views

ROUTES = (
    "/reports",
    "/reports/annex-a",
    "/reports/annex-a.xlsx?as_of=2026-03-04",
    "/reports/lado",
    "/reports/lado.csv?year=2026",
)
RETURNS = {"morgan", "hannah", "dee"}
LADO_REPORT = RETURNS | {"lee"}
ALLOWED = {
    "/reports": LADO_REPORT,
    "/reports/annex-a": RETURNS,
    "/reports/annex-a.xlsx?as_of=2026-03-04": RETURNS,
    "/reports/lado": LADO_REPORT,
    "/reports/lado.csv?year=2026": LADO_REPORT,
}


@pytest.fixture
def reports(web: Web) -> Web:
    """The demo's users and cases, a performance user `dee`, and the LADO case referred."""
    sf = web.app.session_factory
    web.users["dee"] = organisation.create_user(
        sf,
        username="dee",
        display_name="Dee Data",
        email="dee@example.org",
        role="performance",
        at=NOW,
        password_hash=hash_password(DEMO_PASSWORD),
    )
    casework.apply_event(
        sf,
        web.lado_case,
        Event.REFER_TO_LADO,
        at=NOW.replace(hour=10),
        actor="lee",
        calendar=web.app.calendar_for(web.app.region),
        policy=web.app.policy,
    )
    return web


def _exports(web: Web) -> list[tuple[int | None, str | None]]:
    found = audit.search_audit(
        web.app.session_factory, page=1, per_page=50, kinds=[audit.AuditKind.EXPORT]
    )
    return [(r.user_id, r.detail) for r in found.rows]


def test_every_role_against_the_returns_pages(reports: Web) -> None:
    for user in ("pat", "priya", "morgan", "hannah", "lee", "ada", "audrey", "dee"):
        client = reports.client(user)
        for route in ROUTES:
            expected = 200 if user in ALLOWED[route] else 404
            assert client.get(route).status_code == expected, (route, user)
    anonymous = reports.client()
    for route in ROUTES:
        response = anonymous.get(route)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=")


def test_the_returns_list_shows_what_the_viewer_may_run(reports: Web) -> None:
    page = reports.client("dee").get("/reports").text
    assert 'href="/reports/annex-a"' in page
    assert 'href="/reports/lado"' in page
    assert ">Reports<" in page
    assert ">Caseload<" not in page
    lado = reports.client("lee").get("/reports").text
    assert 'href="/reports/annex-a"' not in lado
    assert 'href="/reports/lado"' in lado


def test_a_performance_user_opens_no_case(reports: Web) -> None:
    client = reports.client("dee")
    home = client.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/reports")
    for route in (
        f"/cases/{reports.north_case}",
        f"/cases/{reports.lado_case}",
        f"/cases/{reports.north_case}/chronology",
        "/caseload",
        "/cases/new",
        "/dashboard",
        "/alerts",
        "/unallocated",
    ):
        page = client.get(route)
        assert page.status_code == 404, route
        assert "teacher" not in page.text
    sf = reports.app.session_factory
    token, _ = accounts.issue_token(
        sf, user_id=reports.users["dee"], name="returns", at=NOW, by_user_id=None
    )
    api = reports.client()
    for route in (
        "/api/v1/cases",
        f"/api/v1/cases/{reports.north_case}",
        f"/api/v1/cases/{reports.north_case}/timeline",
        f"/api/v1/cases/{reports.north_case}/notes",
        f"/api/v1/cases/{reports.north_case}/chronology",
        f"/api/v1/cases/{reports.lado_case}",
    ):
        response = api.get(route, headers=api_headers(token))
        # refused before any look-up, for every id alike, as for the other roles without cases
        print("STATUS", route, response.status_code, response.text[:120])
        assert response.status_code in (403, 404), route
        assert "reference" not in response.text
        assert "ESF-" not in response.text
    refused = api.post(
        f"/api/v1/cases/{reports.north_case}/events",
        json={"event": "refer", "data": {"referred_to": ["police"]}},
        headers=api_headers(token),
    )
    assert refused.status_code == 403
    with sf() as s:
        views = s.execute(
            select(func.count())
            .select_from(case_views)
            .where(case_views.c.user_id == reports.users["dee"])
        ).scalar_one()
    assert views == 0


def test_annex_a_downloads_the_workbook_and_is_audited(reports: Web) -> None:
    response = reports.client("dee").get("/reports/annex-a.xlsx?as_of=2026-03-04")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="annex-a-2026-03-04.xlsx"' in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["List 1", "List 3", "List 4", "List 5", "List 7"]
    contacts = list(workbook["List 1"].iter_rows(values_only=True))
    workbook.close()
    assert len(contacts) == 1 + 3  # the three concerns of the morning, one child each
    assert _exports(reports) == [(reports.users["dee"], "annex-a as of 2026-03-04 (page)")]


@pytest.mark.parametrize(
    ("as_of", "reason"),
    [
        ("2026-02-30", "Enter the date as year-month-day"),
        ("", "Enter the date as year-month-day"),
        ("next week", "Enter the date as year-month-day"),
        ((NOW + timedelta(days=1)).date().isoformat(), "The date must be today or in the past"),
        ("1999-12-31", "The date must be in 2000 or later"),
    ],
)
def test_annex_a_bad_dates_are_400_with_the_reason(reports: Web, as_of: str, reason: str) -> None:
    page = reports.client("morgan").get("/reports/annex-a.xlsx", params={"as_of": as_of})
    assert page.status_code == 400
    assert reason in page.text
    assert "govuk-error-summary" in page.text
    assert _exports(reports) == []


def test_the_lado_report_page_has_its_chart_tables_and_csv(reports: Web) -> None:
    client = reports.client("lee")
    page = client.get("/reports/lado")  # 4 March 2026: the year ending 31 March 2026
    assert page.status_code == 200
    text = page.text
    assert "LADO annual report: 2025 to 2026" in text
    assert '<svg class="app-chart" id="lado-chart" role="img"' in text
    assert 'aria-labelledby="lado-chart-title lado-chart-desc"' in text
    assert "within 1 month: 0 of 1 (0%)" in text  # the chart's text alternative
    for table in ("resolved", "by-sector", "by-outcome"):
        assert f'id="{table}"' in text
    assert 'href="/reports/lado.csv?year=2026"' in text
    assert _exports(reports) == []  # viewing is not an export
    download = client.get("/reports/lado.csv?year=2026")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["Measure", "Category", "Allegations", "Percent"]
    assert rows[1] == ["Reporting year", "2025 to 2026", "1", "100.0"]
    assert ["Employment sector", "Not recorded", "1", "100.0"] in rows
    assert _exports(reports) == [(reports.users["lee"], "lado-report 2025 to 2026 csv (page)")]


@pytest.mark.parametrize(
    ("year", "reason"),
    [("20x6", "Enter the year the reporting year ends in"), ("1999", "from 2001 to 2040")],
)
def test_the_lado_report_refuses_a_bad_year(reports: Web, year: str, reason: str) -> None:
    client = reports.client("dee")
    for route in ("/reports/lado", "/reports/lado.csv"):
        page = client.get(route, params={"year": year})
        assert page.status_code == 400, route
        assert reason in page.text
    assert _exports(reports) == []
