"""People shared across cases and the search box (DESIGN 2.4), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from calendars import Region, calendar_for, parse_instant
from states import ENGLAND_2023, InvalidEventData, nhs_number_check_digit, upn_check_letter
from workflows import casework, organisation, people, search
from workflows.persistence import SessionFactory, count_rows

CAL = calendar_for(Region.ENGLAND_AND_WALES)


def nhs(first_nine: str) -> str:
    check = nhs_number_check_digit(first_nine)
    assert check is not None
    return first_nine + str(check)


def upn(body: str) -> str:
    return upn_check_letter(body) + body


CHILD_NHS = nhs("943476591")
CHILD_UPN = upn("801200001001")


def at(text: str) -> datetime:
    return parse_instant(text)


def concern(sf: SessionFactory, children: list[dict[str, Any]], **kw: Any) -> int:
    case = casework.raise_concern(
        sf,
        facts={"category": "online_bullying", "children": children, **kw},
        at=at(kw.pop("when", "2026-03-02T10:00")) if "when" in kw else at("2026-03-02T10:00"),
        actor="pat",
        region=Region.ENGLAND_AND_WALES,
        policy=ENGLAND_2023,
        calendar=CAL,
        team_id=TEAM.get("id"),
    )
    assert case.id is not None
    return case.id


TEAM: dict[str, int] = {}


@pytest.fixture(autouse=True)
def team(session_factory: SessionFactory) -> None:
    TEAM["id"] = organisation.create_team(session_factory, name="North")


def test_the_same_nhs_number_is_the_same_person(session_factory: SessionFactory) -> None:
    sf = session_factory
    first = concern(sf, [{"name": "Alex Smith", "nhs_number": CHILD_NHS}])
    second = concern(sf, [{"name": "Alex Smyth", "nhs_number": CHILD_NHS.replace("", " ")[1:]}])
    a = casework.get_case(sf, first).facts.children[0].person_id
    b = casework.get_case(sf, second).facts.children[0].person_id
    assert a == b is not None
    assert count_rows(sf)["persons"] == 1
    with sf() as s:
        known = people.known_to_us(s, second, readable=set)
    assert [(k.name, [c.case_id for c in k.cases]) for k in known] == [("Alex Smyth", [first])]


def test_a_likely_match_is_offered_and_confirmed(session_factory: SessionFactory) -> None:
    sf = session_factory
    first = concern(sf, [{"name": "Zoë O'Brien", "date_of_birth": "2014-05-01"}])
    person = casework.get_case(sf, first).facts.children[0].person_id
    assert person is not None
    with sf() as s:
        offered = people.possible_matches(s, name="zoe obrien", date_of_birth=None, exclude=())
        assert [m.person_id for m in offered] == [person]
        close = people.possible_matches(
            s, name="Zoe O'Brian", date_of_birth=date(2014, 5, 1), exclude=()
        )
        assert [m.person_id for m in close] == [person]
        other_day = people.possible_matches(
            s, name="Zoe O'Brien", date_of_birth=date(2014, 5, 2), exclude=()
        )
        assert other_day == []
    # the practitioner confirms: the second case names the same person
    second = concern(
        sf, [{"name": "Zoe O'Brien", "date_of_birth": "2014-05-01", "person_id": person}]
    )
    assert casework.get_case(sf, second).facts.children[0].person_id == person
    assert count_rows(sf)["persons"] == 1


def test_identifiers_are_checked_and_never_borrowed(session_factory: SessionFactory) -> None:
    sf = session_factory
    before = count_rows(sf)
    with pytest.raises(InvalidEventData, match=r"facts\.children\.0\.nhs_number: .*check digit"):
        concern(
            sf, [{"name": "A", "nhs_number": CHILD_NHS[:-1] + str((int(CHILD_NHS[-1]) + 1) % 10)}]
        )
    with pytest.raises(InvalidEventData, match=r"facts\.children\.0\.upn: .*check letter"):
        concern(
            sf,
            [
                {
                    "name": "A",
                    "upn": "Z" + CHILD_UPN[1:] if CHILD_UPN[0] != "Z" else "A" + CHILD_UPN[1:],
                }
            ],
        )
    assert count_rows(sf) == before
    first = concern(sf, [{"name": "Sam", "nhs_number": CHILD_NHS}])
    other = concern(sf, [{"name": "Kim"}])
    kim = casework.get_case(sf, other).facts.children[0].person_id
    before = count_rows(sf)
    with pytest.raises(InvalidEventData, match="belongs to another person already known to us"):
        concern(sf, [{"name": "Kim", "person_id": kim, "nhs_number": CHILD_NHS}])
    with pytest.raises(InvalidEventData, match=r"children\.0\.person_id: there is no person 999"):
        concern(sf, [{"name": "Kim", "person_id": 999}])
    assert count_rows(sf) == before
    assert first != other


def test_a_date_of_birth_after_the_concern_is_refused(session_factory: SessionFactory) -> None:
    with pytest.raises(InvalidEventData, match="date_of_birth: is after 2026-03-02"):
        concern(session_factory, [{"name": "A", "date_of_birth": "2026-04-01"}])


def test_record_facts_links_a_new_child_and_updates_the_person(
    session_factory: SessionFactory,
) -> None:
    sf = session_factory
    case_id = concern(sf, [{"name": "Alex"}])
    casework.apply_event(
        sf,
        case_id,
        "record_facts",
        at=at("2026-03-02T11:00"),
        actor="pat",
        data={
            "children": [
                {
                    "name": "Alex",
                    "person_id": casework.get_case(sf, case_id).facts.children[0].person_id,
                    "ethnicity": "WBRI",
                    "sex": "M",
                },
                {"name": "Bo", "upn": CHILD_UPN},
            ]
        },
        calendar=CAL,
        policy=ENGLAND_2023,
    )
    children = casework.get_case(sf, case_id).facts.children
    assert all(c.person_id is not None for c in children)
    assert count_rows(sf)["persons"] == 2
    _q, found = search.search(sf, CHILD_UPN, team_ids=[TEAM["id"]])
    assert [(r.reference, r.person_name) for r in found] == [
        (casework.get_case(sf, case_id).reference, "Bo")
    ]


def test_search_by_every_kind_of_text_within_what_the_viewer_may_see(
    session_factory: SessionFactory,
) -> None:
    sf = session_factory
    mine = concern(
        sf, [{"name": "Jonathan Ávila", "date_of_birth": "2013-07-09", "nhs_number": CHILD_NHS}]
    )
    other_team = organisation.create_team(sf, name="South")
    theirs = casework.raise_concern(
        sf,
        facts={"category": "online_bullying", "children": [{"name": "Jonathan Avila"}]},
        at=at("2026-03-02T10:00"),
        actor="priya",
        region=Region.ENGLAND_AND_WALES,
        policy=ENGLAND_2023,
        calendar=CAL,
        team_id=other_team,
    )
    reference = casework.get_case(sf, mine).reference
    team_ids = [TEAM["id"]]
    for text in (
        reference,
        reference.lower(),
        str(mine),
        CHILD_NHS,
        CHILD_NHS[:3] + " " + CHILD_NHS[3:6] + " " + CHILD_NHS[6:],
        "2013-07-09",
        "9/7/2013",
        "9 July 2013",
        "jonathan avila",
        "JONATHAN ÁVILA",
        "Jonahtan Avila",
        "avila",
    ):
        _query, found = search.search(sf, text, team_ids=team_ids)
        assert [r.case_id for r in found] == [mine], text
    # the other team's case is found only by those who may open it
    _query, found = search.search(sf, "jonathan avila", team_ids=[other_team])
    assert [r.case_id for r in found] == [theirs.id]
    assert search.search(sf, "nobody at all", team_ids=team_ids)[1] == []
    assert search.search(sf, "jonathan", team_ids=[])[1] == []
    with pytest.raises(ValueError, match="enter a name"):
        search.search(sf, "   ", team_ids=team_ids)


def test_restricted_cases_are_found_only_by_lados(session_factory: SessionFactory) -> None:
    sf = session_factory
    case_id = concern(
        sf,
        [{"name": "Robin Hood"}],
        category="staff_online_conduct",
        alleged_abuser={"kind": "adult", "name": "Mr Teacher", "position_of_trust": True},
    )
    assert casework.get_case(sf, case_id).restricted
    assert search.search(sf, "robin hood", team_ids=[TEAM["id"]])[1] == []
    found = search.search(sf, "robin hood", restricted_all=True)[1]
    assert [r.case_id for r in found] == [case_id]
    # the alleged abuser is a person too, and is found by name
    assert {r.role for r in search.search(sf, "mr teacher", restricted_all=True)[1]} == {
        "alleged_abuser"
    }
