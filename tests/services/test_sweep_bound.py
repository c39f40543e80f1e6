"""`esafety sweep --as-of` refuses a moment further ahead than ESAFETY_SWEEP_MAX_AHEAD_MINUTES
(issue 11, finding 4: a sweep of 9999-12-31 wrote 209 false alerts and marked every open
deadline's alerts as done). Exit 2 with the reason; nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from calendars import Region, calendar_for
from esafety_flow.cli import app as cli
from states import ENGLAND_2023
from workflows import casework, persistence
from workflows.persistence import SessionFactory, deadlines

UNDER_13 = {
    "category": "youth_produced_sexual_imagery",
    "children": [{"name": "A", "age": 12, "shown_in_images": True}],
    "imagery": {"sexual_acts": True},
}


def _case(sf: SessionFactory) -> None:
    casework.raise_concern(
        sf,
        facts=UNDER_13,
        at=datetime.now(UTC) - timedelta(hours=1),
        actor="pat",
        region=Region.ENGLAND_AND_WALES,
        policy=ENGLAND_2023,
        calendar=calendar_for(Region.ENGLAND_AND_WALES),
    )


def _state(sf: SessionFactory) -> tuple[dict[str, int], list[tuple[object, ...]]]:
    with sf() as s:
        rows = s.execute(
            select(deadlines.c.id, deadlines.c.next_alert_at, deadlines.c.next_alert_level)
        ).all()
    return persistence.count_rows(sf), [tuple(r) for r in rows]


@pytest.mark.parametrize("moment", ["9999-12-31T23:59", "2100-01-01T09:00"])
def test_a_sweep_of_the_far_future_is_refused(
    database_url: str, session_factory: SessionFactory, moment: str
) -> None:
    _case(session_factory)
    before = _state(session_factory)
    result = CliRunner().invoke(cli, ["sweep", "--as-of", moment, "--database-url", database_url])
    assert result.exit_code == 2
    assert f"--as-of {moment!r}: more than 15 minutes ahead of now" in result.stderr
    assert _state(session_factory) == before


def test_a_sweep_of_the_near_future_or_the_past_runs(
    database_url: str, session_factory: SessionFactory
) -> None:
    _case(session_factory)
    soon = (datetime.now(UTC) + timedelta(minutes=10)).isoformat(timespec="minutes")
    result = CliRunner().invoke(cli, ["sweep", "--as-of", soon, "--database-url", database_url])
    assert result.exit_code == 0, result.stderr
    result = CliRunner().invoke(
        cli,
        ["sweep", "--as-of", "2100-01-01T09:00", "--database-url", database_url],
        env={"ESAFETY_SWEEP_MAX_AHEAD_MINUTES": str(60 * 24 * 365 * 80)},
    )
    assert result.exit_code == 0, result.stderr
