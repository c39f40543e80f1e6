"""Code lists of the Children in Need (CIN) census, each code with its official label.

The codes are those of the DfE's CIN census 2025 to 2026 specification (collection year 2026,
reporting year 1 April 2025 to 31 March 2026), which keeps the code lists of 2024 to 2025; they are
the codes that the community DfE rules validator ``csc-validator-be-cin`` (0.1.13, ruleset
``cin2025_26``) accepts: rules 4180 (sex), 4220 (ethnicity), 8540 (disability), 8866 (referral
source), 8650 (primary need), 8640 (reason for closure), 8905/8910 (category of abuse) and 8897Q
(factors identified at assessment). The labels follow the DfE code sets as the CIN XML schema
reconstruction in SocialFinanceDigitalLabs/liia-tools (``CIN_schema_2024.xsd``) reproduces them,
with typographic dashes and quotes written in ASCII.

Changes by reporting year that matter here:

- ``Sex`` (item N00783, ``F``/``M``/``U``) replaced ``GenderCurrent`` (N00065: ``1`` male,
  ``2`` female, ``0`` not recorded or unborn, ``9`` indeterminate) from 2024 to 2025. An unborn
  child is ``U`` (rule 8750).
- ``RC9`` (case closed after assessment, referred to early help) and referral source ``5D``
  (LA services - early help) exist from 2022 to 2023; before that the lists stop at ``RC8`` and
  ``5C``.
- Factors ``18A`` and ``19A`` were split into ``18B``/``18C`` and ``19B``/``19C`` (child on child,
  adult on child) from 2020 to 2021. The validator still accepts ``18A`` and ``19A`` but queries
  them from 2024 to 2025 (8945Q, 8950Q); they are kept here for older records and marked
  ``superseded``.

Every code list is a `CensusCode` (a `StrEnum`): its value is the code as it goes in the XML, and
``member.label`` is the official wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Self

__all__ = [
    "AssessmentFactor",
    "CategoryOfAbuse",
    "CensusCode",
    "Disability",
    "Ethnicity",
    "PrimaryNeed",
    "ReasonForClosure",
    "ReferralSource",
    "Sex",
]


class CensusCode(StrEnum):
    """A CIN census code: the value is the code, `label` its official wording."""

    @property
    def label(self) -> str:
        """The code's label in the DfE code set."""
        return _LABELS[type(self)][self]

    @classmethod
    def labels(cls) -> Mapping[Self, str]:
        """Every code of the list with its label, in the order of the DfE code set."""
        return MappingProxyType({member: member.label for member in cls})


class Sex(CensusCode):
    """Sex (N00783), the CIN item from 2024 to 2025; ``U`` for an unborn child (rule 8750)."""

    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class Ethnicity(CensusCode):
    """Ethnicity (N00177): the 20 DfE main codes."""

    WBRI = "WBRI"
    WIRI = "WIRI"
    WIRT = "WIRT"
    WOTH = "WOTH"
    WROM = "WROM"
    MWBC = "MWBC"
    MWBA = "MWBA"
    MWAS = "MWAS"
    MOTH = "MOTH"
    AIND = "AIND"
    APKN = "APKN"
    ABAN = "ABAN"
    AOTH = "AOTH"
    BCRB = "BCRB"
    BAFR = "BAFR"
    BOTH = "BOTH"
    CHNE = "CHNE"
    OOTH = "OOTH"
    REFU = "REFU"
    NOBT = "NOBT"


class Disability(CensusCode):
    """Disability (N00099): ``NONE`` alone, or one or more of the others (rules 8790, 8794)."""

    NONE = "NONE"
    MOBILITY = "MOB"
    HAND_FUNCTION = "HAND"
    PERSONAL_CARE = "PC"
    INCONTINENCE = "INC"
    COMMUNICATION = "COMM"
    LEARNING = "LD"
    HEARING = "HEAR"
    VISION = "VIS"
    BEHAVIOUR = "BEH"
    CONSCIOUSNESS = "CON"
    AUTISM = "AUT"
    OTHER = "DDA"


