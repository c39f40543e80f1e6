"""`esafety calendar ...`: working-day arithmetic on the UK bank-holiday calendars (DESIGN 7).

    esafety calendar add-working-days DATE N [--region R]        the due date, ISO
    esafety calendar working-days-between START END [--region R] working days in (START, END]
    esafety calendar holidays YEAR [--region R] [--json]          the weekday bank holidays
    ... add-working-days --batch / working-days-between --batch   one pair per stdin line

Counting is DESIGN 3.2's day 0. Bad input (unparseable date, unknown region, out-of-range date,
wrong number of fields) is a message on stderr naming the line, exit status 2, and nothing on
stdout.

Start-up is most of a single call's time, so this module imports only the calendars package:
numpy only for --batch, json only for --json, Typer only for a call that is not plain (`run`
runs plain calls without it, `app` is the Typer sub-app); never `states`, Rich, Prefect,
SQLAlchemy, FastAPI or uvicorn (tests/cli/test_calendar_cli.py checks it). The calendar's table
is read from the per-user cache (`cache_directory`, `calendars.table_cache`) instead of being
built from the `holidays` package at every start.

--batch reads stdin at once, checks and splits it line by line, computes vectorised and
writes once.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calendars import (
    CalendarError,
    CalendarRangeError,
    CalendarSpec,
    Region,
    WorkingDayCalendar,
    cached_calendar,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import typer

    Bytes = npt.NDArray[np.uint8]
    Ints = npt.NDArray[np.int64]
    Dates = npt.NDArray[np.datetime64]

    app: typer.Typer  # made on first use, by `__getattr__`

__all__ = ["CACHE_DIR_VARIABLE", "app", "cache_directory", "run"]

CACHE_DIR_VARIABLE = "ESAFETY_CALENDAR_CACHE_DIR"
DEFAULT_REGION = Region.ENGLAND_AND_WALES.value

_PAIR = re.compile(r"\s*(\S+)\s+(\S+)\s*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[+-]?\d+")


class _BadInput(Exception):
    """Bad input: the message for stderr (exit status 2)."""


def cache_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where calendar tables are cached: a per-user directory, or None for none.

    ``$ESAFETY_CALENDAR_CACHE_DIR`` if set; else ``$XDG_CACHE_HOME/esafety-flow/calendars``
    (an absolute XDG_CACHE_HOME only, as the XDG base directory specification says); else
    ``~/.cache/esafety-flow/calendars``. None when there is no home directory either.
    """
    env = os.environ if environ is None else environ
    explicit = env.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit)
    xdg = env.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "esafety-flow" / "calendars"
    home = env.get("HOME") or os.path.expanduser("~")
    if not os.path.isabs(home):
        return None
    return Path(home) / ".cache" / "esafety-flow" / "calendars"


def _calendar(region: str) -> WorkingDayCalendar:
    try:
        return cached_calendar(CalendarSpec(Region.parse(region)), cache_directory())
    except CalendarError as exc:
        raise _BadInput(str(exc)) from None


def _parse_date(text: str, what: str) -> date:
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise _BadInput(f"{what}: not a date in YYYY-MM-DD form: {text!r}")


