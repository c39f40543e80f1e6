"""`esafety calendar ...` (DESIGN 7): output, --batch, bad input, and no heavy imports.

Every call of `run` goes both ways: through Typer (`esafety_flow.cli.app`, as `esafety --help`
or an unusual call is) and, when it is a plain call, through `calendar_cmd.run` without Typer
(as the `esafety` command runs it); the two answers must be the same.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calendars import Region, calendar_for
from esafety_flow.cli import app, calendar_cmd
from esafety_flow.cli.calendar_cmd import CACHE_DIR_VARIABLE, cache_directory

runner = CliRunner()


def run_plain(args: list[str], stdin: str | None = None) -> tuple[int, str, str] | None:
    """`args` (after `esafety`) run by `calendar_cmd.run`, or None when it leaves them to Typer."""
    streams = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO((stdin or "").encode()), encoding="utf-8")
    out = sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = sys.stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    try:
        status = calendar_cmd.run(args, environ={})
        out.flush()
        err.flush()
        printed = (out.buffer.getvalue().decode(), err.buffer.getvalue().decode())
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams
    return None if status is None else (status, *printed)


def run_typer(args: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, args, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    answer = run_typer(["calendar", *args], stdin)
    plain = run_plain(["calendar", *args], stdin)
    assert plain is None or plain == answer, (args, plain, answer)
    return answer


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
        (
            "add-working-days",
            "2022-09-16 1\n2022-09-16 99999999999999999999\n",
            "line 2: 99999999999999999999 working days from 2022-09-16 is outside the calendar",
        ),
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


# Never imported by a calendar command, whichever way it runs.
HEAVY = ("states", "rich", "prefect", "sqlalchemy", "fastapi", "uvicorn")
# Not imported either by a plain call (the `esafety` command without Typer), cache warm.
NOT_PLAIN = ("typer", "click", "pydantic", "holidays")


def _imported_by(script: str) -> set[str]:
    """The top-level packages imported by `script` run in a fresh interpreter (it prints them)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    last = result.stdout.splitlines()[-1]
    assert last.startswith("IMPORTED:"), result.stdout[-500:]
    return set(json.loads(last.removeprefix("IMPORTED:")))


