"""The audit trail (issue 11, finding 10): every view of a case through the pages and the API
(the event POST that answers with the case included), refused look-ups, sign-ins, sign-outs and
account changes; the auditor's page searches by user, case, kind and dates, with paging."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.web.conftest import NOW, Web, api_headers, csrf_of
from workflows import audit
from workflows.persistence import audit_events, case_views


def _entries(web: Web) -> list[tuple[str, int | None, int | None, str | None]]:
    with web.app.session_factory() as s:
        rows = s.execute(
            select(
                audit_events.c.kind,
                audit_events.c.user_id,
                audit_events.c.case_id,
                audit_events.c.detail,
            ).order_by(audit_events.c.id)
        ).all()
    return [tuple(r) for r in rows]


def test_the_api_event_post_records_a_view(web: Web) -> None:
    before = len(_entries(web))
    response = web.client().post(
        f"/api/v1/cases/{web.north_case}/events",
        json={"event": "refer", "data": {"referred_to": ["police"]}},
        headers=api_headers(web.tokens["pat"]),
    )
    assert response.status_code == 200
    assert "facts" in response.json()
    new = _entries(web)[before:]
    assert ("case_view", web.users["pat"], web.north_case, "api: event") in new
    with web.app.session_factory() as s:
        assert s.execute(select(case_views.c.case_id)).scalars().all() == [web.north_case]


def test_views_through_pages_and_api_are_recorded(web: Web) -> None:
    web.client("pat").get(f"/cases/{web.north_case}")
    headers = api_headers(web.tokens["pat"])
    web.client().get(f"/api/v1/cases/{web.north_case}", headers=headers)
    web.client().get(f"/api/v1/deadlines?case_id={web.north_case}", headers=headers)
    views = [e for e in _entries(web) if e[0] == "case_view"]
    assert [(v[2], v[3]) for v in views] == [
        (web.north_case, "page"),
        (web.north_case, "api"),
        (web.north_case, "api: deadlines"),
    ]


def test_refused_look_ups_are_recorded(web: Web) -> None:
    web.client("priya").get(f"/cases/{web.north_case}")  # another team's case
    web.client("priya").get("/cases/987654")  # no such case
    web.client().get(f"/api/v1/cases/{web.lado_case}", headers=api_headers(web.tokens["pat"]))
    refused = [e for e in _entries(web) if e[0] == "refused_lookup"]
    assert refused == [
        ("refused_lookup", web.users["priya"], web.north_case, "not permitted"),
        ("refused_lookup", web.users["priya"], 987654, "no such case"),
        ("refused_lookup", web.users["pat"], web.lado_case, "not permitted"),
    ]


def test_sign_in_sign_out_and_account_changes_are_recorded(web: Web) -> None:
    client = web.client("pat")
    client.post("/sign-out", data={"csrf_token": csrf_of(client.get("/caseload").text)})
    admin = web.client("ada")
    admin.post(
        f"/admin/users/{web.users['sam']}/deactivate",
        data={"csrf_token": csrf_of(admin.get("/admin/users").text)},
    )
    kinds = [(k, u) for k, u, _, _ in _entries(web)]
    assert ("sign_in", web.users["pat"]) in kinds
    assert ("sign_out", web.users["pat"]) in kinds
    assert ("account_change", web.users["ada"]) in kinds


def test_the_audit_table_cannot_be_edited_with_sql(web: Web) -> None:
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import DBAPIError

    web.client("pat").get(f"/cases/{web.north_case}")
    for table in (audit_events, case_views):
        with pytest.raises(DBAPIError, match="append-only"), web.app.session_factory.begin() as s:
            s.execute(update(table).values(at=NOW - timedelta(days=1)))


def _many_views(web: Web, n: int) -> None:
    for i in range(n):
        audit.record_case_view(
            web.app.session_factory,
            case_id=web.north_case if i % 2 else web.south_case,
            user_id=web.users["pat"] if i % 3 else web.users["sam"],
            at=NOW - timedelta(days=i % 10, minutes=i),
            via="page",
        )


def test_the_auditor_searches_by_user_case_and_dates_with_paging(web: Web) -> None:
    _many_views(web, 260)  # more than the 200 the old page could show
    auditor = web.client("audrey")
    everything = auditor.get("/audit?kind=case_view")
    assert "1 to 50 of 260" in everything.text
    assert 'aria-label="Audit pages"' in everything.text or "Audit pages" in everything.text
    last = auditor.get("/audit?kind=case_view&page=6")
    assert "251 to 260 of 260" in last.text
    sam = auditor.get("/audit?kind=case_view&user=sam")
    assert "of 87" in sam.text  # i % 3 == 0 for 87 of 260
    case = auditor.get(f"/audit?kind=case_view&case={web.north_case}")
    assert "of 130" in case.text
    day = (NOW - timedelta(days=3)).date().isoformat()
    dated = auditor.get(f"/audit?kind=case_view&from={day}&to={day}")
    assert "of 26" in dated.text
    both = auditor.get(f"/audit?kind=case_view&user=sam&from={day}&to={day}")
    assert "No entries found" in both.text or " of " in both.text
    # the auditor's searches are themselves in the trail
    assert any(k == "search" for k, *_ in _entries(web))


def test_the_dates_are_gov_uk_date_inputs(web: Web) -> None:
    auditor = web.client("audrey")
    day = NOW.date()
    typed = auditor.get(
        f"/audit?kind=case_view&from-day={day.day}&from-month={day.month}&from-year={day.year}"
        f"&to-day={day.day}&to-month={day.month}&to-year={day.year}"
    )
    iso = auditor.get(f"/audit?kind=case_view&from={day.isoformat()}&to={day.isoformat()}")
    assert typed.status_code == iso.status_code == 200
    entries = re.findall(r'<tr class="govuk-table__row">', typed.text)
    assert entries == re.findall(r'<tr class="govuk-table__row">', iso.text)
    # what was typed, or the ISO date of a pagination link, shows in the day, month and year
    for page in (typed.text, iso.text):
        assert re.search(rf'name="from-day"[^>]*value="{day.day}"', page)
        assert re.search(rf'name="to-year"[^>]*value="{day.year}"', page)
    refused = auditor.get("/audit?from-day=31&from-month=2&from-year=2026")
    assert refused.status_code == 400
    assert 'href="#from-day"' in refused.text


def test_a_bad_search_is_400_naming_the_field(web: Web) -> None:
    auditor = web.client("audrey")
    for query, words in (
        ("user=nobody", "There is no user with that username"),
        ("case=ESF-nothing", "Enter a case number or reference"),
        ("from=2026-13-40", "The &#39;from&#39; date must be a real date"),
        ("from-day=31&from-month=2&from-year=2026", "The &#39;from&#39; date must be a real date"),
        ("to-day=1&to-month=&to-year=2026", "The &#39;to&#39; date must be a real date"),
        ("from=2026-03-05&to=2026-03-01", "must not be before"),
        ("kind=coffee", "Choose a kind of entry"),
        ("page=²", "page number"),
    ):
        response = auditor.get(f"/audit?{query}")
        assert response.status_code == 400, query
        assert words in response.text, query
