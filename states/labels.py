"""What each code of the procedures is called on screen, in emails and in exports.

One table for every contract value of the states, events, deadlines, facts, outcomes, note kinds
and required actions (`LABELS`), plus the bank-holiday regions and the user roles, written for a
practitioner who has never seen the system. The same code always has the same name everywhere:
pages (the `label` filter), emails and the downloads use `label`. The CIN census codes keep the
DfE's own wording (`states.census`, `CensusCode.label`).

`label(code)` gives the name, starting with a capital letter; `in_words(text)` rewrites the codes
inside a sentence written for the scenario runner and the API ("hold_conference needs an outcome:
child_protection_plan or no_plan") into names ("hold conference needs an outcome: child protection
plan or no plan"). A test checks that every member of every enum has its entry, so a new code
cannot reach a page as a code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from calendars import Region
from states.census import CensusCode

__all__ = ["LABELS", "in_words", "inline_label", "label"]

_REGIONS: Mapping[str, str] = {
    Region.ENGLAND_AND_WALES.value: "England and Wales",
    Region.SCOTLAND.value: "Scotland",
    Region.NORTHERN_IRELAND.value: "Northern Ireland",
}

_ROLES: Mapping[str, str] = {
    "practitioner": "Practitioner",
    "manager": "Manager",
    "lado": "LADO",
    "admin": "Administrator",
    "auditor": "Auditor",
    "performance": "Performance and data",
}

_STATES: Mapping[str, str] = {
    # CaseState
    "concern": "Concern",
    "referral": "Referral",
    "early_help": "Early help",
    "assessment": "Single assessment",
    "strategy_discussion": "Strategy discussion",
    "section_47": "Section 47 enquiry",
    "review": "Child protection plan",
    "closed": "Closed",
    # AllegationState
    "lado_referral": "Referred to the LADO",
    "investigation": "Investigation",
    "concluded": "Concluded",
    # MachineName
    "child_protection": "Child protection",
    "allegation": "Allegation (LADO)",
}

_EVENTS: Mapping[str, str] = {
    "raise_concern": "Record a concern",
    "refer": "Refer",
    "start_assessment": "Start assessment",
    "convene_strategy_discussion": "Convene strategy discussion",
    "hold_strategy_discussion": "Hold strategy discussion",
    "start_section_47": "Start Section 47 enquiry",
    "hold_conference": "Hold conference",
    "hold_core_group": "Hold core group",
    "hold_review_conference": "Hold review conference",
    "complete_assessment": "Complete assessment",
    "step_down": "Step down to early help",
    "escalate": "Escalate to a referral",
    "close": "Close",
    "record_facts": "Change the facts",
    "correct_date": "Correct the date",
    "allocate": "Allocate",
    "transfer": "Transfer",
    "authorise_assessment": "Authorise assessment",
    "return_assessment": "Return assessment",
    "add_note": "Add a note",
    "refer_to_lado": "Refer to LADO",
    "hold_lado_strategy_meeting": "Hold LADO strategy meeting",
    "record_allegation_outcome": "Record allegation outcome",
    "close_allegation": "Close allegation",
}

_DEADLINES: Mapping[str, str] = {
    "immediate_referral": "Immediate referral",
    "referral_decision": "Referral decision",
    # "strategy_discussion" is a state's name too: the same words
    "single_assessment": "Single assessment",
    "initial_child_protection_conference": "Initial child protection conference",
    "core_group": "Core group",
    "first_review_conference": "First review conference",
    "review_conference": "Review conference",
    # "lado_referral" as a deadline: the state's words read as its due step
    "lado_strategy_meeting": "LADO strategy meeting",
    "allegation_resolution": "Allegation resolution",
    "working_agreement_review": "Working agreement review",
}

_FACTS: Mapping[str, str] = {
    # Category
    "youth_produced_sexual_imagery": "Youth-produced sexual imagery",
    "adult_indecent_images": "Adult with indecent images",
    "online_grooming": "Online grooming",
    "sexual_communication": "Sexual communication with a child",
    "exposure_to_harmful_content": "Exposure to harmful content",
    "online_bullying": "Online bullying",
    "extremism": "Extremism",
    "financial_exploitation": "Financial exploitation (sextortion)",
    "harmful_websites": "Harmful websites",
    "staff_online_conduct": "Staff online conduct",
    "other": "Other",
    # RiskFactor (seed 004 s2.2)
    "previous_history": "Previous history",
    "previous_contact_abuse": "Previous contact abuse",
    "images_of_own_children": "Images of own children",
    "partner_unable_to_protect": "Partner unable to protect",
    "absence_of_cooperation": "Absence of cooperation",
    "limited_understanding_of_risk": "Limited understanding of risk",
    "known_criminal_lifestyle": "Known criminal lifestyle",
    # RequiredAction
    "refer_police": "Refer to the police",
    "refer_childrens_social_care": "Refer to children's social care",
    "urgent_strategy_discussion": "Urgent strategy discussion",
    "do_not_inform_family": "Do not inform the family",
    "preserve_evidence": "Preserve the evidence",
    "early_help_assessment": "Early help assessment",
    "prevent_referral": "Prevent referral",
    # LeaveHome
    "leaves": "Leaves the home",
    "stays": "Stays in the home",
    # AbuserKind
    "adult": "Adult",
    "child": "Child",
    "unknown": "Unknown",
    # EmploymentSector
    "education": "Education",
    "early_years": "Early years",
    "health": "Health",
    "social_care": "Social care",
    "foster_care": "Foster care",
    "police": "Police",
    "faith": "Faith",
    "sport": "Sport",
    "transport": "Transport",
    "voluntary": "Voluntary",
    # the facts' own field names, where a sentence names one
    "alleged_abuser": "Alleged abuser",
    "position_of_trust": "Position of trust",
    "risk_factors": "Risk factors",
    "leave_home_decision": "Leave-home decision",
    "working_agreement": "Working agreement",
    "significant_harm_suspected": "Significant harm suspected",
}

_OUTCOMES: Mapping[str, str] = {
    # ReferredTo and the strategy discussion's agencies
    "childrens_social_care": "Children's social care",
    # ConferenceOutcome
    "child_protection_plan": "Child protection plan",
    "no_plan": "No plan",
    # ReviewOutcome
    "plan_continues": "Plan continues",
    "plan_ended": "Plan ended",
    # CloseOutcome
    "no_further_action": "No further action",
    "child_protection_plan_ended": "Child protection plan ended",
    "transferred": "Transferred",
    "early_help_completed": "Early help completed",
    # AllegationOutcome (Keeping Children Safe in Education's definitions)
    "substantiated": "Substantiated",
    "unsubstantiated": "Unsubstantiated",
    "false": "False",
    "malicious": "Malicious",
    "unfounded": "Unfounded",
    # NoteKind
    "visit": "Visit",
    "contact": "Contact",
    "discussion": "Discussion",
    "management_oversight": "Management oversight",
    "supervision": "Supervision",
    # policy
    "actual_date": "The day it was received",
    "next_working_day": "The next working day",
    "recording_timeliness": "Recording timeliness",
}

_ANSWERS: Mapping[str, str] = {
    # what a strategy discussion must consider (DESIGN 4.3, seed 004 s2.2)
    "household_children_safety": "the safety of the children in the household",
    "image_children_safety": "the safety of the children in the images",
    "when_to_inform_alleged_abuser": "when to inform the alleged abuser",
    "criminal_investigation": "whether there will be a criminal investigation",
    "section_47_threshold_met": "whether the threshold for a Section 47 enquiry is met",
    "icpc_required": "whether an initial child protection conference is required",
    "contact_with_children_through_work": "the alleged abuser's contact with children through work",
    "employer_action": "what the employer will do",
    # the working agreement's parts
    "supervision_of_contact": "supervision of contact",
    "intimate_care": "intimate care",
    "entry_to_childrens_rooms": "entry to children's rooms",
    "sleepovers": "sleepovers",
    "review_date": "review date",
}

LABELS: Mapping[str, str] = {
    **_REGIONS,
    **_ROLES,
    **_STATES,
    **_EVENTS,
    **_DEADLINES,
    **_FACTS,
    **_OUTCOMES,
    **{k: v[:1].upper() + v[1:] for k, v in _ANSWERS.items()},
}
"""Every code's name, as it starts a line (capital first letter)."""

_CENSUS: Mapping[str, str] = {
    str(code.value): code.label for kind in CensusCode.__subclasses__() for code in kind
}

_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_KEEP_CAPITALS = re.compile(r"^(LADO|Section|England|Scotland|Northern|Ireland|Wales|Prevent)\b")


def label(code: Any) -> str:
    """The name of a code (an enum member or its value); a code outside the table reads as its
    words ("some_code" -> "Some code"), never as the code."""
    text = str(getattr(code, "value", code) or "")
    if text in LABELS:
        return LABELS[text]
    if text in _CENSUS:
        return _CENSUS[text]
    words = text.replace("_", " ")
    return words[:1].upper() + words[1:]


def inline_label(code: Any) -> str:
    """A code's name as it reads inside a sentence ("section_47" -> "Section 47 enquiry",
    "review" -> "child protection plan")."""
    code = str(getattr(code, "value", code) or "")
    if code in _ANSWERS:
        return _ANSWERS[code]
    name = label(code)
    return name if _KEEP_CAPITALS.match(name) else name[:1].lower() + name[1:]


def in_words(text: str) -> str:
    """`text` with every code in it replaced by its name, as it reads inside a sentence."""
    return _CODE.sub(lambda m: inline_label(m.group(0)), text)
