"""The app the flows work on: set by the worker or a test, otherwise built on first use.

A flow run never migrates the database: built here, the app only checks that the database is
at this release's revision and, if not, the run fails with `DatabaseNotReady` ("the database is
at revision ..., this release needs ...: run esafety db upgrade"). Migrating is the job of
`esafety db upgrade` (once per release) and of the processes that own the schema on one machine
(`esafety serve`, `esafety worker` without `PREFECT_API_URL`); a flow run that migrated would
race the other workers' runs and need the tables' owner's rights.
"""

from __future__ import annotations

from esafety_flow.bootstrap import App, bootstrap
from workflows.persistence import revision_problem

__all__ = ["DatabaseNotReady", "current_app", "use_app"]

_app: App | None = None


class DatabaseNotReady(RuntimeError):
    """The database is not at this release's revision; a flow run does not migrate it."""


def use_app(app: App | None) -> None:
    """Make the flows of this process work on `app` (None: build from settings on next use)."""
    global _app
    _app = app


def current_app() -> App:
    """The app of this process; built without migrating, and refused (`DatabaseNotReady`)
    while the database is behind or ahead of this release."""
    global _app
    if _app is None:
        app = bootstrap(migrate=False)
        problem = revision_problem(app.engine)
        if problem is not None:
            app.close()
            raise DatabaseNotReady(f"This flow run did not start: {problem}.")
        _app = app
    return _app
