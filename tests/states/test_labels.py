"""Every code of the procedures has a name for people (`states.labels`)."""

from __future__ import annotations

import enum
import importlib
import pkgutil

import pytest

import states
from calendars import Region
from states.census import CensusCode
from states.labels import LABELS, in_words, label


def _contract_enums() -> list[type[enum.Enum]]:
    found = []
    for info in pkgutil.iter_modules(states.__path__):
        module = importlib.import_module(f"states.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, enum.Enum)
                and value.__module__ == module.__name__
                and not issubclass(value, CensusCode)  # the DfE's wording, in states.census
            ):
                found.append(value)
    return found


@pytest.mark.parametrize("kind", _contract_enums(), ids=lambda k: k.__name__)
def test_every_member_of_every_enum_has_a_name(kind: type[enum.Enum]) -> None:
    missing = [m.value for m in kind if str(m.value) not in LABELS]
    assert not missing, f"{kind.__name__} has no label for {missing}: add them to states.labels"


def test_the_search_finds_the_enums() -> None:
    names = {k.__name__ for k in _contract_enums()}
    assert {"CaseState", "AllegationState", "Event", "DeadlineKind", "RequiredAction"} <= names


def test_regions_and_census_codes_read_as_words() -> None:
    assert [label(r) for r in Region] == ["England and Wales", "Scotland", "Northern Ireland"]
    assert label("RC1") == "Adopted"
    assert label("lado_referral") == "Referred to the LADO"
    assert label("refer_childrens_social_care") == "Refer to children's social care"


def test_a_code_outside_the_table_reads_as_words_not_as_the_code() -> None:
    assert label("some_new_code") == "Some new code"
    assert label(None) == ""


def test_in_words_rewrites_the_codes_of_a_sentence() -> None:
    assert (
        in_words("hold_conference needs an outcome: child_protection_plan or no_plan")
        == "hold conference needs an outcome: child protection plan or no plan"
    )
    assert in_words("strategy discussion must answer icpc_required") == (
        "strategy discussion must answer whether an initial child protection conference is required"
    )
    assert in_words("now lado_referral, next section_47") == (
        "now referred to the LADO, next Section 47 enquiry"
    )
    assert in_words("no codes here") == "no codes here"
