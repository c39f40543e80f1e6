"""`esafety users`, `esafety teams`, `esafety sweep`, `esafety alerts deliver`, `esafety worker`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import update
from typer.testing import CliRunner

from esafety_flow.bootstrap import App
from esafety_flow.cli import app as cli
from tests.flows.conftest import Org, referred_case
from tests.notify.servers import SmtpSink
from workflows import persistence
from workflows.delivery import claim_deliveries, delivery_counts
from workflows.persistence import alert_deliveries, users


def _run(app: App, *args: str) -> tuple[int, str, str]:
    env = {
        "ESAFETY_DATABASE_URL": app.settings.database_url,
        "ESAFETY_SMTP_PORT": str(app.settings.smtp_port),
        "ESAFETY_SMTP_HOST": "127.0.0.1",
        "ESAFETY_DELIVERY_BACKOFF_SECONDS": "0",
        "ESAFETY_BASE_URL": "http://esafety.test",
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def in_alert_hours() -> Iterator[None]:
    """The commands' clock on a working morning, Friday 6 March 2026 at 09:05 London, ticking.
    `esafety sweep` holds each email for the alert hours of the moment it runs (an escalation
    always waits for a working day), so on the real clock these tests failed after 18:00 and at
    weekends. The test mail server's event loop keeps the real clock (a jump of its monotonic
    time fires its timeouts)."""
    with freeze_time("2026-03-06 09:05:00", tick=True, ignore=["asyncio", "aiosmtpd"]):
        yield


def test_org_commands_build_the_escalation_line(app: App) -> None:
    assert _run(app, "teams", "add", "Online harm")[0] == 0
    code, out, _ = _run(
        app, "users", "add", "morgan", "--name", "Morgan", "--email", "m@esafety.test",
        "--role", "manager", "--team", "Online harm",
    )  # fmt: skip
    assert (code, out.startswith("user morgan added")) == (0, True)
    _run(
        app,
        "users",
        "add",
        "hana",
        "--name",
        "Hana",
        "--email",
        "h@esafety.test",
        "--role",
        "manager",
    )
    code, out, _ = _run(
        app, "teams", "set-manager", "Online harm", "--manager", "morgan",
        "--head-of-service", "hana",
    )  # fmt: skip
    assert code == 0
    code, out, _ = _run(app, "teams", "list")
    assert out.split("\t")[1:] == ["Online harm", "manager=morgan", "head_of_service=hana\n"]
    code, out, _ = _run(app, "users", "list", "--team", "Online harm")
    assert [line.split("\t")[1] for line in out.splitlines()] == ["morgan"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["users", "add", "x", "--name", "X", "--email", "x@t.test", "--role", "boss"],
            "role 'boss': expected one of practitioner, manager, lado, admin, auditor",
        ),
        (
            ["users", "add", "x", "--name", "X", "--email", "nope", "--role", "manager"],
            "--email: 'nope': An email address must have an @-sign.",
        ),
        (
            [
                "users",
                "add",
                "x",
                "--name",
                "X",
                "--email",
                "x@t.test",
                "--role",
                "manager",
                "--team",
                "Nowhere",
            ],
            "no team named 'Nowhere'",
        ),
        (["teams", "add", "T", "--manager", "ghost"], "--manager 'ghost': no such user"),
        (["teams", "set-manager", "Nowhere", "--manager", "ghost"], "no team named 'Nowhere'"),
        (["sweep", "--as-of", "2026-13-45"], "--as-of '2026-13-45'"),
        (["alerts", "deliver", "--channel", "sms"], "--channel 'sms': expected email or webhook"),
    ],
)
def test_bad_input_exits_2_naming_the_problem_and_writes_nothing(
    app: App, args: list[str], message: str
) -> None:
    before = persistence.count_rows(app.session_factory)
    code, _, err = _run(app, *args)
    assert code == 2
    assert message in err
    assert persistence.count_rows(app.session_factory) == before


def test_duplicate_team_is_refused(app: App) -> None:
    assert _run(app, "teams", "add", "T")[0] == 0
    code, _, err = _run(app, "teams", "add", "T")
    assert code == 2
    assert "team name 'T' is already taken" in err


@pytest.mark.usefixtures("in_alert_hours")
def test_sweep_then_deliver_commands_send_once(app: App, org: Org, smtp_server: SmtpSink) -> None:
    referred_case(app, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    # Friday: overdue to the owner and escalated to the manager (2 working days overdue)
    code, out, _ = _run(app, "sweep", "--as-of", "2026-03-06T09:00")
    assert code == 0
    assert "2 new alerts, 2 deliveries queued" in out
    assert _run(app, "sweep", "--as-of", "2026-03-06T09:00")[1].count("0 new alerts") == 1
    code, out, _ = _run(app, "alerts", "deliver")
    assert (code, out) == (0, "email: 2 delivered, 0 failed\n")
    assert _run(app, "alerts", "deliver")[1] == "email: 0 delivered, 0 failed\n"
    assert len(smtp_server.to("sam@esafety.test")) == 1
    assert len(smtp_server.to("morgan@esafety.test")) == 1
    assert _run(app, "alerts", "status")[1] == "email\tdelivered\t2\n"


@pytest.mark.usefixtures("in_alert_hours")
def test_deliver_command_exits_1_while_smtp_is_down(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    referred_case(app, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    _run(app, "sweep", "--as-of", "2026-03-06T09:00")
    smtp_server.stop()
    code, _, err = _run(app, "alerts", "deliver")
    assert code == 1
    assert "cannot connect" in err
    assert delivery_counts(app.session_factory) == {("email", "pending"): 2}


@pytest.mark.usefixtures("in_alert_hours")
def test_deliver_after_a_killed_run_exits_1_and_sends_nothing_twice(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    """Finding 12: after a killed delivery run, the re-run exited 0 with the alerts still held.
    Now it sends none of what the killed run holds, says so and exits 1; once the claim's lease
    has run out a run takes them over and sends each once."""
    referred_case(app, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    _run(app, "sweep", "--as-of", "2026-03-06T09:00")
    sf = app.session_factory
    now = datetime.now(UTC)
    held = claim_deliveries(sf, "email", runner="killed", at=now, lease=timedelta(minutes=15))
    assert len(held) == 2
    code, out, err = _run(app, "alerts", "deliver")
    assert code == 1
    assert out == "email: 0 delivered, 0 failed\n"
    assert "email: 2 still pending, 2 held by another run until " in err
    assert smtp_server.messages == []
    # the killed run's lease runs out
    with sf.begin() as s:
        s.execute(update(alert_deliveries).values(claimed_until=now - timedelta(minutes=1)))
    code, out, err = _run(app, "alerts", "deliver")
    assert (code, out, err) == (0, "email: 2 delivered, 0 failed\n", "")
    assert _run(app, "alerts", "deliver")[:2] == (0, "email: 0 delivered, 0 failed\n")
    assert len(smtp_server.to("sam@esafety.test")) == 1
    assert len(smtp_server.to("morgan@esafety.test")) == 1


@pytest.mark.usefixtures("in_alert_hours")
def test_deliver_exits_1_while_an_address_cannot_be_used_and_sends_the_rest(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    """Finding 3: one address with a line break crashed `esafety alerts deliver` and blocked
    every alert of its batch. Now that alert fails alone with its reason, the run goes on, and
    the command exits 1 while it is pending."""
    referred_case(app, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    sf = app.session_factory
    with sf.begin() as s:
        s.execute(
            update(users)
            .where(users.c.id == org.manager_id)
            .values(email="morgan@esafety.test\nBcc: x@y.test")
        )
    _run(app, "sweep", "--as-of", "2026-03-06T09:00")
    code, out, err = _run(app, "alerts", "deliver")
    assert code == 1
    assert out == "email: 1 delivered, 1 failed\n"
    assert "cannot build the message: ValueError:" in err
    assert "email: 1 still pending\n" in err
    assert len(smtp_server.to("sam@esafety.test")) == 1
    assert delivery_counts(sf) == {("email", "delivered"): 1, ("email", "pending"): 1}


def test_sweep_and_deliver_commands_do_not_import_prefect() -> None:
    code = (
        "import sys\n"
        "from esafety_flow.cli import sweep_cmd, alerts_cmd\n"
        "import esafety_flow.notify.jobs, esafety_flow.bootstrap\n"
        "assert 'prefect' not in sys.modules, 'prefect imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_worker_show_prints_london_schedules(app: App) -> None:
    code, out, _ = _run(app, "worker", "--show")
    assert code == 0
    assert out.splitlines() == [
        "deadline-sweep\t*/15 * * * *\tEurope/London",
        "deliver-alerts\t* * * * *\tEurope/London",
        "manager-digest\t0 8 * * 1-5\tEurope/London",
        "census-check\t30 1 * * *\tEurope/London",
    ]


def test_worker_refuses_a_bad_cron(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESAFETY_DIGEST_CRON", "0 25 * * *")
    code, _, err = _run(app, "worker", "--show")
    assert code == 2
    assert "manager-digest: invalid cron expression '0 25 * * *'" in err


def test_deploy_show_prints_the_pool_and_each_deployment(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESAFETY_WORK_POOL", "council-a")
    code, out, _ = _run(app, "deploy", "--show")
    assert code == 0
    assert out.splitlines() == [
        "work pool council-a (process)",
        "deadline-sweep\t*/15 * * * *\tEurope/London",
        "deliver-alerts\t* * * * *\tEurope/London",
        "manager-digest\t0 8 * * 1-5\tEurope/London",
        "census-check\t30 1 * * *\tEurope/London",
        "recalculate-deadlines\tno schedule (run on demand)",
    ]


def test_deploy_refuses_a_bad_cron_and_registers_nothing(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESAFETY_SWEEP_CRON", "every quarter hour")
    code, out, err = _run(app, "deploy")
    assert code == 2
    assert "deadline-sweep: invalid cron expression 'every quarter hour'" in err
    assert out == ""
