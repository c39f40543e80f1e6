"""Plain-English form errors (issue 12 item 1): the content table of `esafety_flow.web.messages`
has every field's messages; the case page's event forms, the facts pages and the new-concern form
say what is wrong beside each field and in the error summary (linking to the field's input, a
date's day), keep what was typed, and never show pydantic's wording or the data's paths."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from calendars import Region
from esafety_flow.web.concern_form import CONCERN_FIELDS
from esafety_flow.web.forms import EVENT_FORMS, FieldSpec
from esafety_flow.web.messages import MESSAGES, PROBLEMS_OF_KIND, Problem, message, problem_of
from esafety_flow.web.record_pages import FACT_FORMS, REVIEW_DATE
from esafety_flow.web.record_views import data_refusal
from esafety_flow.web.work_pages import WORK_FORMS
from states import InvalidEventData
from tests.web.conftest import NOW, Web, api_headers, csrf_of
from workflows import casework

LIBRARY_WORDS = ("Field required", "Input should", "valid date or datetime", "Value error")

DISCUSSION = {
    "attendees": ["police", "childrens_social_care", "health"],
    "considerations.household_children_safety": "Mother protective",
    "considerations.image_children_safety": "Child seen at school",
    "considerations.when_to_inform_alleged_abuser": "After arrest",
    "considerations.criminal_investigation": "yes",
    "considerations.section_47_threshold_met": "yes",
    "considerations.icpc_required": "yes",
}

AGREEMENT = {
    "working_agreement.supervision_of_contact": "Supervised by mother",
    "working_agreement.intimate_care": "Mother only",
    "working_agreement.entry_to_childrens_rooms": "Never",
    "working_agreement.sleepovers": "None",
}


# -- the content table ---------------------------------------------------------------------------


def _needed(spec: FieldSpec) -> set[Problem]:
    needed = set(PROBLEMS_OF_KIND[spec.kind])
    if spec.required or spec.group:
        needed.add(Problem.MISSING)
    return needed


def _forms() -> dict[str, list[FieldSpec]]:
    """Every page form's fields, by the name its messages are filed under."""
    forms: dict[str, list[FieldSpec]] = {ev.value: list(specs) for ev, specs in EVENT_FORMS.items()}
    facts = forms.setdefault("record_facts", [])
    for name, _, specs in FACT_FORMS.values():
        for spec in specs:
            facts.append(spec)
        if name in ("category", "leave_home_decision", "significant_harm_suspected"):
            # one question a page: left blank, it is missing
            facts.append(FieldSpec(name, "", "radios", required=True))
        if name == "alleged_abuser":
            facts.append(FieldSpec("alleged_abuser.kind", "", "radios", required=True))
    facts.append(FieldSpec(REVIEW_DATE.name, REVIEW_DATE.label, "date", group="agreement"))
    facts.append(FieldSpec("child.flags", "What applies?", "checkboxes"))
    forms["raise_concern"] = list(CONCERN_FIELDS)
    forms.update({name: list(specs) for name, specs in WORK_FORMS.items()})
    return forms


def test_every_field_of_every_form_has_its_messages() -> None:
    lacking = [
        f"{form}: {spec.name}: {problem.value}"
        for form, specs in _forms().items()
        for spec in specs
        for problem in sorted(_needed(spec))
        if problem not in MESSAGES.get(form, {}).get(spec.name, {})
    ]
    assert lacking == []


def test_every_message_of_the_table_belongs_to_a_field_of_its_form() -> None:
    forms = _forms()
    stale = [
        f"{form}: {name}"
        for form, fields in MESSAGES.items()
        for name in fields
        if name not in {s.name for s in forms.get(form, [])}
    ]
    assert stale == []


def test_the_messages_are_plain_sentences() -> None:
    for fields in MESSAGES.values():
        for entries in fields.values():
            for text in entries.values():
                assert text[:1].isupper(), text
                assert not text.endswith("."), text
                assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", text), text
                assert not any(w in text for w in LIBRARY_WORDS), text


