"""Each flow once under Prefect's test harness (heartbeat off), driven with an explicit `as_of`
or the run's own scheduled start (engineering.md: never a fully frozen clock under Prefect)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from esafety_flow.bootstrap import App
from esafety_flow.flows.runtime import DatabaseNotReady
from tests.flows.conftest import Org, referred_case
from tests.notify.servers import HttpSink, SmtpSink
from workflows import casework

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def flows_on(app: App) -> Iterator[App]:
    from esafety_flow.flows import use_app

    use_app(app)
    yield app
    use_app(None)


def test_deadline_sweep_defaults_to_the_runs_scheduled_start(flows_on: App, org: Org) -> None:
    from prefect.client.orchestration import get_client

    from esafety_flow.flows import deadline_sweep

    referred_case(flows_on, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    state = deadline_sweep(return_state=True)
    result = state.result()
    assert isinstance(result, dict)
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
    assert run.expected_start_time is not None
    assert datetime.fromisoformat(result["as_of"]) == run.expected_start_time
    # the run's moment is today, long after the deadline: its alerts are in the outbox once
    # overdue to the owner (due today was passed over), the manager, the head of service
    assert result["alerts"] == 3
    assert deadline_sweep(as_of=datetime.now(UTC))["alerts"] == 0


def test_sweep_and_deliver_flows_send_each_alert_once(
    flows_on: App, org: Org, smtp_server: SmtpSink, webhook_server: HttpSink
) -> None:
    from esafety_flow.flows import deadline_sweep, deliver_alerts

    flows_on.settings.webhook_url = webhook_server.url
    referred_case(flows_on, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    for as_of in (
        datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
    ):
        assert deadline_sweep(as_of=as_of)["as_of"] == as_of.isoformat()
        deliver_alerts()
    assert len(smtp_server.to("sam@esafety.test")) == 2
    assert [b["level"] for b in webhook_server.bodies] == ["due_today", "overdue"]


def test_the_sweep_delivers_what_it_wrote_without_waiting_for_the_delivery_run(
    flows_on: App, org: Org, smtp_server: SmtpSink
) -> None:
    from esafety_flow.flows import deadline_sweep

    referred_case(flows_on, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    result = deadline_sweep(as_of=datetime(2026, 3, 3, 9, 0, tzinfo=UTC))  # due today
    assert result["queued"] == 1
    [email] = result["delivered"]
    assert (email["channel"], len(email["delivered"])) == ("email", 1)
    assert len(smtp_server.to("sam@esafety.test")) == 1
    # a sweep that wrote nothing new sends nothing
    again = deadline_sweep(as_of=datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    assert (again["queued"], again["delivered"]) == (0, [])


def test_deliver_flow_keeps_alerts_pending_while_smtp_is_down(
    flows_on: App, org: Org, smtp_server: SmtpSink
) -> None:
    from esafety_flow.flows import deadline_sweep, deliver_alerts

    referred_case(flows_on, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    smtp_server.stop()
    deadline_sweep(as_of=datetime(2026, 3, 3, 9, 0, tzinfo=UTC))  # due today
    deadline_sweep(as_of=datetime(2026, 3, 4, 9, 0, tzinfo=UTC))  # overdue
    down = deliver_alerts()
    [email] = down["channels"]
    assert email["delivered"] == []
    assert len(email["failed"]) == 2
    smtp_server.start()
    assert len(deliver_alerts()["channels"][0]["delivered"]) == 2
    assert len(smtp_server.to("sam@esafety.test")) == 2


def test_digest_flow_does_nothing_on_boxing_day_substitute(
    flows_on: App, org: Org, smtp_server: SmtpSink
) -> None:
    from esafety_flow.flows import manager_digest

    referred_case(flows_on, org, datetime(2026, 12, 22, 10, 0, tzinfo=UTC))
    holiday = manager_digest(as_of=datetime(2026, 12, 28, 8, 0, tzinfo=UTC))
    assert holiday["skipped"] is not None
    assert "Boxing Day" in holiday["skipped"]
    assert smtp_server.messages == []
    working = manager_digest(as_of=datetime(2026, 12, 29, 8, 0, tzinfo=UTC))
    assert working["sent"] == ["morgan@esafety.test"]
    assert len(smtp_server.to("morgan@esafety.test")) == 1


def test_recalculate_flow_moves_deadlines_and_tells_owners(
    flows_on: App, org: Org, smtp_server: SmtpSink
) -> None:
    from esafety_flow.flows import recalculate_deadlines

    case_id = referred_case(flows_on, org, datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    at = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
    result = recalculate_deadlines("england-and-wales", date(2026, 6, 2), "State event", at=at)
    assert result["moved"] == 1
    assert len(result["sent"]) == 1
    case = casework.get_case(flows_on.session_factory, case_id)
    [decision] = [d for d in case.deadlines if d.kind == "referral_decision"]
    assert decision.due_date == date(2026, 6, 3)
    [notice] = smtp_server.to("sam@esafety.test")
    assert "moved from 2026-06-02 to 2026-06-03" in str(notice["Subject"])
    # a retried run records nothing twice and moves nothing again
    again = recalculate_deadlines(
        "england-and-wales", date(2026, 6, 2), "State event", at=at + timedelta(minutes=5)
    )
    assert again["moved"] == 0


def test_census_check_tells_each_owner_once_a_day(
    flows_on: App, org: Org, smtp_server: SmtpSink
) -> None:
    from esafety_flow.flows import census_check, deliver_alerts
    from workflows import notifications

    case_id = referred_case(flows_on, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    night = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
    result = census_check(as_of=night)
    assert result["year"] == 2026
    assert result["tasks"] > 0
    assert result["notices"] == 1
    # a retried run the same night tells nobody again; the next night tells again
    assert census_check(as_of=night + timedelta(hours=1))["notices"] == 0
    notices, _ = notifications.notices_of_user(flows_on.session_factory, org.owner_id)
    assert [(n.kind, n.case_id) for n in notices] == [(notifications.NoticeKind.CENSUS, case_id)]
    deliver_alerts()
    [mail] = smtp_server.to("sam@esafety.test")
    assert "records to fix before the CIN census" in str(mail["Subject"])
    assert census_check(as_of=night + timedelta(days=1))["notices"] == 1


def test_a_flow_run_on_a_database_behind_this_release_fails_and_leaves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flow run never migrates (issue 13): on a database one migration behind it fails at
    once, saying what to run, and the database stays at its revision."""
    from alembic.script import ScriptDirectory

    from esafety_flow.flows import deadline_sweep, use_app
    from workflows.persistence import (
        alembic_config,
        current_revision,
        head_revision,
        make_engine,
        upgrade,
    )

    head = head_revision()
    behind = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    assert isinstance(behind, str)
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = make_engine(url)
    upgrade(engine, behind)
    monkeypatch.setenv("ESAFETY_DATABASE_URL", url)
    use_app(None)  # the app a worker's flow run builds from its settings
    try:
        state = deadline_sweep(as_of=datetime(2026, 3, 3, 9, 0, tzinfo=UTC), return_state=True)
    finally:
        use_app(None)
    assert state.is_failed()
    assert (
        f"the database is at revision {behind}, this release needs {head}: "
        "run esafety db upgrade" in str(state.message)
    )
    with pytest.raises(DatabaseNotReady, match="This flow run did not start"):
        state.result()
    assert current_revision(engine) == behind
    engine.dispose()
