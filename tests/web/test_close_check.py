"""Check your answers before closing a case (issue 12 item 1): a valid close form is answered with
the check page (the answers, the open deadlines it cancels, "Change" back to the form with the
answers kept, a button that confirms); nothing is written until the confirmed post, which is
refused as before when the case changed meanwhile or the answers are missing."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from esafety_flow.web.next_steps import due_text
from states import CaseState
from states.labels import label
from tests.web.conftest import Web, api_headers, csrf_of
from workflows import casework

ANSWERS = {
    "outcome": "no_further_action",
    "reason": "Seen by the school nurse, no concern",
    "reason_for_closure": "RC8",
}


def _post(client: TestClient, url: str, data: Mapping[str, Any]) -> Any:
    token = csrf_of(client.get("/caseload").text)
    return client.post(url, data={**data, "csrf_token": token})


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def _again(page: str, **button: str) -> dict[str, list[str]]:
    """The hidden fields of the check page's form, to post again with the button pressed."""
    form = page.split('id="answers"', 1)[0].rsplit("<form", 1)[1]
    values: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        values.setdefault(html.unescape(name), []).append(html.unescape(value))
    for name, value in button.items():
        values[name] = [value]
    return values


def _version(web: Web, case_id: int) -> int:
    return casework.get_case(web.app.session_factory, case_id, with_history=False).version


def _check(web: Web, client: TestClient, case_id: int, answers: Mapping[str, Any]) -> Any:
    data = {**answers, "expected_version": str(_version(web, case_id))}
    return _post(client, f"/cases/{case_id}/events/close", data)


def test_a_valid_close_form_shows_the_check_page_and_writes_nothing(web: Web) -> None:
    client = web.client("pat")
    before = casework.get_case(web.app.session_factory, web.north_case)
    response = _check(web, client, web.north_case, ANSWERS)
    assert response.status_code == 200, response.text
    page = response.text
    assert "Check your answers before closing the case" in page
    answers = _text(page.split('id="answers"', 1)[1].split("</dl>", 1)[0])
    assert "Outcome No further action" in answers
    assert "Reason Seen by the school nurse, no concern" in answers
    assert "Reason for closure (children in need census)" in answers
    assert "When it happened Now, when you confirm (it is 4 March 2026 at 11:00)" in answers
    after = casework.get_case(web.app.session_factory, web.north_case)
    assert after.state is before.state is not CaseState.CLOSED
    assert after.version == before.version
    assert len(after.history) == len(before.history)
    assert [d.status for d in after.deadlines] == [d.status for d in before.deadlines]


def test_the_check_page_lists_the_deadlines_the_close_cancels(web: Web) -> None:
    case = casework.get_case(web.app.session_factory, web.north_case)
    open_ = [d for d in case.deadlines if d.is_open]
    assert open_, "the demo case has open deadlines"
    page = _check(web, web.client("pat"), web.north_case, ANSWERS).text
    table = page.split('id="cancelled-deadlines"', 1)[1].split("</table>", 1)[0]
    rows = _text(table)
    for d in open_:
        assert f"{label(d.kind.value)} {due_text(d)}" in rows
    assert "Closing the case cannot be undone" in page


def test_confirming_closes_the_case_and_cancels_its_deadlines(web: Web) -> None:
    client = web.client("pat")
    page = _check(web, client, web.north_case, ANSWERS).text
    web.clock.advance(timedelta(minutes=5))
    response = client.post(
        f"/cases/{web.north_case}/events/close", data=_again(page, confirm="yes")
    )
    assert response.status_code == 303, response.text
    case = casework.get_case(web.app.session_factory, web.north_case)
    assert case.state is CaseState.CLOSED
    assert case.outcome is not None
    assert case.outcome["reason"] == ANSWERS["reason"]
    assert case.outcome["reason_for_closure"] == "RC8"
    assert not [d for d in case.deadlines if d.is_open]
    # dated when confirmed: the form's default was left as it was
    closing = [e for e in case.history if e.event == "close"]
    assert [e.at for e in closing] == [web.clock.now()]


