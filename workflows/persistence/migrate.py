"""Running the Alembic migrations from code (no alembic.ini: the scripts ship as package data)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

__all__ = ["alembic_config", "head_revision", "upgrade"]

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
