"""Fixtures for the alert jobs and flows: an app on the test database (SQLite and PostgreSQL)
sending to a real SMTP server, a small org model, and Prefect's test harness (session-wide,
heartbeat off; started before any clock is frozen, engineering.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from calendars import FixedClock, Region
from esafety_flow.bootstrap import App, bootstrap
from esafety_flow.settings import Settings
from tests.notify.servers import SmtpSink, smtp_server, webhook_server
from workflows import casework, organisation

__all__ = ["Org", "app", "org", "prefect_harness", "smtp_server", "webhook_server"]

JAN_2026 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PREFECT_STARTUP_SECONDS = 300


@pytest.fixture
def app(database_url: str, smtp_server: SmtpSink) -> Iterator[App]:
    settings = Settings(
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        mail_from="alerts@esafety.test",
        base_url="http://esafety.test",
        delivery_attempts=2,
        delivery_backoff_seconds=0.0,
    )
    application = bootstrap(settings, clock=FixedClock(JAN_2026))
    yield application
    application.close()


@dataclass(frozen=True)
class Org:
    team_id: int
    owner_id: int
    manager_id: int
    head_id: int


@pytest.fixture
def org(app: App) -> Org:
    sf = app.session_factory
    team = organisation.create_team(sf, name="Online harm")
    owner = organisation.create_user(
        sf,
        username="sam",
        display_name="Sam Practitioner",
        email="sam@esafety.test",
        role="practitioner",
        at=JAN_2026,
        team_id=team,
    )
    manager = organisation.create_user(
        sf,
        username="morgan",
        display_name="Morgan Manager",
        email="morgan@esafety.test",
        role="manager",
        at=JAN_2026,
        team_id=team,
    )
    head = organisation.create_user(
        sf,
        username="hana",
        display_name="Hana Head",
        email="hana@esafety.test",
        role="manager",
        at=JAN_2026,
    )
    organisation.set_team_managers(sf, team, manager_id=manager, head_of_service_id=head)
    return Org(team, owner, manager, head)


def referred_case(app: App, org: Org, referred_at: datetime, child: str = "Alex") -> int:
    """A case referred at `referred_at`: its referral decision is due the next working day."""
    sf = app.session_factory
    calendar = app.calendar_for(Region.ENGLAND_AND_WALES)
    case = casework.raise_concern(
        sf,
        facts={"category": "online_grooming", "children": [{"name": child, "age": 12}]},
        at=referred_at,
        actor="sam",
        region=Region.ENGLAND_AND_WALES,
        policy=app.policy,
        calendar=calendar,
        owner_id=org.owner_id,
        team_id=org.team_id,
    )
    assert case.id is not None
    casework.apply_event(
        sf,
        case.id,
        "refer",
        at=referred_at,
        actor="sam",
        data={"referred_to": ["childrens_social_care"]},
        calendar=calendar,
        policy=app.policy,
    )
    return case.id


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from esafety_flow.flows import telemetry_off

    telemetry_off()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    overrides: dict[Any, Any] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    # The harness's server is a subprocess that imports all of Prefect's server before it answers:
    # about 10 s on a quiet 2-core machine, several times that while other processes share it
    # (the 30 s default then fails every flow test at once).
    with (
        prefect_test_harness(server_startup_timeout=PREFECT_STARTUP_SECONDS),
        temporary_settings(overrides),
    ):
        yield
