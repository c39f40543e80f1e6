"""`esafety returns ...`: the statutory returns (DESIGN 8).

    esafety returns cin-census --year YYYY [--la CODE] [--out FILE] [--as USERNAME]
    esafety returns check --year YYYY [--as USERNAME]
    esafety returns sample-year --year YYYY [--children N] [--seed N]

`cin-census` writes the CIN census XML of the reporting year ending 31 March YYYY
(`workflows.returns.census`) to FILE (default: standard output), streamed. `--la` is the
authority's three-digit LA code (default `ESAFETY_LA_CODE`). `check` lists what must be fixed
before the census (`workflows.returns.census_check`), one task a line, by owner; exit status 1
when there is any. `sample-year` records a generated year of casework through the services
(`esafety_flow.census_sample`), to test the return (`.ci/run` validates it).

Who: `--as USERNAME` names the user running the return, who must hold a role that may run
returns (`workflows.permissions.may_run_returns`: the performance team, managers); without it the
export is made by the command line itself, recorded with no user as the other administrative
commands are (`esafety users ...`). Every export is an `export` entry of the audit trail
("cin-census 2026"), with who and when.

Bad input (a year outside 2014 to 2099, an LA code that is not one, an unknown user or one who
may not run returns) is an error on stderr with exit status 2, and nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from esafety_flow.bootstrap import App

__all__ = ["app"]

app = typer.Typer(help="Statutory returns: the CIN census.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Default: ESAFETY_DATABASE_URL.")
]
Year = Annotated[
    int, typer.Option("--year", help="The reporting year ending 31 March YYYY.", show_default=False)
]
AsUser = Annotated[
    str | None,
    typer.Option("--as", help="The user running the return (a role that may run returns)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _app(database_url: str | None) -> App:
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.settings import Settings

    return bootstrap(Settings() if database_url is None else Settings(database_url=database_url))


def _acting_user(app: App, username: str | None) -> int | None:
    """The id of the user running the return (None: the command line itself)."""
    from workflows import permissions
    from workflows.queries import user_by_username

    if username is None:
        return None
    user = user_by_username(app.session_factory, username)
    if user is None or not user.active:
        raise _fail(f"--as {username!r}: no such active user (see `esafety users list`)")
    if not permissions.may_run_returns(user.role):
        raise _fail(f"--as {username!r}: a {user.role} may not run the statutory returns")
    return user.id


def _la_code(code: str | None, app: App) -> str:
    from states.identifiers import UPN_LA_CODES

    value = code if code is not None else app.settings.la_code
    if not value:
        raise _fail("no LA code: give --la CODE or set ESAFETY_LA_CODE")
    if value not in UPN_LA_CODES:
        raise _fail(f"--la {value!r}: not an English LA code (three digits, as in a UPN)")
    return value


@app.command("cin-census")
def cin_census(
    year: Year,
    la: Annotated[
        str | None, typer.Option("--la", help="LA code (3 digits). Default: ESAFETY_LA_CODE.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to FILE (default: standard output).")
    ] = None,
    as_user: AsUser = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The CIN census XML for the reporting year ending 31 March YYYY."""
    from workflows.audit import AuditKind, record_audit
    from workflows.returns import census

    try:
        census_year = census.census_year(year)
    except census.CensusError as exc:
        raise _fail(f"--year: {exc}") from None
    app = _app(database_url)
    try:
        user_id = _acting_user(app, as_user)
        header = census.CensusHeader(
            la_code=_la_code(la, app), year=census_year, made_at=app.clock.now()
        )
        if out is None:
            count = census.export_census(app.session_factory, sys.stdout, header)
        else:
            partial = out.with_name(out.name + ".part")
            try:
                with partial.open("w", encoding="utf-8") as f:
                    count = census.export_census(app.session_factory, f, header)
                partial.replace(out)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise _fail(f"--out {out}: {exc.strerror or exc}") from None
        record_audit(
            app.session_factory,
            kind=AuditKind.EXPORT,
            at=app.clock.now(),
            user_id=user_id,
            detail=f"cin-census {year} ({count} children)",
        )
    finally:
        app.close()
    if out is not None:
        typer.echo(f"{count} children written to {out}", err=True)


@app.command("check")
def check(year: Year, as_user: AsUser = None, database_url: DatabaseUrl = None) -> None:
    """What to fix before the census: every record that would fail or query a rule, as a task
    for the case's owner. Exit status 1 when there is any."""
    from workflows.returns import census, census_check

    try:
        census_year = census.census_year(year)
    except census.CensusError as exc:
        raise _fail(f"--year: {exc}") from None
    app = _app(database_url)
    try:
        _acting_user(app, as_user)
        tasks = census_check.census_tasks(app.session_factory, census_year)
        owners = census_check.owner_names(app.session_factory)
    finally:
        app.close()
    for task in tasks:
        owner = owners.get(task.owner_id, "unallocated") if task.owner_id else "unallocated"
        typer.echo(f"{owner}\t{task.reference}\t{task.rule}\t{task.text}")
    typer.echo(f"{len(tasks)} records to fix before the CIN census {year}", err=True)
    if tasks:
        raise typer.Exit(1)


@app.command("sample-year")
def sample_year(
    year: Year,
    children: Annotated[
        int, typer.Option("--children", min=1, max=1_000_000, help="How many children.")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="The draw (same seed, same year).")] = 2026,
    database_url: DatabaseUrl = None,
) -> None:
    """Record a generated year of casework (for testing the census; never on live data)."""
    from esafety_flow.census_sample import load_sample_year
    from workflows.returns import census

    try:
        census.census_year(year)
    except census.CensusError as exc:
        raise _fail(f"--year: {exc}") from None
    app = _app(database_url)
    try:
        loaded = load_sample_year(app, year=year, children=children, seed=seed)
    finally:
        app.close()
    typer.echo(f"{loaded.cases} cases, {loaded.events} events recorded for {year}")


# Annex A and the LADO's figures (their own module, sharing this group)
from esafety_flow.cli import returns_reports_cmd  # noqa: E402

returns_reports_cmd.register(app)
