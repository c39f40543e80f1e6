"""Work notices by email (DESIGN 2.5): the delivery pass renders each work notice not yet emailed
into the notice outbox (kind `work`: the case reference, what happened and a link, nothing of
the case) and sends it exactly once; through the jobs, `esafety alerts deliver` and the
`deliver_alerts` flow, with a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from typer.testing import CliRunner

from calendars import Region
from esafety_flow.bootstrap import App
from esafety_flow.notify import jobs
from tests.flows.conftest import JAN_2026, Org, referred_case
from tests.notify.servers import SmtpSink
from workflows import casework, notifications, organisation
from workflows.delivery import notice_counts

REFERRED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def pat(app: App, org: Org) -> int:
    return organisation.create_user(
        app.session_factory,
        username="pat",
        display_name="Pat Practitioner",
        email="pat@esafety.test",
        role="practitioner",
        at=JAN_2026,
        team_id=org.team_id,
    )


def _allocate(app: App, case_id: int, owner: str) -> None:
    casework.apply_event(
        app.session_factory,
        case_id,
        "allocate",
        at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        actor="morgan",
        data={"owner": owner},
        calendar=app.calendar_for(Region.ENGLAND_AND_WALES),
        policy=app.policy,
    )


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_new_owner_is_emailed_once_with_the_reference_and_a_link(
    app: App, org: Org, pat: int, smtp_server: SmtpSink
) -> None:
    case_id = referred_case(app, org, REFERRED, child="Robin Quill")
    _allocate(app, case_id, "pat")
    jobs.deliver_pending_notices(app)
    jobs.deliver_pending_notices(app)
    [message] = smtp_server.to("pat@esafety.test")
    reference = casework.get_case(app.session_factory, case_id).reference
    assert str(message["Subject"]) == f"Case {reference} has been allocated to you"
    body = _text(message)
    assert "Dear Pat Practitioner," in body
    assert f"Open the case: http://esafety.test/cases/{case_id}" in body
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    for part in (body, str(html.get_content())):
        assert "Robin" not in part  # no child's name
        assert "grooming" not in part  # no fact of the case
    assert notifications.unemailed(app.session_factory) == []
    assert notice_counts(app.session_factory) == {("work", "delivered"): 1}


def test_a_work_notice_not_accepted_stays_pending_and_goes_out_once(
    app: App, org: Org, pat: int, smtp_server: SmtpSink
) -> None:
    case_id = referred_case(app, org, REFERRED)
    _allocate(app, case_id, "pat")
    smtp_server.stop()
    down = jobs.deliver_pending_notices(app)
    assert len(down.failed) == 1
    assert notice_counts(app.session_factory) == {("work", "pending"): 1}
    smtp_server.start()
    again = jobs.deliver_pending_notices(app)
    assert [kind for kind, _ in again.delivered] == ["work"]
    jobs.deliver_pending_notices(app)
    assert len(smtp_server.to("pat@esafety.test")) == 1


def test_a_worker_whose_case_passed_to_the_lados_is_told_without_a_link_to_it(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    organisation.create_user(
        app.session_factory,
        username="lee",
        display_name="Lee LADO",
        email="lee@esafety.test",
        role="lado",
        at=JAN_2026,
    )
    case_id = referred_case(app, org, REFERRED, child="Robin Quill")
    casework.apply_event(
        app.session_factory,
        case_id,
        "record_facts",
        at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        actor="sam",
        data={"alleged_abuser": {"kind": "adult", "position_of_trust": True, "role": "teacher"}},
        calendar=app.calendar_for(Region.ENGLAND_AND_WALES),
        policy=app.policy,
    )
    jobs.deliver_pending_notices(app)
    [message] = smtp_server.to("sam@esafety.test")
    body = _text(message)
    assert "passed to the LADOs" in str(message["Subject"])
    assert "Open your caseload: http://esafety.test/caseload" in body
    assert f"/cases/{case_id}" not in body
    assert "teacher" not in body
    assert "Robin" not in body


def test_alerts_deliver_sends_the_work_notices(
    app: App, org: Org, pat: int, smtp_server: SmtpSink
) -> None:
    from esafety_flow.cli import app as cli

    _allocate(app, referred_case(app, org, REFERRED), "pat")
    env = {"ESAFETY_DATABASE_URL": app.settings.database_url}
    env |= {"ESAFETY_SMTP_HOST": "127.0.0.1", "ESAFETY_SMTP_PORT": str(smtp_server.port)}
    result = CliRunner().invoke(cli, ["alerts", "deliver"], env=env)
    assert result.exit_code == 0, result.output
    assert "notices: 1 delivered, 0 failed" in result.stdout
    assert CliRunner().invoke(cli, ["alerts", "deliver"], env=env).exit_code == 0
    assert len(smtp_server.to("pat@esafety.test")) == 1


@pytest.fixture
def flows_on(app: App) -> Iterator[App]:
    from esafety_flow.flows import use_app

    use_app(app)
    yield app
    use_app(None)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_deliver_alerts_flow_sends_each_work_notice_once(
    flows_on: App, org: Org, pat: int, smtp_server: SmtpSink
) -> None:
    from esafety_flow.flows import deliver_alerts

    _allocate(flows_on, referred_case(flows_on, org, REFERRED), "pat")
    deliver_alerts()
    deliver_alerts()
    assert len(smtp_server.to("pat@esafety.test")) == 1


def test_a_work_notice_that_cannot_be_built_blocks_no_other(
    app: App, org: Org, pat: int, smtp_server: SmtpSink
) -> None:
    """An address stored with a line break (before addresses were validated) made rendering
    the work notices raise, so none was queued and every delivery pass crashed. Now that notice
    fails alone with its reason and stays unemailed (tried again next pass); the others go."""
    from sqlalchemy import update

    from workflows.persistence import users

    organisation.create_user(
        app.session_factory,
        username="kit",
        display_name="Kit Practitioner",
        email="kit@esafety.test",
        role="practitioner",
        at=JAN_2026,
        team_id=org.team_id,
    )
    _allocate(app, referred_case(app, org, REFERRED, child="A"), "pat")
    _allocate(app, referred_case(app, org, REFERRED, child="B"), "kit")
    with app.session_factory.begin() as s:
        s.execute(
            update(users).where(users.c.id == pat).values(email="pat@esafety.test\r\nBcc: x@y.test")
        )
    report = jobs.deliver_pending_notices(app)
    assert len(smtp_server.to("kit@esafety.test")) == 1
    assert smtp_server.to("pat@esafety.test") == []
    [(kind, label)] = report.failed
    assert kind == "work"
    assert label.endswith("allocated to pat")
    assert report.failed[(kind, label)].startswith("cannot build the message: ValueError:")
    [left] = notifications.unemailed(app.session_factory)
    assert left.username == "pat"
    # the next pass tries it again, alone, and sends nothing twice
    again = jobs.deliver_pending_notices(app)
    assert list(again.failed) == [(kind, label)]
    assert len(smtp_server.to("kit@esafety.test")) == 1
