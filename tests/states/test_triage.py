"""Triage rules of DESIGN 4.1 and 4.2, one row per rule, each citing its seed paragraph.

Seeds: 004 = 004_feb1ad46cb8c5f0d.txt, 000 = 000_bd4635a93df51187.txt,
001 = 001_db9b51dde9e973bb.txt.
"""

from __future__ import annotations

from typing import Any

import pytest

from states import CaseFacts, DeadlineKind
from states.triage import triage

IR = "immediate_referral"
POL = "refer_police"
CSC = "refer_childrens_social_care"
USD = "urgent_strategy_discussion"
LADO = "refer_to_lado"
DNI = "do_not_inform_family"
PE = "preserve_evidence"
EH = "early_help_assessment"
PREV = "prevent_referral"

YOUTH_15 = [{"name": "A", "age": 15}, {"name": "B", "age": 15}]
YOUTH_REFERRAL = [IR, POL, CSC, PE]

ROWS: list[tuple[str, dict[str, Any], list[str], list[str]]] = [
    # (seed citation, facts, required actions, deadlines started)
    (
        "004 s2.1 none of the triggers: consensual imagery between 15-year-olds",
        {"category": "youth_produced_sexual_imagery", "children": YOUTH_15, "imagery": {}},
        [EH],
        [],
    ),
    (
        "004 s2.1 trigger 1: the incident involves an adult",
        {
            "category": "youth_produced_sexual_imagery",
            "children": YOUTH_15,
            "imagery": {"involves_adult": True},
        },
        [IR, POL, CSC, DNI, PE],
        [IR],
    ),
    (
        "004 s2.1 trigger 2: coerced, blackmailed or groomed",
        {
            "category": "youth_produced_sexual_imagery",
            "children": YOUTH_15,
            "imagery": {"coercion_or_grooming": True},
        },
        YOUTH_REFERRAL,
        [IR],
    ),
    (
        "004 s2.1 trigger 2: capacity to consent (special educational needs)",
        {
            "category": "youth_produced_sexual_imagery",
            "children": [{"name": "A", "age": 15, "sen": True}],
            "imagery": {},
        },
        YOUTH_REFERRAL,
        [IR],
    ),
    (
        "004 s2.1 trigger 3: sexual acts unusual for development, or violent",
        {
            "category": "youth_produced_sexual_imagery",
            "children": YOUTH_15,
            "imagery": {"unusual_or_violent": True},
        },
        YOUTH_REFERRAL,
        [IR],
    ),
    (
        "004 s2.1 trigger 4: sexual acts and a child under 13",
        {
            "category": "youth_produced_sexual_imagery",
            "children": [{"name": "A", "age": 12}, {"name": "B", "age": 14}],
            "imagery": {"sexual_acts": True},
        },
        YOUTH_REFERRAL,
        [IR],
    ),
    (
        "004 s2.1 trigger 4 not met: sexual acts, every child 13 or over",
        {
            "category": "youth_produced_sexual_imagery",
            "children": [{"name": "A", "age": 13}],
            "imagery": {"sexual_acts": True},
        },
        [EH],
        [],
    ),
    (
        "004 s2.1 trigger 4 not met: the child under 13 is a sibling, not in the imagery",
        {
            "category": "youth_produced_sexual_imagery",
            "children": [
                {"name": "A", "age": 15, "shown_in_images": True},
                {"name": "B", "age": 9},
            ],
            "imagery": {"sexual_acts": True},
        },
        [EH],
        [],
    ),
    (
        "004 s2.1 trigger 5: immediate risk (arranged offline meeting)",
        {
            "category": "youth_produced_sexual_imagery",
            "children": YOUTH_15,
            "imagery": {"immediate_risk": True},
        },
        YOUTH_REFERRAL,
        [IR],
    ),
    (
        "004 s2.2: adult with images, no children at home or in contact: police only",
        {
            "category": "adult_indecent_images",
            "alleged_abuser": {"kind": "adult"},
        },
        [POL, DNI, PE],
        [],
    ),
    (
        "004 s2.2: adult lives with children: children's social care the same day",
        {
            "category": "adult_indecent_images",
            "alleged_abuser": {"kind": "adult", "lives_with_children": True},
        },
        [IR, POL, CSC, DNI, PE],
        [IR],
    ),
    (
        "004 s2.2: adult with unsupervised contact with children: same day",
        {
            "category": "adult_indecent_images",
            "alleged_abuser": {"kind": "adult", "unsupervised_contact_with_children": True},
        },
        [IR, POL, CSC, DNI, PE],
        [IR],
    ),
    (
        "004 s2.2 / 001: images of own children: urgent same-day strategy discussion",
        {
            "category": "adult_indecent_images",
            "children": [
                {
                    "name": "A",
                    "age": 6,
                    "lives_with_alleged_abuser": True,
                    "known_to_alleged_abuser": True,
                    "shown_in_images": True,
                }
            ],
            "alleged_abuser": {"kind": "adult", "lives_with_children": True},
        },
        [IR, POL, CSC, USD, DNI, PE],
        [IR],
    ),
    (
        "004 s2.2: position of trust: allegations procedure, LADO, and a referral to "
        "children's social care for the children met through work (no home contact)",
        {
            "category": "adult_indecent_images",
            "alleged_abuser": {"kind": "adult", "position_of_trust": True, "role": "teacher"},
        },
        [POL, CSC, LADO, DNI, PE],
        ["lado_referral"],
    ),
    (
        "004 s2.2 allegations procedure: grooming by a sports coach (position of trust)",
        {
            "category": "online_grooming",
            "alleged_abuser": {"kind": "adult", "position_of_trust": True, "role": "coach"},
        },
        [POL, CSC, LADO, DNI, PE],
        ["lado_referral"],
    ),
    (
        "000 / 004 s2.2: online grooming",
        {"category": "online_grooming", "alleged_abuser": {"kind": "adult"}},
        [POL, CSC, DNI, PE],
        [],
    ),
    (
        "004 s2.1 trigger 5: grooming with an arranged meeting",
        {"category": "online_grooming", "imagery": {"immediate_risk": True}},
        [IR, POL, CSC, PE],
        [IR],
    ),
    (
        "000: sexual communication with a child by an unknown person",
        {"category": "sexual_communication", "alleged_abuser": {"kind": "unknown"}},
        [POL, CSC, PE],
        [],
    ),
    (
        "004 s4: extremism",
        {"category": "extremism"},
        [PREV],
        [],
    ),
    (
        "004 s3: online bullying below the threshold",
        {"category": "online_bullying", "significant_harm_suspected": False},
        [EH],
        [],
    ),
    (
        "004 s3: severe online bullying",
        {"category": "online_bullying", "significant_harm_suspected": True},
        [CSC],
        [],
    ),
    (
        "000 staff conduct: a child named",
        {"category": "staff_online_conduct", "children": [{"name": "A", "age": 14}]},
        [LADO],
        ["lado_referral"],
    ),
    (
        "000 staff conduct: no child named or harmed",
        {"category": "staff_online_conduct"},
        [],
        [],
    ),
    (
        "000 commerce: financial exploitation (sextortion)",
        {"category": "financial_exploitation"},
        [POL, CSC, PE],
        [],
    ),
    (
        "004 s5: harmful websites below the threshold",
        {"category": "harmful_websites"},
        [EH],
        [],
    ),
    (
        "004 s5: harmful content with significant harm suspected",
        {"category": "exposure_to_harmful_content", "significant_harm_suspected": True},
        [CSC],
        [],
    ),
    (
        "Working Together 2023: other, significant harm suspected",
        {"category": "other", "significant_harm_suspected": True},
        [CSC],
        [],
    ),
    (
        "other below the threshold",
        {"category": "other"},
        [EH],
        [],
    ),
]


