"""People on the pages (DESIGN 2.4): the new-concern form with each child as a person, identifiers
checked beside their fields, "add another child", exact and likely matches, "known to us" and the
repeated concern about an adult in a position of trust, the search page, and late recording on
the dashboard (DESIGN 2.3)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from esafety_flow.web.people_pages import _service_problem
from esafety_flow.web.work_forms import WorkForm
from states import InvalidEventData
from tests.web.conftest import Web, csrf_of
from workflows import casework
from workflows.audit import AuditKind
from workflows.persistence import audit_events, cases, persons

NHS = "9434765919"
UPN = "M201262510006"
KID = {
    "category": "online_grooming",
    "child1.name": "Alex Smith",
    "child1.dob-day": "2",
    "child1.dob-month": "3",
    "child1.dob-year": "2014",
}


def _count(web: Web, table: Any) -> int:
    with web.app.session_factory() as s:
        return int(s.execute(select(func.count()).select_from(table)).scalar_one())


@contextmanager
def writes_no_case(web: Web) -> Iterator[None]:
    before = (_count(web, cases), _count(web, persons))
    yield
    assert (_count(web, cases), _count(web, persons)) == before


def _post(client: TestClient, form: Mapping[str, Any]) -> Any:
    token = csrf_of(client.get("/cases/new").text)
    return client.post("/cases/new", data={**form, "csrf_token": token})


def _raised(client: TestClient, form: Mapping[str, Any]) -> int:
    response = _post(client, form)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.endswith("?raised=1")
    return int(location.split("/")[2].split("?")[0])


def _person_of(web: Web, case_id: int, child: int = 0) -> int | None:
    case = casework.get_case(web.app.session_factory, case_id, with_history=False)
    return case.facts.children[child].person_id


@pytest.mark.parametrize(
    ("field", "value", "anchor", "words"),
    [
        ("child1.nhs_number", "943 476 5918", "child1-nhs-number", "check digit is wrong"),
        ("child1.nhs_number", "94347659", "child1-nhs-number", "must be 10 digits"),
        ("child1.upn", "A201262510006", "child1-upn", "check letter is wrong"),
    ],
)
def test_a_wrong_identifier_is_an_error_beside_its_field_and_writes_nothing(
    web: Web, field: str, value: str, anchor: str, words: str
) -> None:
    client = web.client("pat")
    with writes_no_case(web):
        response = _post(client, {**KID, field: value, "child1.sex": "F"})
    assert response.status_code == 400
    page = response.text
    summary = page.split("govuk-error-summary__list")[1].split("</ul>")[0]
    assert f'href="#{anchor}"' in summary
    assert words in summary
    # beside the field, and everything typed is kept
    assert f'id="{anchor}-error"' in page
    assert f'value="{value}"' in page
    assert 'value="Alex Smith"' in page
    assert 'value="2014"' in page
    assert 'value="F" checked' in page


def test_a_date_of_birth_that_is_not_a_date_or_is_in_the_future_is_refused(web: Web) -> None:
    client = web.client("pat")
    with writes_no_case(web):
        wrong = _post(client, {**KID, "child1.dob-month": "13"})
        future = _post(client, {**KID, "child1.dob-year": "2027"})
    assert wrong.status_code == 400
    assert 'href="#child1-dob-day"' in wrong.text
    assert "must be a real date" in wrong.text
    assert future.status_code == 400
    assert "give the expected date of birth" in future.text


def test_a_child_is_recorded_with_the_census_items_at_the_time_received(web: Web) -> None:
    client = web.client("pat")
    case_id = _raised(
        client,
        {
            **KID,
            "occurred-day": "3",
            "occurred-month": "3",
            "occurred-year": "2026",
            "occurred-time": "16:30",
            "child1.sex": "M",
            "child1.ethnicity": "WBRI",
            "child1.nhs_number": "943 476 5919",
            "child1.upn": UPN.lower(),
            "child1.disabilities": ["COMM", "AUT"],
            "child1.sen": "yes",
            "abuser.kind": "adult",
            "abuser.name": "Jon Coach",
            "abuser.flags": ["position_of_trust"],
            "abuser.employment_sector": "sport",
        },
    )
    case = casework.get_case(web.app.session_factory, case_id)
    child = case.facts.children[0]
    assert child.date_of_birth is not None
    assert child.date_of_birth.isoformat() == "2014-03-02"
    assert (child.sex, child.ethnicity, child.nhs_number, child.upn) == ("M", "WBRI", NHS, UPN)
    assert [d.value for d in child.disabilities] == ["COMM", "AUT"]
    assert child.sen
    assert child.person_id is not None
    abuser = case.facts.alleged_abuser
    assert abuser is not None
    assert abuser.employment_sector == "sport"
    assert abuser.person_id is not None
    # the concern counts from when it was received, not the click
    assert case.history[0].at.isoformat() == "2026-03-03T16:30:00+00:00"
    assert case.history[0].recorded_at == web.clock.now()


def test_the_form_offers_the_cin_codes_with_their_labels(web: Web) -> None:
    page = web.client("pat").get("/cases/new").text
    assert '<option value="WBRI">White British (WBRI)</option>' in page
    sex = page.split('id="child1-sex"')[1].split("</fieldset>")[0]
    assert [v in sex for v in ('value="F"', "Female", 'value="U"', "Unknown")] == [True] * 4
    assert 'name="child1.disabilities"' in page
    assert 'value="AUT"' in page
    none = page.split('value="NONE"')[1].split(">")[0]
    assert 'data-behaviour="exclusive"' in none
    # when it was received defaults to now
    assert 'name="occurred-time"' in page
    assert 'value="11:00"' in page


def test_add_another_child_shows_one_more_block_with_what_was_typed(web: Web) -> None:
    client = web.client("pat")
    with writes_no_case(web):
        response = _post(client, {**KID, "action": "add_child", "child1.nhs_number": NHS})
    assert response.status_code == 200
    page = response.text
    assert 'name="child2.name"' in page
    assert 'name="child3.name"' not in page
    assert 'value="Alex Smith"' in page
    assert f'value="{NHS}"' in page
    assert 'name="children" value="2"' in page
    assert "There is a problem" not in page
    second = _raised(client, {**KID, "children": "2", "child2.name": "Sam", "child2.age": "9"})
    case = casework.get_case(web.app.session_factory, second)
    assert [c.name for c in case.facts.children] == ["Alex Smith", "Sam"]


def test_an_exact_nhs_number_links_the_person_at_once_and_says_known_to_us(web: Web) -> None:
    client = web.client("pat")
    first = _raised(client, {**KID, "child1.nhs_number": NHS})
    # another spelling and no date of birth: the NHS number decides, no question asked
    second = _raised(
        client,
        {"category": "online_bullying", "child1.name": "Alexander Smith", "child1.nhs_number": NHS},
    )
    assert _person_of(web, first) == _person_of(web, second)
    page = client.get(f"/cases/{second}?raised=1").text
    known = page.split('id="known-to-us"')[1].split("</section>")[0]
    assert "linked to the person already known to us" in known
    assert "1 earlier case" in known
    assert f'href="/cases/{first}"' in known


def test_a_likely_match_is_offered_before_the_case_is_created(web: Web) -> None:
    client = web.client("pat")
    first = _raised(client, KID)
    typo = {**KID, "child1.name": "Alex Smyth"}
    with writes_no_case(web):
        check = _post(client, typo)
    assert check.status_code == 200
    assert "Check the people already known to us" in check.text
    person = _person_of(web, first)
    assert f'name="child1.match" type="radio" value="{person}"' in check.text
    assert f'href="/cases/{first}"' in check.text
    assert "Born 2 March 2014" in check.text
    # every answer of the form rides along, with this session's security token
    assert f'name="csrf_token" value="{csrf_of(check.text)}"' in check.text
    assert check.text.count('name="csrf_token"') == 2  # the form's and the sign-out's
    assert 'type="hidden" name="child1.name" value="Alex Smyth"' in check.text
    # no answer: asked again, nothing written
    with writes_no_case(web):
        unanswered = _post(client, {**typo, "action": "confirm"})
    assert unanswered.status_code == 400
    assert 'href="#child1-match"' in unanswered.text
    confirmed = _raised(client, {**typo, "action": "confirm", "child1.match": str(person)})
    assert _person_of(web, confirmed) == person
    new = _raised(client, {**typo, "action": "confirm", "child1.match": "new"})
    assert _person_of(web, new) not in (None, person)


def test_change_your_answers_goes_back_to_the_form_as_typed(web: Web) -> None:
    client = web.client("pat")
    _raised(client, KID)
    with writes_no_case(web):
        response = _post(client, {**KID, "child1.name": "Alex Smyth", "action": "change"})
    assert response.status_code == 200
    assert "Record a new concern" in response.text
    assert 'value="Alex Smyth"' in response.text


def test_an_answer_that_was_not_offered_is_asked_again(web: Web) -> None:
    client = web.client("pat")
    _raised(client, KID)
    with writes_no_case(web):
        response = _post(client, {**KID, "action": "confirm", "child1.match": "999999"})
    assert response.status_code == 400
    assert "is someone already known to us, or a new person" in response.text


def test_a_candidate_shows_only_the_cases_the_practitioner_may_open(web: Web) -> None:
    south = _raised(web.client("priya"), KID)
    check = _post(web.client("pat"), KID)
    assert check.status_code == 200
    assert f'href="/cases/{south}"' not in check.text
    assert "1 you may not open" in check.text
    # the case page of the linked case counts it without a link either
    person = _person_of(web, south)
    pat = web.client("pat")
    mine = _raised(pat, {**KID, "action": "confirm", "child1.match": str(person)})
    known = pat.get(f"/cases/{mine}").text.split('id="known-to-us"')[1].split("</section>")[0]
    assert "1 earlier case" in known
    assert "1 you may not open" in known
    assert f"/cases/{south}" not in known


def test_an_adult_in_a_position_of_trust_named_before_is_said_at_once(web: Web) -> None:
    teacher = {
        "category": "staff_online_conduct",
        "child1.name": "Kim",
        "child1.age": "13",
        "abuser.kind": "adult",
        "abuser.name": "Jon Teacher",
        "abuser.flags": ["position_of_trust"],
        "abuser.role": "teacher",
    }
    lee = web.client("lee")
    first = _raised(lee, teacher)
    again = {**teacher, "child1.name": "Jo", "abuser.flags": []}
    check = _post(lee, again)
    assert check.status_code == 200
    assert 'name="abuser.match"' in check.text
    assert "(in a position of trust)" in check.text
    case = casework.get_case(web.app.session_factory, first, with_history=False)
    assert case.facts.alleged_abuser is not None
    person = case.facts.alleged_abuser.person_id
    second = _raised(lee, {**again, "action": "confirm", "abuser.match": str(person)})
    page = lee.get(f"/cases/{second}?raised=1").text
    warning = page.split('id="repeated-concern"')[1].split("</div>")[0]
    assert "already named in 1 earlier case, in a position of trust" in warning


# -- search ------------------------------------------------------------------------------------


def _search(client: TestClient, q: str) -> Any:
    return client.get("/search", params={"q": q})


def test_search_finds_a_child_by_name_with_a_typo_nhs_number_dob_and_reference(web: Web) -> None:
    client = web.client("pat")
    case_id = _raised(client, {**KID, "child1.nhs_number": NHS, "child1.upn": UPN})
    reference = casework.get_case(web.app.session_factory, case_id, with_history=False).reference
    for q in ("alex smiht", "943 476 5919", UPN, "2/3/2014", reference):
        response = _search(client, q)
        assert response.status_code == 200, q
        table = response.text.split('id="search-results"')[1].split("</table>")[0]
        assert f'href="/cases/{case_id}"' in table, q
        assert "Alex Smith" in table, q
        assert "Pat Practitioner" in table, q
        assert "Concern" in table, q


def test_search_shows_only_the_cases_the_viewer_may_open_and_is_audited(web: Web) -> None:
    south = _raised(web.client("priya"), KID)
    pat = web.client("pat")
    before = _count(web, audit_events)
    page = _search(pat, "Alex Smith").text
    assert f"/cases/{south}" not in page
    assert "0 cases found" in page
    assert 'id="no-results"' in page
    with web.app.session_factory() as s:
        kinds = s.execute(
            select(audit_events.c.kind, audit_events.c.detail).order_by(audit_events.c.id.desc())
        ).first()
    assert _count(web, audit_events) == before + 1
    assert kinds is not None
    assert kinds.kind == AuditKind.SEARCH.value
    assert kinds.detail.startswith("page name search, 0 results")
    assert f"/cases/{south}" in _search(web.client("priya"), "Alex Smith").text


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("", "Enter a name, a case reference"),
        ("   ", "Enter a name, a case reference"),
        ("a", "at least 2 letters"),
        ("\x00\x00", "at least 2 letters"),
        ("x" * 201, "at most 200 characters"),
        ("x" * 5000, "at most 200 characters"),
    ],
)
def test_an_empty_short_or_long_search_is_a_message(web: Web, q: str, words: str) -> None:
    pat = web.client("pat")
    before = _count(web, audit_events)
    response = _search(pat, q)
    assert response.status_code == 200
    assert words in response.text
    assert 'href="#search-q"' in response.text
    assert _count(web, audit_events) == before


def test_the_header_has_a_search_box_for_caseworkers_only(web: Web) -> None:
    assert 'id="header-search"' in web.client("pat").get("/caseload").text
    assert 'id="header-search"' not in web.client("ada").get("/calendar").text
    assert web.client("ada").get("/search", params={"q": "x"}).status_code == 404


# -- late recording on the dashboard -----------------------------------------------------------


def test_the_dashboard_counts_late_recording_per_worker(web: Web) -> None:
    pat = web.client("pat")
    friday = {
        "occurred-day": "27",
        "occurred-month": "2",
        "occurred-year": "2026",
        "occurred-time": "16:00",
    }
    _raised(pat, {"category": "other", "child1.name": "Late", **friday})
    _raised(pat, {"category": "other", "child1.name": "On time"})
    morgan = web.client("morgan")
    page = morgan.get("/dashboard").text
    table = page.split('id="recording-by-worker"')[1].split("</table>")[0]
    row = table.split("Pat Practitioner")[1].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:2]]
    # the two concerns above and the conftest's north case, recorded at the time: one late
    assert cells == ["1", "3"]
    assert morgan.get("/dashboard", params={"recording_weeks": "1"}).status_code == 200
    bad = morgan.get("/dashboard", params={"recording_weeks": "7"})
    assert bad.status_code == 400
    assert "Choose the period" in bad.text


@pytest.mark.parametrize(
    ("message", "field", "anchor"),
    [
        (
            "children.1.nhs_number: this NHS number belongs to another person already known to us",
            "child2.nhs_number",
            "child2-nhs-number",
        ),
        (
            "raise_concern: facts.children.0.date_of_birth: is after 2026-03-04",
            "child1.dob",
            "child1-dob-day",
        ),
        ("alleged_abuser.person_id: there is no person 7", "abuser.person_id", "abuser-person-id"),
        ("something else", "category", "category"),
    ],
)
def test_a_refusal_of_the_service_is_put_beside_the_field_it_names(
    message: str, field: str, anchor: str
) -> None:
    form = WorkForm()
    _service_problem(form, InvalidEventData(message))
    assert form.problems[0][0] == field
    assert form.problems[0][2] == anchor
    assert form.problems[0][1][:1].isupper()


def test_data_of_the_wrong_shape_refused_by_the_service_is_not_shown_in_its_words() -> None:
    form = WorkForm()
    refused = InvalidEventData(
        "raise_concern: facts.category: Input should be 'online_bullying'",
        [(("facts", "category"), "enum")],
    )
    _service_problem(form, refused)
    [(field, text, anchor)] = form.problems
    assert (field, anchor) == ("category", "category")
    assert text == "Some of the answers could not be recorded: check them and try again"
