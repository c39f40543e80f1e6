"""Child identifiers (DESIGN 2.4 and 6): NHS numbers and UPNs are normalised or refused."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from states import (
    UPN_CHECK_LETTERS,
    InvalidIdentifier,
    NhsNumber,
    StatesError,
    Upn,
    is_temporary_upn,
    nhs_number_check_digit,
    normalise_nhs_number,
    normalise_upn,
    upn_check_letter,
)


class Person(BaseModel):
    nhs_number: NhsNumber | None = None
    upn: Upn | None = None


# NHS numbers


@pytest.mark.parametrize(
    "text", ["943 476 5919", "9434765919", "943-476-5919", "  943 476 5919\t", "943 4765 919"]
)
def test_nhs_number_spaces_and_hyphens_are_removed(text: str) -> None:
    assert normalise_nhs_number(text) == "9434765919"


def test_nhs_number_whose_remainder_is_zero_has_check_digit_zero() -> None:
    # 4x10 + 2x2 = 44, a multiple of 11: 11 - 0 = 11, written 0
    assert nhs_number_check_digit("400000002") == 0
    assert normalise_nhs_number("400 000 0020") == "4000000020"


def test_nhs_number_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidIdentifier, match=r"^NHS number check digit is wrong") as caught:
        normalise_nhs_number("943 476 5918")
    assert caught.value.identifier == "NHS number"
    assert "9434765918" not in str(caught.value)
    assert "943 476 5918" not in str(caught.value)


def test_nine_digits_with_remainder_ten_start_no_nhs_number() -> None:
    # 1x10 + 1x2 = 12, remainder 1: 11 - 1 = 10, so no tenth digit can be right
    assert nhs_number_check_digit("100000001") is None
    for last in "0123456789":
        with pytest.raises(InvalidIdentifier, match="check digit"):
            normalise_nhs_number("100000001" + last)


@pytest.mark.parametrize(
    "text",
    ["943 476 591", "943 476 59199", "", "943476591X", "943.476.5919", "\uff19434765919"],
)
def test_nhs_number_that_is_not_ten_digits_is_refused(text: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"^NHS number must be 10 digits"):
        normalise_nhs_number(text)


def test_invalid_identifier_is_a_states_error_and_a_value_error() -> None:
    with pytest.raises(StatesError):
        normalise_nhs_number("123")
    with pytest.raises(ValueError, match="UPN"):
        normalise_upn("123")


def test_check_digit_needs_nine_digits() -> None:
    with pytest.raises(ValueError, match="nine digits"):
        nhs_number_check_digit("94347659")


# UPNs


@pytest.mark.parametrize(
    "upn",
    [
        "B801200005001",  # python-stdnum's example
        "P207000016049",  # the published worked example B207000016049, corrected
        "X845212818005",
        "N943012345678",  # Westmorland and Furness (943, from April 2023)
    ],
)
def test_upn_with_right_check_letter_is_accepted(upn: str) -> None:
    assert normalise_upn(upn) == upn
    assert not is_temporary_upn(upn)


def test_upn_is_upper_cased_and_spaces_removed() -> None:
    assert normalise_upn(" b801 2000 0500 1 ") == "B801200005001"


@pytest.mark.parametrize(
    "upn",
    [
        "A801200005001",
        "B207000016049",  # a guide's example: its sum is 266, not 267, so P, not Q
        "Q207000016049",
        "X845212818006",
        "I801200005001",  # I, O and S are never check letters
        "1801200005001",
    ],
)
def test_upn_with_wrong_check_letter_is_refused(upn: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"^UPN check letter is wrong") as caught:
        normalise_upn(upn)
    assert upn not in str(caught.value)


def test_check_letter_of_the_worked_example() -> None:
    # 2x2 + 7x4 + 1x9 + 6x10 + 4x12 + 9x13 = 266 = 11x23 + 13, and 13 is P
    assert upn_check_letter("207000016049") == "P"


@pytest.mark.parametrize(
    ("upn", "sum_of_weights"),
    [
        ("M80120000500A", 80),  # A counts 0: 80 = 3x23 + 11, M
        ("Y20700001604Z", 435),  # Z counts 22: 435 = 18x23 + 21, Y
    ],
)
def test_temporary_upn_letter_counts_its_table_value(upn: str, sum_of_weights: int) -> None:
    assert UPN_CHECK_LETTERS[sum_of_weights % 23] == upn[0]
    assert normalise_upn(upn.lower()) == upn
    assert is_temporary_upn(upn)


def test_temporary_upn_with_wrong_check_letter_is_refused() -> None:
    with pytest.raises(InvalidIdentifier, match="check letter"):
        normalise_upn("A80120000500A")


@pytest.mark.parametrize("last", ["I", "O", "S", "-"])
def test_temporary_upn_cannot_end_in_i_o_s(last: str) -> None:
    with pytest.raises(InvalidIdentifier, match="character 13"):
        normalise_upn("M80120000500" + last)


@pytest.mark.parametrize("upn", ["B80120000500", "B8012000050011", ""])
def test_upn_that_is_not_13_characters_is_refused(upn: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"^UPN must be 13 characters"):
        normalise_upn(upn)


@pytest.mark.parametrize("upn", ["B8012000050A1", "BA01200005001", "B\uff1801200005001"])
def test_upn_characters_2_to_12_must_be_digits(upn: str) -> None:
    with pytest.raises(InvalidIdentifier, match="characters 2 to 12 must be digits"):
        normalise_upn(upn)


def test_upn_from_an_unknown_local_authority_is_refused() -> None:
    body = "000200005001"  # 000 is no LA code
    with pytest.raises(InvalidIdentifier, match="local authority code"):
        normalise_upn(upn_check_letter(body) + body)


def test_upn_check_letter_needs_twelve_characters() -> None:
    with pytest.raises(ValueError, match="11 digits"):
        upn_check_letter("80120000500")


# As model fields


def test_model_fields_are_normalised() -> None:
    person = Person(nhs_number="943 476 5919", upn="b801 2000 0500 1")
    assert person.nhs_number == "9434765919"
    assert person.upn == "B801200005001"


def test_nhs_number_written_without_quotes_is_accepted() -> None:
    assert Person.model_validate({"nhs_number": 9434765919}).nhs_number == "9434765919"


def test_model_field_refusal_names_the_field_and_the_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        Person(nhs_number="943 476 5918", upn="A801200005001")
    errors = {error["loc"]: error["msg"] for error in caught.value.errors()}
    assert "check digit" in errors[("nhs_number",)]
    assert "check letter" in errors[("upn",)]


def test_missing_identifiers_stay_missing() -> None:
    assert Person() == Person(nhs_number=None, upn=None)
