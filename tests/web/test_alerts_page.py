"""The in-app alert list (DESIGN 3.3): the alerts the sweep addressed to the signed-in user, newest
first, 50 a page; never another user's, nor those of a case the user may no longer see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from states import policy_by_name
from tests.web.conftest import NOW, UNDER_13_IMAGERY, Web
from workflows import casework, deadline_alerts, queries


def _sweep(web: Web, days: float) -> None:
    """One sweep `days` after the fixture's moment (the cases' deadlines pass as days go by)."""
    deadline_alerts.sweep(
        web.app.session_factory,
        NOW + timedelta(days=days),
        web.app.calendar_for,
        policy_by_name,
    )


def _rows(html: str) -> list[tuple[str, str]]:
    """(case reference, alert tag) of each row of the list (none when there is no table)."""
    if "<tbody" not in html:
        return []
    body = html.split("<tbody")[1].split("</tbody>")[0]
    return re.findall(
        r'href="/cases/\d+">([^<]+)</a>.*?<strong class="govuk-tag[^"]*">([^<]+)</strong>',
        body,
        re.S,
    )


def _reference(web: Web, case_id: int) -> str:
    found = queries.case_access(web.app.session_factory, case_id)
    assert found is not None
    return found.reference


def test_practitioner_sees_their_overdue_alert_and_not_a_colleagues(web: Web) -> None:
    _sweep(web, 0)  # Wednesday: both immediate referrals are due today
    _sweep(web, 1)  # Thursday: they were due on Wednesday
    north, south = _reference(web, web.north_case), _reference(web, web.south_case)
    page = web.client("pat").get("/alerts")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert (north, "Overdue") in rows
    assert (north, "Due today") in rows
    assert {ref for ref, _ in rows} == {north}  # not priya's case, nor the LADO case
    assert f'href="/cases/{web.north_case}"' in page.text
    assert "Immediate referral" in page.text
    assert "4 March 2026" in page.text  # the due date
    assert "5 March 2026 11:00" in page.text  # raised by the sweep
    assert 'href="/alerts"' in page.text  # the nav link
    # a colleague of the same team has none of pat's alerts, and priya only her own
    assert "No alerts have been sent to you." in web.client("sam").get("/alerts").text
    assert {ref for ref, _ in _rows(web.client("priya").get("/alerts").text)} == {south}


def test_newest_alert_first(web: Web) -> None:
    _sweep(web, 0)
    _sweep(web, 1)
    _sweep(web, 2)  # the LADO referral is overdue a day later
    tags = [tag for _, tag in _rows(web.client("lee").get("/alerts").text)]
    assert tags[0] == "Overdue"
    assert sorted(tags) == ["Due soon", "Due today", "Overdue"]


def test_manager_sees_the_escalation_after_two_working_days(web: Web) -> None:
    north = _reference(web, web.north_case)
    _sweep(web, 1)
    assert _rows(web.client("morgan").get("/alerts").text) == []
    _sweep(web, 7)  # the next Wednesday: overdue for more than 2 working days
    rows = _rows(web.client("morgan").get("/alerts").text)
    assert rows == [(north, "Escalated")]
    assert _rows(web.client("pat").get("/alerts").text).count((north, "Escalated")) == 0


def test_restricted_case_alert_shows_only_while_the_manager_may_see_the_case(web: Web) -> None:
    lado = _reference(web, web.lado_case)
    _sweep(web, 7)
    assert (lado, "Escalated") in _rows(web.client("hannah").get("/alerts").text)
    casework.set_case_managers(web.app.session_factory, web.lado_case, [])
    page = web.client("hannah").get("/alerts")
    assert page.status_code == 200
    assert lado not in page.text


@pytest.mark.parametrize("username", ["ada", "audrey"])
def test_admin_and_auditor_are_forbidden(web: Web, username: str) -> None:
    _sweep(web, 1)
    page = web.client(username).get("/alerts")
    assert page.status_code == 404  # shown as not found, like any page the role may not open
    assert 'href="/alerts"' not in web.client(username).get("/calendar").text


def test_anonymous_is_sent_to_sign_in(web: Web) -> None:
    page = web.client().get("/alerts")
    assert page.status_code in (302, 303, 307)
    assert page.headers["location"].startswith("/sign-in")


def _add_cases(web: Web, count: int) -> None:
    teams = {t.name: t.id for t in queries.list_teams(web.app.session_factory)}
    for k in range(count):
        casework.raise_concern(
            web.app.session_factory,
            facts={**UNDER_13_IMAGERY, "children": [{"name": f"C{k}", "age": 12}]},
            at=NOW - timedelta(hours=k + 1),
            actor="pat",
            region=web.app.region,
            policy=web.app.policy,
            calendar=web.app.calendar_for(web.app.region),
            owner_id=web.users["pat"],
            team_id=teams["North Safeguarding"],
        )


def test_pages_of_fifty_and_bad_page_numbers(web: Web) -> None:
    _add_cases(web, 50)
    _sweep(web, 0)
    _sweep(web, 1)
    total = sum(
        1
        for a in deadline_alerts.list_alerts(web.app.session_factory)
        if a.recipient_user_id == web.users["pat"]
    )
    assert 50 < total <= 100
    client = web.client("pat")
    first, second = client.get("/alerts"), client.get("/alerts?page=2")
    assert (first.status_code, second.status_code) == (200, 200)
    assert (len(_rows(first.text)), len(_rows(second.text))) == (50, total - 50)
    assert f"1 to 50 of {total}" in first.text
    assert f"51 to {total} of {total}" in second.text
    nav = second.text.split('<nav class="govuk-pagination')[1].split("</nav>")[0]
    assert 'href="/alerts?page=1"' in nav
    assert 'aria-label="Alert pages"' in nav
    beyond = client.get("/alerts?page=3")
    assert beyond.status_code == 404
    assert "There is no page 3: your alerts have 2 pages" in beyond.text
    for bad in ("0", "-1", "two", "1.5", "", "99999999999"):
        refused = client.get("/alerts", params={"page": bad})
        assert refused.status_code == 400, bad
        assert "The page number must be a whole number from 1" in refused.text


def test_alerts_of_user_query_counts_and_refuses_page_zero(web: Web) -> None:
    _sweep(web, 0)
    _sweep(web, 1)
    sf = web.app.session_factory
    pat = web.users["pat"]
    team = queries.user_with_grants(sf, user_id=pat)
    assert team is not None
    assert team.user.team_id is not None
    teams = {team.user.team_id}
    second = queries.alerts_of_user(sf, user_id=pat, page=2, per_page=1, team_ids=teams)
    assert (second.total, second.pages, len(second.rows)) == (2, 2, 1)
    beyond = queries.alerts_of_user(sf, user_id=pat, page=5, per_page=1, team_ids=teams)
    assert (beyond.rows, beyond.total, beyond.pages) == ([], 2, 2)
    # no grants at all: nothing to see
    assert queries.alerts_of_user(sf, user_id=pat, page=1, per_page=5).total == 0
    with pytest.raises(ValueError, match="page 0"):
        queries.alerts_of_user(sf, user_id=pat, page=0, per_page=5, team_ids=teams)


def test_a_users_alerts_are_found_by_index(web: Web) -> None:
    """The list reads the user's own alerts through `ix_alerts_recipient_user_id_created_at`
    (migration 0006), not the whole outbox."""
    from sqlalchemy import inspect, text

    engine = web.app.engine
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("alerts")}
    assert indexes["ix_alerts_recipient_user_id_created_at"]["column_names"] == [
        "recipient_user_id",
        "created_at",
    ]
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        plan = " ".join(
            str(row[-1])
            for row in conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM alerts WHERE recipient_user_id = 1 "
                    "ORDER BY created_at DESC LIMIT 50"
                )
            )
        )
    assert "ix_alerts_recipient_user_id_created_at" in plan
