"""Child identifiers (DESIGN 2.4 and 6): the NHS number and the unique pupil number (UPN).

Both are checked when they are recorded, so that a mistyped number is refused at once with a reason
a practitioner can act on, instead of failing to match the child or being refused by the Children
in Need census months later.

NHS number: 10 digits; spaces and hyphens are allowed on input and removed (``943 476 5919`` and
``943-476-5919`` are ``9434765919``). The tenth digit is a modulus 11 check digit: the first nine
digits are weighted 10, 9, ..., 2 and summed; the check digit is 11 minus the remainder of the sum
divided by 11, where 11 gives 0 and 10 means the nine digits can never form an NHS number.

UPN (DfE "Unique Pupil Numbers" guidance; rules 1510, 1530, 1540 and 1550 of the CIN census):
13 characters, upper-cased and without spaces on input:

=========  ===================================================================================
1          the check letter
2-4        the local authority number of the school that issued it (a DfE LA code, or one of
           the DfE's pseudo-LA codes)
5-8        the establishment number
9-10       the last two digits of the year of issue
11-13      a serial number; a temporary UPN has two digits and then a letter
=========  ===================================================================================

The check letter: characters 2 to 13 are weighted 2 to 13 and summed, a letter in position 13
counting as its value in the table below; the remainder of the sum divided by 23 is the check
letter's value. The table is the alphabet without I, O and S: A=0, B=1, ..., H=7, J=8, ..., N=12,
P=13, Q=14, R=15, T=16, ..., Z=22. Those three letters are used neither as a check letter nor as
the last letter of a temporary UPN.

Nothing here echoes the identifier in a message: the messages reach logs and API answers.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from states.errors import InvalidIdentifier

__all__ = [
    "UPN_CHECK_LETTERS",
    "UPN_LA_CODES",
    "InvalidIdentifier",
    "NhsNumber",
    "Upn",
    "is_temporary_upn",
    "nhs_number_check_digit",
    "normalise_nhs_number",
    "normalise_upn",
    "upn_check_letter",
]

UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""The DfE check-letter table: the letter at index n stands for the value n (0 to 22)."""


def _codes(*spans: tuple[int, int] | int) -> frozenset[str]:
    codes: set[str] = set()
    for span in spans:
        first, last = span if isinstance(span, tuple) else (span, span)
        codes.update(f"{code:03d}" for code in range(first, last + 1))
    return frozenset(codes)


UPN_LA_CODES = _codes(
    (1, 5),
    (201, 213),
    (301, 320),
    (330, 336),
    (340, 344),
    (350, 359),
    (370, 373),
    (380, 384),
    (390, 394),
    420,
    (660, 681),
    (701, 708),
    (800, 803),
    (805, 808),
    (810, 813),
    815,
    816,
    (820, 823),
    825,
    826,
    830,
    831,
    (835, 841),
    845,
    846,
    (850, 852),
    (855, 857),
    860,
    861,
    (865, 896),
    908,
    909,
    916,
    919,
    921,
    925,
    926,
    928,
    929,
    931,
    933,
    (935, 943),
)
"""The codes allowed in characters 2-4 of a UPN: the post-April 1998 LA codes and the DfE's
pseudo-LA codes, as CIN census rule 1530 lists them from 2023-24 (with 942 and 943, the
authorities created in April 2023)."""

_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_NHS_SEPARATORS = str.maketrans("", "", " -\t\u00a0")


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The modulus 11 check digit of nine digits, or None when no NHS number starts with them."""
    if len(first_nine) != 9 or not (first_nine.isascii() and first_nine.isdigit()):
        raise ValueError("nhs_number_check_digit needs exactly nine digits")
    total = sum(int(d) * w for d, w in zip(first_nine, _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def normalise_nhs_number(text: str) -> str:
    """The NHS number as 10 digits without separators; `InvalidIdentifier` naming what is wrong."""
    digits = text.strip().translate(_NHS_SEPARATORS)
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        raise InvalidIdentifier(
            "NHS number",
            "must be 10 digits (spaces and hyphens between them are allowed)",
        )
    expected = nhs_number_check_digit(digits[:9])
    if expected is None or expected != int(digits[9]):
        raise InvalidIdentifier(
            "NHS number",
            "check digit is wrong: one of the digits has been mistyped or swapped; "
            "check the number against the child's health records",
        )
    return digits


def upn_check_letter(characters_2_to_13: str) -> str:
    """The check letter of a UPN from its last 12 characters (a letter allowed only at the end)."""
    body = characters_2_to_13
    if len(body) != 12 or not _upn_body_well_formed(body):
        raise ValueError(
            "upn_check_letter needs 11 digits followed by a digit or a letter other than I, O, S"
        )
    total = sum(_upn_value(c) * weight for weight, c in enumerate(body, start=2))
    return UPN_CHECK_LETTERS[total % 23]


def is_temporary_upn(upn: str) -> bool:
    """True for a temporary UPN (one that ends in a letter); `upn` as `normalise_upn` returns it."""
    return upn[-1:].isalpha()


def normalise_upn(text: str) -> str:
    """The UPN upper-cased without spaces; `InvalidIdentifier` naming what is wrong."""
    upn = "".join(text.split()).upper()
    if len(upn) != 13:
        raise InvalidIdentifier(
            "UPN",
            "must be 13 characters: a check letter followed by 12 characters",
        )
    first, body = upn[0], upn[1:]
    if not (body[:11].isascii() and body[:11].isdigit()):
        raise InvalidIdentifier("UPN", "characters 2 to 12 must be digits")
    if not _upn_body_well_formed(body):
        raise InvalidIdentifier(
            "UPN",
            "character 13 must be a digit, or for a temporary UPN a letter other than I, O or S",
        )
    if first not in UPN_CHECK_LETTERS or first != upn_check_letter(body):
        raise InvalidIdentifier(
            "UPN",
            "check letter is wrong: the first letter does not match the other 12 characters; "
            "check the number against the child's school records",
        )
    if body[:3] not in UPN_LA_CODES:
        raise InvalidIdentifier(
            "UPN", "characters 2 to 4 are not a local authority code the DfE recognises"
        )
    return upn


def _upn_body_well_formed(body: str) -> bool:
    last = body[-1:]
    return (
        body[:-1].isascii()
        and body[:-1].isdigit()
        and ((last.isascii() and last.isdigit()) or last in UPN_CHECK_LETTERS)
    )


def _upn_value(character: str) -> int:
    return int(character) if character.isdigit() else UPN_CHECK_LETTERS.index(character)


def _identifier_text(value: Any) -> Any:
    """Accept a number written without quotes (YAML, JSON) as its digits; leave the rest to str."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


NhsNumber = Annotated[str, BeforeValidator(_identifier_text), AfterValidator(normalise_nhs_number)]
"""An NHS number field: normalised to 10 digits, refused with the reason when the check fails."""

Upn = Annotated[str, AfterValidator(normalise_upn)]
"""A UPN field: normalised (upper case, no spaces), refused with the reason when a check fails."""
