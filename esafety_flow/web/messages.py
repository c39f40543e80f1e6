"""The error messages of the page forms: what a practitioner reads beside a field, and in the
error summary, when an answer is missing or cannot be used.

This module is the content table, reviewed as content (GOV.UK style: "Enter ...", "Select ...",
short sentences, the field named as the page names it, never an internal code or a library's
text). `MESSAGES` holds, for each form (an event's name, `raise_concern` for the new-concern form,
`record_facts` for the facts pages), each field's message for each kind of problem (`Problem`).
The kind comes from the checks of the page itself, or from pydantic's error `type` of a
`states.InvalidEventData` (`problem_of`). A field or problem with no entry gets a plain sentence
built from the field's label (`fallback`), never the library's wording; a test asserts that every
field of every form has the entries its kind of field needs (`PROBLEMS_OF_KIND`).

The pages of who does the work (allocate, transfer, return an assessment, a note, reassign) file
theirs under their own form names. Placeholders: `{n}` the child's number on the form,
`{limit}` the longest text a field holds, `{missing}` the missing parts of a date ("day
and a month"), `{reason}` the reason an identifier's check gives.

The JSON API keeps its own 422 bodies (programs read them); nothing here is used there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from states.facts import FIRST_DATE, LAST_DATE, NAME_LIMIT, TEXT_LIMIT

__all__ = [
    "ADDRESS_VALUES",
    "MESSAGES",
    "PROBLEMS_OF_KIND",
    "Problem",
    "address_problem",
    "fallback",
    "message",
    "problem_of",
]


class Problem(StrEnum):
    """What is wrong with an answer."""

    MISSING = "missing"
    """Nothing given where an answer is needed."""
    INVALID = "invalid"
    """Not one of the choices, or not in a form the service can read."""
    TOO_LONG = "too_long"
    """More text (or more items) than the field holds."""
    OUT_OF_RANGE = "out_of_range"
    """A number or date outside what the field allows."""
    NOT_A_REAL_DATE = "not_a_real_date"
    """A date that does not exist (31 2 2026) or is not made of numbers."""
    INCOMPLETE_DATE = "incomplete_date"
    """A date with some of its day, month and year missing (`{missing}` names them)."""
    SHORT_YEAR = "short_year"
    """A year without its 4 numbers."""
    CONFLICT = "conflict"
    """Answers that contradict each other."""


_KINDS: Mapping[str, Problem] = {
    "missing": Problem.MISSING,
    "string_too_short": Problem.MISSING,  # blank once spaces are stripped
    "too_short": Problem.MISSING,
    "string_too_long": Problem.TOO_LONG,
    "too_long": Problem.TOO_LONG,
    "greater_than": Problem.OUT_OF_RANGE,
    "greater_than_equal": Problem.OUT_OF_RANGE,
    "less_than": Problem.OUT_OF_RANGE,
    "less_than_equal": Problem.OUT_OF_RANGE,
    "date_from_datetime_parsing": Problem.NOT_A_REAL_DATE,
    "date_from_datetime_inexact": Problem.NOT_A_REAL_DATE,
    "date_parsing": Problem.NOT_A_REAL_DATE,
    "date_type": Problem.NOT_A_REAL_DATE,
    "datetime_parsing": Problem.NOT_A_REAL_DATE,
    "datetime_from_date_parsing": Problem.NOT_A_REAL_DATE,
    "datetime_type": Problem.NOT_A_REAL_DATE,
}


def problem_of(error_type: str, field_kind: str = "") -> Problem:
    """The kind of problem of a pydantic error `type` on a field of kind `field_kind` (a
    `forms.FieldSpec` kind). A date's own check (`value_error`) is its range; anything else
    that cannot be read is `INVALID`."""
    if error_type == "value_error" and field_kind == "date":
        return Problem.OUT_OF_RANGE
    return _KINDS.get(error_type, Problem.INVALID)


PROBLEMS_OF_KIND: Mapping[str, frozenset[Problem]] = {
    "text": frozenset({Problem.TOO_LONG}),
    "textarea": frozenset({Problem.TOO_LONG}),
    "yesno": frozenset({Problem.INVALID}),
    "radios": frozenset({Problem.INVALID}),
    "select": frozenset({Problem.INVALID}),
    "checkboxes": frozenset({Problem.INVALID}),
    "codes": frozenset({Problem.INVALID, Problem.TOO_LONG}),
    "number": frozenset({Problem.INVALID}),
    "date": frozenset(
        {
            Problem.NOT_A_REAL_DATE,
            Problem.INCOMPLETE_DATE,
            Problem.SHORT_YEAR,
            Problem.OUT_OF_RANGE,
        }
    ),
    "identifier": frozenset({Problem.INVALID}),
}
"""The problems each kind of field can have, and so needs a message for; a field that must be
answered (or is part of a group answered together) needs `Problem.MISSING` too."""

_TEXT = f"{TEXT_LIMIT:,} characters or fewer"
_NAME = f"{NAME_LIMIT:,} characters or fewer"
_YEARS = f"between {FIRST_DATE.year} and {LAST_DATE.year}"

_P = Problem
FieldMessages = Mapping[Problem, str]

_LEAVE_HOME: Mapping[str, FieldMessages] = {
    "leave_home_decision": {
        _P.MISSING: "Select whether the alleged abuser will leave the home during the assessment",
        _P.INVALID: "Select whether the alleged abuser will leave the home or stay",
    },
}

_WORKING_AGREEMENT: Mapping[str, FieldMessages] = {
    "working_agreement.supervision_of_contact": {
        _P.MISSING: "Enter how contact will be supervised under the working agreement",
        _P.TOO_LONG: f"Supervision of contact must be {_TEXT}",
    },
    "working_agreement.intimate_care": {
        _P.MISSING: "Enter what the working agreement says about intimate care",
        _P.TOO_LONG: f"Intimate care must be {_TEXT}",
    },
    "working_agreement.entry_to_childrens_rooms": {
        _P.MISSING: "Enter what the working agreement says about entry to children's rooms",
        _P.TOO_LONG: f"Entry to children's rooms must be {_TEXT}",
    },
    "working_agreement.sleepovers": {
        _P.MISSING: "Enter what the working agreement says about sleepovers",
        _P.TOO_LONG: f"Sleepovers must be {_TEXT}",
    },
    "working_agreement.review_date": {
        _P.MISSING: "Enter the review date of the working agreement",
        _P.NOT_A_REAL_DATE: "Review date must be a real date",
        _P.INCOMPLETE_DATE: "Review date must include a {missing}",
        _P.SHORT_YEAR: "The year of the review date must include 4 numbers, for example 2026",
        _P.OUT_OF_RANGE: f"Review date must be {_YEARS}",
    },
}

_FACTS: Mapping[str, FieldMessages] = {
    "category": {
        _P.MISSING: "Select the kind of online harm",
        _P.INVALID: "Select the kind of online harm from the list",
    },
    "significant_harm_suspected": {
        _P.MISSING: "Select whether significant harm is suspected",
        _P.INVALID: "Select yes if significant harm is suspected, or no",
    },
    "risk_factors": {_P.INVALID: "Select the risk factors from the list"},
    "imagery": {_P.INVALID: "Select what applies to the imagery from the list"},
}

MESSAGES: Mapping[str, Mapping[str, FieldMessages]] = {
    "refer": {
        "referred_to": {
            _P.MISSING: "Select who the referral went to: the police, children's social care or "
            "both",
            _P.INVALID: "Select who the referral went to from the list",
        },
        "referral_source": {_P.INVALID: "Select who made the referral from the list"},
        "primary_need": {_P.INVALID: "Select the child's primary need from the list (N1 to N9)"},
    },
    "convene_strategy_discussion": {
        "urgent": {_P.INVALID: "Select yes if the strategy discussion is urgent (same day), or no"},
    },
    "hold_strategy_discussion": {
        "attendees": {
            _P.MISSING: "Select who attended the strategy discussion",
            _P.INVALID: "Select who attended the strategy discussion from the list",
        },
        "considerations.household_children_safety": {
            _P.MISSING: "Enter what was decided about the safety of the children in the "
            "household and wider network",
            _P.TOO_LONG: f"The safety of the children in the household must be {_TEXT}",
        },
        "considerations.image_children_safety": {
            _P.MISSING: "Enter what was decided about the safety of the children shown in the "
            "images",
            _P.TOO_LONG: f"The safety of the children shown in the images must be {_TEXT}",
        },
        "considerations.when_to_inform_alleged_abuser": {
            _P.MISSING: "Enter when the alleged abuser and their partner will be told",
            _P.TOO_LONG: f"When the alleged abuser will be told must be {_TEXT}",
        },
        "considerations.criminal_investigation": {
            _P.MISSING: "Select whether the police will run a criminal investigation",
            _P.INVALID: "Select yes if the police will run a criminal investigation, or no",
        },
        "considerations.section_47_threshold_met": {
            _P.MISSING: "Select whether the Section 47 threshold is met",
            _P.INVALID: "Select yes if the Section 47 threshold is met, or no",
        },
        "considerations.contact_with_children_through_work": {
            _P.MISSING: "Enter the alleged abuser's contact with children through work or "
            "volunteering",
            _P.TOO_LONG: f"Contact with children through work must be {_TEXT}",
        },
        "considerations.employer_action": {
            _P.MISSING: "Enter what the employer will do",
            _P.TOO_LONG: f"Action by the employer must be {_TEXT}",
        },
        "considerations.icpc_required": {
            _P.MISSING: "Select whether an initial child protection conference is required",
            _P.INVALID: "Select yes if an initial child protection conference is required, or no",
        },
        **_LEAVE_HOME,
        **_WORKING_AGREEMENT,
    },
    "hold_conference": {
        "outcome": {
            _P.MISSING: "Select the outcome of the conference",
            _P.INVALID: "Select the outcome of the conference from the list",
        },
        "category_of_abuse": {_P.INVALID: "Select the category of abuse from the list"},
    },
    "hold_review_conference": {
        "outcome": {_P.INVALID: "Select whether the plan continues or has ended"},
    },
    "complete_assessment": {
        "factors": {
            _P.INVALID: "Enter the factors as children in need census codes, for example 4A, 21",
            _P.TOO_LONG: "Enter each factor once",
        },
    },
    "close": {
        "outcome": {
            _P.MISSING: "Select the outcome of the case",
            _P.INVALID: "Select the outcome of the case from the list",
        },
        "reason": {
            _P.MISSING: "Enter the reason for closing the case",
            _P.TOO_LONG: f"The reason must be {_TEXT}",
        },
        "reason_for_closure": {_P.INVALID: "Select the reason for closure from the list"},
    },
    "record_facts": {
        **_FACTS,
        **_LEAVE_HOME,
        **_WORKING_AGREEMENT,
        # the facts page's own date input of the working agreement
        "review_date": _WORKING_AGREEMENT["working_agreement.review_date"],
        "alleged_abuser.kind": {
            _P.MISSING: "Select whether the alleged abuser is an adult or a child, or not known",
            _P.INVALID: "Select whether the alleged abuser is an adult or a child from the list",
        },
        "alleged_abuser.flags": {_P.INVALID: "Select what applies to the alleged abuser"},
        "alleged_abuser.role": {_P.TOO_LONG: f"Their role must be {_NAME}"},
        "alleged_abuser.employment_sector": {
            _P.INVALID: "Select where they work or volunteer from the list"
        },
        "child.flags": {_P.INVALID: "Select what applies to child {n} from the list"},
    },
    "hold_lado_strategy_meeting": {
        "attendees": {_P.INVALID: "Select who attended the meeting from the list"},
        "contact_with_children_through_work": {
            _P.TOO_LONG: f"Contact with children through work must be {_TEXT}"
        },
        "employer_action": {_P.TOO_LONG: f"Action by the employer must be {_TEXT}"},
        "decisions": {_P.TOO_LONG: f"What was decided must be {_TEXT}"},
    },
    "record_allegation_outcome": {
        "outcome": {
            _P.MISSING: "Select the outcome of the allegation",
            _P.INVALID: "Select the outcome of the allegation from the list",
        },
    },
    # the pages of who does the work (`work_pages.WORK_FORMS`); `{limit}` the longest text
    "allocate": {
        "owner": {
            _P.MISSING: "Select who the case is allocated to",
            _P.INVALID: "Select one of the workers listed: they are the ones who can work this "
            "case",
        },
    },
    "transfer": {
        "team": {
            _P.MISSING: "Select the team the case is transferred to",
            _P.INVALID: "Select one of the teams listed",
        },
        "reason": {
            _P.MISSING: "Enter why the case is transferred",
            _P.TOO_LONG: "The reason must be {limit:,} characters or fewer",
        },
    },
    "return_assessment": {
        "reason": {
            _P.MISSING: "Enter why the assessment is returned to the worker",
            _P.TOO_LONG: "The reason must be {limit:,} characters or fewer",
        },
    },
    "add_note": {
        "kind": {
            _P.MISSING: "Select what kind of note this is",
            _P.INVALID: "Select one of the kinds of note listed",
            _P.CONFLICT: "Management oversight is recorded by a manager of the case's team: "
            "select another kind",
        },
        "text": {
            _P.MISSING: "Enter the note",
            _P.TOO_LONG: "The note must be {limit:,} characters or fewer",
            _P.CONFLICT: "The amendment is the same as the note it amends: change what needs "
            "correcting",
        },
    },
    "case_managers": {"managers": {_P.INVALID: "Select from the managers listed"}},
    "reassign": {
        "from": {
            _P.MISSING: "Select whose cases you are reassigning",
            _P.INVALID: "Select one of the people listed",
        },
        "to": {
            _P.MISSING: "Select who will take the cases over",
            _P.INVALID: "Select one of the workers listed",
            _P.CONFLICT: "Select someone other than the person whose cases these are",
        },
        "case": {
            _P.MISSING: "Select at least one case to reassign",
            _P.INVALID: "Select the cases to reassign from the list",
        },
    },
    "raise_concern": {
        **_FACTS,
        "child.name": {
            _P.MISSING: "Enter the name (or initials) of child {n}",
            _P.TOO_LONG: f"The name of child {{n}} must be {_NAME}",
        },
        "child.dob": {
            _P.NOT_A_REAL_DATE: "The date of birth of child {n} must be a real date",
            _P.INCOMPLETE_DATE: "The date of birth of child {n} must include a {missing}",
            _P.SHORT_YEAR: "The year of the date of birth of child {n} must include 4 numbers, "
            "for example 2014",
            _P.OUT_OF_RANGE: "The date of birth of child {n} must be today or in the past: for a "
            "child not yet born, give the expected date of birth",
        },
        "child.edd": {
            _P.NOT_A_REAL_DATE: "The expected date of birth of child {n} must be a real date",
            _P.INCOMPLETE_DATE: "The expected date of birth of child {n} must include a {missing}",
            _P.SHORT_YEAR: "The year of the expected date of birth of child {n} must include 4 "
            "numbers, for example 2026",
            _P.OUT_OF_RANGE: f"The expected date of birth of child {{n}} must be {_YEARS}",
            _P.CONFLICT: "Enter the date of birth of child {n} or, for a child not yet born, the "
            "expected date of birth, not both",
        },
        "child.age": {
            _P.INVALID: "Enter the age of child {n} as a whole number from 0 to 25",
            _P.OUT_OF_RANGE: "Enter the age of child {n} as a whole number from 0 to 25",
        },
        "child.sex": {_P.INVALID: "Select the sex of child {n} from the list"},
        "child.ethnicity": {_P.INVALID: "Select the ethnicity of child {n} from the list"},
        "child.nhs_number": {_P.INVALID: "The NHS number of child {n}: {reason}"},
        "child.upn": {_P.INVALID: "The UPN of child {n}: {reason}"},
        "child.disabilities": {
            _P.INVALID: "Select the disabilities of child {n} from the list",
            _P.CONFLICT: "Select 'None' or the disabilities of child {n}, not both",
        },
        "child.sen": {_P.INVALID: "Select yes if child {n} has special educational needs, or no"},
        "child.flags": {_P.INVALID: "Select what applies to child {n} from the list"},
        "abuser.kind": {_P.INVALID: "Select who the alleged abuser is from the list"},
        "abuser.name": {_P.TOO_LONG: f"The alleged abuser's name must be {_NAME}"},
        "abuser.dob": {
            _P.NOT_A_REAL_DATE: "The alleged abuser's date of birth must be a real date",
            _P.INCOMPLETE_DATE: "The alleged abuser's date of birth must include a {missing}",
            _P.SHORT_YEAR: "The year of the alleged abuser's date of birth must include 4 "
            "numbers, for example 1984",
            _P.OUT_OF_RANGE: "The alleged abuser's date of birth must be in the past",
        },
        "abuser.flags": {_P.INVALID: "Select what applies to the alleged abuser from the list"},
        "abuser.role": {_P.TOO_LONG: f"Their role or job must be {_NAME}"},
        "abuser.employment_sector": {
            _P.INVALID: "Select where they work or volunteer from the list"
        },
    },
}
"""Each form's messages: form -> field -> problem -> message. A child's fields are written once
as `child.<field>` (`child3.age` looks up `child.age` with `{n}` = 3)."""

_CHILD = re.compile(r"^child(\d+)\.")


def fallback(label: str) -> str:
    """The message of a field or problem with no entry: plain, from the field's label."""
    text = label.strip().rstrip("?:").strip()
    if not text:
        return "Check this answer"
    return f"Check the answer to '{text[:1].lower() + text[1:]}'"


