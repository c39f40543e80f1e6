"""--batch: the fast way answers only what the line-by-line way answers, and answers it the same.

`_add_fast` / `_between_fast` (fields found in the bytes, no Python object per line) return None
for any input they do not answer; the command then goes the line-by-line way (`_add_lines`,
`_between_lines`), which names the bad line. The property checked on arbitrary input: when the
fast way answers, the line-by-line way answers the same bytes.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from calendars import Region, calendar_for
from esafety_flow.cli import calendar_cmd
from esafety_flow.cli.calendar_cmd import (
    _add_fast,
    _add_lines,
    _between_fast,
    _between_lines,
    _integer_lines,
    _iso_days,
)

CAL = calendar_for(Region.ENGLAND_AND_WALES)


def line_by_line(kind: str, text: str) -> str | None:
    """The line-by-line answer, or None for bad input (or a count too large for numpy)."""
    try:
        if kind == "add":
            return _add_lines(text, CAL)
        return _between_lines(text, CAL)
    except (calendar_cmd._BadInput, OverflowError):
        return None


def fast(kind: str, text: str) -> bytes | None:
    data = text.encode("utf-8")
    return _add_fast(data, CAL) if kind == "add" else _between_fast(data, CAL)


def agree(kind: str, text: str) -> bytes | None:
    answer = fast(kind, text)
    if answer is not None:
        assert line_by_line(kind, text) == answer.decode("ascii"), text
    return answer


dates = st.dates(date(1999, 12, 25), date(2041, 1, 5)).map(date.isoformat)
odd_dates = st.sampled_from(
    ["2022-02-30", "2022-13-01", "2022-9-16", "0000-01-01", "2022-09-16x", "20220916", "x", "-"]
)
counts = st.one_of(
    st.integers(0, 80).map(str),
    st.sampled_from(["+5", "-1", "-0", "007", "+", "-", "1.5", "1e3", "x", "9" * 18, "9" * 25]),
)
blanks = st.sampled_from([" ", "\t", "  ", " \t ", "\xa0", "\x0b", "\x0c", "\x1c", "\u3000"])
ends = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", "\u2028", "\x85", "\x1e"])


@st.composite
def batch(draw: st.DrawFn, kind: str) -> str:
    second = counts if kind == "add" else dates
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        fields = [
            draw(st.one_of(dates, odd_dates) if draw(st.integers(0, 9)) == 0 else dates),
            draw(st.one_of(second, odd_dates) if draw(st.integers(0, 9)) == 0 else second),
        ]
        if draw(st.integers(0, 15)) == 0:
            fields = fields[: draw(st.integers(0, 1))] or [*fields, "1"]
        lead = draw(st.sampled_from(["", "", " ", "\t", "\r"]))
        sep = " " if draw(st.integers(0, 3)) else draw(blanks)
        trail = draw(st.sampled_from(["", "", " ", "\t "]))
        lines.append(
            lead + sep.join(fields) + trail + (draw(ends) if draw(st.integers(0, 5)) == 0 else "\n")
        )
    text = "".join(lines)
    if text and draw(st.integers(0, 4)) == 0:
        text = text.rstrip("\n")  # no line end after the last line
    return text


@settings(max_examples=400, deadline=None)
@given(batch("add"))
@example("2022-09-16 1\n2022-12-24 3\n  2020-05-07\t1  \n2026-03-07 0\n")
@example("2022-09-16 1\r\n2022-12-24 +3\r\n")
@example("2040-12-31 1\n")
@example("2022-09-16 1\n\r2022-09-16 1\n")
@example("2022-09-16 1 2022-09-16\n1\n")
@example("")
def test_add_fast_answers_as_line_by_line(text: str) -> None:
    agree("add", text)


@settings(max_examples=400, deadline=None)
@given(batch("between"))
@example("2022-09-16 2022-09-20\n2022-12-28 2022-12-23\n2026-01-01 2026-12-31")
def test_between_fast_answers_as_line_by_line(text: str) -> None:
    agree("between", text)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("add", "2022-09-16 1\n2022-12-24 3\n"),
        ("add", "  2020-05-07\t1  \n2026-03-07 0"),  # blanks around, no final line end
        ("add", "2022-09-16 1\r\n2022-09-16 +007\r\n"),  # CRLF, a sign and leading zeros
        ("add", "2000-01-01 0\n2040-12-28 1\n"),  # the calendar's first and last days
        ("add", ""),
        ("between", "2022-09-16 2022-09-20\n2022-12-28\t2022-12-23\n"),
        ("between", "2000-01-01 2040-12-31\n2040-12-31 2000-01-01\n"),
    ],
)
def test_plain_input_goes_the_fast_way(kind: str, text: str) -> None:
    assert agree(kind, text) is not None


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("add", "2022-09-16 1\n2022-09-16\n"),  # one field
        ("add", "2022-09-16 1 2\n"),  # three
        ("add", "2022-09-16 1\n\n"),  # an empty line
        ("add", "2022-02-30 1\n"),  # not a date
        ("add", "2022-9-16 1\n"),
        ("add", "2022-09-16 x\n"),
        ("add", "2022-09-16 -1\n"),  # a negative count: the calendar refuses it
        ("add", "2022-09-16 +\n"),
        ("add", f"2022-09-16 {'9' * 19}\n"),  # beyond what the fast way reads
        ("add", "1999-12-31 1\n"),  # outside the calendar
        ("add", "2040-12-31 1\n"),  # an answer beyond it
        ("add", "0000-01-01 1\n"),
        ("add", "2022-09-16\xa01\n"),  # not ASCII
        ("add", "2022-09-16 1\r2022-09-16 1\n"),  # a lone CR ends a line for splitlines
        ("add", "2022-09-16 1\n\r2022-09-16 1\n"),  # so this is three lines, one empty
        ("add", "2022-09-16 1 2022-09-16\n1\n"),  # four fields on two lines, but 3 + 1
        ("add", "2022-09-16 18446744073709551617\n"),  # 2 ** 64 + 1: no int64
        ("add", "2022-09-16 1\x0c\n"),  # a form feed: whitespace for str.split
        ("between", "2022-09-16 2041-01-01\n"),
    ],
)
def test_anything_else_is_left_to_the_line_by_line_way(kind: str, text: str) -> None:
    assert fast(kind, text) is None


def test_a_bad_line_among_many_is_named() -> None:
    start = date(2012, 1, 2)
    lines = [f"{start + timedelta(days=i % 5000)} {i % 60}\n" for i in range(20_000)]
    lines[17_345] = "2022-09-16 one\n"
    with pytest.raises(calendar_cmd._BadInput) as raised:
        calendar_cmd._add_batch("".join(lines), CAL)
    assert str(raised.value) == "line 17346: N: not a whole number: 'one'"


def test_iso_days_is_numpy_isoformat_from_1900_to_2200() -> None:
    days = np.arange(np.datetime64("1900-01-01"), np.datetime64("2201-01-01"))
    ours = _iso_days(days.astype(np.int64)).view("S10").reshape(-1)
    np.testing.assert_array_equal(ours, np.datetime_as_string(days, unit="D").astype("S10"))


@pytest.mark.parametrize(
    "values",
    [[], [0], [-1, 0, 1], [9, 10, 99, 100, -9, -10, -100], list(range(-10_700, 10_701, 7))],
)
def test_integer_lines_are_str(values: list[int]) -> None:
    got = _integer_lines(np.array(values, dtype=np.int64))
    assert got == "".join(f"{v}\n" for v in values).encode()
