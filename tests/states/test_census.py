"""CIN census code lists: the codes the census accepts, each with its official label."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from states import (
    AssessmentFactor,
    CategoryOfAbuse,
    CensusCode,
    Disability,
    Ethnicity,
    PrimaryNeed,
    ReasonForClosure,
    ReferralSource,
    Sex,
)

CODE_LISTS: list[type[CensusCode]] = [
    Sex,
    Ethnicity,
    Disability,
    ReferralSource,
    PrimaryNeed,
    ReasonForClosure,
    CategoryOfAbuse,
    AssessmentFactor,
]

# The codes the CIN census of 2025 to 2026 accepts, as its validation rules list them.
CENSUS_CODES: dict[type[CensusCode], list[str]] = {
    Sex: ["F", "M", "U"],
    Ethnicity: [
        "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
        "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
    ],
    Disability: [
        "NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT",
        "DDA",
    ],
    ReferralSource: [
        "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A",
        "5B", "5C", "5D", "6", "7", "8", "9", "10",
    ],
    PrimaryNeed: ["N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9"],
    ReasonForClosure: ["RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"],
    CategoryOfAbuse: ["NEG", "PHY", "EMO", "SAB", "MUL"],
    AssessmentFactor: [
        "1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B",
        "5C", "6A", "6B", "6C", "7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A",
        "13A", "14A", "15A", "16A", "17A", "18A", "18B", "18C", "19A", "19B", "19C", "20", "21",
        "22A", "23A", "24A",
    ],
}  # fmt: skip


@pytest.mark.parametrize("code_list", CODE_LISTS, ids=lambda c: c.__name__)
def test_codes_are_those_of_the_census_in_its_order(code_list: type[CensusCode]) -> None:
    assert [member.value for member in code_list] == CENSUS_CODES[code_list]


@pytest.mark.parametrize("code_list", CODE_LISTS, ids=lambda c: c.__name__)
def test_every_code_has_a_label(code_list: type[CensusCode]) -> None:
    labels = code_list.labels()
    assert list(labels) == list(code_list)
    for member in code_list:
        assert member.label == labels[member]
        assert member.label.strip() == member.label != ""
        assert member.label.isascii()


def test_labels_of_codes_shared_between_lists_stay_apart() -> None:
    # "5A" is a referral source and an assessment factor; "NEG" is only abuse
    assert ReferralSource("5A").label.startswith("LA services - social care")
    assert AssessmentFactor("5A").label.startswith("Learning disability")


def test_official_labels() -> None:
    assert Sex.FEMALE.label == "Female"
    assert Ethnicity.WBRI.label == "White British"
    assert Ethnicity.NOBT.label == "Information not yet obtained"
    assert Disability.NONE.label == "No disability"
    assert ReferralSource.POLICE.label == "Police"
    assert PrimaryNeed.ABUSE_OR_NEGLECT.label == "Abuse or neglect"
    assert ReasonForClosure("RC9").label == "Case closed after assessment, referred to early help"
    assert CategoryOfAbuse.MULTIPLE.label == "Multiple/not recommended"
    assert AssessmentFactor.CHILD_SEXUAL_EXPLOITATION.label.startswith("Child sexual exploitation")


def test_primary_need_not_stated_is_not_recorded_at_referral() -> None:
    assert [need.value for need in PrimaryNeed if need.for_referral] == [
        f"N{n}" for n in range(1, 10)
    ]


def test_closure_after_assessment_is_rc8_and_rc9() -> None:
    assert {r.value for r in ReasonForClosure if r.after_assessment} == {"RC8", "RC9"}


def test_18a_and_19a_are_superseded() -> None:
    assert {f.value for f in AssessmentFactor if f.superseded} == {"18A", "19A"}
    assert "superseded" in AssessmentFactor("18A").label


class Referral(BaseModel):
    referral_source: ReferralSource
    primary_need: PrimaryNeed
    factors: list[AssessmentFactor] = []


def test_codes_parse_and_serialise_as_the_census_codes() -> None:
    referral = Referral.model_validate(
        {"referral_source": "10", "primary_need": "N4", "factors": ["21"]}
    )
    assert referral.referral_source is ReferralSource.UNKNOWN
    assert referral.model_dump(mode="json") == {
        "referral_source": "10",
        "primary_need": "N4",
        "factors": ["21"],
    }


def test_unknown_code_is_refused() -> None:
    with pytest.raises(ValueError, match="N10"):
        Referral.model_validate({"referral_source": "1A", "primary_need": "N10"})
