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

--batch reads stdin at once. Plain ASCII input (spaces or tabs between the two fields, LF or
CRLF line ends) is parsed without a Python object per line: the fields are found in the bytes
with numpy, the dates parsed by numpy as one column, the numbers from their digits, and the
answers written as one block of bytes. Anything else, and any input with an error, goes the
line-by-line way (`_add_lines`, `_between_lines`), which gives the message naming the line;
the fast way answers only inputs the line-by-line way answers, and answers them the same
(tests/cli/test_calendar_batch.py checks both).
"""

from __future__ import annotations

import codecs
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
_ASCII_COMPATIBLE = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252"})
_EPOCH = date(1970, 1, 1)


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


def _ascii(data: str | bytes) -> bytes | None:
    """`data` as ASCII bytes when it is plain ASCII text, else None."""
    if isinstance(data, str):
        return data.encode("ascii") if data.isascii() else None
    encoding = codecs.lookup(sys.stdin.encoding or "utf-8").name
    return data if data.isascii() and encoding in _ASCII_COMPATIBLE else None


def _write_output(out: str | bytes) -> None:
    """Write the whole answer at once."""
    stream = sys.stdout
    if isinstance(out, bytes):
        buffer = getattr(stream, "buffer", None)
        if buffer is not None and os.linesep == "\n":
            stream.flush()
            buffer.write(out)
            buffer.flush()
            return
        out = out.decode("ascii")
    stream.write(out)


def _range_error(exc: CalendarRangeError) -> _BadInput:
    where = f"line {exc.index + 1}: " if exc.index is not None else ""
    return _BadInput(f"{where}{exc}")


# The line-by-line way: every input, exact messages naming the line.


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


_COUNT_DIGITS = 9
"""A count of working days with more digits than this is past every calendar."""


def _add_lines(text: str, cal: WorkingDayCalendar) -> str:
    import numpy as np

    firsts, seconds = _pairs(text, ("DATE", "N"))
    dates = _to_dates(firsts, "DATE")
    for number, value in enumerate(seconds, start=1):
        if not _INTEGER.fullmatch(value):
            raise _BadInput(f"line {number}: N: not a whole number: {value!r}")
        if len(value.lstrip("+-")) > _COUNT_DIGITS:
            # past any calendar (and past a 64-bit integer): say so as the single call does
            raise _BadInput(
                f"line {number}: {value} working days from {firsts[number - 1]} is outside the "
                f"calendar {cal.version} ({cal.first.isoformat()} to {cal.last.isoformat()})"
            )
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


# The fast way: plain ASCII input without errors, no Python object per line. None means "not
# answered here": the caller goes the line-by-line way.


_FIELD_OR_BLANK = bytes(range(33, 127)) + b" \t\n\r"


def _fields(data: bytes) -> tuple[Bytes, Ints, Ints, Ints, Ints] | None:
    """The bytes, and where each line's two fields start and end, if every line has two.

    Fields are runs of printable ASCII; blanks are spaces and tabs, and a CR before a LF.
    """
    import numpy as np

    if data.translate(None, _FIELD_OR_BLANK):
        return None  # a control character (str.split and the line-by-line way differ on them)
    buf = np.frombuffer(data, dtype=np.uint8)
    if not buf.size:
        empty = np.zeros(0, dtype=np.int64)
        return buf, empty, empty, empty, empty
    if b"\r" in data:
        cr = np.flatnonzero(buf == 13)
        if cr[-1] + 1 == buf.size or (buf[cr + 1] != 10).any():
            return None  # a CR not followed by LF ends a line for str.splitlines
    field = buf > 32
    edges = np.flatnonzero(field[1:] != field[:-1]) + 1  # where each field starts or ends
    if field[0]:
        edges = np.concatenate(([0], edges))
    if field[-1]:
        edges = np.concatenate((edges, [buf.size]))
    starts, ends = edges[0::2], edges[1::2]
    newlines = np.flatnonzero(buf == 10)
    lines = newlines.size + int(buf[-1] != 10)
    if starts.size != 2 * lines:
        return None
    line_of_field = np.searchsorted(newlines, starts)
    if (line_of_field != np.arange(starts.size) // 2).any():
        return None
    return buf, starts[0::2], ends[0::2], starts[1::2], ends[1::2]


def _dates(buf: Bytes, starts: Ints, ends: Ints) -> Dates | None:
    """The YYYY-MM-DD fields parsed by numpy as one column, or None if one is not a date."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    if not starts.size:
        return np.zeros(0, dtype="datetime64[D]")
    if (ends - starts != 10).any():
        return None
    chars = sliding_window_view(buf, 10)[starts]  # one row of 10 bytes per field
    low = np.frombuffer(b"0000-00-00", dtype=np.uint8)
    high = np.frombuffer(b"9999-99-99", dtype=np.uint8)
    if ((chars < low) | (chars > high)).any():
        return None
    try:
        parsed: Dates = chars.view("S10").reshape(-1).astype("datetime64[D]")
    except ValueError:  # e.g. 2022-02-30
        return None
    return parsed