class ReferralSource(CensusCode):
    """Source of referral (N00152), required for every referral since 1 April 2013 (rule 8866)."""

    INDIVIDUAL_FAMILY = "1A"
    INDIVIDUAL_ACQUAINTANCE = "1B"
    INDIVIDUAL_SELF = "1C"
    INDIVIDUAL_OTHER = "1D"
    SCHOOLS = "2A"
    EDUCATION_SERVICES = "2B"
    HEALTH_GP = "3A"
    HEALTH_VISITOR = "3B"
    HEALTH_SCHOOL_NURSE = "3C"
    HEALTH_OTHER_PRIMARY = "3D"
    HEALTH_A_AND_E = "3E"
    HEALTH_OTHER = "3F"
    HOUSING = "4"
    LA_SOCIAL_CARE = "5A"
    LA_OTHER_INTERNAL = "5B"
    LA_EXTERNAL = "5C"
    LA_EARLY_HELP = "5D"
    POLICE = "6"
    OTHER_LEGAL_AGENCY = "7"
    OTHER = "8"
    ANONYMOUS = "9"
    UNKNOWN = "10"


class PrimaryNeed(CensusCode):
    """Primary need (N00101): required when the referral leads to further action (rule 8610).

    The validator accepts ``N0`` to ``N9`` (rule 8650). ``N0`` ("not stated") is not a need a
    practitioner records at referral: DESIGN 6.1 has `refer` take ``N1`` to ``N9``, which is what
    `for_referral` says.
    """

    NOT_STATED = "N0"
    ABUSE_OR_NEGLECT = "N1"
    CHILDS_DISABILITY = "N2"
    PARENTAL_DISABILITY_OR_ILLNESS = "N3"
    FAMILY_IN_ACUTE_STRESS = "N4"
    FAMILY_DYSFUNCTION = "N5"
    SOCIALLY_UNACCEPTABLE_BEHAVIOUR = "N6"
    LOW_INCOME = "N7"
    ABSENT_PARENTING = "N8"
    CASES_OTHER_THAN_CHILDREN_IN_NEED = "N9"

    @property
    def for_referral(self) -> bool:
        """Whether a practitioner may record this need at referral (N1 to N9)."""
        return self is not PrimaryNeed.NOT_STATED


class ReasonForClosure(CensusCode):
    """Reason for closure (N00103) of a CIN episode, with its closure date (rules 8805, 8810).

    ``RC1`` to ``RC9`` in the specification of 2025 to 2026; ``RC9`` exists from 2022 to 2023.
    ``RC8`` and ``RC9`` close a case after assessment: the episode then has an assessment (8825Q)
    and no Section 47 enquiry, ICPC, CIN plan or child protection plan (rule 2990).
    """

    ADOPTED = "RC1"
    DIED = "RC2"
    CHILD_ARRANGEMENTS_ORDER = "RC3"
    SPECIAL_GUARDIANSHIP_ORDER = "RC4"
    TRANSFERRED_TO_ANOTHER_LA = "RC5"
    TRANSFERRED_TO_ADULT_SOCIAL_CARE = "RC6"
    SERVICES_CEASED = "RC7"
    CLOSED_AFTER_ASSESSMENT_NFA = "RC8"
    CLOSED_AFTER_ASSESSMENT_EARLY_HELP = "RC9"

    @property
    def after_assessment(self) -> bool:
        """RC8 and RC9: the case was closed after its assessment."""
        return self in (
            ReasonForClosure.CLOSED_AFTER_ASSESSMENT_NFA,
            ReasonForClosure.CLOSED_AFTER_ASSESSMENT_EARLY_HELP,
        )


class CategoryOfAbuse(CensusCode):
    """Initial and latest category of abuse of a child protection plan (N00113, N00114)."""

    NEGLECT = "NEG"
    PHYSICAL_ABUSE = "PHY"
    EMOTIONAL_ABUSE = "EMO"
    SEXUAL_ABUSE = "SAB"
    MULTIPLE = "MUL"


