"""`esafety calendar ...`: working-day arithmetic on the UK bank-holiday calendars (DESIGN 7).

    esafety calendar add-working-days DATE N [--region R]        the due date, ISO
    esafety calendar working-days-between START END [--region R] working days in (START, END]
    esafety calendar holidays YEAR [--region R] [--json]          the weekday bank holidays
    ... add-working-days --batch / working-days-between --batch   one pair per stdin line

Counting is DESIGN 3.2's day 0. Bad input (unparseable date, unknown region, out-of-range date,
wrong number of fields) is a message on stderr naming the line, exit status 2, and nothing on
stdout. This module imports only the calendars package, numpy and Typer: no Prefect,
SQLAlchemy, FastAPI or uvicorn (tests/cli/test_calendar_cli.py checks it).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from typing import Annotated, NoReturn

import numpy as np
import numpy.typing as npt
import typer

from calendars import (
    CalendarError,
    CalendarRangeError,
    Region,
    WorkingDayCalendar,
    calendar_for,
)

__all__ = ["app"]

app = typer.Typer(help="Working days and bank holidays.", no_args_is_help=True)

RegionOption = Annotated[
    str,
    typer.Option(
        "--region", help="england-and-wales, scotland or northern-ireland.", show_default=True
    ),
]
BatchOption = Annotated[
    bool, typer.Option("--batch", help="Read one pair per line from stdin, answer one per line.")
]

_PAIR = re.compile(r"\s*(\S+)\s+(\S+)\s*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[+-]?\d+")


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _calendar(region: str) -> WorkingDayCalendar:
    try:
        return calendar_for(Region.parse(region))
    except CalendarError as exc:
        _fail(str(exc))


def _parse_date(text: str, what: str) -> date:
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    _fail(f"{what}: not a date in YYYY-MM-DD form: {text!r}")


def _parse_int(text: str, what: str) -> int:
    if not _INTEGER.fullmatch(text):
        _fail(f"{what}: not a whole number: {text!r}")
    return int(text)


def _single_args(first: str | None, second: str | None, names: tuple[str, str]) -> tuple[str, str]:
    if first is None or second is None:
        _fail(f"expected {names[0]} and {names[1]} (or --batch with pairs on stdin)")
    return first, second


def _read_pairs(names: tuple[str, str]) -> tuple[list[str], list[str]]:
    """The stdin lines split into two columns; errors name the 1-based line number."""
    firsts: list[str] = []
    seconds: list[str] = []
    match = _PAIR.fullmatch
    for number, line in enumerate(sys.stdin.read().splitlines(), start=1):
        m = match(line)
        if m is None:
            fields = len(line.split())
            _fail(f"line {number}: expected 2 fields ({names[0]} {names[1]}), got {fields}")
        firsts.append(m.group(1))
        seconds.append(m.group(2))
    return firsts, seconds


def _to_dates(texts: list[str], what: str) -> npt.NDArray[np.datetime64]:
    """Parse ISO dates vectorised; on failure find and name the first bad line."""
    iso = _ISO_DATE.fullmatch
    if all(iso(t) for t in texts):
        try:
            return np.array(texts, dtype="datetime64[D]")
        except ValueError:
            pass
    for number, text in enumerate(texts, start=1):
        _parse_date(text, f"line {number}: {what}")
    raise AssertionError("unreachable: a bad date was not found")  # pragma: no cover


def _write_lines(lines: list[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))


def _range_error(exc: CalendarRangeError) -> NoReturn:
    where = f"line {exc.index + 1}: " if exc.index is not None else ""
    _fail(f"{where}{exc}")


@app.command("add-working-days")
def add_working_days(
    date_: Annotated[
        str | None, typer.Argument(metavar="DATE", help="Start date, YYYY-MM-DD.")
    ] = None,
    n: Annotated[str | None, typer.Argument(metavar="N", help="Working days, >= 0.")] = None,
    region: RegionOption = Region.ENGLAND_AND_WALES.value,
    batch: BatchOption = False,
) -> None:
    """Print the N-th working day after DATE (DATE itself is day 0)."""
    if batch:
        if date_ is not None or n is not None:
            _fail("--batch reads DATE N pairs from stdin: give no arguments")
        cal = _calendar(region)
        firsts, seconds = _read_pairs(("DATE", "N"))
        dates = _to_dates(firsts, "DATE")
        for number, text in enumerate(seconds, start=1):
            if not _INTEGER.fullmatch(text):
                _fail(f"line {number}: N: not a whole number: {text!r}")
        counts = np.array(seconds, dtype=np.int64) if seconds else np.zeros(0, np.int64)
        try:
            result = cal.add_working_days_batch(dates, counts)
        except CalendarRangeError as exc:
            _range_error(exc)
        _write_lines(np.datetime_as_string(result, unit="D").tolist())
        return
    d_text, n_text = _single_args(date_, n, ("DATE", "N"))
    cal = _calendar(region)
    d = _parse_date(d_text, "DATE")
    count = _parse_int(n_text, "N")
    try:
        answer = cal.add_working_days(d, count)
    except (CalendarError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(answer.isoformat())


@app.command("working-days-between")
def working_days_between(
    start: Annotated[str | None, typer.Argument(metavar="START", help="YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Argument(metavar="END", help="YYYY-MM-DD.")] = None,
    region: RegionOption = Region.ENGLAND_AND_WALES.value,
    batch: BatchOption = False,
) -> None:
    """Print the number of working days after START up to and including END."""
    if batch:
        if start is not None or end is not None:
            _fail("--batch reads START END pairs from stdin: give no arguments")
        cal = _calendar(region)
        firsts, seconds = _read_pairs(("START", "END"))
        starts = _to_dates(firsts, "START")
        ends = _to_dates(seconds, "END")
        try:
            result = cal.working_days_between_batch(starts, ends)
        except CalendarRangeError as exc:
            _range_error(exc)
        _write_lines([str(v) for v in result.tolist()])
        return
    a_text, b_text = _single_args(start, end, ("START", "END"))
    cal = _calendar(region)
    a = _parse_date(a_text, "START")
    b = _parse_date(b_text, "END")
    try:
        answer = cal.working_days_between(a, b)
    except CalendarError as exc:
        _fail(str(exc))
    typer.echo(str(answer))


@app.command("holidays")
def holidays(
    year: Annotated[str, typer.Argument(metavar="YEAR", help="e.g. 2026.")],
    region: RegionOption = Region.ENGLAND_AND_WALES.value,
    as_json: Annotated[
        bool, typer.Option("--json", help='A JSON list of {"date", "name"}.')
    ] = False,
) -> None:
    """Print the weekday bank holidays of YEAR (never a weekend date: its substitute day)."""
    cal = _calendar(region)
    y = _parse_int(year, "YEAR")
    try:
        days = cal.bank_holidays(y)
    except CalendarError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps([{"date": h.date.isoformat(), "name": h.name} for h in days]))
    else:
        _write_lines([f"{h.date.isoformat()}  {h.name}" for h in days])
