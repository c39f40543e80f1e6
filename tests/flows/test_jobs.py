"""The alert jobs without Prefect, on SQLite and PostgreSQL, with a real SMTP server: what a
`esafety sweep` / `esafety alerts deliver` cron pass does, and what each flow task calls."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from freezegun import freeze_time

from calendars import Region, SystemClock
from esafety_flow.bootstrap import App
from esafety_flow.notify import jobs
from tests.flows.conftest import JAN_2026, Org, referred_case
from tests.notify.servers import SmtpSink
from workflows import calendar_days, casework, deadline_alerts, errors, organisation
from workflows.delivery import delivery_counts, notice_counts


def _pass(app: App, as_of: datetime) -> None:
    """One cron pass: sweep at `as_of`, queue, deliver by email."""
    jobs.sweep(app, as_of)
    jobs.queue(app)
    jobs.deliver(app, "email")


def _levels(sink: SmtpSink, address: str) -> list[str]:
    return [str(m["Subject"]).strip().split("]")[0].lstrip("[") for m in sink.to(address)]


def test_overdue_deadline_emails_owner_once_then_manager_two_working_days_later(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    # referred Monday 2 March 2026: decision due Tuesday 3 March, overdue from Wednesday 00:00
    case_id = referred_case(app, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    _pass(app, datetime(2026, 3, 2, 12, 0, tzinfo=UTC))  # due soon: the next working day
    _pass(app, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    assert _levels(smtp_server, "sam@esafety.test") == ["due soon", "due today"]
    for hour in (0, 9, 17):  # three sweeps on Wednesday: one overdue email
        _pass(app, datetime(2026, 3, 4, hour, 0, tzinfo=UTC))
    assert _levels(smtp_server, "sam@esafety.test") == ["due soon", "due today", "overdue"]
    assert smtp_server.to("morgan@esafety.test") == []
    _pass(app, datetime(2026, 3, 5, 23, 59, tzinfo=UTC))  # Thursday: 1 working day overdue
    assert smtp_server.to("morgan@esafety.test") == []
    for hour in (0, 9):  # Friday 00:00: overdue by 2 working days (end of Thursday)
        _pass(app, datetime(2026, 3, 6, hour, 0, tzinfo=UTC))
    [escalation] = smtp_server.to("morgan@esafety.test")
    assert str(escalation["Subject"]).strip().startswith("[overdue (escalated)] referral decision")
    assert f"http://esafety.test/cases/{case_id}" in escalation.as_string()
    assert "Alex" not in escalation.as_string()  # never a child's name
    assert len(smtp_server.to("sam@esafety.test")) == 3
    assert smtp_server.to("hana@esafety.test") == []
    _pass(app, datetime(2026, 3, 11, 0, 0, tzinfo=UTC))  # 5 working days: head of service
    assert _levels(smtp_server, "hana@esafety.test") == ["overdue (escalated)"]
    assert delivery_counts(app.session_factory) == {("email", "delivered"): 5}


def test_sweep_run_twice_sends_nothing_twice(app: App, org: Org, smtp_server: SmtpSink) -> None:
    referred_case(app, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    as_of = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    first = jobs.sweep(app, as_of)
    second = jobs.sweep(app, as_of)
    # overdue only: due soon and due today had passed unsent and are superseded (DESIGN 3.3)
    assert (first.alerts, second.alerts) == (1, 0)
    assert jobs.queue(app) == 1
    assert jobs.queue(app) == 0
    assert len(jobs.deliver(app, "email").delivered) == 1
    assert jobs.deliver(app, "email").delivered == []
    assert len(smtp_server.messages) == 1


def test_sweep_failing_half_way_then_rerun_loses_and_duplicates_nothing(
    app: App, org: Org, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        referred_case(app, org, datetime(2026, 3, 2, 11, i, tzinfo=UTC), child=f"C{i}")
    as_of = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    real_insert = deadline_alerts._insert_alerts
    calls = [0]

    def dies_on_third_batch(session: Any, rows: list[dict[str, Any]]) -> int:
        calls[0] += 1
        if calls[0] == 3:
            raise ConnectionError("database connection lost")
        return real_insert(session, rows)

    monkeypatch.setattr(deadline_alerts, "_insert_alerts", dies_on_third_batch)
    sf = app.session_factory
    with pytest.raises(ConnectionError):
        deadline_alerts.sweep(sf, as_of, app.calendar_for, app.policy_for, batch_size=2)
    partial = deadline_alerts.list_alerts(sf)
    assert len(partial) == 2 * 2  # two whole batches of two deadlines, one level (overdue) each
    monkeypatch.setattr(deadline_alerts, "_insert_alerts", real_insert)
    rerun = deadline_alerts.sweep(sf, as_of, app.calendar_for, app.policy_for, batch_size=2)
    assert rerun.alerts == 1
    alerts = deadline_alerts.list_alerts(sf)
    keys = [(a.deadline_id, a.level, a.recipient_role) for a in alerts]
    assert len(keys) == len(set(keys)) == 5
    jobs.queue(app)
    jobs.deliver(app, "email")
    assert len(smtp_server.to("sam@esafety.test")) == 5
    assert deadline_alerts.sweep(sf, as_of, app.calendar_for, app.policy_for).alerts == 0


def test_smtp_down_keeps_alerts_pending_with_the_error_until_it_is_back(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    referred_case(app, org, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    smtp_server.stop()
    jobs.sweep(app, datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    jobs.queue(app)
    report = jobs.deliver(app, "email")
    assert report.delivered == []
    assert len(report.failed) == 1
    assert all("cannot connect" in e for e in report.failed.values())
    assert delivery_counts(app.session_factory) == {("email", "pending"): 1}
    smtp_server.start()
    assert len(jobs.deliver(app, "email").delivered) == 1
    assert _levels(smtp_server, "sam@esafety.test") == ["overdue"]


# -- frozen time: the service's clock read under freezegun, across clock changes and Christmas --


@pytest.mark.parametrize(
    ("referred", "before", "after"),
    [
        # due Fri 27 March (GMT); 2 working days after: end of Tue 31 March, in BST = 23:00 UTC
        (
            datetime(2026, 3, 26, 10, 0, tzinfo=UTC),
            "2026-03-31T22:59:59Z",
            "2026-03-31T23:00:00Z",
        ),
        # due Fri 23 October (BST); 2 working days after: end of Tue 27 October, in GMT
        (
            datetime(2026, 10, 22, 10, 0, tzinfo=UTC),
            "2026-10-27T23:59:59Z",
            "2026-10-28T00:00:00Z",
        ),
        # due Wed 23 December; 24th, then 25 (Christmas), 28 (Boxing Day substitute) are off:
        # 2 working days after is Tue 29 December, ending at 00:00 GMT on the 30th
        (
            datetime(2026, 12, 22, 10, 0, tzinfo=UTC),
            "2026-12-29T23:59:59Z",
            "2026-12-30T00:00:00Z",
        ),
    ],
    ids=["clocks-go-forward-29-march", "clocks-go-back-25-october", "christmas-2026"],
)
def test_manager_escalation_in_frozen_time(
    app: App, org: Org, smtp_server: SmtpSink, referred: datetime, before: str, after: str
) -> None:
    referred_case(app, org, referred)
    clock = SystemClock()
    with freeze_time(before):
        _pass(app, clock.now())
    assert smtp_server.to("morgan@esafety.test") == []
    assert _levels(smtp_server, "sam@esafety.test")[-1] == "overdue"
    with freeze_time(after):
        _pass(app, clock.now())
    assert len(smtp_server.to("morgan@esafety.test")) == 1


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day"),
        (date(2026, 12, 27), "a weekend"),
    ],
)
def test_no_digest_on_a_day_off(app: App, day: date, reason: str) -> None:
    _, why = jobs.digest_day(app, datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC))
    assert why is not None
    assert reason in why


def test_digest_day_on_a_working_day(app: App) -> None:
    assert jobs.digest_day(app, datetime(2026, 12, 29, 8, 0, tzinfo=UTC)) == (
        date(2026, 12, 29),
        None,
    )


def test_digest_lists_the_team_by_worker(app: App, org: Org, smtp_server: SmtpSink) -> None:
    referred_case(app, org, datetime(2026, 12, 22, 10, 0, tzinfo=UTC))  # due 23 December
    referred_case(app, org, datetime(2026, 12, 29, 10, 0, tzinfo=UTC), child="B")  # due 30th
    report = jobs.send_digests(app, datetime(2026, 12, 29, 8, 0, tzinfo=UTC))
    assert report.sent == ["morgan@esafety.test"]
    [digest] = smtp_server.to("morgan@esafety.test")
    assert (
        str(digest["Subject"]).strip() == "Online harm: 1 overdue, 1 due by 2027-01-03 (2026-12-29)"
    )
    body = digest.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Sam Practitioner" in text
    assert text.index("OVERDUE  2026-12-23") < text.index("due      2026-12-30")


def _ulster_team(app: App) -> None:
    sf = app.session_factory
    team = organisation.create_team(sf, name="Belfast", region="northern-ireland")
    manager = organisation.create_user(
        sf,
        username="niamh",
        display_name="Niamh Manager",
        email="niamh@esafety.test",
        role="manager",
        at=JAN_2026,
        team_id=team,
    )
    organisation.set_team_managers(sf, team, manager_id=manager, head_of_service_id=None)
    worker = organisation.create_user(
        sf,
        username="ciaran",
        display_name="Ciaran Worker",
        email="ciaran@esafety.test",
        role="practitioner",
        at=JAN_2026,
        team_id=team,
    )
    referred_case(app, Org(team, worker, manager, manager), datetime(2026, 3, 10, 10, tzinfo=UTC))


def test_each_team_gets_its_digest_on_its_own_working_days(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    referred_case(app, org, datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    _ulster_team(app)
    st_patricks = datetime(2026, 3, 17, 8, 0, tzinfo=UTC)  # Northern Ireland's bank holiday
    assert jobs.digest_day(app, st_patricks)[1] is None
    report = jobs.send_digests(app, st_patricks)
    assert report.sent == ["morgan@esafety.test"]
    assert report.teams_skipped == ["Belfast"]
    report = jobs.send_digests(app, datetime(2026, 3, 18, 8, 0, tzinfo=UTC))
    assert sorted(report.sent) == ["morgan@esafety.test", "niamh@esafety.test"]


def test_a_day_off_everywhere_sends_no_digest_but_one_region_working_does(app: App) -> None:
    _ulster_team(app)
    # Easter Monday 2026 is a bank holiday in England and Wales and in Northern Ireland
    assert jobs.digest_day(app, datetime(2026, 4, 6, 8, 0, tzinfo=UTC))[1] is not None
    # the Battle of the Boyne (13 July 2026, observed) is Northern Ireland's alone: England works
    assert jobs.digest_day(app, datetime(2026, 7, 13, 8, 0, tzinfo=UTC))[1] is None


def test_a_team_region_must_be_known(app: App) -> None:
    with pytest.raises(errors.InvalidRecord, match="team region"):
        organisation.create_team(app.session_factory, name="Nowhere", region="atlantis")


def test_one_off_holiday_moves_open_deadlines_and_tells_the_owner(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    referred_case(app, org, datetime(2026, 6, 1, 10, 0, tzinfo=UTC))  # due Tue 2 June
    at = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
    region = Region.ENGLAND_AND_WALES
    recorded, moved = jobs.add_calendar_day(
        app,
        region=region,
        day=date(2026, 6, 2),
        name="State event",
        kind="one_off",
        added_by="admin",
        at=at,
    )
    assert (recorded, moved) == (at, 1)
    # a retried run finds the day recorded and moves nothing again
    assert jobs.add_calendar_day(
        app,
        region=region,
        day=date(2026, 6, 2),
        name="State event",
        kind="one_off",
        added_by="admin",
        at=datetime(2026, 5, 20, 12, 5, tzinfo=UTC),
    ) == (at, 0)
    report = jobs.tell_owners(app, region=region, at=recorded, reason="2026-06-02 added")
    assert report.sent == [report.sent[0]]
    [notice] = smtp_server.to("sam@esafety.test")
    text = notice.get_body(preferencelist=("plain",))
    assert text is not None
    content = text.get_content()
    assert "Was due: 2026-06-02" in content
    assert "Now due: 2026-06-03" in content


def test_a_digest_not_accepted_stays_pending_and_goes_out_once_when_smtp_is_back(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    referred_case(app, org, datetime(2026, 12, 22, 10, 0, tzinfo=UTC))
    as_of = datetime(2026, 12, 29, 8, 0, tzinfo=UTC)
    smtp_server.stop()
    down = jobs.send_digests(app, as_of)
    assert down.sent == []
    assert "cannot connect" in down.failed["morgan@esafety.test"]
    assert notice_counts(app.session_factory) == {("digest", "pending"): 1}
    # a retried digest run while the server is still down queues nothing twice
    jobs.send_digests(app, as_of)
    assert notice_counts(app.session_factory) == {("digest", "pending"): 1}
    smtp_server.start()
    back = jobs.deliver_pending_notices(app)
    assert back.delivered == [("digest", "morgan@esafety.test")]
    assert jobs.deliver_pending_notices(app).delivered == []
    assert jobs.send_digests(app, as_of).sent == []  # the day's digest went out already
    [digest] = smtp_server.to("morgan@esafety.test")
    assert "1 overdue" in str(digest["Subject"])
    assert notice_counts(app.session_factory) == {("digest", "delivered"): 1}


def test_a_retried_run_finishes_the_recalculation_a_crash_left(
    app: App, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run went down after recording the day, before moving anything: the retried run
    moves every deadline, dated when the day was recorded, so the owners' notices find them."""
    referred_case(app, org, datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    referred_case(app, org, datetime(2026, 6, 1, 11, 0, tzinfo=UTC), child="Sam")
    at = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
    region = Region.ENGLAND_AND_WALES
    args: dict[str, Any] = {
        "region": region,
        "day": date(2026, 6, 2),
        "name": "State event",
        "kind": "one_off",
        "added_by": "admin",
    }

    def down(*_a: Any, **_k: Any) -> int:
        raise RuntimeError("the machine went down")

    with monkeypatch.context() as patch:
        patch.setattr(calendar_days, "_recompute", down)
        with pytest.raises(RuntimeError):
            jobs.add_calendar_day(app, at=at, **args)
    later = datetime(2026, 5, 20, 12, 5, tzinfo=UTC)
    assert jobs.add_calendar_day(app, at=later, **args) == (at, 2)
    assert jobs.add_calendar_day(app, at=later, **args) == (at, 0)


def test_a_moved_deadline_notice_is_retried_by_alerts_deliver(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    from typer.testing import CliRunner

    from esafety_flow.cli import app as cli

    referred_case(app, org, datetime(2026, 6, 1, 10, 0, tzinfo=UTC))  # due Tue 2 June
    region = Region.ENGLAND_AND_WALES
    recorded, _ = jobs.add_calendar_day(
        app,
        region=region,
        day=date(2026, 6, 2),
        name="State event",
        kind="one_off",
        added_by="admin",
        at=datetime(2026, 5, 20, 12, 0, tzinfo=UTC),
    )
    smtp_server.stop()
    report = jobs.tell_owners(app, region=region, at=recorded, reason="2026-06-02 added")
    assert report.sent == []
    assert len(report.failed) == 1
    smtp_server.start()
    env = {"ESAFETY_DATABASE_URL": app.settings.database_url}
    env |= {"ESAFETY_SMTP_HOST": "127.0.0.1", "ESAFETY_SMTP_PORT": str(smtp_server.port)}
    result = CliRunner().invoke(cli, ["alerts", "deliver"], env=env)
    assert result.exit_code == 0, result.output
    assert "notices: 1 delivered, 0 failed" in result.stdout
    assert CliRunner().invoke(cli, ["alerts", "deliver"], env=env).exit_code == 0
    [notice] = smtp_server.to("sam@esafety.test")
    assert "Now due: 2026-06-03" in str(notice.get_body(preferencelist=("plain",)))


def test_no_notice_carries_anything_family_facing(
    app: App, org: Org, smtp_server: SmtpSink
) -> None:
    """No tipping off (DESIGN 4.2): a case that must not be disclosed to the family yields alerts,
    digests and deadline notices to staff of the org model only, with no fact of the case."""
    sf = app.session_factory
    calendar = app.calendar_for(Region.ENGLAND_AND_WALES)
    facts = {
        "category": "adult_indecent_images",
        "children": [
            {
                "name": "Robin Quill",
                "age": 6,
                "lives_with_alleged_abuser": True,
                "known_to_alleged_abuser": True,
                "shown_in_images": True,
            }
        ],
        "alleged_abuser": {"kind": "adult", "lives_with_children": True, "role": "stepfather"},
    }
    case = casework.raise_concern(
        sf,
        facts=facts,
        at=datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
        actor="sam",
        region=Region.ENGLAND_AND_WALES,
        policy=app.policy,
        calendar=calendar,
        owner_id=org.owner_id,
        team_id=org.team_id,
    )
    assert case.do_not_inform_family
    assert not case.family_may_be_informed
    assert case.id is not None
    _pass(app, datetime(2026, 6, 12, 9, 0, tzinfo=UTC))
    # referred late: the referral decision is due Mon 15 June, which becomes a day off below
    casework.apply_event(
        sf,
        case.id,
        "refer",
        at=datetime(2026, 6, 12, 10, 0, tzinfo=UTC),
        actor="sam",
        data={"referred_to": ["police"]},
        calendar=calendar,
        policy=app.policy,
    )
    jobs.send_digests(app, datetime(2026, 6, 12, 11, 0, tzinfo=UTC))
    region = Region.ENGLAND_AND_WALES
    recorded, moved = jobs.add_calendar_day(
        app,
        region=region,
        day=date(2026, 6, 15),
        name="State event",
        kind="one_off",
        added_by="admin",
        at=datetime(2026, 6, 12, 12, 0, tzinfo=UTC),
    )
    assert moved >= 1
    jobs.tell_owners(app, region=region, at=recorded, reason="2026-06-15 added")
    staff = {"sam@esafety.test", "morgan@esafety.test", "hana@esafety.test"}
    subjects = " | ".join(str(m["Subject"]) for m in smtp_server.messages)
    assert {str(m["To"]) for m in smtp_server.messages} == staff, subjects
    assert "moved" in subjects.lower(), subjects
    for message in smtp_server.messages:
        assert str(message["To"]) in staff
        text = message.as_string()
        for fact in ("Robin", "Quill", "stepfather", "adult_indecent_images", "images"):
            assert fact not in text, (fact, message["Subject"])


def test_the_smtp_time_limits_come_from_the_settings(app: App, org: Org) -> None:
    """A server that accepts and then stalls costs one send limit (ESAFETY_SMTP_SEND_TIMEOUT_
    SECONDS) in a run, not the hard-coded 10 s per message it cost before; the rest wait."""
    import time

    from esafety_flow.bootstrap import bootstrap
    from tests.notify.servers import StallingSmtp

    for i in range(3):
        referred_case(app, org, datetime(2026, 3, 2, 11, i, tzinfo=UTC), child=f"C{i}")
    jobs.sweep(app, datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    stalling = StallingSmtp(at="data")
    stalling.start()
    settings = app.settings.model_copy(
        update={
            "smtp_port": stalling.port,
            "smtp_send_timeout_seconds": 0.4,
            "delivery_parallel": 1,  # one sender: the count of attempts is exact
        }
    )
    stalled = bootstrap(settings, clock=app.clock)
    try:
        jobs.queue(stalled)
        started = time.monotonic()
        report = jobs.deliver(stalled, "email")
        took = time.monotonic() - started
    finally:
        stalled.close()
        stalling.stop()
    assert took < 2.5, f"{took:.1f} s"
    assert report.delivered == []
    # SQLite marks the rest of its claimed batch failed with the same reason; PostgreSQL's
    # locked delivery stops taking rows, and the rest simply wait for the next run
    assert len(report.failed) == (3 if app.engine.dialect.name == "sqlite" else 1)
    assert "did not answer within 0.4 s while sending" in next(iter(report.failed.values()))
    assert stalling.messages == 2  # the first message, tried twice (delivery_attempts=2)
    assert delivery_counts(app.session_factory) == {("email", "pending"): 3}
