"""Every example scenario, on SQLite and PostgreSQL: the result matches its expected JSON, and the
case's event log replays to the stored case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from states import policy_by_name
from workflows import Case, casework
from workflows.persistence import SessionFactory
from workflows.scenario import load_scenario, replay_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
SCENARIOS = sorted(EXAMPLES.glob("*.yaml"))


def test_every_example_has_an_expected_result() -> None:
    assert len(SCENARIOS) >= 7
    for path in SCENARIOS:
        assert (EXAMPLES / "expected" / f"{path.stem}.json").is_file(), path.name


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_example_scenario(path: Path, session_factory: SessionFactory) -> None:
    scenario, policy = load_scenario(path)
    run = replay_scenario(session_factory, scenario, policy)
    expected = json.loads((EXAMPLES / "expected" / f"{path.stem}.json").read_text())
    assert run.document == expected

    stored = casework.get_case(session_factory, run.case_id)
    rebuilt = casework.replay_case(session_factory, run.case_id, policy_by_name)
    assert rebuilt.state == stored.state
    assert rebuilt.allegation_state == stored.allegation_state
    assert rebuilt.facts == stored.facts
    assert rebuilt.required_actions == stored.required_actions

    def key(c: Case) -> list[tuple[object, ...]]:
        return [
            (d.kind, d.anchor_at, d.due_date, d.due_at, d.status, d.met_at, d.calendar_version)
            for d in c.deadlines
        ]

    assert key(rebuilt) == key(stored)