@pytest.mark.parametrize(("rule", "raw", "actions", "starts"), ROWS, ids=[row[0] for row in ROWS])
def test_triage_rule(rule: str, raw: dict[str, Any], actions: list[str], starts: list[str]) -> None:
    result = triage(CaseFacts.model_validate(raw))
    assert [a.value for a in result.required_actions] == actions, rule
    assert [k.value for k in result.starts] == starts, rule
    assert (DeadlineKind.IMMEDIATE_REFERRAL in result.same_day) == (IR in actions)
    assert result.allegations_track == (LADO in actions)
    assert result.do_not_inform_family == (DNI in actions)
    assert result.reasons, rule


def row(citation: str) -> CaseFacts:
    """The facts of the table row whose citation starts with `citation`."""
    (facts,) = [f for name, f, _, _ in ROWS if name.startswith(citation)]
    return CaseFacts.model_validate(facts)


def test_design_example_scenario_actions() -> None:
    """The output of DESIGN 6 for the adult-with-images-of-own-children scenario."""
    facts = row("004 s2.2 / 001: images of own children")
    assert set(a.value for a in triage(facts).required_actions) == {
        "immediate_referral",
        "refer_police",
        "refer_childrens_social_care",
        "urgent_strategy_discussion",
        "do_not_inform_family",
        "preserve_evidence",
    }


def test_reasons_cite_the_seed() -> None:
    facts = row("004 s2.1 trigger 4: sexual acts and a child under 13")
    result = triage(facts)
    assert any("seed 004 s2.1" in r and "under 13" in r for r in result.reasons)


def test_setting_route_reason_names_what_the_setting_does() -> None:
    reasons = " ".join(triage(row("004 s2.1 none of the triggers")).reasons)
    for words in ("designated safeguarding lead", "parents", "remove the images", "incident log"):
        assert words in reasons