@pytest.mark.parametrize(
    ("error_type", "field_kind", "problem"),
    [
        ("missing", "radios", Problem.MISSING),
        ("string_too_short", "textarea", Problem.MISSING),
        ("string_too_long", "textarea", Problem.TOO_LONG),
        ("too_long", "codes", Problem.TOO_LONG),
        ("enum", "radios", Problem.INVALID),
        ("bool_parsing", "yesno", Problem.INVALID),
        ("int_parsing", "number", Problem.INVALID),
        ("date_from_datetime_parsing", "date", Problem.NOT_A_REAL_DATE),
        ("value_error", "date", Problem.OUT_OF_RANGE),
        ("value_error", "radios", Problem.INVALID),
        ("less_than_equal", "number", Problem.OUT_OF_RANGE),
        ("something_new", "text", Problem.INVALID),
    ],
)
def test_pydantic_error_types_pick_the_kind_of_problem(
    error_type: str, field_kind: str, problem: Problem
) -> None:
    assert problem_of(error_type, field_kind) is problem


def test_a_field_without_an_entry_gets_a_plain_sentence_from_its_label() -> None:
    assert message("close", "notes", Problem.INVALID, "Notes for the file") == (
        "Check the answer to 'notes for the file'"
    )
    assert message("close", "reason", Problem.INVALID, "Reason") == "Check the answer to 'reason'"
    assert message("close", "reason", Problem.MISSING) == "Enter the reason for closing the case"


def test_a_message_whose_placeholder_is_not_given_falls_back_without_codes() -> None:
    assert message("transfer", "reason", Problem.TOO_LONG) == "Check the answer to 'reason'"
    assert message("refer", "working_agreement.review_date", Problem.INVALID) == (
        "Check the answer to 'review date'"
    )


def test_a_childs_message_names_the_child() -> None:
    assert message("raise_concern", "child3.age", Problem.INVALID) == (
        "Enter the age of child 3 as a whole number from 0 to 25"
    )


# -- the pages -----------------------------------------------------------------------------------


def _post(client: TestClient, url: str, data: Mapping[str, Any]) -> Any:
    token = csrf_of(client.get("/caseload").text)
    return client.post(url, data={**data, "csrf_token": token})


def _fire(
    web: Web, case_id: int, event: str, at: datetime, data: Mapping[str, Any] | None = None
) -> None:
    casework.apply_event(
        web.app.session_factory,
        case_id,
        event,
        at=at,
        recorded_at=at,
        actor="lee" if case_id == web.lado_case else "pat",
        data=data,
        calendar=web.app.calendar_for(Region.ENGLAND_AND_WALES),
        policy=web.app.policy,
    )


def _summary(page: str) -> list[tuple[str, str]]:
    """The error summary's (link, message) pairs."""
    parts = page.split('class="govuk-error-summary"', 1)
    if len(parts) == 1:
        return []
    found = re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', parts[1].split("</ul>", 1)[0])
    return [(a, html.unescape(m)) for a, m in found]


def _beside(page: str, field_id: str) -> str:
    """The message beside the field whose input (or fieldset) has the id `field_id`."""
    found = re.search(
        rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message">(.*?)</p>', page, re.S
    )
    assert found, f"no message beside {field_id}"
    text = re.sub(r"<[^>]+>", "", found.group(1))
    return html.unescape(" ".join(text.split())).removeprefix("Error: ")


def _no_library_text(page: str) -> None:
    for words in LIBRARY_WORDS:
        assert words not in page
    text = html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1]))
    assert not re.search(r"\bdata\.[a-z]", text)


def _ids(page: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page))


def _check(page: str, expected: list[tuple[str, str, str]]) -> None:
    """Each (field id, summary link, message): the message beside the field and in the summary,
    the link pointing at an input of the page."""
    assert _summary(page) == [(link, text) for _, link, text in expected]
    ids = _ids(page)
    for field_id, link, text in expected:
        assert _beside(page, field_id) == text
        assert link.removeprefix("#") in ids, link
    _no_library_text(page)


