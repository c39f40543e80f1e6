"""A case's page asks the database the same number of questions however many other cases its
people are in: "known to us" and the viewer's right to open each of those cases are looked up
for all of them at once (`people.known_to_us`, `queries.case_accesses`), not case by case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.web.conftest import NOW, Web, api_headers
from workflows import accounts, casework, queries

NHS = "9434765919"


def _child_case(web: Web, owner: str = "pat", team: str = "North Safeguarding") -> int:
    sf = web.app.session_factory
    users = {u.username: u.id for u in queries.list_users_brief(sf)}
    teams = {t.name: t.id for t in queries.list_teams(sf)}
    case = casework.raise_concern(
        sf,
        facts={
            "category": "online_grooming",
            "children": [{"name": "Alex Smith", "age": 13, "nhs_number": NHS}],
        },
        at=NOW.replace(hour=9),
        actor=owner,
        region=web.app.region,
        policy=web.app.policy,
        calendar=web.app.calendar_for(web.app.region),
        owner_id=users[owner],
        team_id=teams[team],
    )
    assert case.id is not None
    return case.id


@contextmanager
def _counted(web: Web) -> Iterator[Callable[[], int]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(web.app.engine, "before_cursor_execute", record)
    try:
        yield lambda: len(seen)
    finally:
        event.remove(web.app.engine, "before_cursor_execute", record)


def _statements(web: Web, get: Callable[[], Any]) -> int:
    get()  # the first request warms what is built once
    with _counted(web) as count:
        response = get()
        assert response.status_code == 200, response.text
        return count()


def test_the_case_page_and_api_ask_the_same_whatever_the_childs_other_cases(web: Web) -> None:
    newest = _child_case(web)
    _child_case(web, "priya", "South Safeguarding")  # one the practitioner may not open
    pat = web.client("pat")
    token = api_headers(web.tokens["pat"])
    page = _statements(web, lambda: pat.get(f"/cases/{newest}"))
    api = _statements(web, lambda: pat.get(f"/api/v1/cases/{newest}", headers=token))
    for _ in range(10):
        _child_case(web)
        _child_case(web, "priya", "South Safeguarding")
    text = pat.get(f"/cases/{newest}").text.split('id="known-to-us"')[1].split("</section>")[0]
    assert "21 earlier cases" in text
    assert "11 you may not open" in text
    assert _statements(web, lambda: pat.get(f"/cases/{newest}")) == page
    assert _statements(web, lambda: pat.get(f"/api/v1/cases/{newest}", headers=token)) == api


@pytest.mark.parametrize("per_query", [1, 2, 5000])
def test_case_accesses_are_those_of_each_case_in_any_chunking(
    web: Web, per_query: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    sf = web.app.session_factory
    monkeypatch.setattr(queries, "_IDS_PER_QUERY", per_query)
    ids = [web.north_case, web.south_case, web.lado_case, 987_654]
    found = queries.case_accesses(sf, [*ids, web.north_case])
    assert set(found) == set(ids[:3])  # the id that names no case is left out
    for case_id in ids[:3]:
        assert found[case_id] == queries.case_access(sf, case_id)
    assert found[web.lado_case].manager_ids == {web.users["hannah"]}
    assert found[web.lado_case].restricted
    assert not found[web.north_case].restricted
    assert found[web.north_case].owner_id == web.users["pat"]
    assert found[web.south_case].owner_id == web.users["priya"]
    assert queries.case_accesses(sf, []) == {}


def _assessment_submitted(web: Web, case_id: int, by: str = "pat") -> None:
    calendar = web.app.calendar_for(web.app.region)
    for hour, (event_name, data) in enumerate(
        [
            ("refer", {"referred_to": ["childrens_social_care"]}),
            ("start_assessment", None),
            ("complete_assessment", {"factors": ["4A"]}),
        ]
    ):
        casework.apply_event(
            web.app.session_factory,
            case_id,
            event_name,
            at=NOW.replace(hour=9 + hour),
            actor=by,
            data=data,
            calendar=calendar,
            policy=web.app.policy,
        )


def test_the_dashboard_asks_the_same_whatever_the_number_of_assessments_awaiting(
    web: Web,
) -> None:
    """Each region's calendar is built once per request, not once per case awaiting
    authorisation (19 statements against 14 with six of them when it was)."""
    _assessment_submitted(web, _child_case(web))
    morgan = web.client("morgan")
    before = _statements(web, lambda: morgan.get("/dashboard"))
    for _ in range(5):
        _assessment_submitted(web, _child_case(web))
    board = morgan.get("/dashboard").text.split('id="dashboard-awaiting"', 1)[1]
    assert board.split("</table>")[0].count("Pat Practitioner") == 6
    assert _statements(web, lambda: morgan.get("/dashboard")) == before


def test_a_signed_in_page_reads_its_session_and_user_in_one_statement(web: Web) -> None:
    """The session, its user and the teams they manage come in one statement (the page of the
    password form reads nothing else)."""
    morgan = web.client("morgan")
    assert _statements(web, lambda: morgan.get("/account/password")) == 1
    page = morgan.get("/dashboard")  # a manager's grants came with the session
    assert page.status_code == 200
    assert "North Safeguarding" in page.text


def test_an_api_token_its_user_and_grants_are_read_in_one_statement(web: Web) -> None:
    """A token in use is noted at most every few minutes: once noted, a request's token, user
    and grants cost one statement; a revoked or unknown token is None."""
    sf = web.app.session_factory
    token = web.tokens["pat"]
    assert accounts.token_grants(sf, token, at=NOW) is not None  # notes its use
    with _counted(web) as count:
        found = accounts.token_grants(sf, token, at=NOW)
        assert count() == 1
    assert found is not None
    assert found.user.username == "pat"
    assert accounts.token_user(sf, token, at=NOW) == web.users["pat"]
    assert accounts.token_grants(sf, "esf_not_a_token", at=NOW) is None


def test_password_hashes_are_read_only_where_a_password_is_checked(web: Web) -> None:
    """Lists, sessions and grants carry no password hash; the sign-in and password-change
    look-ups ask for it."""
    sf = web.app.session_factory
    assert all(u.password_hash is None for u in queries.list_users_brief(sf))
    grants = queries.user_with_grants(sf, user_id=web.users["pat"])
    assert grants is not None
    assert grants.user.password_hash is None
    plain = queries.user_by_username(sf, "pat")
    assert plain is not None
    assert plain.password_hash is None
    checked = queries.user_by_username(sf, "pat", with_password_hash=True)
    assert checked is not None
    assert (checked.password_hash or "").startswith("$argon2")
    by_id = queries.user_by_id(sf, web.users["pat"], with_password_hash=True)
    assert by_id is not None
    assert by_id.password_hash == checked.password_hash
