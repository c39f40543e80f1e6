"""Running the Alembic migrations from code (no alembic.ini: the scripts ship as package data),
and checking without migrating that a database is at this release's revision
(`revision_problem`: the web app's readiness and every flow run ask it; only `esafety db upgrade`
and the processes that own the schema migrate)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

__all__ = [
    "alembic_config",
    "current_revision",
    "head_revision",
    "revision_mismatch",
    "revision_problem",
    "upgrade",
]

SCRIPT_LOCATION = str(Path(__file__).resolve().parent.parent / "migrations")


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for the packaged scripts, bound to a connection or a URL."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database of `engine` up to `revision` (idempotent)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def head_revision() -> str:
    """The newest revision of the packaged migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database of `engine` is at (None: never migrated). Reads only."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def revision_mismatch(revision: str | None, head: str) -> str | None:
    """Why a database at `revision` does not suit this release (None: it does)."""
    if revision == head:
        return None
    return (
        f"the database is at revision {revision or 'none'}, this release needs {head}: "
        "run esafety db upgrade"
    )


def revision_problem(engine: Engine) -> str | None:
    """Why the database of `engine` is not at this release's revision (None: it is).
    Never migrates: a process that only uses the schema asks this and stops."""
    return revision_mismatch(current_revision(engine), head_revision())
