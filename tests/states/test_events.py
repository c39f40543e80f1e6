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
        ("refer", {}, "refer: data.referred_to: Field required"),
        ("refer", {"referred_to": []}, "data.referred_to: List should have at least 1 item"),
        ("refer", {"referred_to": ["fire_service"]}, "data.referred_to.0: Input should be"),
        ("convene_strategy_discussion", {"urgnet": True}, "data.urgnet: Extra inputs"),
        ("hold_conference", {"outcome": "maybe"}, "data.outcome: Input should be"),
        ("close", {"outcome": "other"}, "close: data.reason: Field required"),
        ("close", {"outcome": "other", "reason": "   "}, "data.reason: String should have"),
        ("record_allegation_outcome", {"outcome": "proven"}, "data.outcome: Input should be"),
        ("complete_assessment", {"factors": ["not a code"]}, "data.factors.0: String should"),
        ("start_section_47", {"x": 1}, "start_section_47: data.x: Extra inputs"),
        (
            "record_facts",
            {"working_agreement": {"supervision_of_contact": "supervised"}},
            "data.working_agreement.intimate_care: Field required",
        ),
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
    assert parsed.model_dump() == {"outcome": "plan_continues"}


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