PLAIN_SCRIPT = """
    import io, json, sys
    from esafety_flow.cli import main
    for args, stdin in {runs!r}:
        sys.argv = ["esafety", *args]
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, (args, exc.code)
    print()
    print("IMPORTED:" + json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""

SINGLE_CALLS = [
    (["calendar", "add-working-days", "2022-09-16", "1"], ""),
    (["calendar", "working-days-between", "2022-09-16", "2022-09-20", "--region", "scotland"], ""),
    (["calendar", "holidays", "2022"], ""),
    (["calendar", "holidays", "2022", "--json", "--region=northern-ireland"], ""),
]
BATCH_CALLS = [
    (["calendar", "add-working-days", "--batch"], "2022-09-16 1\n"),
    (["calendar", "working-days-between", "--batch"], "2022-09-16 2022-09-20\n"),
]


def _warm_cache() -> None:
    for region in ("england-and-wales", "scotland", "northern-ireland"):
        assert run_plain(["calendar", "holidays", "2022", "--region", region]) is not None


def test_plain_single_calls_import_neither_typer_nor_numpy() -> None:
    _warm_cache()
    imported = _imported_by(PLAIN_SCRIPT.format(runs=SINGLE_CALLS))
    assert "calendars" in imported
    assert imported & {*HEAVY, *NOT_PLAIN, "numpy"} == set()


def test_plain_batch_calls_import_numpy_only() -> None:
    _warm_cache()
    imported = _imported_by(PLAIN_SCRIPT.format(runs=BATCH_CALLS))
    assert "numpy" in imported
    assert imported & {*HEAVY, *NOT_PLAIN} == set()


def test_calendar_commands_through_typer_import_no_service_stack() -> None:
    imported = _imported_by(
        f"""
        import io, json, sys
        from esafety_flow.cli import app
        runs = {[*SINGLE_CALLS, *BATCH_CALLS]!r}
        for args, stdin in runs:
            sys.stdin = io.StringIO(stdin)
            try:
                app(args, standalone_mode=False)
            except SystemExit as exc:
                assert not exc.code, (args, exc.code)
        print()
        print("IMPORTED:" + json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
        """
    )
    assert {"typer", "numpy", "calendars"} <= imported
    assert imported & set(HEAVY) == set()


def test_calendar_cmd_source_has_no_heavy_imports() -> None:
    assert calendar_cmd.__file__ is not None
    text = Path(calendar_cmd.__file__).read_text(encoding="utf-8")
    for name in HEAVY:
        assert f"import {name}" not in text
        assert f"from {name}" not in text


# -- plain calls: what runs without Typer, and what is left to it ---------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["add-working-days", "2021-12-31", "1", "--region=scotland"],
        ["add-working-days", "--region", "scotland", "2021-12-31", "1"],
        ["add-working-days", "2021-12-31", "--region", "x", "--region", "scotland", "1"],
        ["add-working-days", "--batch", "--region", "scotland"],
        ["working-days-between", "--region=", "2022-12-23", "2022-12-28"],
        ["working-days-between", "2022-12-23", "--batch"],
        ["holidays", "--json", "2026", "--region", "northern-ireland"],
        ["holidays", ""],
        ["add-working-days"],
    ],
)
def test_plain_calls_run_without_typer_and_answer_as_typer_does(args: list[str]) -> None:
    stdin = "2021-12-31 1\n2022-12-23 2022-12-28\n"
    assert run_plain(["calendar", *args], stdin) is not None
    run(*args, stdin=stdin)  # the same answer both ways


@pytest.mark.parametrize(
    "args",
    [
        ["calendar"],
        ["calendar", "--help"],
        ["calendar", "--help", "holidays"],
        ["calendar", "nosuch"],
        ["calendar", "add-working-days", "--help"],
        ["calendar", "add-working-days", "-h"],
        ["calendar", "add-working-days", "--", "2022-09-16", "-1"],
        ["calendar", "add-working-days", "2022-09-16", "-1"],
        ["calendar", "add-working-days", "2022-09-16", "1", "--region"],
        ["calendar", "add-working-days", "2022-09-16", "1", "--region", "--batch"],
        ["calendar", "add-working-days", "2022-09-16", "1", "--batch=yes"],
        ["calendar", "add-working-days", "2022-09-16", "1", "--json"],
        ["calendar", "add-working-days", "2022-09-16", "1", "2"],
        ["calendar", "add-working-days", "-"],
        ["calendar", "holidays"],
        ["calendar", "holidays", "2026", "2027"],
        ["calendar", "holidays", "2026", "--batch"],
        ["states", "diagram"],
        [],
    ],
)
def test_other_calls_are_left_to_typer(args: list[str]) -> None:
    assert run_plain(args) is None


def test_shell_completion_is_left_to_typer() -> None:
    args = ["calendar", "holidays", "2026"]
    assert calendar_cmd.run(args, environ={"_ESAFETY_COMPLETE": "bash_complete"}) is None


def test_usage_errors_keep_typer_messages() -> None:
    code, out, err = run_typer(["calendar", "holidays"])
    assert (code, out) == (2, "")
    assert "Missing argument 'YEAR'" in err
    code, out, err = run_typer(["calendar", "add-working-days", "2022-09-16", "-1"])
    assert (code, out) == (2, "")
    assert "No such option: -1" in err


def _esafety(args: list[str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from esafety_flow.cli import main; sys.argv[0] = 'esafety'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_entry_point_runs_plain_calls_and_the_rest() -> None:
    done = _esafety(["calendar", "add-working-days", "2022-09-16", "1"])
    assert (done.returncode, done.stdout, done.stderr) == (0, "2022-09-20\n", "")
    done = _esafety(["calendar", "add-working-days", "2022-13-01", "1"])
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "error: DATE: not a date in YYYY-MM-DD form: '2022-13-01'\n"
    done = _esafety(["calendar", "holidays"])  # a usage error, from Typer
    assert (done.returncode, done.stdout) == (2, "")
    assert "Missing argument 'YEAR'" in done.stderr
    done = _esafety(["states", "policy", "--json"])
    assert done.returncode == 0
    assert json.loads(done.stdout)


@pytest.mark.parametrize(
    "args",
    [
        ["calendar", "add-working-days", "--batch"],  # plain: without Typer
        ["calendar", "add-working-days", "--batch", "--"],  # through Typer
    ],
)
def test_reader_gone_is_exit_1_without_a_traceback(args: list[str]) -> None:
    lines = "".join(f"2022-09-{d:02d} {n}\n" for d in range(1, 29) for n in range(1, 2000))
    code = "import sys; from esafety_flow.cli import main; sys.argv[0] = 'esafety'; main()"
    with subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None
        proc.stdout.close()  # nobody reads the answer
        _, err = proc.communicate(lines.encode(), timeout=120)
    assert proc.returncode == 1, err
    assert err == b""


# -- the table cache ----------------------------------------------------------------------------


def test_cache_directory_follows_the_variable_then_xdg_then_home() -> None:
    assert cache_directory({CACHE_DIR_VARIABLE: "/srv/cache", "XDG_CACHE_HOME": "/x"}) == Path(
        "/srv/cache"
    )
    assert cache_directory({"XDG_CACHE_HOME": "/x", "HOME": "/home/a"}) == Path(
        "/x/esafety-flow/calendars"
    )
    assert cache_directory({"XDG_CACHE_HOME": "relative", "HOME": "/home/a"}) == Path(
        "/home/a/.cache/esafety-flow/calendars"
    )
    assert cache_directory({CACHE_DIR_VARIABLE: "", "HOME": "/home/a"}) == Path(
        "/home/a/.cache/esafety-flow/calendars"
    )


def test_calendar_command_writes_its_table_to_the_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path / "new" / "dir"))
    assert run("add-working-days", "2022-09-16", "1", "--region", "scotland")[0] == 0
    written = list((tmp_path / "new" / "dir").iterdir())
    assert [p.name.split("-2000-")[0] for p in written] == ["scotland"]
    assert run("add-working-days", "2022-09-16", "1", "--region", "scotland") == (
        0,
        "2022-09-20\n",
        "",
    )


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "empty", "directory"])
def test_calendar_command_answers_over_a_damaged_cache(
    damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path))
    assert run("holidays", "2022")[0] == 0
    [table] = tmp_path.iterdir()
    blob = table.read_bytes()
    middle = len(blob) // 2
    if damage == "directory":
        table.unlink()
        table.mkdir()  # a directory where the file should be
    elif damage == "corrupt":
        table.write_bytes(blob[:middle] + bytes([blob[middle] ^ 1]) + blob[middle + 1 :])
    else:
        table.write_bytes(blob[:middle] if damage == "truncated" else b"")
    code, out, err = run("add-working-days", "2022-09-16", "1")
    assert (code, out, err) == (0, "2022-09-20\n", "")
    assert [p.name for p in tmp_path.iterdir()] == [table.name]  # no temporary file left
    if damage != "directory":
        assert table.read_bytes() == blob  # rebuilt


@pytest.mark.parametrize("where", ["under-a-file", "unreadable-home"])
def test_calendar_command_answers_when_the_cache_cannot_be_written(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    if where == "under-a-file":
        monkeypatch.setenv(CACHE_DIR_VARIABLE, str(blocker / "cache"))
    else:
        monkeypatch.delenv(CACHE_DIR_VARIABLE)
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        monkeypatch.setenv("HOME", str(blocker))
    assert run("add-working-days", "2022-09-16", "1") == (0, "2022-09-20\n", "")
    assert run("add-working-days", "--batch", stdin="2022-09-16 1\n") == (0, "2022-09-20\n", "")
    assert blocker.read_text() == "not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_calendar_command_answers_from_a_read_only_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path))
    run("holidays", "2022")
    tmp_path.chmod(0o500)
    try:
        assert run("add-working-days", "2022-09-16", "1") == (0, "2022-09-20\n", "")
        assert run("holidays", "2022", "--region", "scotland")[0] == 0  # not cached, not written
    finally:
        tmp_path.chmod(0o700)
    assert len(list(tmp_path.iterdir())) == 1
