"""What the pages do: triage on a new concern, a case taken through its steps with a refusal shown
beside its form, the do-not-inform warning, the caseload's urgency order, the dashboard, the
calendar admin and the logs."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.conftest import Web, csrf_of, sign_in
from workflows.persistence import SessionFactory, audit_events, cases, count_rows, notices

ADULT_OWN_CHILD = {
    "category": "adult_indecent_images",
    "child1.name": "Robin-Zephyr",
    "child1.age": "6",
    "child1.flags": [
        "lives_with_alleged_abuser",
        "known_to_alleged_abuser",
        "shown_in_images",
    ],
    "abuser.kind": "adult",
    "abuser.flags": ["lives_with_children"],
    "risk_factors": ["images_of_own_children"],
}
DISCUSSION = {
    "attendees": ["police", "childrens_social_care", "health"],
    "considerations.household_children_safety": "Mother protective",
    "considerations.image_children_safety": "Child seen",
    "considerations.when_to_inform_alleged_abuser": "After arrest",
    "considerations.criminal_investigation": "yes",
    "considerations.section_47_threshold_met": "yes",
    "considerations.icpc_required": "yes",
}


def _post(client: TestClient, url: str, data: dict[str, object]) -> object:
    token = csrf_of(client.get("/caseload").text)
    return client.post(url, data={**data, "csrf_token": token})


def _new_case(client: TestClient, form: Mapping[str, Any]) -> int:
    token = csrf_of(client.get("/cases/new").text)
    response = client.post("/cases/new", data={**form, "csrf_token": token})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.endswith("?raised=1")
    return int(location.split("/")[2].split("?")[0])


def test_new_concern_shows_the_triage_result_at_once(web: Web) -> None:
    client = web.client("pat")
    case_id = _new_case(
        client,
        {
            "category": "youth_produced_sexual_imagery",
            "child1.name": "K",
            "child1.age": "12",
            "child1.flags": ["shown_in_images"],
            "imagery": ["sexual_acts"],
        },
    )
    page = client.get(f"/cases/{case_id}?raised=1")
    assert page.status_code == 200
    actions = page.text.split('id="required-actions"')[1].split("</ul>")[0]
    assert "Immediate referral" in actions
    same_day = page.text.split('id="same-day"')[1].split("</p>")[0]
    assert "Immediate referral" in same_day
    assert "4 March 2026" in same_day


def test_consensual_imagery_between_15_year_olds_needs_no_referral(web: Web) -> None:
    client = web.client("pat")
    case_id = _new_case(
        client,
        {
            "category": "youth_produced_sexual_imagery",
            "child1.name": "L",
            "child1.age": "15",
            "child1.flags": ["shown_in_images"],
            "child2.name": "M",
            "child2.age": "15",
        },
    )
    page = client.get(f"/cases/{case_id}?raised=1").text
    assert 'id="same-day"' not in page
    assert "Immediate referral" not in page.split('id="required-actions"')[-1].split("</ul>")[0]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({}, "category"),
        ({"category": "other", "child1.age": "7"}, "child1.name"),
        ({"category": "other", "child1.name": "N", "child1.age": "seven"}, "child1.age"),
    ],
)
def test_new_concern_errors_name_the_field_and_write_nothing(
    web: Web, form: dict[str, object], field: str
) -> None:
    client = web.client("pat")
    with web.app.session_factory() as s:
        before = s.execute(select(func.count()).select_from(cases)).scalar_one()
    token = csrf_of(client.get("/cases/new").text)
    response = client.post("/cases/new", data={**form, "csrf_token": token})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert f'href="#{field.replace(".", "-").replace("_", "-")}"' in response.text
    with web.app.session_factory() as s:
        assert s.execute(select(func.count()).select_from(cases)).scalar_one() == before


def test_referral_to_section_47_with_the_gate_refused_then_satisfied(
    web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = web.client("pat")
    case_id = _new_case(client, ADULT_OWN_CHILD)
    page = client.get(f"/cases/{case_id}").text
    assert "Do not inform the family, the alleged abuser or their partner" in page
    url = f"/cases/{case_id}/events"

    def fire(event: str, data: Mapping[str, Any], status: int = 303) -> str:
        web.clock.advance(timedelta(minutes=20))
        response = client.post(
            f"{url}/{event}", data={**data, "csrf_token": csrf_of(client.get("/caseload").text)}
        )
        assert response.status_code == status, response.text
        return str(response.text)

    fire("refer", {"referred_to": ["police", "childrens_social_care"]})
    fire("convene_strategy_discussion", {"urgent": "yes"})
    fire("hold_strategy_discussion", DISCUSSION)
    refused = fire("start_section_47", {}, status=409)
    reason = refused.split('id="refusal-start_section_47"')[1].split("</div>")[0]
    assert "leave" in reason
    assert "home" in reason
    fire(
        "record_facts",
        {
            "leave_home_decision": "stays",
            "working_agreement.supervision_of_contact": "Supervised by mother",
            "working_agreement.intimate_care": "Mother only",
            "working_agreement.entry_to_childrens_rooms": "Never",
            "working_agreement.sleepovers": "None",
            "working_agreement.review_date": "2026-04-15",
        },
    )
    fire("start_section_47", {})
    page = client.get(f"/cases/{case_id}").text
    assert 'aria-current="step">Section 47 enquiry (now)' in page
    assert "Initial child protection conference" in page.split('id="deadlines"')[1]
    assert "Robin-Zephyr" in page  # the page shows the child; the logs never do
    # the discussion decided when the alleged abuser is told: the bar is lifted, the record stays
    assert "Do not inform the family, the alleged abuser or their partner" not in page
    disclosure = page.split('id="disclosure"')[1].split("</p>")[0]
    assert "decided when to inform the alleged abuser: After arrest" in disclosure
    assert all("Robin-Zephyr" not in r.getMessage() for r in caplog.records)


def test_a_wrong_version_in_a_form_is_refused_as_stale(web: Web) -> None:
    client = web.client("pat")
    response = _post(
        client,
        f"/cases/{web.north_case}/events/refer",
        {"referred_to": ["police"], "expected_version": "99"},
    )
    assert getattr(response, "status_code", None) == 409
    assert "someone else changed this case" in getattr(response, "text", "")


def test_caseload_is_sorted_by_urgency_with_rag(web: Web) -> None:
    client = web.client("pat")
    _new_case(client, {"category": "online_bullying", "child1.name": "Q"})
    web.clock.advance(timedelta(days=1))  # the 4 March same-day referral is now overdue
    sign_in(client, "pat")  # the session ended after 30 idle minutes
    page = client.get("/caseload").text
    rows = page.split("<tbody")[1].split("</tbody>")[0].split("<tr")[1:]
    assert "Overdue" in rows[0]
    assert "Immediate referral" in rows[0]
    assert "No deadline" in rows[-1]


def test_manager_sees_an_overdue_item_on_the_dashboard(web: Web) -> None:
    web.clock.advance(timedelta(days=1))
    manager = web.client("morgan")
    page = manager.get("/dashboard")
    assert page.status_code == 200
    overdue = page.text.split('id="overdue"')[1].split("</table>")[0]
    assert "Immediate referral" in overdue
    assert "Pat Practitioner" in overdue
    by_worker = page.text.split('id="by-worker"')[1].split("</table>")[0]
    assert "Pat Practitioner" in by_worker
    assert 'id="timeliness-chart"' in page.text
    # another team's case is not on this manager's dashboard
    assert f"/cases/{web.south_case}" not in page.text


def _count_rows(web: Web) -> dict[str, int]:
    """Every table's row count but the audit trail's and the sessions' (reading pages adds to
    those)."""
    sf: SessionFactory = web.app.session_factory
    rows = count_rows(sf)
    return {k: v for k, v in rows.items() if k not in ("audit_events", "sessions", "case_views")}


def _day_form(date_text: str, name: str, token: str) -> dict[str, str]:
    year, month, day = date_text.split("-")
    return {"day-day": day, "day-month": month, "day-year": year, "name": name, "csrf_token": token}


def _add_day(admin: TestClient, date_text: str, name: str) -> Any:
    """The calendar form, its check page, then the confirm button."""
    token = csrf_of(admin.get("/calendar?year=2026").text)
    check = admin.post("/calendar/days", data=_day_form(date_text, name, token))
    assert check.status_code == 200, check.text
    assert 'id="confirm-day"' in check.text
    return admin.post(
        "/calendar/days/confirm",
        data={"date": date_text, "name": name, "csrf_token": csrf_of(check.text)},
    )


def test_calendar_admin_adds_a_day_and_reports_the_deadlines_moved(web: Web) -> None:
    pat = web.client("pat")
    _post(pat, f"/cases/{web.north_case}/events/refer", {"referred_to": ["police"]})
    # due Thursday 5 March 2026: this referral decision and the teacher case's LADO referral
    # (1 working day from 4 March); a one-off holiday that day moves both to Friday 6 March
    admin = web.client("ada")
    page = admin.get("/calendar?year=2026")
    assert "Good Friday" in page.text
    response = _add_day(admin, "2026-03-05", "Extra bank holiday")
    assert response.status_code == 200
    moved = response.text.split('id="moved"')[1].split("</p>")[0]
    assert "2 open deadlines moved" in moved
    assert "Extra bank holiday" in response.text.split('id="holidays"')[1]
    case = pat.get(f"/cases/{web.north_case}").text.split('id="deadlines"')[1]
    assert "6 March 2026" in case


def test_the_check_page_says_what_moves_for_whom_and_changes_nothing(web: Web) -> None:
    pat = web.client("pat")
    _post(pat, f"/cases/{web.north_case}/events/refer", {"referred_to": ["police"]})
    admin = web.client("ada")
    before = _count_rows(web)
    token = csrf_of(admin.get("/calendar?year=2026").text)
    check = admin.post("/calendar/days", data=_day_form("2026-03-05", "Extra", token))
    assert check.status_code == 200
    assert "2 deadlines of 2 cases" in check.text.split('id="move-count"')[1].split("</dd>")[0]
    owners = check.text.split('id="owners"')[1].split("</table>")[0]
    assert "Pat" in owners
    moves = check.text.split('id="moves"')[1].split("</table>")[0]
    assert "5 March 2026" in moves
    assert "6 March 2026" in moves
    # nothing is written until the confirm button
    assert _count_rows(web) == before
    assert admin.get("/calendar?year=2026").text.count("Extra") == 0


@pytest.mark.parametrize(
    ("date_text", "reason"),
    [
        ("2026-03-03", "3 March 2026 is in the past"),
        ("2026-03-07", "7 March 2026 is a Saturday"),
        ("2026-04-03", "3 April 2026 is already a bank holiday in England and Wales: Good Friday"),
    ],
)
def test_a_day_that_cannot_be_added_is_refused_beside_the_date(
    web: Web, date_text: str, reason: str
) -> None:
    admin = web.client("ada")
    before = _count_rows(web)
    token = csrf_of(admin.get("/calendar").text)
    refused = admin.post("/calendar/days", data=_day_form(date_text, "Extra", token))
    assert refused.status_code == 400
    assert reason in html.unescape(refused.text)
    assert "england-and-wales:" not in refused.text
    assert 'href="#day-day"' in refused.text
    # what was typed is kept
    assert 'value="Extra"' in refused.text
    assert _count_rows(web) == before


def test_a_day_added_twice_is_refused(web: Web) -> None:
    admin = web.client("ada")
    assert _add_day(admin, "2026-03-05", "Extra").status_code == 200
    token = csrf_of(admin.get("/calendar").text)
    again = admin.post("/calendar/days", data=_day_form("2026-03-05", "Again", token))
    assert again.status_code == 400
    assert "already a day off" in again.text


def test_removing_a_day_added_by_mistake_moves_the_deadlines_back(web: Web) -> None:
    pat = web.client("pat")
    _post(pat, f"/cases/{web.north_case}/events/refer", {"referred_to": ["police"]})
    admin = web.client("ada")
    _add_day(admin, "2026-03-05", "Mistake")
    page = admin.get("/calendar?year=2026")
    assert "Remove" in page.text.split('id="holidays"')[1]
    check = admin.post(
        "/calendar/days/remove", data={"date": "2026-03-05", "csrf_token": csrf_of(page.text)}
    )
    assert check.status_code == 200
    assert "Remove Mistake" in check.text
    assert "2 deadlines of 2 cases" in check.text
    done = admin.post(
        "/calendar/days/remove/confirm",
        data={"date": "2026-03-05", "csrf_token": csrf_of(check.text)},
    )
    assert done.status_code == 200
    assert "2 open deadlines moved back" in done.text
    assert "Mistake" not in done.text.split('id="holidays"')[1]
    case = pat.get(f"/cases/{web.north_case}").text.split('id="deadlines"')[1]
    assert "5 March 2026" in case
    # both changes are in the audit trail, with who made them
    with web.app.session_factory() as s:
        entries = s.execute(
            select(audit_events.c.detail, audit_events.c.user_id).where(
                audit_events.c.kind == "calendar_change"
            )
        ).all()
    assert sorted(e.detail.split(" ")[0] for e in entries) == ["added", "removed"]
    assert {e.user_id for e in entries} == {web.users["ada"]}
    # a day that is not there cannot be removed
    gone = admin.post(
        "/calendar/days/remove", data={"date": "2026-03-05", "csrf_token": csrf_of(done.text)}
    )
    assert gone.status_code == 404


def test_a_manager_sees_the_calendar_but_cannot_change_it(web: Web) -> None:
    morgan = web.client("morgan")
    page = morgan.get("/calendar")
    assert page.status_code == 200
    assert "Add a one-off day off" not in page.text
    refused = morgan.post("/calendar/days", data=_day_form("2026-03-05", "X", csrf_of(page.text)))
    assert refused.status_code in (403, 404)


def test_calendar_admin_queues_a_notice_to_each_owner_whose_deadline_moved(web: Web) -> None:
    pat = web.client("pat")
    _post(pat, f"/cases/{web.north_case}/events/refer", {"referred_to": ["police"]})
    admin = web.client("ada")
    response = _add_day(admin, "2026-03-05", "Extra")
    assert response.status_code == 200
    with web.app.session_factory() as s:
        queued = s.execute(
            select(notices.c.kind, notices.c.recipient, notices.c.status, notices.c.message)
        ).all()
    # the referral decision (owner pat) and the LADO referral (owner lee) moved
    assert sorted((n.kind, n.status) for n in queued) == [("deadline_moved", "pending")] * 2
    assert {n.recipient.split("@")[0].split("<")[-1] for n in queued} == {"pat", "lee"}
    assert all("2026-03-06" in n.message or "6 March 2026" in n.message for n in queued)


def test_calendar_day_name_is_escaped_in_the_confirmation(web: Web) -> None:
    admin = web.client("ada")
    response = _add_day(admin, "2026-03-05", "<script>alert(1)</script>")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_calendar_day_errors_name_the_field(web: Web) -> None:
    admin = web.client("ada")
    token = csrf_of(admin.get("/calendar").text)
    bad = admin.post(
        "/calendar/days",
        data={
            "day-day": "31",
            "day-month": "2",
            "day-year": "2026",
            "name": "X",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 400
    assert 'href="#day-day"' in bad.text
    assert "must be a real date" in bad.text
    short_year = admin.post("/calendar/days", data={**_day_form("26-03-05", "X", token)})
    assert short_year.status_code == 400
    assert "4 numbers" in short_year.text
    unnamed = admin.post("/calendar/days", data=_day_form("2026-03-05", "", token))
    assert unnamed.status_code == 400
    assert 'href="#day-name"' in unnamed.text
    assert 'value="2026"' in unnamed.text  # the typed date is kept