def _parse_int(text: str, what: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise _BadInput(f"{what}: not a whole number: {text!r}")
    return int(text)


def _single_args(first: str | None, second: str | None, names: tuple[str, str]) -> tuple[str, str]:
    if first is None or second is None:
        raise _BadInput(f"expected {names[0]} and {names[1]} (or --batch with pairs on stdin)")
    return first, second


# -- --batch input and output ---------------------------------------------------------------------


def _read_stdin() -> str | bytes:
    """All of stdin: its bytes when it has a byte buffer (a real stdin does), else its text."""
    buffer = getattr(sys.stdin, "buffer", None)
    return sys.stdin.read() if buffer is None else buffer.read()


def _text(data: str | bytes) -> str:
    """`data` as `sys.stdin.read()` would have given it (its lines are the same)."""
    if isinstance(data, str):
        return data
    return data.decode(sys.stdin.encoding or "utf-8", sys.stdin.errors or "strict")


def _write_output(out: str) -> None:
    """Write the whole answer at once."""
    sys.stdout.write(out)


def _range_error(exc: CalendarRangeError) -> _BadInput:
    where = f"line {exc.index + 1}: " if exc.index is not None else ""
    return _BadInput(f"{where}{exc}")


def _pairs(text: str, names: tuple[str, str]) -> tuple[list[str], list[str]]:
    """The lines split into two columns; errors name the 1-based line number."""
    firsts: list[str] = []
    seconds: list[str] = []
    match = _PAIR.fullmatch
    for number, line in enumerate(text.splitlines(), start=1):
        m = match(line)
        if m is None:
            fields = len(line.split())
            raise _BadInput(
                f"line {number}: expected 2 fields ({names[0]} {names[1]}), got {fields}"
            )
        firsts.append(m.group(1))
        seconds.append(m.group(2))
    return firsts, seconds


def _to_dates(texts: list[str], what: str) -> Dates:
    """Parse ISO dates vectorised; on failure find and name the first bad line."""
    import numpy as np

    iso = _ISO_DATE.fullmatch
    if all(iso(t) for t in texts):
        try:
            return np.array(texts, dtype="datetime64[D]")
        except ValueError:
            pass
    for number, text in enumerate(texts, start=1):
        _parse_date(text, f"line {number}: {what}")
    raise AssertionError("unreachable: a bad date was not found")  # pragma: no cover


def _add_lines(text: str, cal: WorkingDayCalendar) -> str:
    import numpy as np

    firsts, seconds = _pairs(text, ("DATE", "N"))
    dates = _to_dates(firsts, "DATE")
    for number, value in enumerate(seconds, start=1):
        if not _INTEGER.fullmatch(value):
            raise _BadInput(f"line {number}: N: not a whole number: {value!r}")
    counts = np.array(seconds, dtype=np.int64) if seconds else np.zeros(0, np.int64)
    try:
        result = cal.add_working_days_batch(dates, counts)
    except CalendarRangeError as exc:
        raise _range_error(exc) from None
    return "".join(line + "\n" for line in np.datetime_as_string(result, unit="D").tolist())


def _between_lines(text: str, cal: WorkingDayCalendar) -> str:
    firsts, seconds = _pairs(text, ("START", "END"))
    starts = _to_dates(firsts, "START")
    ends = _to_dates(seconds, "END")
    try:
        result = cal.working_days_between_batch(starts, ends)
    except CalendarRangeError as exc:
        raise _range_error(exc) from None
    return "".join(f"{v}\n" for v in result.tolist())


def _add_batch(data: str | bytes, cal: WorkingDayCalendar) -> str:
    return _add_lines(_text(data), cal)


def _between_batch(data: str | bytes, cal: WorkingDayCalendar) -> str:
    return _between_lines(_text(data), cal)


# -- commands: one function each, run by Typer (`app`) or by `run` -------------------------------


def add_working_days(date_: str | None, n: str | None, region: str, batch: bool) -> None:
    """Print the N-th working day after DATE (DATE itself is day 0)."""
    if batch:
        if date_ is not None or n is not None:
            raise _BadInput("--batch reads DATE N pairs from stdin: give no arguments")
        cal = _calendar(region)
        _write_output(_add_batch(_read_stdin(), cal))
        return
    d_text, n_text = _single_args(date_, n, ("DATE", "N"))
    cal = _calendar(region)
    d = _parse_date(d_text, "DATE")
    count = _parse_int(n_text, "N")
    try:
        answer = cal.add_working_days(d, count)
    except (CalendarError, ValueError) as exc:
        raise _BadInput(str(exc)) from None
    _write_output(f"{answer.isoformat()}\n")


def working_days_between(start: str | None, end: str | None, region: str, batch: bool) -> None:
    """Print the number of working days after START up to and including END."""
    if batch:
        if start is not None or end is not None:
            raise _BadInput("--batch reads START END pairs from stdin: give no arguments")
        cal = _calendar(region)
        _write_output(_between_batch(_read_stdin(), cal))
        return
    a_text, b_text = _single_args(start, end, ("START", "END"))
    cal = _calendar(region)
    a = _parse_date(a_text, "START")
    b = _parse_date(b_text, "END")
    try:
        answer = cal.working_days_between(a, b)
    except CalendarError as exc:
        raise _BadInput(str(exc)) from None
    _write_output(f"{answer}\n")


def holidays(year: str, region: str, as_json: bool) -> None:
    """Print the weekday bank holidays of YEAR (never a weekend date: its substitute day)."""
    cal = _calendar(region)
    y = _parse_int(year, "YEAR")
    try:
        days = cal.bank_holidays(y)
    except CalendarError as exc:
        raise _BadInput(str(exc)) from None
    if as_json:
        import json

        listed = [{"date": h.date.isoformat(), "name": h.name} for h in days]
        _write_output(json.dumps(listed) + "\n")
    else:
        _write_output("".join(f"{h.date.isoformat()}  {h.name}\n" for h in days))


# -- without Typer ------------------------------------------------------------------------------

_FLAGS = {"add-working-days": "--batch", "working-days-between": "--batch", "holidays": "--json"}


def _plain_call(args: Sequence[str]) -> Callable[[], None] | None:
    """The command `args` (after `esafety`) call, if they are a plain calendar call.

    Plain: `calendar`, a command, its arguments, `--region R` or `--region=R` and its flag, in
    any order, as Typer would read them. Anything else (help, `--`, an unknown option, a value
    that starts with "-", too many or too few arguments) is None: left to Typer, which answers
    it as it always has.
    """
    if len(args) < 2 or args[0] != "calendar" or args[1] not in _FLAGS:
        return None
    command, flag = args[1], _FLAGS[args[1]]
    positional: list[str] = []
    region = DEFAULT_REGION
    flagged = False
    rest = iter(args[2:])
    for arg in rest:
        if arg == flag:
            flagged = True
        elif arg == "--region":
            value = next(rest, None)
            if value is None or value.startswith("-"):
                return None
            region = value
        elif arg.startswith("--region="):
            region = arg.removeprefix("--region=")
        elif arg.startswith("-"):
            return None
        else:
            positional.append(arg)
    if command == "holidays":
        if len(positional) != 1:
            return None
        return lambda: holidays(positional[0], region, flagged)
    if len(positional) > 2:
        return None
    first, second = (*positional, None, None)[:2]
    if command == "add-working-days":
        return lambda: add_working_days(first, second, region, flagged)
    return lambda: working_days_between(first, second, region, flagged)


def run(args: Sequence[str], environ: Mapping[str, str] | None = None) -> int | None:
    """Run a plain `esafety calendar ...` call without Typer; its exit status, or None.

    None: not a plain call (`_plain_call`) or shell completion asked; the caller hands it to
    Typer. Otherwise it does what the Typer command does, with the same output, messages and
    exit status (tests/cli/test_calendar_cli.py runs every case both ways), in a fraction of
    the start-up: Typer alone takes longer to import than the whole call.
    """
    env = os.environ if environ is None else environ
    call = _plain_call(args)
    if call is None or "_ESAFETY_COMPLETE" in env:
        return None
    try:
        call()
        sys.stdout.flush()
    except _BadInput as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.stderr.flush()
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        # The reader went away (`| head`): say nothing more, as Typer does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


# -- with Typer ---------------------------------------------------------------------------------


def __getattr__(name: str) -> Any:
    if name == "app":
        return _typer_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _typer_app() -> typer.Typer:
    """The Typer sub-app `esafety calendar`: each command calls the function of the same name."""
    import typer

    def exit_2(call: Callable[[], None]) -> None:
        try:
            call()
        except _BadInput as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    def region_option() -> Any:
        return typer.Option(
            DEFAULT_REGION,
            "--region",
            help="england-and-wales, scotland or northern-ireland.",
            show_default=True,
        )

    def batch_option() -> Any:
        return typer.Option(
            False, "--batch", help="Read one pair per line from stdin, answer one per line."
        )

    sub = typer.Typer(help="Working days and bank holidays.", no_args_is_help=True)

    @sub.command("add-working-days", help=add_working_days.__doc__)
    def add_working_days_command(
        date_: str | None = typer.Argument(None, metavar="DATE", help="Start date, YYYY-MM-DD."),
        n: str | None = typer.Argument(None, metavar="N", help="Working days, >= 0."),
        region: str = region_option(),
        batch: bool = batch_option(),
    ) -> None:
        exit_2(lambda: add_working_days(date_, n, region, batch))

    @sub.command("working-days-between", help=working_days_between.__doc__)
    def working_days_between_command(
        start: str | None = typer.Argument(None, metavar="START", help="YYYY-MM-DD."),
        end: str | None = typer.Argument(None, metavar="END", help="YYYY-MM-DD."),
        region: str = region_option(),
        batch: bool = batch_option(),
    ) -> None:
        exit_2(lambda: working_days_between(start, end, region, batch))

    @sub.command("holidays", help=holidays.__doc__)
    def holidays_command(
        year: str = typer.Argument(..., metavar="YEAR", help="e.g. 2026."),
        region: str = region_option(),
        as_json: bool = typer.Option(False, "--json", help='A JSON list of {"date", "name"}.'),
    ) -> None:
        exit_2(lambda: holidays(year, region, as_json))

    return sub
