"""`esafety db ...`: the database schema and the service's role.

    esafety db upgrade [--database-url URL]             run the migrations
    esafety db grant-service-role ROLE [--database-url URL]
                                                        give ROLE exactly the service's rights

Both connect as the tables' owner: `--database-url`, else ESAFETY_MIGRATION_DATABASE_URL, else
ESAFETY_DATABASE_URL. `grant-service-role` (PostgreSQL only) lets ROLE insert into and read the
case event log, the audit trail and the case views and nothing more there, with the normal
rights on the other tables (`workflows.persistence.roles`); run it again after each upgrade.
Exit status 2 on bad input (a bad URL, a missing role, one that owns the tables, SQLite).

SQLAlchemy and Alembic are imported inside the command, so other commands stay quick to start.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(
    help="Database schema (Alembic migrations) and the service's role.", no_args_is_help=True
)

OWNER_URL_HELP = (
    "SQLAlchemy URL of the tables' owner; default: ESAFETY_MIGRATION_DATABASE_URL, else "
    "ESAFETY_DATABASE_URL."
)


def _owner_url() -> str:
    from esafety_flow.settings import Settings

    settings = Settings()
    return settings.migration_database_url or settings.database_url


@app.command("upgrade")
def upgrade_cmd(
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help=OWNER_URL_HELP),
    ] = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Bring the database up to the latest (or the given) migration."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from workflows.persistence import make_engine, upgrade

    url = database_url if database_url is not None else _owner_url()
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


@app.command("grant-service-role")
def grant_service_role_cmd(
    role: Annotated[str, typer.Argument(help="The service's PostgreSQL role (it must exist).")],
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help=OWNER_URL_HELP),
    ] = None,
) -> None:
    """Give ROLE the service's rights: only INSERT and SELECT on the logs (PostgreSQL)."""
    from sqlalchemy.exc import SQLAlchemyError

    from workflows.persistence import make_engine
    from workflows.persistence.roles import ServiceRoleRefused, grant_service_role

    url = database_url if database_url is not None else _owner_url()
    try:
        engine = make_engine(url)
    except Exception as exc:  # bad URL, unknown driver: the caller's input
        typer.echo(f"error: database URL: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        with engine.begin() as conn:
            statements = grant_service_role(conn, role)
    except ServiceRoleRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:
        typer.echo(f"error: could not grant on {engine.url!r}: {type(exc).__name__}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    for statement in statements:
        typer.echo(f"{statement};")
    typer.echo(f"role {role} has the service's rights on {engine.url!r}")
