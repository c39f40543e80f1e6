"""The outbox's costs follow new work (queueing reads only the alerts not yet queued; old rows
are archived), and email alerts wait for the authority's alert hours (DESIGN 3.3). SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, func, insert, select

from calendars import LONDON, FixedClock, Region, to_utc
from esafety_flow.bootstrap import App
from esafety_flow.notify import jobs
from esafety_flow.settings import Settings
from states import ENGLAND_2023
from tests.delivery.rows import Org, add_alert, add_case, add_deadline, make_org
from workflows.delivery import (
    Hold,
    claim_deliveries,
    mark_delivered,
    outstanding_deliveries,
    queue_deliveries,
)
from workflows.outbox_archive import archive_outbox
from workflows.persistence import SessionFactory, alert_deliveries, alerts, notices
from workflows.persistence.tables import (
    alert_deliveries_archive,
    alerts_archive,
    notices_archive,
)


def london(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return to_utc(datetime(y, m, d, hh, mm, tzinfo=LONDON))


def _alert(sf: SessionFactory, org: Org, ref: str, level: str = "overdue", **kw: object) -> int:
    region = str(kw.pop("region", "england-and-wales"))
    status = str(kw.pop("status", "open"))
    case_id = add_case(sf, org, ref, region=region)
    deadline_id = add_deadline(sf, case_id, date(2026, 3, 3), status=status)
    return add_alert(sf, deadline_id, case_id, level, **kw)  # type: ignore[arg-type]


def _not_before(sf: SessionFactory) -> dict[tuple[int, str], datetime | None]:
    with sf.begin() as s:
        rows = s.execute(
            select(
                alert_deliveries.c.alert_id,
                alert_deliveries.c.channel,
                alert_deliveries.c.not_before,
            )
        ).all()
    return {(r[0], r[1]): r[2] for r in rows}


# -- queueing reads only what is new ----------------------------------------------------------


def test_queueing_marks_alerts_queued_and_reads_only_new_ones(
    session_factory: SessionFactory,
) -> None:
    org = make_org(session_factory)
    first = _alert(session_factory, org, "C-1")
    at = datetime(2026, 3, 4, 10, tzinfo=UTC)
    assert queue_deliveries(session_factory, ["email", "webhook"], at=at) == 2
    with session_factory.begin() as s:
        assert s.execute(select(alerts.c.queued_at).where(alerts.c.id == first)).scalar_one() == at
    # a queued alert whose delivery row was removed is not queued again: only new alerts count
    with session_factory.begin() as s:
        s.execute(alert_deliveries.delete().where(alert_deliveries.c.channel == "webhook"))
    assert queue_deliveries(session_factory, ["email", "webhook"], at=at) == 0
    second = _alert(session_factory, org, "C-2")
    assert queue_deliveries(session_factory, ["email"], at=at) == 1
    assert set(_not_before(session_factory)) == {(first, "email"), (second, "email")}


def test_queueing_works_in_batches(
    session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflows import delivery

    monkeypatch.setattr(delivery, "QUEUE_BATCH", 2)
    org = make_org(session_factory)
    ids = [_alert(session_factory, org, f"C-{n}") for n in range(5)]
    assert queue_deliveries(session_factory, ["email"]) == 5
    assert sorted(a for a, _ in _not_before(session_factory)) == ids
    with session_factory.begin() as s:
        unqueued = s.execute(select(func.count()).where(alerts.c.queued_at.is_(None))).scalar_one()
    assert unqueued == 0


def test_the_not_yet_queued_index_is_partial(engine: Engine) -> None:
    index = next(i for i in alerts.indexes if i.name == "ix_alerts_unqueued")
    where = index.dialect_options[engine.dialect.name]["where"]
    assert "queued_at IS NULL" in str(where)


# -- alert hours ------------------------------------------------------------------------------


def _app(engine: Engine, sf: SessionFactory, at: datetime, **settings: object) -> App:
    return App(
        settings=Settings(database_url=str(engine.url), **settings),  # type: ignore[arg-type]
        engine=engine,
        session_factory=sf,
        clock=FixedClock(at),
        policy=ENGLAND_2023,
        region=Region.ENGLAND_AND_WALES,
    )


def test_an_email_written_after_midnight_waits_for_eight_and_the_webhook_does_not(
    engine: Engine, session_factory: SessionFactory
) -> None:
    org = make_org(session_factory)
    alert = _alert(session_factory, org, "C-1", "due_today")
    night = london(2026, 3, 5, 0, 5)  # Thursday
    jobs.queue(_app(engine, session_factory, night))
    opens = london(2026, 3, 5, 8)
    assert _not_before(session_factory) == {(alert, "email"): opens}
    # nothing to claim, and nothing outstanding, before 08:00
    claim = {"runner": "r", "lease": timedelta(minutes=5)}
    assert claim_deliveries(session_factory, "email", at=night, **claim) == []  # type: ignore[arg-type]
    waiting = outstanding_deliveries(session_factory, ["email"], at=night)
    assert waiting.pending == 0
    # at 08:00 it goes
    claimed = claim_deliveries(session_factory, "email", at=opens, **claim)  # type: ignore[arg-type]
    assert [p.alert_id for p in claimed] == [alert]


def test_with_webhooks_only_the_email_row_waits(
    engine: Engine, session_factory: SessionFactory
) -> None:
    org = make_org(session_factory)
    alert = _alert(session_factory, org, "C-1", "overdue")
    app = _app(engine, session_factory, london(2026, 3, 5, 19), webhook_url="http://hook.test/")
    jobs.queue(app)
    assert _not_before(session_factory) == {
        (alert, "email"): london(2026, 3, 6, 8),
        (alert, "webhook"): None,
    }


def test_in_hours_nothing_waits(engine: Engine, session_factory: SessionFactory) -> None:
    org = make_org(session_factory)
    alert = _alert(session_factory, org, "C-1", "escalated")
    jobs.queue(_app(engine, session_factory, london(2026, 3, 5, 10)))
    assert _not_before(session_factory) == {(alert, "email"): None}


def test_a_level_outside_the_setting_goes_at_once_but_never_an_escalation_on_a_bank_holiday(
    engine: Engine, session_factory: SessionFactory
) -> None:
    org = make_org(session_factory)
    overdue = _alert(session_factory, org, "C-1", "overdue")
    escalated = _alert(session_factory, org, "C-2", "escalated")
    good_friday = london(2026, 4, 3, 10)
    jobs.queue(_app(engine, session_factory, good_friday, alert_hours_levels=[]))
    assert _not_before(session_factory) == {
        (overdue, "email"): None,
        (escalated, "email"): london(2026, 4, 7, 8),  # the Tuesday after Easter Monday
    }


def test_the_hours_follow_the_case_region(engine: Engine, session_factory: SessionFactory) -> None:
    org = make_org(session_factory)
    england = _alert(session_factory, org, "C-1", "due_soon")
    ulster = _alert(session_factory, org, "C-2", "due_soon", region="northern-ireland")
    st_patricks = london(2026, 3, 17, 9)  # a bank holiday in Northern Ireland only
    jobs.queue(_app(engine, session_factory, st_patricks))
    assert _not_before(session_factory) == {
        (england, "email"): None,
        (ulster, "email"): london(2026, 3, 18, 8),
    }


def test_alert_hours_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="must be after"):
        Settings(alert_hours_open=time(18), alert_hours_close=time(8))
    with pytest.raises(ValueError, match="alert_hours_levels"):
        Settings(alert_hours_levels=["sometime"])


def test_a_hold_is_per_region_and_level(session_factory: SessionFactory) -> None:
    org = make_org(session_factory)
    a = _alert(session_factory, org, "C-1", "overdue")
    b = _alert(session_factory, org, "C-2", "due_soon")
    later = datetime(2026, 3, 6, 8, tzinfo=UTC)
    queue_deliveries(
        session_factory, ["email"], hold=Hold({("england-and-wales", "due_soon"): later})
    )
    assert _not_before(session_factory) == {(a, "email"): None, (b, "email"): later}


def test_a_hold_function_is_asked_only_for_the_regions_of_the_new_alerts(
    session_factory: SessionFactory,
) -> None:
    later = datetime(2026, 3, 18, 8, tzinfo=UTC)
    asked: list[set[str]] = []

    def hold(regions: Collection[str]) -> Hold:
        asked.append(set(regions))
        return Hold({("northern-ireland", "due_soon"): later})

    org = make_org(session_factory)
    first = _alert(session_factory, org, "C-1", "overdue")
    queue_deliveries(session_factory, ["webhook"], hold=hold)  # no email: nothing to hold
    assert asked == []
    england = _alert(session_factory, org, "C-2", "overdue")
    ulster = _alert(session_factory, org, "C-3", "due_soon", region="northern-ireland")
    queue_deliveries(session_factory, ["email"], hold=hold)
    assert asked == [{"england-and-wales", "northern-ireland"}]  # not Scotland: no alert of it
    assert _not_before(session_factory) == {
        (first, "webhook"): None,
        (england, "email"): None,
        (ulster, "email"): later,
    }


# -- archiving ---------------------------------------------------------------------------------


def _notice(sf: SessionFactory, key: str, status: str, created_at: datetime) -> None:
    with sf.begin() as s:
        s.execute(
            insert(notices).values(
                key=key,
                kind="digest",
                label="digest",
                recipient="m@x.test",
                message="Subject: x\n\nbody",
                created_at=created_at,
                status=status,
            )
        )


def _count(sf: SessionFactory, table: object) -> int:
    with sf.begin() as s:
        return int(s.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_archive_moves_only_what_nothing_needs(session_factory: SessionFactory) -> None:
    sf = session_factory
    org = make_org(sf)
    old = datetime(2025, 1, 10, 9, tzinfo=UTC)
    done = _alert(sf, org, "C-1", status="met", created_at=old)
    still_open = _alert(sf, org, "C-2", status="open", created_at=old)
    undelivered = _alert(sf, org, "C-3", status="met", created_at=old)
    recent = _alert(sf, org, "C-4", status="met", created_at=datetime(2026, 3, 1, tzinfo=UTC))
    queue_deliveries(sf, ["email", "webhook"])
    at = datetime(2026, 3, 4, 9, tzinfo=UTC)
    for alert in (done, still_open, recent):
        for channel in ("email", "webhook"):
            assert mark_delivered(sf, alert, channel, at=at)
    assert mark_delivered(sf, undelivered, "email", at=at)  # its webhook is still pending
    _notice(sf, "old-sent", "delivered", old)
    _notice(sf, "old-pending", "pending", old)
    _notice(sf, "new-sent", "delivered", datetime(2026, 3, 1, tzinfo=UTC))

    report = archive_outbox(sf, before=datetime(2026, 1, 1, tzinfo=UTC), at=at, batch=1)
    assert (report.alerts, report.deliveries, report.notices) == (1, 2, 1)
    with sf.begin() as s:
        left = set(s.execute(select(alerts.c.id)).scalars())
        moved = s.execute(select(alerts_archive)).mappings().one()
        moved_deliveries = s.execute(
            select(alert_deliveries_archive.c.alert_id, alert_deliveries_archive.c.status)
        ).all()
        kept_keys = set(s.execute(select(notices.c.key)).scalars())
        archived_keys = set(s.execute(select(notices_archive.c.key)).scalars())
    assert left == {still_open, undelivered, recent}
    assert moved["id"] == done
    assert moved["level"] == "overdue"
    assert moved["archived_at"] == at
    assert sorted(moved_deliveries) == [(done, "delivered"), (done, "delivered")]
    assert kept_keys == {"old-pending", "new-sent"}
    assert archived_keys == {"old-sent"}
    # run again: nothing more moves
    again = archive_outbox(sf, before=datetime(2026, 1, 1, tzinfo=UTC), at=at)
    assert (again.alerts, again.deliveries, again.notices) == (0, 0, 0)
    assert _count(sf, alert_deliveries) == 6


def test_archive_refuses_a_bad_batch(session_factory: SessionFactory) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        archive_outbox(
            session_factory,
            before=datetime(2026, 1, 1, tzinfo=UTC),
            at=datetime(2026, 1, 2, tzinfo=UTC),
            batch=0,
        )


def test_the_archive_job_uses_the_retention_setting(
    engine: Engine, session_factory: SessionFactory
) -> None:
    org = make_org(session_factory)
    now = datetime(2026, 3, 4, 9, tzinfo=UTC)
    old = _alert(session_factory, org, "C-1", status="met", created_at=now - timedelta(days=31))
    young = _alert(session_factory, org, "C-2", status="met", created_at=now - timedelta(days=29))
    queue_deliveries(session_factory, ["email"])
    for alert in (old, young):
        mark_delivered(session_factory, alert, "email", at=now)
    report = jobs.archive(_app(engine, session_factory, now, outbox_retention_days=30))
    assert report.alerts == 1
    with session_factory.begin() as s:
        assert set(s.execute(select(alerts.c.id)).scalars()) == {young}
