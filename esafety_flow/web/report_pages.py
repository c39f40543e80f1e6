"""The statutory returns' pages (DESIGN 8): the list of returns the viewer may run, Ofsted's
Annex A workbook and the LADO's annual figures.

- `/reports`: the returns the viewer may run (the performance team, managers, LADOs).
- `/reports/annex-a`: the form (an as-of date, today or earlier); `/reports/annex-a.xlsx?as_of=`
  downloads the workbook. For `may_run_returns` roles (performance, managers).
- `/reports/lado?year=`: the figures of a reporting year (by employment sector, by outcome,
  resolved within the targets) with a server-drawn chart and its table; `/reports/lado.csv?year=`
  downloads them. For the returns roles and LADOs (`may_see_lado_report`).

A role that may not answers "page not found" (404), as every page does. Bad input (a date that
is not one or has not come, a year outside the calendars) is the page again with the reason
(400). Every download is an `export` entry of the audit trail ("annex-a as of 2026-12-01").
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from calendars import london_date
from esafety_flow.web import charts
from esafety_flow.web.access import (
    Viewer,
    can_run_returns,
    can_see_lado_report,
    can_see_reports,
)
from esafety_flow.web.common import Forbidden, NotSignedIn, ctx_of, load_viewer, render
from workflows import audit
from workflows.returns import LadoReport, annex_a, lado_report, report_csv, write_workbook
from workflows.returns.lado_report import FIRST_YEAR, LAST_YEAR, reporting_year

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _viewer(request: Request) -> Viewer:
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    return viewer


def _exported(request: Request, viewer: Viewer, detail: str) -> None:
    ctx = ctx_of(request)
    audit.record_audit(
        ctx.session_factory,
        kind=audit.AuditKind.EXPORT,
        at=ctx.clock.now(),
        user_id=viewer.id,
        detail=f"{detail} (page)",
    )


def _today(request: Request) -> date:
    return london_date(ctx_of(request).clock.now())


@router.get("/reports")
def reports_page(request: Request) -> Response:
    viewer = _viewer(request)
    if not can_see_reports(viewer):
        raise Forbidden("the returns are for the performance team, managers and LADOs")
    items = []
    if can_run_returns(viewer):
        items.append(
            {
                "href": "/reports/annex-a",
                "title": "Ofsted Annex A",
                "text": "Lists 1, 3, 4, 5 and 7 (contacts, referrals, assessments, Section 47 "
                "enquiries and conferences, child protection plans) as a spreadsheet.",
            }
        )
    if can_see_lado_report(viewer):
        items.append(
            {
                "href": "/reports/lado",
                "title": "LADO annual report",
                "text": "Allegations by employment sector and outcome, and the share resolved "
                "within one, three and twelve months.",
            }
        )
    return render(
        request,
        "reports.html",
        {"title": "Statutory returns", "active": "reports", "items": items},
        viewer=viewer,
    )


def _annex_viewer(request: Request) -> Viewer:
    viewer = _viewer(request)
    if not can_run_returns(viewer):
        raise Forbidden("Annex A is for the performance team and managers")
    return viewer


def _annex_form(request: Request, viewer: Viewer, value: str, error: str | None = None) -> Response:
    return render(
        request,
        "annex_a.html",
        {
            "title": "Ofsted Annex A",
            "active": "reports",
            "as_of": value,
            "errors": [{"text": error, "href": "#as_of"}] if error else [],
            "error_for": {"as_of": error} if error else {},
        },
        viewer=viewer,
        status_code=400 if error else 200,
    )


@router.get("/reports/annex-a")
def annex_a_page(request: Request) -> Response:
    viewer = _annex_viewer(request)
    return _annex_form(request, viewer, _today(request).isoformat())


def _as_of(text: str, today: date) -> date | str:
    """The date, or the reason it is not one the lists can be drawn up at."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return "Enter the date as year-month-day, for example 2026-12-01"
    if day > today:
        return "The date must be today or in the past"
    if day.year < 2000:
        return "The date must be in 2000 or later"
    return day


@router.get("/reports/annex-a.xlsx")
def annex_a_download(request: Request, as_of: str = "") -> Response:
    viewer = _annex_viewer(request)
    found = _as_of(as_of[:40], _today(request))
    if isinstance(found, str):
        return _annex_form(request, viewer, as_of[:40], found)
    out = io.BytesIO()
    write_workbook(annex_a(ctx_of(request).session_factory, as_of=found), out)
    _exported(request, viewer, f"annex-a as of {found.isoformat()}")
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="annex-a-{found.isoformat()}.xlsx"'},
    )


def _lado_viewer(request: Request) -> Viewer:
    viewer = _viewer(request)
    if not can_see_lado_report(viewer):
        raise Forbidden("the LADO report is for LADOs, managers and the performance team")
    return viewer


def _year(raw: str | None, today: date) -> int | str:
    """The reporting year asked for (default: the one today is in), or why it is not one."""
    if raw is None or not raw.strip():
        return today.year + 1 if today.month >= 4 else today.year
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        return "Enter the year the reporting year ends in, for example 2027"
    try:
        reporting_year(int(text))
    except ValueError:
        return f"Enter a year from {FIRST_YEAR} to {LAST_YEAR}"
    return int(text)


def _report(request: Request, year: int) -> LadoReport:
    ctx = ctx_of(request)
    return lado_report(
        ctx.session_factory,
        year=year,
        as_of=ctx.clock.now(),
        calendar_for=ctx.calendar_for,
        policy_for=ctx.policy_for,
        policy=ctx.policy,
    )


def _lado_problem(request: Request, viewer: Viewer, year: str | None, reason: str) -> Response:
    context: dict[str, Any] = {
        "title": "LADO annual report",
        "active": "reports",
        "year": (year or "")[:10],
        "errors": [{"text": reason, "href": "#year"}],
        "error_for": {"year": reason},
    }
    return render(request, "lado_report.html", context, viewer=viewer, status_code=400)


@router.get("/reports/lado")
def lado_page(request: Request, year: str | None = None) -> Response:
    viewer = _lado_viewer(request)
    found = _year(year, _today(request))
    if isinstance(found, str):
        return _lado_problem(request, viewer, year, found)
    report = _report(request, found)
    context: dict[str, Any] = {
        "title": "LADO annual report",
        "active": "reports",
        "year": str(found),
        "report": report,
        "chart": charts.lado_chart(report),
        "csv_href": f"/reports/lado.csv?year={found}",
    }
    return render(request, "lado_report.html", context, viewer=viewer)


@router.get("/reports/lado.csv")
def lado_csv(request: Request, year: str | None = None) -> Response:
    viewer = _lado_viewer(request)
    found = _year(year, _today(request))
    if isinstance(found, str):
        return _lado_problem(request, viewer, year, found)
    report = _report(request, found)
    _exported(request, viewer, f"lado-report {report.label} csv")
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="lado-report-{found}.csv"'},
    )
