"""`esafety audit ...`: checks of the audit trail and the case event log (DESIGN 9).

    esafety audit verify [--case REF] [--deadlines] [--database-url URL]

`verify` walks every case's hash chain (or one case's) and prints each break with the case
reference and the entry number (`workflows.log_integrity`); with `--deadlines` it also replays
each case and reports stored deadlines that its log does not give (tens of milliseconds a
case). Exit status: 0 when every chain is
intact, 1 on any break, 2 on bad input (a reference that names no case, a bad database URL).
It reads only.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(help="The audit trail and the case event log.", no_args_is_help=True)


@app.command("verify")
def verify(
    case: Annotated[
        str | None, typer.Option("--case", help="Only this case (its reference, e.g. ESF-000012).")
    ] = None,
    deadlines: Annotated[
        bool,
        typer.Option(
            "--deadlines", help="Also replay each case: are its stored deadlines the log's?"
        ),
    ] = False,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Default: ESAFETY_DATABASE_URL.")
    ] = None,
) -> None:
    """Check that the case event log is intact: no entry changed, forged or deleted."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.settings import Settings
    from workflows.errors import CaseNotFound
    from workflows.log_integrity import verify_log

    if case is not None and not case.strip():
        typer.echo("error: --case: give a case reference", err=True)
        raise typer.Exit(2)
    settings = Settings() if database_url is None else Settings(database_url=database_url)
    try:
        app_ = bootstrap(settings)
    except (ValueError, ArgumentError) as exc:  # bad URL, unknown driver: the caller's input
        typer.echo(f"error: database URL: {exc}", err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:  # unreachable, refused: not the caller's input
        typer.echo(f"error: could not open the database: {type(exc).__name__}", err=True)
        raise typer.Exit(1) from None
    try:
        report = verify_log(
            app_.session_factory, reference=case, deadlines=deadlines, policy_for=app_.policy_for
        )
    except CaseNotFound as exc:
        typer.echo(f"error: --case: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        app_.close()
    for found in report.breaks:
        typer.echo(str(found))
    cases = f"{report.cases} case{'s' if report.cases != 1 else ''}"
    entries = f"{report.entries} log entr{'ies' if report.entries != 1 else 'y'}"
    if report.intact:
        typer.echo(f"intact: {cases}, {entries}")
        return
    broken = len({b.case_id for b in report.breaks})
    typer.echo(
        f"BROKEN: {len(report.breaks)} break{'s' if len(report.breaks) != 1 else ''} in "
        f"{broken} of {cases} ({entries})",
        err=True,
    )
    raise typer.Exit(1)