class AssessmentFactor(CensusCode):
    """Factors identified at the end of assessment (N00181).

    ``21`` (no factors identified) is used alone (rule 8869). ``18A`` and ``19A`` are superseded
    (see the module docstring): `superseded` is true for them, and they are not offered for new
    assessments.
    """

    ALCOHOL_CHILD = "1A"
    ALCOHOL_PARENT = "1B"
    ALCOHOL_HOUSEHOLD = "1C"
    DRUGS_CHILD = "2A"
    DRUGS_PARENT = "2B"
    DRUGS_HOUSEHOLD = "2C"
    DOMESTIC_ABUSE_CHILD = "3A"
    DOMESTIC_ABUSE_PARENT = "3B"
    DOMESTIC_ABUSE_HOUSEHOLD = "3C"
    MENTAL_HEALTH_CHILD = "4A"
    MENTAL_HEALTH_PARENT = "4B"
    MENTAL_HEALTH_HOUSEHOLD = "4C"
    LEARNING_DISABILITY_CHILD = "5A"
    LEARNING_DISABILITY_PARENT = "5B"
    LEARNING_DISABILITY_HOUSEHOLD = "5C"
    PHYSICAL_DISABILITY_CHILD = "6A"
    PHYSICAL_DISABILITY_PARENT = "6B"
    PHYSICAL_DISABILITY_HOUSEHOLD = "6C"
    YOUNG_CARER = "7A"
    PRIVATELY_FOSTERED_OVERSEAS_RETURNING = "8B"
    PRIVATELY_FOSTERED_OVERSEAS_STAYING = "8C"
    PRIVATELY_FOSTERED_EDUCATIONAL_PLACEMENT = "8D"
    PRIVATELY_FOSTERED_ALTERNATIVE_FAMILY = "8E"
    PRIVATELY_FOSTERED_OTHER = "8F"
    UNACCOMPANIED_ASYLUM_SEEKING = "9A"
    MISSING = "10A"
    CHILD_SEXUAL_EXPLOITATION = "11A"
    TRAFFICKING = "12A"
    GANGS = "13A"
    SOCIALLY_UNACCEPTABLE_BEHAVIOUR = "14A"
    SELF_HARM = "15A"
    NEGLECT = "16A"
    EMOTIONAL_ABUSE = "17A"
    PHYSICAL_ABUSE = "18A"
    PHYSICAL_ABUSE_CHILD_ON_CHILD = "18B"
    PHYSICAL_ABUSE_ADULT_ON_CHILD = "18C"
    SEXUAL_ABUSE = "19A"
    SEXUAL_ABUSE_CHILD_ON_CHILD = "19B"
    SEXUAL_ABUSE_ADULT_ON_CHILD = "19C"
    OTHER = "20"
    NO_FACTORS_IDENTIFIED = "21"
    FEMALE_GENITAL_MUTILATION = "22A"
    ABUSE_LINKED_TO_FAITH_OR_BELIEF = "23A"
    CHILD_CRIMINAL_EXPLOITATION = "24A"

    @property
    def superseded(self) -> bool:
        """18A and 19A: replaced by 18B/18C and 19B/19C; the validator queries them."""
        return self in (AssessmentFactor.PHYSICAL_ABUSE, AssessmentFactor.SEXUAL_ABUSE)


_PF = "Privately fostered: concerns that services may be required or the child may be at risk as a "
_ABUSE = (
    "concerns that services may be required or the child may be suffering or likely to suffer "
    "significant harm due to abuse or neglect"
)