def _integers(buf: Bytes, starts: Ints, ends: Ints) -> Ints | None:
    """The [+-]digits fields (at most 18 characters) as integers, or None."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    if not starts.size:
        return np.zeros(0, dtype=np.int64)
    length = ends - starts
    width = int(length.max())
    if width > 18:
        return None
    first = buf[starts]
    signed = (first == 43) | (first == 45)
    ndigits = length - signed
    if (ndigits < 1).any():
        return None
    # Each field's last `width` bytes, right-aligned (the buffer padded in front for the first).
    padded = np.concatenate((np.zeros(width, dtype=np.uint8), buf))
    chars = sliding_window_view(padded, width)[ends]
    is_digit = np.arange(width) >= (width - ndigits)[:, None]
    digit = np.where(is_digit, chars - np.uint8(48), np.uint8(0))  # uint8: a non-digit is > 9
    if (digit > 9).any():
        return None
    value: Ints = digit.astype(np.int64) @ (10 ** np.arange(width - 1, -1, -1, dtype=np.int64))
    return np.where(first == 45, -value, value)


def _iso_days(days: Ints) -> Bytes:
    """YYYY-MM-DD (10 ASCII bytes a row) of days since 1970-01-01, years 1000 to 9999."""
    import numpy as np

    # Days to civil dates: H. Hinnant, "chrono-Compatible Low-Level Date Algorithms".
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    out = np.full((days.size, 10), 45, dtype=np.uint8)  # the dashes stay
    parts = (year, year, year, year, month, month, day, day)
    scales = (1000, 100, 10, 1, 10, 1, 10, 1)
    for column, value, scale in zip((0, 1, 2, 3, 5, 6, 8, 9), parts, scales, strict=True):
        out[:, column] = value // scale % 10 + 48
    return out


def _date_lines(cal: WorkingDayCalendar, result: Dates) -> bytes:
    """One YYYY-MM-DD line per date, each in the calendar's range."""
    import numpy as np

    first = (cal.first - _EPOCH).days
    ndays = (cal.last - cal.first).days + 1
    table = np.empty((ndays, 11), dtype=np.uint8)  # every day's line
    table[:, :10] = _iso_days(np.arange(first, first + ndays, dtype=np.int64))
    table[:, 10] = 10
    lines: Bytes = table[result.astype(np.int64) - first]
    return lines.tobytes()


def _integer_lines(values: Ints) -> bytes:
    """One decimal integer per line, as str() writes it (|values| below 2 ** 31)."""
    import numpy as np

    if not values.size:
        return b""
    magnitude = np.abs(values).astype(np.int32)
    width = len(str(int(magnitude.max())))
    out = np.empty((values.size, width + 2), dtype=np.uint8)  # sign, digits, LF
    keep = np.empty(out.shape, dtype=bool)
    out[:, 0] = 45
    keep[:, 0] = values < 0
    for column in range(width):
        power = 10 ** (width - 1 - column)
        out[:, column + 1] = magnitude // power % 10 + 48
        keep[:, column + 1] = magnitude >= power if power > 1 else True
    out[:, -1] = 10
    keep[:, -1] = True
    return out[keep].tobytes()


def _add_fast(data: bytes, cal: WorkingDayCalendar) -> bytes | None:
    fields = _fields(data)
    if fields is None:
        return None
    buf, date_start, date_end, n_start, n_end = fields
    dates = _dates(buf, date_start, date_end)
    counts = _integers(buf, n_start, n_end)
    if dates is None or counts is None:
        return None
    try:
        result = cal.add_working_days_batch(dates, counts)
    except CalendarError:
        return None
    return _date_lines(cal, result)


def _between_fast(data: bytes, cal: WorkingDayCalendar) -> bytes | None:
    fields = _fields(data)
    if fields is None:
        return None
    buf, start_start, start_end, end_start, end_end = fields
    starts = _dates(buf, start_start, start_end)
    ends = _dates(buf, end_start, end_end)
    if starts is None or ends is None:
        return None
    try:
        result = cal.working_days_between_batch(starts, ends)
    except CalendarError:
        return None
    return _integer_lines(result)


def _add_batch(data: str | bytes, cal: WorkingDayCalendar) -> str | bytes:
    plain = _ascii(data)
    answer = _add_fast(plain, cal) if plain is not None else None
    return _add_lines(_text(data), cal) if answer is None else answer


def _between_batch(data: str | bytes, cal: WorkingDayCalendar) -> str | bytes:
    plain = _ascii(data)
    answer = _between_fast(plain, cal) if plain is not None else None
    return _between_lines(_text(data), cal) if answer is None else answer


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
    """The call that `args` (after `esafety`) ask for, if they are a plain calendar call.

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
