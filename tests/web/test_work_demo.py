"""The demo shows who does the work: unallocated cases (one transferred), assessments awaiting
authorisation, notes with an amendment, a plan overdue for management oversight and a
chronology with significant events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from calendars import FixedClock, london_date
from esafety_flow.bootstrap import bootstrap
from esafety_flow.demo import demo_settings, load_demo
from workflows import allocation, casework, oversight, queries
from workflows.chronology import chronology_of

NOW = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)


def test_the_demo_shows_who_does_the_work(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    load_demo(path, clock=FixedClock(NOW))
    app = bootstrap(demo_settings(path), clock=FixedClock(NOW))
    try:
        sf = app.session_factory
        teams = {t.name: t.id for t in queries.list_teams(sf)}
        today = london_date(NOW)
        waiting = allocation.unallocated(sf, team_ids=list(teams.values()))
        assert {r.team_name for r in waiting} >= {"North Safeguarding", "South Safeguarding"}
        awaiting = oversight.awaiting_authorisation(
            sf, today=today, calendar_for=app.calendar_for, team_ids=[teams["North Safeguarding"]]
        )
        assert len(awaiting) >= 3
        assert any(a.working_days_left is not None and a.working_days_left > 0 for a in awaiting)
        overdue = oversight.oversight_due(
            sf,
            today=today,
            calendar_for=app.calendar_for,
            policy_for=app.policy_for,
            team_ids=[teams["North Safeguarding"]],
        )
        assert overdue
        amended = returned = significant = 0
        for row in queries.caseload(sf, team_ids=list(teams.values()), limit=500):
            history = casework.get_case(sf, row.id).history
            amended += any(e.event == "add_note" and e.data.get("amends") for e in history)
            returned += any(e.event == "return_assessment" for e in history)
            significant += any(c.kind == "note" for c in chronology_of(history))
        assert amended >= 1
        assert returned >= 1
        assert significant >= 2
    finally:
        app.close()