def test_change_takes_the_answers_back_to_the_form(web: Web) -> None:
    client = web.client("pat")
    page = _check(web, client, web.north_case, ANSWERS).text
    assert 'name="change" value="reason"' in page
    response = client.post(
        f"/cases/{web.north_case}/events/close", data=_again(page, change="reason")
    )
    assert response.status_code == 200, response.text
    form = response.text.split('id="action-close"', 1)[1].split("</form>", 1)[0]
    assert form.split(">", 1)[0].split() == ["open"]  # the close form is open
    assert 'value="no_further_action" checked' in form
    assert ">Seen by the school nurse, no concern</textarea>" in form
    assert 'value="RC8" checked' in form
    assert "There is a problem" not in response.text
    assert casework.get_case(web.app.session_factory, web.north_case).state is not CaseState.CLOSED


def test_a_stale_version_on_confirm_is_refused(web: Web) -> None:
    client = web.client("pat")
    page = _check(web, client, web.north_case, ANSWERS).text
    # someone else records a step on the case meanwhile
    _post(client, f"/cases/{web.north_case}/events/refer", {"referred_to": ["police"]})
    changed = casework.get_case(web.app.session_factory, web.north_case)
    response = client.post(
        f"/cases/{web.north_case}/events/close", data=_again(page, confirm="yes")
    )
    assert response.status_code == 409, response.text
    assert "someone else changed this case while you were reading it" in response.text
    after = casework.get_case(web.app.session_factory, web.north_case)
    assert after.state is not CaseState.CLOSED
    assert after.version == changed.version


def test_a_stale_version_before_the_check_is_refused(web: Web) -> None:
    stale = {**ANSWERS, "expected_version": str(_version(web, web.north_case) - 1)}
    response = _post(web.client("pat"), f"/cases/{web.north_case}/events/close", stale)
    assert response.status_code == 409, response.text
    assert "Check your answers" not in response.text


def test_confirm_without_answers_is_refused_and_writes_nothing(web: Web) -> None:
    client = web.client("pat")
    version = _version(web, web.north_case)
    response = _post(
        client,
        f"/cases/{web.north_case}/events/close",
        {"confirm": "yes", "expected_version": str(version)},
    )
    assert response.status_code == 400, response.text
    assert "Enter the reason for closing the case" in response.text
    assert "Check your answers" not in response.text
    after = casework.get_case(web.app.session_factory, web.north_case)
    assert after.state is not CaseState.CLOSED
    assert after.version == version


def test_invalid_answers_come_back_beside_their_fields_not_the_check_page(web: Web) -> None:
    response = _check(web, web.client("pat"), web.north_case, {"reason": "Moved away"})
    assert response.status_code == 400, response.text
    assert "Check your answers" not in response.text
    assert "Moved away</textarea>" in response.text


def test_the_api_closes_without_a_check(web: Web) -> None:
    response = web.client().post(
        f"/api/v1/cases/{web.north_case}/events",
        json={"event": "close", "data": ANSWERS},
        headers=api_headers(web.tokens["pat"]),
    )
    assert response.status_code == 200, response.text
    case = casework.get_case(web.app.session_factory, web.north_case)
    assert case.state is CaseState.CLOSED


def test_deadlines_of_an_open_lado_track_are_listed_as_staying_open(web: Web) -> None:
    lee = web.client("lee")
    referred = _post(lee, f"/cases/{web.lado_case}/events/refer_to_lado", {})
    assert referred.status_code == 303, referred.text
    case = casework.get_case(web.app.session_factory, web.lado_case)
    page = _check(web, lee, web.lado_case, ANSWERS).text
    standing = _text(page.split('id="standing-deadlines"', 1)[1].split("</table>", 1)[0])
    assert standing.count("Due") == 1
    assert any(label(d.kind.value) in standing for d in case.deadlines if d.is_open)
    assert "The allegation (LADO) track stays open until its outcome is recorded" in page
    assert "nothing more can be recorded on the case" not in page
