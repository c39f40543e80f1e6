"""The facts vocabulary of a case (DESIGN 6.1): what a practitioner records about the concern.

Every model refuses unknown fields (`extra="forbid"`), so a misspelt fact is an error, never a
silently dropped answer.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from states.census import Disability, Ethnicity, Sex
from states.identifiers import NhsNumber, Upn

__all__ = [
    "AbuserKind",
    "AllegedAbuser",
    "CaseFacts",
    "Category",
    "Child",
    "EmploymentSector",
    "Imagery",
    "LeaveHome",
    "LongText",
    "Name",
    "NonEmptyText",
    "RequiredAction",
    "RiskFactor",
    "WorkingAgreement",
]

TEXT_LIMIT = 5_000
"""The longest answer of a form field (a strategy discussion's answer, a reason)."""
LONG_TEXT_LIMIT = 20_000
"""The longest case note."""
NAME_LIMIT = 200
CHILDREN_LIMIT = 30
"""The most children one concern may name."""


def _printable(text: str) -> str:
    """Refuse control characters (a NUL cannot be stored by PostgreSQL); keep tabs and new
    lines."""
    for ch in text:
        if ord(ch) < 32 and ch not in "\t\n\r":
            raise ValueError("must not contain control characters")
    return text


NonEmptyText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_LIMIT),
    AfterValidator(_printable),
]
"""Free text a practitioner writes; blank is refused, and so are more than 5,000 characters."""

LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=LONG_TEXT_LIMIT),
    AfterValidator(_printable),
]
"""A case note: up to 20,000 characters."""

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_LIMIT),
    AfterValidator(_printable),
]
"""A person's name (or initials), up to 200 characters."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(StrEnum):
    """The kind of online harm (DESIGN 6.1; taxonomy of seeds 000 and 004)."""

    YOUTH_PRODUCED_SEXUAL_IMAGERY = "youth_produced_sexual_imagery"
    ADULT_INDECENT_IMAGES = "adult_indecent_images"
    ONLINE_GROOMING = "online_grooming"
    SEXUAL_COMMUNICATION = "sexual_communication"
    EXPOSURE_TO_HARMFUL_CONTENT = "exposure_to_harmful_content"
    ONLINE_BULLYING = "online_bullying"
    EXTREMISM = "extremism"
    FINANCIAL_EXPLOITATION = "financial_exploitation"
    HARMFUL_WEBSITES = "harmful_websites"
    STAFF_ONLINE_CONDUCT = "staff_online_conduct"
    OTHER = "other"


class RiskFactor(StrEnum):
    """The seven risk factors of seed 004 s2.2 (DESIGN 4.4)."""

    PREVIOUS_HISTORY = "previous_history"
    PREVIOUS_CONTACT_ABUSE = "previous_contact_abuse"
    IMAGES_OF_OWN_CHILDREN = "images_of_own_children"
    PARTNER_UNABLE_TO_PROTECT = "partner_unable_to_protect"
    ABSENCE_OF_COOPERATION = "absence_of_cooperation"
    LIMITED_UNDERSTANDING_OF_RISK = "limited_understanding_of_risk"
    KNOWN_CRIMINAL_LIFESTYLE = "known_criminal_lifestyle"


class RequiredAction(StrEnum):
    """What triage says must happen, in the contract order of DESIGN 6.1."""

    IMMEDIATE_REFERRAL = "immediate_referral"
    REFER_POLICE = "refer_police"
    REFER_CHILDRENS_SOCIAL_CARE = "refer_childrens_social_care"
    URGENT_STRATEGY_DISCUSSION = "urgent_strategy_discussion"
    REFER_TO_LADO = "refer_to_lado"
    DO_NOT_INFORM_FAMILY = "do_not_inform_family"
    PRESERVE_EVIDENCE = "preserve_evidence"
    EARLY_HELP_ASSESSMENT = "early_help_assessment"
    PREVENT_REFERRAL = "prevent_referral"


class LeaveHome(StrEnum):
    """Whether the alleged abuser leaves the home during the assessment (seed 004 s2.2)."""

    LEAVES = "leaves"
    STAYS = "stays"


class AbuserKind(StrEnum):
    ADULT = "adult"
    CHILD = "child"
    UNKNOWN = "unknown"


class Child(_Strict):
    """A child subject of the case: a person (DESIGN 2.4), with the CIN census items and what this
    case knows of their situation. `person_id` links the person record shared across cases (set
    at intake, or given to confirm a match); `age` is for when the date of birth is not known.
    The NHS number (modulus 11 check digit) and UPN (check letter) are validated
    (`states.identifiers`)."""

    name: Name
    date_of_birth: date | None = None
    expected_date_of_birth: date | None = None
    age: Annotated[int, Field(ge=0, le=25)] | None = None
    sex: Sex | None = None
    ethnicity: Ethnicity | None = None
    nhs_number: NhsNumber | None = None
    upn: Upn | None = None
    disabilities: Annotated[list[Disability], Field(max_length=len(Disability))] = Field(
        default_factory=list
    )
    person_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    sen: bool = False
    lives_with_alleged_abuser: bool = False
    known_to_alleged_abuser: bool = False
    shown_in_images: bool = False

    @model_validator(mode="after")
    def _one_birth_date(self) -> Child:
        if self.date_of_birth is not None and self.expected_date_of_birth is not None:
            raise ValueError("give a date of birth or an expected date of birth, not both")
        if Disability.NONE in self.disabilities and len(self.disabilities) > 1:
            raise ValueError("disabilities: NONE cannot be recorded with a disability")
        if len(set(self.disabilities)) != len(self.disabilities):
            raise ValueError("disabilities: each disability once")
        return self


class EmploymentSector(StrEnum):
    """Where an adult in a position of trust works or volunteers (the LADO's annual figures by
    employment sector)."""

    EDUCATION = "education"
    EARLY_YEARS = "early_years"
    HEALTH = "health"
    SOCIAL_CARE = "social_care"
    FOSTER_CARE = "foster_care"
    POLICE = "police"
    FAITH = "faith"
    SPORT = "sport"
    TRANSPORT = "transport"
    VOLUNTARY = "voluntary"
    OTHER = "other"


class AllegedAbuser(_Strict):
    """The person alleged to have caused harm, where known. A named alleged abuser is a person
    record too (DESIGN 2.4: repeated concerns about one adult are what LADOs look for)."""

    kind: AbuserKind = AbuserKind.UNKNOWN
    name: Name | None = None
    date_of_birth: date | None = None
    person_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    lives_with_children: bool = False
    unsupervised_contact_with_children: bool = False
    position_of_trust: bool = False
    role: Name | None = None
    employment_sector: EmploymentSector | None = None


class Imagery(_Strict):
    """The youth-produced imagery triggers of seed 004 s2.1 (DESIGN 4.1)."""

    involves_adult: bool = False
    coercion_or_grooming: bool = False
    capacity_to_consent_concern: bool = False
    sexual_acts: bool = False
    unusual_or_violent: bool = False
    immediate_risk: bool = False


FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2040, 12, 31)
"""The dates the working-day calendars cover."""


def _plausible_review_date(value: date) -> date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"must be a date from {FIRST_DATE.year} to {LAST_DATE.year}")
    return value


class WorkingAgreement(_Strict):
    """The written working agreement of seed 004 s2.2: how risks are managed while the alleged
    abuser stays in the home. Each matter is the short text a social worker writes down.

    Every field may be missing when parsed: an agreement without its review date is well formed
    but not yet in place, and the guards say what it lacks (`missing`)."""

    supervision_of_contact: NonEmptyText | None = None
    intimate_care: NonEmptyText | None = None
    entry_to_childrens_rooms: NonEmptyText | None = None
    sleepovers: NonEmptyText | None = None
    review_date: Annotated[date, AfterValidator(_plausible_review_date)] | None = None

    def missing(self) -> list[str]:
        """The fields the agreement still needs before it is in place, in form order."""
        return [name for name in type(self).model_fields if getattr(self, name) is None]


class CaseFacts(_Strict):
    """Everything known about a case; `category` is required, the rest defaults to unknown."""

    category: Category
    children: Annotated[list[Child], Field(max_length=CHILDREN_LIMIT)] = Field(default_factory=list)
    alleged_abuser: AllegedAbuser | None = None
    imagery: Imagery | None = None
    significant_harm_suspected: bool | None = None
    risk_factors: Annotated[list[RiskFactor], Field(max_length=len(RiskFactor))] = Field(
        default_factory=list
    )
    leave_home_decision: LeaveHome | None = None
    working_agreement: WorkingAgreement | None = None

    def merged(self, update: BaseModel) -> CaseFacts:
        """A copy with every field that `update` set replacing this one (lists are replaced whole).

        `update` is normally a `RecordFactsData`; the result is validated again, so an update that
        sets `category` to null is refused.
        """
        changes: dict[str, Any] = update.model_dump(exclude_unset=True)
        unknown = sorted(set(changes) - set(CaseFacts.model_fields))
        if unknown:
            raise ValueError(f"not facts of a case: {', '.join(unknown)}")
        base = self.model_dump()
        base.update(changes)
        return CaseFacts.model_validate(base)
