"""`esafety calendar ...` (DESIGN 7): output, --batch, bad input, and no heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date

import pytest
from typer.testing import CliRunner

from calendars import Region, calendar_for
from esafety_flow.cli import app

runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["calendar", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_add_working_days_state_funeral_2022() -> None:
    assert run("add-working-days", "2022-09-16", "1") == (0, "2022-09-20\n", "")


def test_add_working_days_region_scotland_2_january() -> None:
    code, out, _ = run("add-working-days", "2021-12-31", "1", "--region", "scotland")
    assert (code, out) == (0, "2022-01-05\n")
    code, out, _ = run("add-working-days", "2021-12-31", "1")
    assert (code, out) == (0, "2022-01-04\n")


def test_working_days_between_christmas_2022() -> None:
    assert run("working-days-between", "2022-12-23", "2022-12-28") == (0, "1\n", "")
    assert run("working-days-between", "2022-12-28", "2022-12-23") == (0, "-1\n", "")


def test_holidays_text_lists_weekday_substitutes_only() -> None:
    code, out, _ = run("holidays", "2021")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 8
    assert lines[-2].startswith("2021-12-27")
    assert lines[-1].startswith("2021-12-28")
    assert "2021-12-25" not in out


def test_holidays_json_northern_ireland() -> None:
    code, out, _ = run("holidays", "2026", "--region", "northern-ireland", "--json")
    assert code == 0
    listed = json.loads(out)
    assert all(set(item) == {"date", "name"} for item in listed)
    dates = [item["date"] for item in listed]
    assert "2026-03-17" in dates
    assert "2026-07-13" in dates
    assert "2026-07-12" not in dates
    assert dates == [
        h.date.isoformat() for h in calendar_for(Region.NORTHERN_IRELAND).bank_holidays(2026)
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("add-working-days", "2022-13-01", "1"),
            "DATE: not a date in YYYY-MM-DD form: '2022-13-01'",
        ),
        (("add-working-days", "16/09/2022", "1"), "DATE: not a date"),
        (("add-working-days", "2022-09-16", "one"), "N: not a whole number: 'one'"),
        (("add-working-days", "2022-09-16", "1", "--region", "wales"), "unknown region 'wales'"),
        (("add-working-days", "1999-12-31", "1"), "1999-12-31 is outside the calendar"),
        (("add-working-days", "2040-12-28", "10"), "after the end of the calendar"),
        (("add-working-days", "2022-09-16"), "expected DATE and N"),
        (("working-days-between", "2022-09-16", "2041-01-01"), "2041-01-01 is outside"),
        (("working-days-between", "2022-09-16", "x"), "END: not a date"),
        (("holidays", "2041"), "year 2041 is outside"),
        (("holidays", "twenty"), "YEAR: not a whole number"),
        (("holidays", "2026", "--region", "wales"), "unknown region"),
    ],
)
def test_bad_input_exit_2_message_on_stderr(args: tuple[str, ...], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert message in err


def test_batch_add_working_days() -> None:
    stdin = "2022-09-16 1\n2022-12-24 3\n  2020-05-07\t1  \n2026-03-07 0\n"
    code, out, err = run("add-working-days", "--batch", stdin=stdin)
    assert (code, err) == (0, "")
    assert out == "2022-09-20\n2022-12-30\n2020-05-11\n2026-03-07\n"


def test_batch_working_days_between() -> None:
    stdin = "2022-09-16 2022-09-20\n2022-12-28 2022-12-23\n2026-01-01 2026-12-31\n"
    code, out, err = run("working-days-between", "--batch", stdin=stdin)
    assert (code, err) == (0, "")
    expected = calendar_for(Region.ENGLAND_AND_WALES).working_days_between(
        date(2026, 1, 1), date(2026, 12, 31)
    )
    assert out == f"1\n-1\n{expected}\n"


def test_batch_empty_input_prints_nothing() -> None:
    assert run("add-working-days", "--batch", stdin="") == (0, "", "")


def test_batch_agrees_with_single_calls_for_many_lines() -> None:
    cal = calendar_for(Region.SCOTLAND)
    pairs = [(date(2012, 1, 1).fromordinal(734503 + 37 * i), i % 50) for i in range(200)]
    stdin = "".join(f"{d.isoformat()} {n}\n" for d, n in pairs)
    code, out, _ = run("add-working-days", "--batch", "--region", "scotland", stdin=stdin)
    assert code == 0
    assert out.splitlines() == [cal.add_working_days(d, n).isoformat() for d, n in pairs]


@pytest.mark.parametrize(
    ("command", "stdin", "message"),
    [
        (
            "add-working-days",
            "2022-09-16 1\n2022-09-16\n",
            "line 2: expected 2 fields (DATE N), got 1",
        ),
        ("add-working-days", "2022-09-16 1 2\n", "line 1: expected 2 fields (DATE N), got 3"),
        ("add-working-days", "2022-09-16 1\n\n", "line 2: expected 2 fields (DATE N), got 0"),
        ("add-working-days", "2022-09-16 1\n2022-02-30 1\n", "line 2: DATE: not a date"),
        ("add-working-days", "2022-09-16 1\n2022-09-16 x\n", "line 2: N: not a whole number"),
        ("add-working-days", "2022-09-16 1\n2022-09-16 -1\n", "line 2: n[1] = -1"),
        (
            "add-working-days",
            "2022-09-16 1\n1999-09-16 1\n",
            "line 2: dates[1] = 1999-09-16 is outside",
        ),
        (
            "add-working-days",
            "2022-09-16 1\n2040-12-31 1\n",
            "line 2: 1 working days from 2040-12-31",
        ),
        (
            "working-days-between",
            "2022-09-16 2022-09-20\n2022-09-16 2041-01-01\n",
            "line 2: ends[1]",
        ),
        ("working-days-between", "2022-09-16 2022-9-20\n", "line 1: END: not a date"),
    ],
)
def test_batch_bad_line_exit_2_names_line_and_prints_nothing(
    command: str, stdin: str, message: str
) -> None:
    code, out, err = run(command, "--batch", stdin=stdin)
    assert code == 2
    assert out == ""
    assert message in err


def test_batch_with_arguments_is_refused() -> None:
    code, out, err = run("add-working-days", "2022-09-16", "1", "--batch", stdin="")
    assert (code, out) == (2, "")
    assert "give no arguments" in err


def test_batch_unknown_region_is_refused() -> None:
    code, out, err = run("working-days-between", "--batch", "--region", "x", stdin="")
    assert (code, out) == (2, "")
    assert "unknown region" in err


HEAVY = ("prefect", "sqlalchemy", "fastapi", "uvicorn")


def test_calendar_commands_import_no_service_stack() -> None:
    code = textwrap.dedent(
        f"""
        import io, sys
        import esafety_flow.cli
        from esafety_flow.cli import app
        runs = [
            (["calendar", "add-working-days", "2022-09-16", "1"], ""),
            (["calendar", "working-days-between", "2022-09-16", "2022-09-20"], ""),
            (["calendar", "holidays", "2022", "--json"], ""),
            (["calendar", "add-working-days", "--batch"], "2022-09-16 1\\n"),
            (["calendar", "working-days-between", "--batch"], "2022-09-16 2022-09-20\\n"),
        ]
        for args, stdin in runs:
            sys.stdin = io.StringIO(stdin)
            try:
                app(args, standalone_mode=False)
            except SystemExit as exc:
                assert not exc.code, (args, exc.code)
        heavy = sorted(
            m for m in sys.modules if m.split(".")[0] in set({HEAVY!r})
        )
        print("HEAVY:", heavy)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "2022-09-20" in result.stdout
    assert result.stdout.strip().endswith("HEAVY: []"), result.stdout[-500:]


def test_calendar_cmd_source_has_no_heavy_imports() -> None:
    import esafety_flow.cli.calendar_cmd as module

    assert module.__file__ is not None
    with open(module.__file__, encoding="utf-8") as source:
        text = source.read()
    for name in HEAVY:
        assert f"import {name}" not in text
        assert f"from {name}" not in text
