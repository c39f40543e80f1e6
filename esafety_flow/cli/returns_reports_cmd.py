"""`esafety returns annex-a` and `esafety returns lado-report`: Ofsted's Annex A workbook and the
LADO's annual figures (DESIGN 7, 8), added to the `returns` group by `register(app)`.

    esafety returns annex-a --as-of DATE --out FILE.xlsx --as USERNAME
    esafety returns lado-report --year YYYY [--csv FILE] --as USERNAME

`--as` names the user running the export: refused (exit 1, with the reason) unless their role
may (`workflows.permissions`: Annex A for the performance team and managers, the LADO report
also for LADOs) and their account is active. Every run is an `export` entry of the audit trail
with that user and what was exported ("annex-a as of 2026-12-01"). Bad input (a date that is
not one or has not come, a year outside the calendars, a file that cannot be written) is exit 2
with the reason, and nothing is written: the workbook is written beside its destination and
renamed into place once complete.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from esafety_flow.bootstrap import App
    from workflows.queries import UserRow

__all__ = ["annex_a", "lado_report", "register"]

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Default: ESAFETY_DATABASE_URL.")
]
ActingUser = Annotated[
    str,
    typer.Option("--as", help="The user running the export (recorded in the audit trail)."),
]


def register(app: typer.Typer) -> None:
    """Add `annex-a` and `lado-report` to the `returns` command group `app`."""
    app.command("annex-a")(annex_a)
    app.command("lado-report")(lado_report)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _app(database_url: str | None) -> App:
    from esafety_flow.bootstrap import bootstrap
    from esafety_flow.settings import Settings

    return bootstrap(Settings() if database_url is None else Settings(database_url=database_url))


def _acting(app: App, username: str, may: Callable[[str], bool], what: str) -> UserRow:
    """The active user `username` whose role may run `what`; exit 1 otherwise."""
    from workflows import queries

    user = queries.user_by_username(app.session_factory, username)
    if user is None:
        raise _fail(f"--as {username!r}: no such user (see `esafety users list`)", 1)
    if not user.active:
        raise _fail(f"--as {username!r}: the account is deactivated", 1)
    if not may(user.role):
        raise _fail(f"{username} ({user.role}) may not run {what}", 1)
    return user


def _as_of(text: str, today: date) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise _fail(f"--as-of {text!r}: not a date (YYYY-MM-DD)") from None
    if day > today:
        raise _fail(f"--as-of {day.isoformat()}: after today ({today.isoformat()})")
    if day.year < 2000:
        raise _fail(f"--as-of {day.isoformat()}: before 2000, outside the calendars")
    return day


def _writable(out: Path, option: str) -> Path:
    if out.is_dir():
        raise _fail(f"{option} {out}: is a directory")
    if not out.parent.is_dir():
        raise _fail(f"{option} {out}: no directory {out.parent}")
    return out


def annex_a(
    as_of: Annotated[
        str, typer.Option("--as-of", help="The inspection date (YYYY-MM-DD), today or earlier.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The workbook to write (.xlsx).")],
    acting: ActingUser,
    database_url: DatabaseUrl = None,
) -> None:
    """Ofsted's Annex A lists 1, 3, 4, 5 and 7 as an XLSX workbook."""
    import os
    import tempfile

    from calendars import london_date
    from workflows.audit import AuditKind, record_audit
    from workflows.permissions import may_run_returns
    from workflows.returns import annex_a as draw_up
    from workflows.returns import write_workbook

    if out.suffix.lower() != ".xlsx":
        raise _fail(f"--out {out}: the workbook's name must end in .xlsx")
    _writable(out, "--out")
    app = _app(database_url)
    try:
        now = app.clock.now()
        day = _as_of(as_of, london_date(now))
        user = _acting(app, acting, may_run_returns, "Annex A")
        annex = draw_up(app.session_factory, as_of=day)
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".annex-a-", suffix=".xlsx")
        os.close(handle)
        try:
            write_workbook(annex, temporary)
            os.replace(temporary, out)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        record_audit(
            app.session_factory,
            kind=AuditKind.EXPORT,
            at=now,
            user_id=user.id,
            detail=f"annex-a as of {day.isoformat()} (command line)",
        )
    finally:
        app.close()
    counts = ", ".join(f"{x.spec.sheet.lower()} {len(x.rows)}" for x in annex.lists)
    typer.echo(f"Annex A as of {day.isoformat()} ({counts} rows) written to {out}")


def lado_report(
    year: Annotated[str, typer.Option("--year", help="The reporting year ending 31 March YYYY.")],
    acting: ActingUser,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the figures to this CSV file.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The LADO's figures for a reporting year: by sector, outcome and time to resolve."""
    from workflows.audit import AuditKind, record_audit
    from workflows.permissions import may_see_lado_report
    from workflows.returns import lado_report as figures_of
    from workflows.returns import report_csv
    from workflows.returns.lado_report import reporting_year

    text = year.strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise _fail(f"--year {year!r}: expected a year such as 2027 (YYYY)")
    try:
        reporting_year(int(text))
    except ValueError as exc:
        raise _fail(f"--year: {exc}") from None
    if csv_file is not None:
        _writable(csv_file, "--csv")
    app = _app(database_url)
    try:
        user = _acting(app, acting, may_see_lado_report, "the LADO report")
        now = app.clock.now()
        report = figures_of(
            app.session_factory,
            year=int(text),
            as_of=now,
            calendar_for=app.calendar_for,
            policy_for=app.policy_for,
            policy=app.policy,
        )
        if csv_file is not None:
            try:
                csv_file.write_text(report_csv(report), encoding="utf-8", newline="")
            except OSError as exc:
                raise _fail(f"--csv {csv_file}: {exc.strerror}") from None
        what = f"lado-report {report.label}" + (" csv" if csv_file is not None else "")
        record_audit(
            app.session_factory,
            kind=AuditKind.EXPORT,
            at=now,
            user_id=user.id,
            detail=f"{what} (command line)",
        )
    finally:
        app.close()
    typer.echo(_text(report))
    if csv_file is not None:
        typer.echo(f"written to {csv_file}")


def _share(count: int, percent: float | None) -> str:
    return f"{count}" if percent is None else f"{count} ({percent:.1f}%)"


def _text(report: object) -> str:
    from workflows.returns import LadoReport

    assert isinstance(report, LadoReport)
    lines = [
        f"LADO referrals, {report.first:%d %B %Y} to {report.last:%d %B %Y}: {report.total}",
        "",
        "By employment sector:",
        *(
            f"  {code.replace('_', ' ')}: {_share(n, report.percent(n))}"
            for code, n in report.by_sector
        ),
        "",
        "By outcome:",
        *(
            f"  {code.replace('_', ' ')}: {_share(n, report.percent(n))}"
            for code, n in report.by_outcome
        ),
        "",
        "Resolved (outcome recorded) within:",
        *(f"  {t.label}: {_share(t.resolved, t.percent)}" for t in report.targets),
    ]
    return "\n".join(lines)
