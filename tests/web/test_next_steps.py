"""The case page answers "what now?" (issue 12 item 2): the "What happens next" panel with the
open deadlines, their due days and owners, overdue ones first; only the actions possible now
offered as forms, the others listed as not possible yet with what must come first; a closed case
says so."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from calendars import end_of_london_day, parse_instant
from esafety_flow.web.next_steps import FIRST_STEPS, due_text
from states import DATA_GUARDS, GUARDS, RISK_FACTOR_LEAVE_HOME_REASON, DeadlineKind
from tests.states.test_refusal_before_data import _contexts
from tests.web.conftest import NOW, UNDER_13_IMAGERY, Web, csrf_of
from tests.web.test_pages import ADULT_OWN_CHILD, DISCUSSION, _new_case
from tests.web.test_work_pages import _assessment_submitted
from workflows import Deadline, casework, queries


def _fire(web: Web, client: TestClient, case_id: int, event: str, data: Mapping[str, Any]) -> Any:
    web.clock.advance(timedelta(minutes=10))
    token = csrf_of(client.get("/caseload").text)
    # a close is checked first (its answers, the deadlines it cancels): these confirm it at once
    confirm = {"confirm": "yes"} if event == "close" else {}
    return client.post(
        f"/cases/{case_id}/events/{event}", data={**data, **confirm, "csrf_token": token}
    )


def _panel(page: str) -> str:
    return page.split('id="next-steps"', 1)[1].split(">", 1)[1].split("</section>", 1)[0]


def _actions(page: str) -> str:
    return page.split('id="actions"', 1)[1].split('id="records-heading"', 1)[0]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def _at_strategy_discussion(web: Web, client: TestClient) -> int:
    case_id = _new_case(client, ADULT_OWN_CHILD)
    for event, data in (
        ("refer", {"referred_to": ["police", "childrens_social_care"]}),
        ("convene_strategy_discussion", {"urgent": "yes"}),
        ("hold_strategy_discussion", DISCUSSION),
    ):
        assert _fire(web, client, case_id, event, data).status_code == 303
    return case_id


def test_section_47_is_not_possible_until_the_leave_home_decision_is_recorded(web: Web) -> None:
    client = web.client("pat")
    case_id = _at_strategy_discussion(web, client)
    page = client.get(f"/cases/{case_id}").text
    actions = _actions(page)
    blocked = actions.split('id="not-possible"', 1)[1].split("</ul>", 1)[0]
    assert "Not possible yet" in actions
    line = _text(blocked.split('id="blocked-start_section_47"', 1)[1].split("</li>", 1)[0])
    assert "Start Section 47" in line
    assert "first record whether the alleged abuser leaves the home" in line
    assert f'href="/cases/{case_id}/facts/leave-home"' in blocked
    # no form for it, and no code or internal reason shown
    assert 'id="action-start_section_47"' not in page
    assert f'action="/cases/{case_id}/events/start_section_47"' not in page
    assert RISK_FACTOR_LEAVE_HOME_REASON not in page
    # the panel names it as the next step, with what comes first
    panel = _text(_panel(page))
    assert (
        "Start the Section 47 enquiry: the strategy discussion of 4 March 2026 found the "
        "threshold met" in panel
    )
    assert "Not possible yet: first record whether the alleged abuser leaves the home." in panel
    # a second discussion is still offered: its guards read the discussion, judged when posted
    assert 'id="action-hold_strategy_discussion"' in actions

    # posted anyway, it is refused by the server exactly as before
    refused = _fire(web, client, case_id, "start_section_47", {})
    assert refused.status_code == 409
    reason = refused.text.split('id="refusal-start_section_47"')[1].split("</div>")[0]
    assert "record whether the alleged abuser leaves the home" in reason

    token = csrf_of(client.get("/caseload").text)
    recorded = client.post(
        f"/cases/{case_id}/facts/leave-home",
        data={"leave_home_decision": "leaves", "csrf_token": token},
    )
    assert recorded.status_code == 303, recorded.text
    page = client.get(f"/cases/{case_id}").text
    assert 'id="action-start_section_47"' in page
    assert f'action="/cases/{case_id}/events/start_section_47"' in page
    assert 'id="blocked-start_section_47"' not in page
    assert _fire(web, client, case_id, "start_section_47", {}).status_code == 303


def test_the_panel_lists_the_open_deadlines_with_due_days_and_owner(web: Web) -> None:
    client = web.client("pat")
    page = client.get(f"/cases/{web.north_case}").text
    panel = _panel(page)
    assert "What happens next" in panel
    text = _text(panel)
    # under-13 imagery: refer the same day, by midnight (London), owned by the case's worker
    assert "Refer the concern to the police and children's social care" in text
    assert "Immediate referral: due 4 March 2026, before midnight." in text
    assert "Owner: Pat Practitioner" in text
    assert "Due today" in text
    assert 'href="#action-refer"' in panel
    # the step that meets the most urgent deadline is the one green button, and comes first
    actions = _actions(page)
    assert actions.index('id="action-refer"') < actions.index('id="action-close"')
    refer = actions.split('id="submit-refer"', 1)[0].rsplit("<button", 1)[1]
    assert "govuk-button--secondary" not in refer
    close = actions.split('id="submit-close"', 1)[0].rsplit("<button", 1)[1]
    assert "govuk-button--secondary" in close
    assert "_" not in _text(panel)  # names, never codes


def test_what_triage_required_and_no_deadline_covers_yet_is_a_step(web: Web) -> None:
    client = web.client("pat")
    case_id = _new_case(client, ADULT_OWN_CHILD)
    text = _text(_panel(client.get(f"/cases/{case_id}").text))
    assert (
        "Convene an urgent strategy discussion: it must be held on the same day No deadline yet. "
        "Owner: Pat Practitioner. Not possible yet: first refer the concern." in text
    )
    assert "Triage also requires: Preserve the evidence." in text
    assert _fire(web, client, case_id, "refer", {"referred_to": ["police"]}).status_code == 303
    text = _text(_panel(client.get(f"/cases/{case_id}").text))
    assert "Convene an urgent strategy discussion" in text
    assert "Record it with Convene strategy discussion under Actions." in text
    # it is also the response to the referral to offer first: the one green button
    page = client.get(f"/cases/{case_id}").text
    convene = _actions(page).split('id="submit-convene_strategy_discussion"', 1)[0]
    assert "govuk-button--secondary" not in convene.rsplit("<button", 1)[1]
    assert 'id="action-convene_strategy_discussion"' in _actions(page)[:400]


def test_a_referral_brings_the_next_deadline_and_no_code_is_shown(web: Web) -> None:
    client = web.client("pat")
    response = _fire(web, client, web.north_case, "refer", {"referred_to": ["police"]})
    assert response.status_code == 303
    text = _text(_panel(client.get(f"/cases/{web.north_case}").text))
    assert "Refer the concern" not in text
    assert "Decide the response to the referral" in text
    assert "Referral decision: due 5 March 2026." in text  # one working day


def test_overdue_steps_come_first_and_are_marked(web: Web) -> None:
    # the LADO's case about a teacher, referred to the LADO on Wednesday 4 March: the strategy
    # meeting is due in 5 working days, the allegation resolved in a month
    referred = _fire(web, web.client("lee"), web.lado_case, "refer_to_lado", {})
    assert referred.status_code == 303, referred.text
    web.clock.advance(timedelta(days=8))  # Thursday 12 March: the meeting is overdue
    page = web.client("lee").get(f"/cases/{web.lado_case}").text
    items = _panel(page).split('<li class="app-next-step')[1:]
    assert items, _text(_panel(page))
    assert items[0].startswith(" app-next-step--overdue")
    first = _text(items[0].split(">", 1)[1])
    assert first.startswith("Overdue")
    assert "was due" in first
    assert "Hold the LADO strategy meeting" in first
    assert "was due 11 March 2026" in first
    assert "Owner: Lee LADO" in first
    later = _text(items[1].split(">", 1)[1])
    assert not items[1].startswith(" app-next-step--overdue")
    assert later.startswith("On track Resolve the allegation")
    assert "due 4 April 2026" in later


def test_an_unallocated_case_names_who_allocates_it(web: Web) -> None:
    app = web.app
    teams = {t.name: t.id for t in queries.list_teams(app.session_factory)}
    case = casework.raise_concern(
        app.session_factory,
        facts=UNDER_13_IMAGERY,
        at=NOW.replace(hour=9),
        actor="pat",
        region=app.region,
        policy=app.policy,
        calendar=app.calendar_for(app.region),
        owner_id=None,
        team_id=teams["North Safeguarding"],
    )
    page = web.client("pat").get(f"/cases/{case.id}").text
    assert "Owner: Not allocated: the manager of North Safeguarding allocates it" in _text(
        _panel(page)
    )


def test_a_closed_case_says_it_is_closed_and_offers_nothing(web: Web) -> None:
    client = web.client("pat")
    response = _fire(
        web,
        client,
        web.north_case,
        "close",
        {"outcome": "no_further_action", "reason": "Seen by the school nurse, no concern"},
    )
    assert response.status_code == 303, response.text
    page = client.get(f"/cases/{web.north_case}").text
    text = _text(_panel(page))
    assert "This case is closed: no further action." in text
    assert "Nothing more can be recorded on it" in text
    assert "chronology" in text
    assert f'action="/cases/{web.north_case}/events/' not in page
    assert 'id="not-possible"' not in page
    assert "No action is possible: the case is closed." in _actions(page)


def test_every_reason_a_guard_on_the_case_alone_gives_has_a_first_step() -> None:
    for name in sorted(set(GUARDS) - DATA_GUARDS):
        for ctx in _contexts():
            reason = GUARDS[name](ctx)
            if reason is not None:
                assert reason in FIRST_STEPS, (name, reason)
    for step in FIRST_STEPS.values():
        assert "_" not in step.text, step.text


def _deadline(anchor: str, due: str, due_at: datetime) -> Deadline:
    return Deadline(
        kind=DeadlineKind.STRATEGY_DISCUSSION,
        anchor_at=parse_instant(anchor),
        due_date=date.fromisoformat(due),
        due_at=due_at,
        calendar_version="v",
        policy_name="england-2023",
    )


def test_due_text_gives_the_time_where_the_deadline_has_one() -> None:
    # the clocks went forward on 29 March 2026: the London day still ends at midnight
    same_day = _deadline("2026-03-30T09:00", "2026-03-30", end_of_london_day(date(2026, 3, 30)))
    assert due_text(same_day) == "30 March 2026, before midnight"
    counted = _deadline("2026-03-30T09:00", "2026-03-31", end_of_london_day(date(2026, 3, 31)))
    assert due_text(counted) == "31 March 2026"
    hourly = _deadline("2026-03-30T09:00", "2026-03-31", parse_instant("2026-03-31T15:00"))
    assert due_text(hourly) == "31 March 2026, before 15:00"


def test_an_assessment_awaiting_authorisation_is_a_managers_step(web: Web) -> None:
    _assessment_submitted(web, web.north_case)
    page = web.client("pat").get(f"/cases/{web.north_case}").text
    panel = _panel(page)
    text = _text(panel)
    assert "Authorise the single assessment or return it to the worker" in text
    assert "Owner: A manager of North Safeguarding" in text
    assert '<a class="govuk-link" href="#work">See who does the work</a>' in panel
    blocked = _text(page.split('id="blocked-complete_assessment"', 1)[1].split("</li>", 1)[0])
    assert "first a manager authorises or returns the single assessment already submitted" in (
        blocked
    )
    assert 'id="action-complete_assessment"' not in page


def test_a_lado_track_open_after_child_protection_closed_still_has_its_steps(web: Web) -> None:
    lee = web.client("lee")
    assert _fire(web, lee, web.lado_case, "refer_to_lado", {}).status_code == 303
    closed = _fire(
        web,
        lee,
        web.lado_case,
        "close",
        {"outcome": "no_further_action", "reason": "No child protection concern at home"},
    )
    assert closed.status_code == 303, closed.text
    page = lee.get(f"/cases/{web.lado_case}").text
    text = _text(_panel(page))
    assert "Child protection is closed. The allegation (LADO) track is still open." in text
    assert "Hold the LADO strategy meeting" in text
    assert "This case is closed" not in text
    assert 'id="action-hold_lado_strategy_meeting"' in page
    assert 'id="action-close"' not in page