def test_a_close_without_its_outcome_and_reason_says_so_beside_each(web: Web) -> None:
    pat = web.client("pat")
    response = _post(pat, f"/cases/{web.north_case}/events/close", {"reason_for_closure": "RC8"})
    assert response.status_code == 400
    _check(
        response.text,
        [
            ("close-outcome", "#close-outcome", "Select the outcome of the case"),
            ("close-reason", "#close-reason", "Enter the reason for closing the case"),
        ],
    )
    form = response.text.split('id="action-close"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'value="RC8"\s+checked', form)
    assert casework.get_case(web.app.session_factory, web.north_case).state.value == "concern"


def test_a_reason_typed_is_kept_when_the_outcome_is_missing(web: Web) -> None:
    response = _post(
        web.client("pat"), f"/cases/{web.north_case}/events/close", {"reason": "Moved away"}
    )
    _check(response.text, [("close-outcome", "#close-outcome", "Select the outcome of the case")])
    assert "Moved away</textarea>" in response.text


def test_a_referral_to_nobody_and_a_census_code_the_model_refuses(web: Web) -> None:
    pat = web.client("pat")
    url = f"/cases/{web.north_case}/events/refer"
    nobody = _post(pat, url, {"primary_need": "N1"})
    assert nobody.status_code == 400
    _check(
        nobody.text,
        [
            (
                "refer-referred-to",
                "#refer-referred-to",
                "Select who the referral went to: the police, children's social care or both",
            )
        ],
    )
    assert re.search(r'value="N1"\s+checked', nobody.text)
    # N0 is a primary need, but not one of a referral: the model's own check (value_error)
    refused = _post(pat, url, {"referred_to": "police", "primary_need": "N0"})
    assert refused.status_code == 422
    _check(
        refused.text,
        [
            (
                "refer-primary-need",
                "#refer-primary-need",
                "Select the child's primary need from the list (N1 to N9)",
            )
        ],
    )
    assert re.search(r'value="police"\s+checked', refused.text)


def test_an_urgency_that_is_not_yes_or_no(web: Web) -> None:
    _fire(web, web.north_case, "refer", NOW.replace(hour=9, minute=30), {"referred_to": ["police"]})
    response = _post(
        web.client("pat"),
        f"/cases/{web.north_case}/events/convene_strategy_discussion",
        {"urgent": "perhaps"},
    )
    assert response.status_code == 400
    _check(
        response.text,
        [
            (
                "convene_strategy_discussion-urgent",
                "#convene_strategy_discussion-urgent",
                "Select yes if the strategy discussion is urgent (same day), or no",
            )
        ],
    )


def _at_strategy_discussion(web: Web) -> None:
    _fire(web, web.north_case, "refer", NOW.replace(hour=9, minute=30), {"referred_to": ["police"]})
    _fire(web, web.north_case, "convene_strategy_discussion", NOW.replace(hour=10))


def test_a_strategy_discussion_with_an_answer_missing_and_a_date_that_is_not_real(
    web: Web,
) -> None:
    _at_strategy_discussion(web)
    posted = {k: v for k, v in DISCUSSION.items() if k != "considerations.icpc_required"}
    response = _post(
        web.client("pat"),
        f"/cases/{web.north_case}/events/hold_strategy_discussion",
        {
            **posted,
            "leave_home_decision": "stays",
            "working_agreement.supervision_of_contact": "Supervised by mother",
            "working_agreement.review_date-day": "31",
            "working_agreement.review_date-month": "2",
            "working_agreement.review_date-year": "2026",
        },
    )
    assert response.status_code == 400
    p = "hold_strategy_discussion"
    wa = f"{p}-working-agreement"
    _check(
        response.text,
        [
            (
                f"{p}-considerations-icpc-required",
                f"#{p}-considerations-icpc-required",
                "Select whether an initial child protection conference is required",
            ),
            (
                f"{wa}-intimate-care",
                f"#{wa}-intimate-care",
                "Enter what the working agreement says about intimate care",
            ),
            (
                f"{wa}-entry-to-childrens-rooms",
                f"#{wa}-entry-to-childrens-rooms",
                "Enter what the working agreement says about entry to children's rooms",
            ),
            (
                f"{wa}-sleepovers",
                f"#{wa}-sleepovers",
                "Enter what the working agreement says about sleepovers",
            ),
            (f"{wa}-review-date", f"#{wa}-review-date-day", "Review date must be a real date"),
        ],
    )
    form = response.text.split(f'id="action-{p}"', 1)[1].split("</form>", 1)[0]
    assert re.search(rf'id="{wa}-review-date-day" name="working_agreement.review_date-day"', form)
    assert re.search(r'govuk-input--error"[^>]*value="31"', form)
    assert 'value="Supervised by mother"' in form
    assert "Child seen at school</textarea>" in form
    assert casework.get_case(web.app.session_factory, web.north_case).strategy_discussions == []


def test_a_review_date_with_a_part_missing_links_to_that_part(web: Web) -> None:
    _at_strategy_discussion(web)
    response = _post(
        web.client("pat"),
        f"/cases/{web.north_case}/events/hold_strategy_discussion",
        {
            **DISCUSSION,
            **AGREEMENT,
            "working_agreement.review_date-day": "27",
            "working_agreement.review_date-year": "2026",
        },
    )
    wa = "hold_strategy_discussion-working-agreement"
    _check(
        response.text,
        [(f"{wa}-review-date", f"#{wa}-review-date-month", "Review date must include a month")],
    )


def test_the_review_date_typed_in_parts_is_recorded_as_a_date(web: Web) -> None:
    _at_strategy_discussion(web)
    response = _post(
        web.client("pat"),
        f"/cases/{web.north_case}/events/hold_strategy_discussion",
        {
            **DISCUSSION,
            **AGREEMENT,
            "leave_home_decision": "stays",
            "working_agreement.review_date-day": "27",
            "working_agreement.review_date-month": "4",
            "working_agreement.review_date-year": "2026",
        },
    )
    assert response.status_code == 303, _summary(response.text)
    [held] = casework.get_case(web.app.session_factory, web.north_case).strategy_discussions
    agreement = held.record.working_agreement
    assert agreement is not None
    assert agreement.review_date is not None
    assert agreement.review_date.isoformat() == "2026-04-27"


def test_an_answer_too_long_for_the_model_is_said_in_words(web: Web) -> None:
    _at_strategy_discussion(web)
    response = _post(
        web.client("pat"),
        f"/cases/{web.north_case}/events/hold_strategy_discussion",
        {**DISCUSSION, "considerations.household_children_safety": "x" * 5_001},
    )
    assert response.status_code == 422
    field = "hold_strategy_discussion-considerations-household-children-safety"
    _check(
        response.text,
        [
            (
                field,
                f"#{field}",
                "The safety of the children in the household must be 5,000 characters or fewer",
            )
        ],
    )


def test_a_conference_without_its_outcome(web: Web) -> None:
    _at_strategy_discussion(web)
    _fire(
        web,
        web.north_case,
        "hold_strategy_discussion",
        NOW.replace(hour=10, minute=30),
        {
            "attendees": ["police", "childrens_social_care", "health"],
            "considerations": {
                "household_children_safety": "Mother protective",
                "image_children_safety": "Seen at school",
                "when_to_inform_alleged_abuser": "After arrest",
                "criminal_investigation": True,
                "section_47_threshold_met": True,
                "icpc_required": True,
            },
        },
    )
    _fire(web, web.north_case, "start_section_47", NOW.replace(hour=10, minute=40))
    response = _post(web.client("pat"), f"/cases/{web.north_case}/events/hold_conference", {})
    assert response.status_code == 400
    _check(
        response.text,
        [
            (
                "hold_conference-outcome",
                "#hold_conference-outcome",
                "Select the outcome of the conference",
            )
        ],
    )


def test_an_allegation_outcome_left_blank(web: Web) -> None:
    _fire(web, web.lado_case, "refer_to_lado", NOW.replace(hour=9, minute=30))
    _fire(web, web.lado_case, "hold_lado_strategy_meeting", NOW.replace(hour=10))
    response = _post(
        web.client("lee"), f"/cases/{web.lado_case}/events/record_allegation_outcome", {}
    )
    assert response.status_code == 400
    _check(
        response.text,
        [
            (
                "record_allegation_outcome-outcome",
                "#record_allegation_outcome-outcome",
                "Select the outcome of the allegation",
            )
        ],
    )


# -- the facts pages -----------------------------------------------------------------------------


def test_a_working_agreement_with_matters_left_blank(web: Web) -> None:
    response = _post(
        web.client("pat"),
        f"/cases/{web.north_case}/facts/working-agreement",
        {"working_agreement.supervision_of_contact": "Supervised by mother"},
    )
    assert response.status_code == 400
    wa = "record_facts-working-agreement"
    _check(
        response.text,
        [
            (
                f"{wa}-intimate-care",
                f"#{wa}-intimate-care",
                "Enter what the working agreement says about intimate care",
            ),
            (
                f"{wa}-entry-to-childrens-rooms",
                f"#{wa}-entry-to-childrens-rooms",
                "Enter what the working agreement says about entry to children's rooms",
            ),
            (
                f"{wa}-sleepovers",
                f"#{wa}-sleepovers",
                "Enter what the working agreement says about sleepovers",
            ),
            (
                "record_facts-review-date",
                "#record_facts-review-date-day",
                "Enter the review date of the working agreement",
            ),
        ],
    )
    assert "Supervised by mother</textarea>" in response.text


def test_a_review_date_on_the_facts_page_that_is_not_real(web: Web) -> None:
    response = _post(
        web.client("pat"),
        f"/cases/{web.north_case}/facts/working-agreement",
        {**AGREEMENT, "review_date-day": "4", "review_date-month": "13", "review_date-year": "26"},
    )
    _check(
        response.text,
        [
            (
                "record_facts-review-date",
                "#record_facts-review-date-year",
                "The year of the review date must include 4 numbers, for example 2026",
            )
        ],
    )
    assert 'value="13"' in response.text


@pytest.mark.parametrize(
    ("slug", "posted", "field_id", "text"),
    [
        (
            "alleged-abuser",
            {"alleged_abuser.role": "teacher"},
            "record_facts-alleged-abuser-kind",
            "Select whether the alleged abuser is an adult or a child, or not known",
        ),
        (
            "alleged-abuser",
            {"alleged_abuser.kind": "adult", "alleged_abuser.role": "x" * 201},
            "record_facts-alleged-abuser-role",
            "Their role must be 200 characters or fewer",
        ),
        (
            "alleged-abuser",
            {"alleged_abuser.kind": "robot"},
            "record_facts-alleged-abuser-kind",
            "Select whether the alleged abuser is an adult or a child from the list",
        ),
        (
            "significant-harm",
            {"significant_harm_suspected": "perhaps"},
            "record_facts-significant-harm-suspected",
            "Select yes if significant harm is suspected, or no",
        ),
        (
            "leave-home",
            {},
            "record_facts-leave-home-decision",
            "Select whether the alleged abuser will leave the home during the assessment",
        ),
        (
            "risk-factors",
            {"risk_factors": "werewolves"},
            "record_facts-risk-factors",
            "Select the risk factors from the list",
        ),
    ],
)
def test_a_facts_page_says_what_is_wrong_beside_the_field(
    web: Web, slug: str, posted: dict[str, str], field_id: str, text: str
) -> None:
    response = _post(web.client("pat"), f"/cases/{web.north_case}/facts/{slug}", posted)
    assert response.status_code in (400, 409)
    _check(response.text, [(field_id, f"#{field_id}", text)])
    if "alleged_abuser.role" in posted:
        assert f'value="{posted["alleged_abuser.role"]}"' in response.text


# -- the new-concern form ------------------------------------------------------------------------


def _concern(web: Web, posted: Mapping[str, str]) -> Any:
    client = web.client("pat")
    token = csrf_of(client.get("/cases/new").text)
    return client.post(
        "/cases/new", data={"csrf_token": token, "category": "online_bullying", **posted}
    )


@pytest.mark.parametrize(
    ("posted", "field_id", "link", "text"),
    [
        (
            {"child1.name": "A", "child1.age": "26"},
            "child1-age",
            "#child1-age",
            "Enter the age of child 1 as a whole number from 0 to 25",
        ),
        (
            {"child1.name": "A", "child1.age": "twelve"},
            "child1-age",
            "#child1-age",
            "Enter the age of child 1 as a whole number from 0 to 25",
        ),
        (
            {
                "child1.name": "A",
                "child1.dob-day": "31",
                "child1.dob-month": "2",
                "child1.dob-year": "2014",
            },
            "child1-dob",
            "#child1-dob-day",
            "The date of birth of child 1 must be a real date",
        ),
        (
            {"child1.name": "A", "child1.dob-day": "3", "child1.dob-year": "2014"},
            "child1-dob",
            "#child1-dob-month",
            "The date of birth of child 1 must include a month",
        ),
        (
            {
                "child1.name": "A",
                "child1.dob-day": "3",
                "child1.dob-month": "4",
                "child1.dob-year": "2027",
            },
            "child1-dob",
            "#child1-dob-day",
            "The date of birth of child 1 must be today or in the past: for a child not yet "
            "born, give the expected date of birth",
        ),
        (
            {"child1.name": "A", "child1.sex": "X"},
            "child1-sex",
            "#child1-sex",
            "Select the sex of child 1 from the list",
        ),
        (
            {"child1.name": "A", "significant_harm_suspected": "perhaps"},
            "significant-harm",
            "#significant-harm",
            "Select yes if significant harm is suspected, or no",
        ),
    ],
)
def test_the_concern_form_says_what_is_wrong_beside_the_field(
    web: Web, posted: dict[str, str], field_id: str, link: str, text: str
) -> None:
    response = _concern(web, posted)
    assert response.status_code == 400
    _check(response.text, [(field_id, link, text)])
    for name, value in posted.items():
        if name.endswith(("-day", "-month", "-year", ".age")):
            assert f'value="{value}"' in response.text


def test_a_concern_without_its_kind_of_harm(web: Web) -> None:
    client = web.client("pat")
    token = csrf_of(client.get("/cases/new").text)
    response = client.post("/cases/new", data={"csrf_token": token, "child1.name": "A"})
    assert response.status_code == 400
    _check(response.text, [("category", "#category", "Select the kind of online harm")])
    assert 'value="A"' in response.text


def test_the_lado_questions_a_guard_needs_are_asked_beside_their_fields(web: Web) -> None:
    # the teacher's case: the alleged abuser works with children, so the strategy discussion
    # must also answer the two questions of the LADO discussion
    _fire(web, web.lado_case, "refer", NOW.replace(hour=9, minute=30), {"referred_to": ["police"]})
    _fire(web, web.lado_case, "convene_strategy_discussion", NOW.replace(hour=10))
    response = _post(
        web.client("lee"),
        f"/cases/{web.lado_case}/events/hold_strategy_discussion",
        {**DISCUSSION, "attendees": ["police", "childrens_social_care"]},
    )
    assert response.status_code == 409
    p = "hold_strategy_discussion-considerations"
    summary = _summary(response.text)
    # the guard's other reason, which names no field left blank, stays the form's
    assert summary[0][1].startswith("Refused: strategy discussion must include health")
    assert summary[1:] == [
        (
            f"#{p}-contact-with-children-through-work",
            "Enter the alleged abuser's contact with children through work or volunteering",
        ),
        (f"#{p}-employer-action", "Enter what the employer will do"),
    ]
    assert _beside(response.text, f"{p}-employer-action") == "Enter what the employer will do"
    assert "employer_action" not in response.text.split("<main", 1)[1].replace(
        'name="considerations.employer_action"', ""
    )
    assert "Child seen at school</textarea>" in response.text


def test_the_api_keeps_its_422_body_for_programs(web: Web) -> None:
    response = web.client().post(
        f"/api/v1/cases/{web.north_case}/events",
        json={
            "event": "convene_strategy_discussion",
            "data": {"urgent": "perhaps"},
        },
        headers=api_headers(web.tokens["pat"]),
    )
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["body", "data"]
    assert detail["type"] == "value_error"
    assert detail["msg"].startswith("convene_strategy_discussion: data.urgent: Input should be")


def test_a_refusal_naming_no_field_of_the_form_is_a_sentence() -> None:
    own = InvalidEventData("record_facts: data.children: a concern names at least one child")
    assert data_refusal(own) == "A concern names at least one child"
    shape = InvalidEventData(
        "refer: data.colour: Extra inputs are not permitted", [(("colour",), "extra_forbidden")]
    )
    assert data_refusal(shape) == (
        "Some of the answers could not be recorded: check them and try again"
    )


def test_a_value_in_a_page_address_that_cannot_be_used_is_said_plainly(web: Web) -> None:
    response = web.client("ada").get("/calendar", params={"year": "twenty"})
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "The year in the address must be a whole number, for example 2026" in text
    _no_library_text(response.text)
    assert "int_parsing" not in response.text
    assert "unable to parse" not in response.text


def test_a_concern_the_facts_model_refuses_is_worded_from_the_table(web: Web) -> None:
    # the form keeps 300 characters of a name; the model holds 200
    response = _concern(web, {"child1.name": "A" * 250, "abuser.kind": "adult"})
    assert response.status_code == 400
    _check(
        response.text,
        [("child1-name", "#child1-name", "The name of child 1 must be 200 characters or fewer")],
    )
