"""`esafety demo`: about fifty cases across every pathway and deadline status, a user per role,
and a reset (never a duplicate) when run again."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from calendars import FixedClock
from esafety_flow.cli import app as cli
from esafety_flow.demo import load_demo
from workflows.persistence import (
    alerts,
    case_events,
    cases,
    deadlines,
    make_engine,
    persons,
    subjects,
    users,
)

NOW = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)


def _summary(path: Path) -> tuple[Counter[str], Counter[str], Counter[str], int]:
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        states = Counter(conn.execute(select(cases.c.state)).scalars())
        roles = Counter(conn.execute(select(users.c.role)).scalars())
        statuses: Counter[str] = Counter()
        for status, due_at in conn.execute(select(deadlines.c.status, deadlines.c.due_at)):
            statuses["overdue" if status == "open" and due_at <= NOW else status] += 1
        restricted = len(conn.execute(select(cases.c.id).where(cases.c.restricted)).all())
    engine.dispose()
    return states, roles, statuses, restricted


def test_demo_covers_every_pathway_status_and_role_and_resets(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    accounts = load_demo(path, clock=FixedClock(NOW))
    states, roles, statuses, restricted = _summary(path)
    assert 45 <= sum(states.values()) <= 70
    assert set(states) == {
        "concern",
        "referral",
        "early_help",
        "assessment",
        "strategy_discussion",
        "section_47",
        "review",
        "closed",
    }
    assert set(roles) == {"practitioner", "manager", "lado", "admin", "auditor"}
    assert {"open", "overdue", "met", "missed", "cancelled"} <= set(statuses)
    assert restricted >= 1
    assert {role for _, role, _ in accounts.users} == set(roles)
    assert set(accounts.tokens) == {"pat", "lee"}
    load_demo(path, clock=FixedClock(NOW))
    again = _summary(path)
    assert sum(again[0].values()) == sum(states.values())
    assert again[1] == roles


def test_demo_command_prints_sign_in_details(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "--load-only"])
    assert result.exit_code == 0, result.output
    assert "pat" in result.output
    assert "demo-password" in result.output
    assert (tmp_path / "esafety-demo.db").exists()


def test_demo_has_swept_its_deadlines_into_the_alert_outbox(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    load_demo(path, clock=FixedClock(NOW))
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        levels = Counter(conn.execute(select(alerts.c.level)).scalars())
        roles = Counter(conn.execute(select(alerts.c.recipient_role)).scalars())
    engine.dispose()
    # overdue deadlines were alerted to their owners, and the long-overdue escalated
    assert levels["overdue"] >= 1
    assert levels["escalated"] >= 1
    assert {"owner", "manager"} <= set(roles)


def test_demo_has_people_known_to_us_a_repeated_coach_and_late_recording(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    load_demo(path, clock=FixedClock(NOW))
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        riley = conn.execute(
            select(subjects.c.case_id)
            .join(persons, persons.c.id == subjects.c.person_id)
            .where(persons.c.nhs_number == "9434765919")
        ).all()
        coach = conn.execute(
            select(subjects.c.case_id, subjects.c.details)
            .join(persons, persons.c.id == subjects.c.person_id)
            .where(persons.c.name == "Daniel Hart")
        ).all()
        late = conn.execute(
            select(case_events.c.event).where(case_events.c.late, case_events.c.event == "refer")
        ).all()
        born = conn.execute(select(persons.c.id).where(persons.c.date_of_birth.is_not(None))).all()
    engine.dispose()
    assert len(riley) == 2
    assert len(coach) == 2
    assert all(row.details["position_of_trust"] for row in coach)
    assert len(late) >= 1
    assert len(born) >= 3
