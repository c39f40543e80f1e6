"""`esafety_flow.bootstrap` and `esafety db upgrade` on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from calendars import FixedClock, Region, SystemClock
from esafety_flow.bootstrap import bootstrap
from esafety_flow.cli import app as cli
from esafety_flow.settings import Settings
from states import policy_by_name
from workflows import calendar_days

runner = CliRunner()


def test_bootstrap_builds_and_migrates(database_url: str) -> None:
    instant = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    app = bootstrap(Settings(database_url=database_url), clock=FixedClock(instant))
    try:
        assert "deadlines" in inspect(app.engine).get_table_names()
        assert app.clock.now() == instant
        assert app.region is Region.ENGLAND_AND_WALES
        assert app.policy.name == "england-2023"
        assert app.policy_for("england-2023") is app.policy
        default = app.calendar_for("england-and-wales")
        assert default.is_working_day(date(2026, 3, 3))
        calendar_days.add_calendar_day(
            app.session_factory,
            region=Region.ENGLAND_AND_WALES,
            day=date(2026, 3, 3),
            name="One-off",
            added_by="admin",
            at=instant,
            policy_for=app.policy_for,
        )
        changed = app.calendar_for(Region.ENGLAND_AND_WALES)
        assert not changed.is_working_day(date(2026, 3, 3))
        assert changed.version != default.version
    finally:
        app.close()


def test_bootstrap_defaults_to_the_system_clock(tmp_path: Path) -> None:
    app = bootstrap(Settings(database_url="sqlite:///:memory:"))
    try:
        assert isinstance(app.clock, SystemClock)
    finally:
        app.close()


def test_bootstrap_refuses_unknown_region_and_policy() -> None:
    with pytest.raises(ValueError, match="region"):
        bootstrap(Settings(database_url="sqlite:///:memory:", region="wales-and-england"))
    with pytest.raises(ValueError, match="unknown policy"):
        bootstrap(Settings(database_url="sqlite:///:memory:", policy="nowhere-2001"))


def test_bootstrap_without_migrating_leaves_the_database_alone(database_url: str) -> None:
    app = bootstrap(Settings(database_url=database_url), migrate=False)
    try:
        assert "deadlines" not in inspect(app.engine).get_table_names()
    finally:
        app.close()


def test_policy_for_other_builtin_names() -> None:
    app = bootstrap(Settings(database_url="sqlite:///:memory:"))
    try:
        assert app.policy_for("england-2023") == policy_by_name("england-2023")
        with pytest.raises(ValueError, match="unknown policy"):
            app.policy_for("nowhere-2001")
    finally:
        app.close()


def test_db_upgrade_command(database_url: str) -> None:
    result = runner.invoke(cli, ["db", "upgrade", "--database-url", database_url])
    assert result.exit_code == 0, result.stderr
    assert "at revision 0100" in result.stdout
    again = runner.invoke(cli, ["db", "upgrade", "--database-url", database_url])
    assert again.exit_code == 0


def test_db_upgrade_reads_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/from-env.db"
    monkeypatch.setenv("ESAFETY_DATABASE_URL", url)
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.stderr
    assert "from-env.db" in result.stdout


def test_db_upgrade_bad_url() -> None:
    result = runner.invoke(cli, ["db", "upgrade", "--database-url", "oracle://x"])
    assert result.exit_code == 2
    assert "unsupported database URL" in result.stderr
    assert result.stdout == ""
