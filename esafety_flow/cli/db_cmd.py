"""`esafety db ...`: the database schema.

    esafety db upgrade [--database-url URL]   run the migrations (default: ESAFETY_DATABASE_URL)

SQLAlchemy and Alembic are imported inside the command, so other commands stay quick to start.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="SQLAlchemy URL; default: ESAFETY_DATABASE_URL or its default."
        ),
    ] = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Bring the database up to the latest (or the given) migration."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from esafety_flow.settings import Settings
    from workflows.persistence import make_engine, upgrade

    url = database_url if database_url is not None else Settings().database_url
    try:
        engine = make_engine(url)
    except Exception as exc:  # bad URL, unknown driver: the caller's input
        typer.echo(f"error: database URL: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        upgrade(engine, revision)
        with engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        typer.echo(f"error: could not migrate {engine.url!r}: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"database {engine.url!r} is at revision {current}")