def message(form: str, field: str, problem: Problem, label: str = "", **values: object) -> str:
    """The message of `problem` with the answer to `field` on `form`, or `fallback(label)`.

    `values` fill the entry's placeholders; a child's number (`{n}`) comes from the field's name.
    """
    key = field
    found = _CHILD.match(field)
    if found is not None:
        key = "child." + field[found.end() :]
        values.setdefault("n", int(found.group(1)))
    entry = MESSAGES.get(form, {}).get(key, {}).get(problem)
    shown = label or key.rpartition(".")[2].replace("_", " ")
    if entry is None:
        return fallback(shown)
    try:
        return entry.format(**values)
    except (KeyError, IndexError, ValueError):
        return fallback(shown)  # a placeholder the page did not give


ADDRESS_VALUES: Mapping[str, str] = {
    "int": "a whole number, for example 2026",
    "float": "a number",
    "bool": "true or false",
    "date": "a date written as year-month-day, for example 2026-03-04",
    "datetime": "a date and time, for example 2026-03-04T16:00",
}
"""What a value in a page's address must be, by the start of pydantic's error type
(`int_parsing` -> `int`)."""


def address_problem(name: str, error_type: str) -> str:
    """The sentence of a page whose address holds a value it cannot use (`?year=abc`)."""
    kind = error_type.partition("_")[0]
    shown = name.replace("_", " ")
    what = ADDRESS_VALUES.get(kind)
    if what is None:
        return f"The {shown} in the address is not one this page can use: check the link."
    return f"The {shown} in the address must be {what}: check the link."
