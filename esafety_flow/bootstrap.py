"""The one place that builds the service's parts: settings, engine, session factory, clock,
policy and calendars (house rule 8: nothing of this happens at import time).

    app = bootstrap()                       # settings from the environment (ESAFETY_*)
    app = bootstrap(Settings(database_url="sqlite:///:memory:"), clock=FixedClock(instant))

A region's calendar is its default spec (bank holidays from `holidays`) plus the one-off days and,
when `closure_days_enabled`, the local closure days recorded in `calendar_days`: a versioned value
(`calendar.version`) stored with every deadline it computes. `App.calendar_for(region)` reads the
current rows each time (cheap) and shares the built calendar per distinct spec.

Migrations connect as `migration_database_url` when it is set (on PostgreSQL the tables' owner),
the service as `database_url` (a role that may only insert into and read the logs,
docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from calendars import Clock, Region, SystemClock, WorkingDayCalendar
from esafety_flow.settings import Settings
from states import Policy, load_policy, policy_by_name
from workflows import calendar_days
from workflows.persistence import SessionFactory, make_engine, make_session_factory, upgrade

__all__ = ["App", "bootstrap", "migrate_database"]


@dataclass
class App:
    """What the service edge (CLI, web app, flows) works with."""

    settings: Settings
    engine: Engine
    session_factory: SessionFactory
    clock: Clock
    policy: Policy
    region: Region
    _policies: dict[str, Policy] = field(default_factory=dict, repr=False)

    def calendar_for(self, region: Region | str) -> WorkingDayCalendar:
        """The region's current calendar, as configured in the database."""
        return calendar_days.load_calendar(
            self.session_factory,
            Region.parse(region) if not isinstance(region, Region) else region,
            closures=self.settings.closure_days_enabled,
        )

    def policy_for(self, name: str) -> Policy:
        """The configured policy (by its name) or a built-in one."""
        if name == self.policy.name:
            return self.policy
        if name not in self._policies:
            self._policies[name] = policy_by_name(name)
        return self._policies[name]

    def close(self) -> None:
        self.engine.dispose()


def migrate_database(settings: Settings, engine: Engine | None = None) -> None:
    """Bring the database up to the latest migration, connected as `migration_database_url`
    (the tables' owner) when it is set, else with `engine` (or one on `database_url`)."""
    owner_url = settings.migration_database_url
    if owner_url is None and engine is not None:
        upgrade(engine)
        return
    owner = make_engine(owner_url or settings.database_url)
    try:
        upgrade(owner)
    finally:
        owner.dispose()


def bootstrap(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    migrate: bool = True,
    pool_size: int | None = None,
    parallel_query: bool = True,
) -> App:
    """Build the app; by default bring the database up to the latest migration first.
    `pool_size`: PostgreSQL connections to keep open (a web server's concurrency);
    `parallel_query=False`: its connections plan without parallel workers (the web server's:
    `workflows.persistence.serial_reading`)."""
    settings = settings if settings is not None else Settings()
    region = Region.parse(settings.region)
    policy = (
        load_policy(settings.policy_file)
        if settings.policy_file is not None
        else policy_by_name(settings.policy)
    )
    engine = make_engine(settings.database_url, pool_size=pool_size, parallel_query=parallel_query)
    if migrate:
        migrate_database(settings, engine)
    return App(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock if clock is not None else SystemClock(),
        policy=policy,
        region=region,
    )
