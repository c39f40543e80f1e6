"""Facts vocabulary and event data (DESIGN 6.1)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from states import (
    EVENT_DATA,
    AllegationOutcome,
    CaseFacts,
    Category,
    CloseData,
    CorrectDateData,
    Event,
    InvalidEventData,
    LeaveHome,
    RecordFactsData,
    RequiredAction,
    RiskFactor,
    StatesError,
    StrategyDiscussion,
    UnknownEvent,
    parse_event_data,
)


def test_every_event_has_a_data_model() -> None:
    assert set(EVENT_DATA) == set(Event)


def test_contract_values_of_required_actions_in_order() -> None:
    assert [a.value for a in RequiredAction] == [
        "immediate_referral",
        "refer_police",
        "refer_childrens_social_care",
        "urgent_strategy_discussion",
        "refer_to_lado",
        "do_not_inform_family",
        "preserve_evidence",
        "early_help_assessment",
        "prevent_referral",
    ]


def test_seven_risk_factors_of_seed_004() -> None:
    assert len(RiskFactor) == 7


def test_wrong_type_names_field_and_reason() -> None:
    with pytest.raises(InvalidEventData) as err:
        parse_event_data(Event.HOLD_STRATEGY_DISCUSSION, {"attendees": "police"})
    assert (
        str(err.value) == "hold_strategy_discussion: data.attendees: Input should be a valid list"
    )


@pytest.mark.parametrize(
    ("event", "raw", "fragment"),
    [
        ("refer", {"referred_to": ["fire_service"]}, "data.referred_to.0: Input should be"),
        ("convene_strategy_discussion", {"urgnet": True}, "data.urgnet: Extra inputs"),
        ("hold_conference", {"outcome": "maybe"}, "data.outcome: Input should be"),
        ("close", {"outcome": "other", "reason": "   "}, "data.reason: String should have"),
        ("record_allegation_outcome", {"outcome": "proven"}, "data.outcome: Input should be"),
        ("complete_assessment", {"factors": ["not a code"]}, "data.factors.0: Input should be"),
        ("refer", {"referred_to": ["police"], "primary_need": "N0"}, "primary need is one of N1"),
        ("refer", {"referred_to": ["police"], "referral_source": "11"}, "data.referral_source"),
        ("close", {"reason_for_closure": "RC0"}, "data.reason_for_closure"),
        ("hold_conference", {"category_of_abuse": "SEX"}, "data.category_of_abuse"),
        ("start_section_47", {"x": 1}, "start_section_47: data.x: Extra inputs"),
        (
            "hold_strategy_discussion",
            {"attendees": ["police"], "considerations": {"section_47_threshold_met": "perhaps"}},
            "data.considerations.section_47_threshold_met: Input should be a valid boolean",
        ),
    ],
)
def test_bad_event_data_is_refused_naming_the_field(
    event: str, raw: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(InvalidEventData) as err:
        parse_event_data(event, raw)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("event", "raw"),
    [
        ("refer", {}),
        ("refer", {"referred_to": []}),
        ("close", {"outcome": "other"}),
        ("record_facts", {"working_agreement": {"supervision_of_contact": "supervised"}}),
        ("hold_conference", {}),
        ("record_allegation_outcome", {}),
        ("correct_date", {"reason": "typed on the wrong day"}),
        ("add_note", {"kind": "visit"}),
    ],
)
def test_incomplete_but_well_formed_data_parses(event: str, raw: dict[str, Any]) -> None:
    """DESIGN 6: data that is well formed but incomplete is for a guard to refuse (a line of
    `rejected`), not a malformed record."""
    assert parse_event_data(event, raw) is not None


@pytest.mark.parametrize(
    ("event", "raw", "fragment"),
    [
        ("add_note", {"kind": "visit", "text": "x" * 20_001}, "data.text: String should have"),
        ("add_note", {"kind": "gossip", "text": "x"}, "data.kind: Input should be"),
        ("correct_date", {"occurred_at": "2026-02-30T10:00"}, "data.occurred_at"),
        ("correct_date", {"event_id": 0}, "data.event_id: Input should be greater than"),
        ("record_facts", {"children": [{"name": "A\x00B"}]}, "control characters"),
        ("record_facts", {"children": [{"name": "A" * 201}]}, "at most 200 characters"),
        (
            "record_facts",
            {"working_agreement": {"review_date": "2099-01-01"}},
            "must be a date from 2000 to 2040",
        ),
    ],
)
def test_bounds_and_bad_values_are_refused(event: str, raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidEventData) as err:
        parse_event_data(event, raw)
    assert fragment in str(err.value)


def test_a_naive_corrected_time_is_london_time() -> None:
    parsed = parse_event_data("correct_date", {"occurred_at": "2026-07-01T09:00"})
    assert isinstance(parsed, CorrectDateData)
    assert parsed.occurred_at is not None
    assert parsed.occurred_at.isoformat() == "2026-07-01T08:00:00+00:00"


def test_data_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidEventData, match="refer: data: should be a mapping"):
        parse_event_data("refer", ["police"])  # type: ignore[arg-type]


def test_unknown_event_names_the_valid_ones() -> None:
    with pytest.raises(UnknownEvent, match=r"unknown event 'refer_to_police'.*raise_concern"):
        parse_event_data("refer_to_police", {})


def test_errors_are_value_errors() -> None:
    assert issubclass(InvalidEventData, StatesError)
    assert issubclass(StatesError, ValueError)


def test_no_data_means_empty() -> None:
    parsed = parse_event_data(Event.HOLD_REVIEW_CONFERENCE, None)
    assert parsed.model_dump() == {
        "outcome": "plan_continues",
        "category_of_abuse": None,
        "reason_for_closure": None,
    }


def test_strategy_discussion_allows_missing_answers_and_normalises_attendees() -> None:
    parsed = parse_event_data(
        "hold_strategy_discussion",
        {
            "attendees": ["Police", "Children's Social Care", "health"],
            "leave_home_decision": "stays",
        },
    )
    assert isinstance(parsed, StrategyDiscussion)
    assert parsed.attendees == ["police", "childrens_social_care", "health"]
    assert parsed.considerations.section_47_threshold_met is None
    assert parsed.leave_home_decision is LeaveHome.STAYS


def test_close_and_allegation_outcome_parse() -> None:
    close = parse_event_data("close", {"outcome": "no_further_action", "reason": " NFA after s47 "})
    assert isinstance(close, CloseData)
    assert close.reason == "NFA after s47"
    outcome = parse_event_data("record_allegation_outcome", {"outcome": "malicious"})
    assert outcome.model_dump() == {"outcome": AllegationOutcome.MALICIOUS}


def test_unknown_fact_is_refused() -> None:
    with pytest.raises(ValueError, match="extra"):
        CaseFacts.model_validate({"category": "other", "colour": "red"})


def test_merged_replaces_only_what_was_recorded() -> None:
    facts = CaseFacts.model_validate(
        {
            "category": "adult_indecent_images",
            "children": [{"name": "A", "age": 6}],
            "risk_factors": ["previous_history"],
        }
    )
    update = parse_event_data(
        "record_facts",
        {
            "leave_home_decision": "stays",
            "working_agreement": {
                "supervision_of_contact": "all contact supervised by mother",
                "intimate_care": "mother only",
                "entry_to_childrens_rooms": "never",
                "sleepovers": "none at home",
                "review_date": "2026-04-01",
            },
        },
    )
    assert isinstance(update, RecordFactsData)
    merged = facts.merged(update)
    assert merged.category is Category.ADULT_INDECENT_IMAGES
    assert merged.children == facts.children
    assert merged.risk_factors == [RiskFactor.PREVIOUS_HISTORY]
    assert merged.leave_home_decision is LeaveHome.STAYS
    assert merged.working_agreement is not None
    assert merged.working_agreement.review_date == date(2026, 4, 1)
    assert facts.leave_home_decision is None


def test_merged_refuses_clearing_the_category() -> None:
    facts = CaseFacts(category=Category.OTHER)
    with pytest.raises(ValueError, match="category"):
        facts.merged(RecordFactsData(category=None))


def test_refused_data_carries_each_problem_as_a_location_and_a_kind() -> None:
    raw = {
        "considerations": {"icpc_required": "perhaps"},
        "working_agreement": {"review_date": "27/04/2026"},
        "attendees": ["police", "x" * 6_000],
    }
    with pytest.raises(InvalidEventData) as err:
        parse_event_data("hold_strategy_discussion", raw)
    assert sorted(err.value.errors) == [
        (("attendees", 1), "string_too_long"),
        (("considerations", "icpc_required"), "bool_parsing"),
        (("working_agreement", "review_date"), "date_from_datetime_parsing"),
    ]
    # the message the API and the scenario runner show is unchanged
    assert str(err.value).startswith("hold_strategy_discussion: data.")
    assert "data.considerations.icpc_required: Input should be a valid boolean" in str(err.value)


def test_a_refusal_of_the_service_own_rule_carries_no_locations() -> None:
    assert InvalidEventData("record_facts: data.children: a concern names a child").errors == ()
