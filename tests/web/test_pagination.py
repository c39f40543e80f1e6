"""The caseload in pages of 25 (GOV.UK pagination), in urgency order across pages; a bad or
out-of-range page number; the dashboard's one-query counts when its lists are cut short; the
signed-in user and their grants in one query."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from esafety_flow.web.pages import CASELOAD_PAGE_SIZE, pagination
from tests.web.conftest import NOW, UNDER_13_IMAGERY, Web
from workflows import casework, queries

EXTRA = 60  # with the fixture's own case, pat owns 61 open cases: 3 pages of 25


def _add_cases(web: Web, owner: str, count: int) -> None:
    teams = {t.name: t.id for t in queries.list_teams(web.app.session_factory)}
    calendar = web.app.calendar_for(web.app.region)
    for k in range(count):
        facts = {**UNDER_13_IMAGERY, "children": [{"name": f"C{k}", "age": 12}]}
        casework.raise_concern(
            web.app.session_factory,
            facts=facts,
            # raised over the past days: their deadlines fall due at different instants
            at=NOW - timedelta(hours=7 * k + 1),
            actor=owner,
            region=web.app.region,
            policy=web.app.policy,
            calendar=calendar,
            owner_id=web.users[owner],
            team_id=teams["North Safeguarding"],
        )


def _team(web: Web, username: str) -> int:
    found = queries.user_with_grants(web.app.session_factory, user_id=web.users[username])
    assert found is not None
    assert found.user.team_id is not None
    return found.user.team_id


def _references(html: str) -> list[str]:
    body = html.split("<tbody")[1].split("</tbody>")[0]
    return re.findall(r'href="/cases/\d+">([^<]+)</a>', body)


def test_caseload_pages_follow_the_urgency_order(web: Web) -> None:
    _add_cases(web, "pat", EXTRA)
    client = web.client("pat")
    pages = [client.get("/caseload" if n == 1 else f"/caseload?page={n}") for n in (1, 2, 3)]
    assert [p.status_code for p in pages] == [200, 200, 200]
    shown = [_references(p.text) for p in pages]
    assert [len(s) for s in shown] == [CASELOAD_PAGE_SIZE, CASELOAD_PAGE_SIZE, 11]
    everything = queries.caseload(
        web.app.session_factory, owner_id=web.users["pat"], team_ids={_team(web, "pat")}
    )
    assert shown[0] + shown[1] + shown[2] == [r.reference for r in everything]
    assert "1 to 25 of 61" in pages[0].text
    assert "26 to 50 of 61" in pages[1].text
    nav = pages[1].text.split('<nav class="govuk-pagination')[1].split("</nav>")[0]
    assert 'href="/caseload?page=1"' in nav
    assert 'href="/caseload?page=3"' in nav
    assert 'aria-current="page"' in nav
    assert "govuk-pagination" not in web.client("priya").get("/caseload").text  # one page


def test_team_scope_keeps_its_scope_across_pages(web: Web) -> None:
    _add_cases(web, "pat", EXTRA)
    page = web.client("pat").get("/caseload?scope=team&page=2")
    assert page.status_code == 200
    assert 'href="/caseload?scope=team&amp;page=3"' in page.text


def test_a_page_past_the_last_is_not_found_and_says_how_many_there_are(web: Web) -> None:
    _add_cases(web, "pat", EXTRA)
    page = web.client("pat").get("/caseload?page=4")
    assert page.status_code == 404
    assert "There is no page 4: this caseload has 3 pages" in page.text
    assert web.client("pat").get("/caseload?page=3").status_code == 200


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5", "", "99999999999"])
def test_a_bad_page_number_is_refused_with_a_reason(web: Web, bad: str) -> None:
    page = web.client("pat").get("/caseload", params={"page": bad})
    assert page.status_code == 400
    assert "The page number must be a whole number from 1" in page.text


def test_caseload_page_query_counts_and_refuses_page_zero(web: Web) -> None:
    _add_cases(web, "pat", 3)
    sf = web.app.session_factory
    pat, team = web.users["pat"], {_team(web, "pat")}
    second = queries.caseload_page(sf, page=2, per_page=3, owner_id=pat, team_ids=team)
    assert (second.total, second.pages, len(second.rows)) == (4, 2, 1)
    beyond = queries.caseload_page(sf, page=5, per_page=3, owner_id=pat, team_ids=team)
    assert (beyond.rows, beyond.total, beyond.pages) == ([], 4, 2)
    empty = queries.caseload_page(sf, page=1, per_page=3, owner_id=web.users["pat"])
    assert (empty.rows, empty.total, empty.pages) == ([], 0, 1)
    with pytest.raises(ValueError, match="page 0"):
        queries.caseload_page(sf, page=0, per_page=3, owner_id=pat, team_ids=team)


def test_pagination_component_shows_ends_neighbours_and_ellipses() -> None:
    nav = pagination("/caseload", {}, 5, 9)
    assert nav is not None
    numbers = [i.get("number", "...") for i in nav["items"]]
    assert numbers == [1, "...", 4, 5, 6, "...", 9]
    assert nav["previous"] == {"href": "/caseload?page=4"}
    assert nav["next"] == {"href": "/caseload?page=6"}
    assert pagination("/caseload", {}, 1, 1) is None
    last = pagination("/caseload", {"scope": "team"}, 2, 2)
    assert last is not None
    assert last["next"] is None
    assert last["previous"] == {"href": "/caseload?scope=team&page=1"}


def test_dashboard_counts_every_deadline_when_its_lists_are_cut_short(web: Web) -> None:
    _add_cases(web, "pat", 6)
    web.clock.advance(timedelta(days=2))  # every immediate referral is now overdue
    now = web.clock.now()
    team = _team(web, "pat")
    full = queries.dashboard(
        web.app.session_factory, team_ids=[team], now=now, today=now.date(), soon_until=now.date()
    )
    short = queries.dashboard(
        web.app.session_factory,
        team_ids=[team],
        now=now,
        today=now.date(),
        soon_until=now.date(),
        items_per_section=2,
    )
    assert len(full.overdue) == full.totals[0] >= 7
    assert len(short.overdue) == 2
    assert short.overdue == full.overdue[:2]
    assert short.totals == full.totals
    assert short.workers == full.workers
    pat = next(w for w in short.workers if w.owner_id == web.users["pat"])
    assert pat.owner_name == "Pat Practitioner"
    assert pat.overdue >= 7


def test_user_with_grants_loads_a_manager_and_their_teams_in_one_go(web: Web) -> None:
    sf = web.app.session_factory
    hannah = queries.user_with_grants(sf, user_id=web.users["hannah"])
    assert hannah is not None
    assert hannah.user.username == "hannah"
    teams = {t.id for t in queries.list_teams(sf) if t.head_of_service_id == web.users["hannah"]}
    assert hannah.managed_team_ids == teams
    assert len(teams) >= 2
    pat = queries.user_with_grants(sf, user_id=web.users["pat"])
    assert pat is not None
    assert pat.managed_team_ids == frozenset()
    assert queries.user_with_grants(sf, user_id=10**9) is None
    with pytest.raises(ValueError, match="exactly one"):
        queries.user_with_grants(sf)