_LABELS: Mapping[type[CensusCode], Mapping[CensusCode, str]] = {
    Sex: {
        Sex.FEMALE: "Female",
        Sex.MALE: "Male",
        Sex.UNKNOWN: "Unknown",
    },
    Ethnicity: {
        Ethnicity.WBRI: "White British",
        Ethnicity.WIRI: "White Irish",
        Ethnicity.WIRT: "Traveller of Irish heritage",
        Ethnicity.WOTH: "Any other White background",
        Ethnicity.WROM: "Gypsy/Roma",
        Ethnicity.MWBC: "White and Black Caribbean",
        Ethnicity.MWBA: "White and Black African",
        Ethnicity.MWAS: "White and Asian",
        Ethnicity.MOTH: "Any other mixed background",
        Ethnicity.AIND: "Indian",
        Ethnicity.APKN: "Pakistani",
        Ethnicity.ABAN: "Bangladeshi",
        Ethnicity.AOTH: "Any other Asian background",
        Ethnicity.BCRB: "Caribbean",
        Ethnicity.BAFR: "African",
        Ethnicity.BOTH: "Any other Black background",
        Ethnicity.CHNE: "Chinese",
        Ethnicity.OOTH: "Any other ethnic group",
        Ethnicity.REFU: "Refused",
        Ethnicity.NOBT: "Information not yet obtained",
    },
    Disability: {
        Disability.NONE: "No disability",
        Disability.MOBILITY: "Mobility",
        Disability.HAND_FUNCTION: "Hand function",
        Disability.PERSONAL_CARE: "Personal care",
        Disability.INCONTINENCE: "Incontinence",
        Disability.COMMUNICATION: "Communication",
        Disability.LEARNING: "Learning",
        Disability.HEARING: "Hearing",
        Disability.VISION: "Vision",
        Disability.BEHAVIOUR: "Behaviour",
        Disability.CONSCIOUSNESS: "Consciousness",
        Disability.AUTISM: "Autism",
        Disability.OTHER: "Other",
    },
    ReferralSource: {
        ReferralSource.INDIVIDUAL_FAMILY: "Individual - family member, relative or carer",
        ReferralSource.INDIVIDUAL_ACQUAINTANCE: (
            "Individual - acquaintance (including neighbours and child minders)"
        ),
        ReferralSource.INDIVIDUAL_SELF: "Individual - self",
        ReferralSource.INDIVIDUAL_OTHER: "Individual - other (including strangers)",
        ReferralSource.SCHOOLS: "Schools",
        ReferralSource.EDUCATION_SERVICES: "Education services",
        ReferralSource.HEALTH_GP: "Health services - general practitioner (GP)",
        ReferralSource.HEALTH_VISITOR: "Health services - health visitor",
        ReferralSource.HEALTH_SCHOOL_NURSE: "Health services - school nurse",
        ReferralSource.HEALTH_OTHER_PRIMARY: "Health services - other primary health services",
        ReferralSource.HEALTH_A_AND_E: (
            "Health services - A&E (accident and emergency department)"
        ),
        ReferralSource.HEALTH_OTHER: "Health services - other (for example hospice)",
        ReferralSource.HOUSING: "Housing - local authority housing or housing association",
        ReferralSource.LA_SOCIAL_CARE: (
            "LA services - social care, for example adults social care services"
        ),
        ReferralSource.LA_OTHER_INTERNAL: (
            "LA services - other internal (department other than social care in local "
            "authorities, for example youth offending (excluding housing))"
        ),
        ReferralSource.LA_EXTERNAL: (
            "LA services - external, for example from another local authority's adults social "
            "care services"
        ),
        ReferralSource.LA_EARLY_HELP: "LA services - early help",
        ReferralSource.POLICE: "Police",
        ReferralSource.OTHER_LEGAL_AGENCY: (
            "Other legal agency - including courts, probation, immigration, CAFCASS (Children "
            "and Family Court Advisory and Support Service) or prison"
        ),
        ReferralSource.OTHER: (
            "Other - including children's centres, independent agency providers or voluntary "
            "organisations"
        ),
        ReferralSource.ANONYMOUS: "Anonymous",
        ReferralSource.UNKNOWN: "Unknown",
    },
    PrimaryNeed: {
        PrimaryNeed.NOT_STATED: "Not stated",
        PrimaryNeed.ABUSE_OR_NEGLECT: "Abuse or neglect",
        PrimaryNeed.CHILDS_DISABILITY: "Child's disability",
        PrimaryNeed.PARENTAL_DISABILITY_OR_ILLNESS: "Parental disability or illness",
        PrimaryNeed.FAMILY_IN_ACUTE_STRESS: "Family in acute stress",
        PrimaryNeed.FAMILY_DYSFUNCTION: "Family dysfunction",
        PrimaryNeed.SOCIALLY_UNACCEPTABLE_BEHAVIOUR: "Socially unacceptable behaviour",
        PrimaryNeed.LOW_INCOME: "Low income",
        PrimaryNeed.ABSENT_PARENTING: "Absent parenting",
        PrimaryNeed.CASES_OTHER_THAN_CHILDREN_IN_NEED: "Cases other than children in need",
    },
    ReasonForClosure: {
        ReasonForClosure.ADOPTED: "Adopted",
        ReasonForClosure.DIED: "Died",
        ReasonForClosure.CHILD_ARRANGEMENTS_ORDER: "Child arrangements order",
        ReasonForClosure.SPECIAL_GUARDIANSHIP_ORDER: "Special guardianship order",
        ReasonForClosure.TRANSFERRED_TO_ANOTHER_LA: (
            "Transferred to services of another local authority"
        ),
        ReasonForClosure.TRANSFERRED_TO_ADULT_SOCIAL_CARE: (
            "Transferred to adult social care services"
        ),
        ReasonForClosure.SERVICES_CEASED: (
            "Services ceased for any other reason, including child no longer in need"
        ),
        ReasonForClosure.CLOSED_AFTER_ASSESSMENT_NFA: (
            "Case closed after assessment, no further action"
        ),
        ReasonForClosure.CLOSED_AFTER_ASSESSMENT_EARLY_HELP: (
            "Case closed after assessment, referred to early help"
        ),
    },
    CategoryOfAbuse: {
        CategoryOfAbuse.NEGLECT: "Neglect",
        CategoryOfAbuse.PHYSICAL_ABUSE: "Physical abuse",
        CategoryOfAbuse.EMOTIONAL_ABUSE: "Emotional abuse",
        CategoryOfAbuse.SEXUAL_ABUSE: "Sexual abuse",
        CategoryOfAbuse.MULTIPLE: "Multiple/not recommended",
    },
    AssessmentFactor: {
        AssessmentFactor.ALCOHOL_CHILD: (
            "Alcohol misuse: concerns about alcohol misuse by the child"
        ),
        AssessmentFactor.ALCOHOL_PARENT: (
            "Alcohol misuse: concerns about alcohol misuse by the parent(s)/carer(s)"
        ),
        AssessmentFactor.ALCOHOL_HOUSEHOLD: (
            "Alcohol misuse: concerns about alcohol misuse by another person living in the "
            "household"
        ),
        AssessmentFactor.DRUGS_CHILD: "Drug misuse: concerns about drug misuse by the child",
        AssessmentFactor.DRUGS_PARENT: (
            "Drug misuse: concerns about drug misuse by the parent(s)/carer(s)"
        ),
        AssessmentFactor.DRUGS_HOUSEHOLD: (
            "Drug misuse: concerns about drug misuse by another person living in the household"
        ),
        AssessmentFactor.DOMESTIC_ABUSE_CHILD: (
            "Domestic violence: concerns about the child being the subject of domestic violence"
        ),
        AssessmentFactor.DOMESTIC_ABUSE_PARENT: (
            "Domestic violence: concerns about the child's parent(s)/carer(s) being the subject "
            "of domestic violence"
        ),
        AssessmentFactor.DOMESTIC_ABUSE_HOUSEHOLD: (
            "Domestic violence: concerns about another person living in the household being the "
            "subject of domestic violence"
        ),
        AssessmentFactor.MENTAL_HEALTH_CHILD: (
            "Mental health: concerns about the mental health of the child"
        ),
        AssessmentFactor.MENTAL_HEALTH_PARENT: (
            "Mental health: concerns about the mental health of the parent(s)/carer(s)"
        ),
        AssessmentFactor.MENTAL_HEALTH_HOUSEHOLD: (
            "Mental health: concerns about the mental health of another person in the "
            "family/household"
        ),
        AssessmentFactor.LEARNING_DISABILITY_CHILD: (
            "Learning disability: concerns about the child's learning disability"
        ),
        AssessmentFactor.LEARNING_DISABILITY_PARENT: (
            "Learning disability: concerns about the parent(s)/carer(s) learning disability"
        ),
        AssessmentFactor.LEARNING_DISABILITY_HOUSEHOLD: (
            "Learning disability: concerns about another person in the family/household's "
            "learning disability"
        ),
        AssessmentFactor.PHYSICAL_DISABILITY_CHILD: (
            "Physical disability or illness: concerns about a physical disability or illness of "
            "the child"
        ),
        AssessmentFactor.PHYSICAL_DISABILITY_PARENT: (
            "Physical disability or illness: concerns about a physical disability or illness of "
            "the parent(s)/carer(s)"
        ),
        AssessmentFactor.PHYSICAL_DISABILITY_HOUSEHOLD: (
            "Physical disability or illness: concerns about a physical disability or illness of "
            "another person in the family/household"
        ),
        AssessmentFactor.YOUNG_CARER: (
            "Young carer: concerns that services may be required or the child's health or "
            "development may be impaired due to their caring responsibilities"
        ),
        AssessmentFactor.PRIVATELY_FOSTERED_OVERSEAS_RETURNING: (
            _PF + "privately fostered child - overseas children who intend to return"
        ),
        AssessmentFactor.PRIVATELY_FOSTERED_OVERSEAS_STAYING: (
            _PF + "privately fostered child - overseas children who intend to stay"
        ),
        AssessmentFactor.PRIVATELY_FOSTERED_EDUCATIONAL_PLACEMENT: (
            _PF + "privately fostered child - UK children in educational placements"
        ),
        AssessmentFactor.PRIVATELY_FOSTERED_ALTERNATIVE_FAMILY: (
            _PF + "privately fostered child - UK children making alternative family arrangements"
        ),
        AssessmentFactor.PRIVATELY_FOSTERED_OTHER: _PF + "privately fostered child - other",
        AssessmentFactor.UNACCOMPANIED_ASYLUM_SEEKING: (
            "UASC: concerns that services may be required or the child may be at risk of harm "
            "as an unaccompanied asylum-seeking child"
        ),
        AssessmentFactor.MISSING: (
            "Missing: concerns that services may be required or the child may be at risk of "
            "harm due to going/being missing"
        ),
        AssessmentFactor.CHILD_SEXUAL_EXPLOITATION: (
            "Child sexual exploitation: concerns that services may be required or the child may "
            "be at risk of harm due to child sexual exploitation"
        ),
        AssessmentFactor.TRAFFICKING: (
            "Trafficking: concerns that services may be required or the child may be at risk of "
            "harm due to trafficking"
        ),
        AssessmentFactor.GANGS: (
            "Gangs: concerns that services may be required or the child may be at risk of harm "
            "because of involvement in/with gangs"
        ),
        AssessmentFactor.SOCIALLY_UNACCEPTABLE_BEHAVIOUR: (
            "Socially unacceptable behaviour: concerns that services may be required or the "
            "child may be at risk due to their socially unacceptable behaviour"
        ),
        AssessmentFactor.SELF_HARM: (
            "Self-harm: concerns that services may be required or due to suspected/actual "
            "self-harming child may be at risk of harm"
        ),
        AssessmentFactor.NEGLECT: f"Abuse or neglect - 'NEGLECT': {_ABUSE}",
        AssessmentFactor.EMOTIONAL_ABUSE: f"Abuse or neglect - 'EMOTIONAL ABUSE': {_ABUSE}",
        AssessmentFactor.PHYSICAL_ABUSE: (
            f"Abuse or neglect - 'PHYSICAL ABUSE': {_ABUSE} (superseded by 18B and 18C)"
        ),
        AssessmentFactor.PHYSICAL_ABUSE_CHILD_ON_CHILD: (
            f"Abuse or neglect - 'PHYSICAL ABUSE' (child on child): {_ABUSE} by another child"
        ),
        AssessmentFactor.PHYSICAL_ABUSE_ADULT_ON_CHILD: (
            f"Abuse or neglect - 'PHYSICAL ABUSE' (adult on child): {_ABUSE} by an adult"
        ),
        AssessmentFactor.SEXUAL_ABUSE: (
            f"Abuse or neglect - 'SEXUAL ABUSE': {_ABUSE} (superseded by 19B and 19C)"
        ),
        AssessmentFactor.SEXUAL_ABUSE_CHILD_ON_CHILD: (
            f"Abuse or neglect - 'SEXUAL ABUSE' (child on child): {_ABUSE} by another child"
        ),
        AssessmentFactor.SEXUAL_ABUSE_ADULT_ON_CHILD: (
            f"Abuse or neglect - 'SEXUAL ABUSE' (adult on child): {_ABUSE} by an adult"
        ),
        AssessmentFactor.OTHER: "Other",
        AssessmentFactor.NO_FACTORS_IDENTIFIED: (
            "No factors identified - only use this if there is no evidence of any of the "
            "factors above and no further action is being taken"
        ),
        AssessmentFactor.FEMALE_GENITAL_MUTILATION: (
            "Female genital mutilation (FGM) - concerns that services may be required or the "
            "child may be at risk due to female genital mutilation"
        ),
        AssessmentFactor.ABUSE_LINKED_TO_FAITH_OR_BELIEF: (
            "Abuse linked to faith or belief - concerns that services may be required or the "
            "child may be at risk due to abuse linked to faith or belief"
        ),
        AssessmentFactor.CHILD_CRIMINAL_EXPLOITATION: (
            "Child criminal exploitation: concerns that services may be required or the child "
            "may be at risk of harm due to child criminal exploitation"
        ),
    },
}
