"""`cached_calendar`: working-day tables on disk (calendars.table_cache).

A table read back must give exactly the calendar built from `holidays`; a file that is not
exactly right (another key, corrupt, truncated) is rebuilt; a cache that cannot be used never
fails the caller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from calendars import (
    BankHoliday,
    CalendarSpec,
    Region,
    WorkingDayCalendar,
    build_calendar,
    cached_calendar,
    calendar_for,
    regions,
    table_cache,
    working_days,
)
from calendars.table_cache import cache_key, cache_path

SPECS = [
    *(CalendarSpec(region) for region in Region),
    CalendarSpec(
        Region.ENGLAND_AND_WALES,
        extra_days=(BankHoliday(date(2031, 6, 2), "One-off day", "one_off"),),
        closure_days=(
            BankHoliday(date(2025, 12, 29), "Office closed", "closure"),
            BankHoliday(date(2025, 12, 30), "Office closed", "closure"),
        ),
    ),
    CalendarSpec(Region.SCOTLAND, first_year=2020, last_year=2021),
]
BUILT = {region: calendar_for(region) for region in Region}  # built before any count


class Builds:
    """Counts the calendars built from `holidays` (every cache miss builds one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = regions.statutory_holidays

        def counted(region: Region, first_year: int, last_year: int) -> list[BankHoliday]:
            self.count += 1
            return real(region, first_year, last_year)

        monkeypatch.setattr(working_days, "statutory_holidays", counted)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Builds:
    return Builds(monkeypatch)


def assert_same_calendar(got: WorkingDayCalendar, want: WorkingDayCalendar) -> None:
    assert (got.version, got.first, got.last) == (want.version, want.first, want.last)
    assert got._cum == want._cum
    assert got._workdays == want._workdays
    assert got._by_date == want._by_date
    for year in range(got.first.year, got.last.year + 1):
        assert got.bank_holidays(year) == want.bank_holidays(year)
    days = np.arange(np.datetime64(got.first), np.datetime64(got.last) - 200)
    np.testing.assert_array_equal(
        got.add_working_days_batch(days, 45), want.add_working_days_batch(days, 45)
    )
    np.testing.assert_array_equal(
        got.working_days_between_batch(days, days + 120),
        want.working_days_between_batch(days, days + 120),
    )


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.version)
def test_a_table_read_back_is_the_calendar_built(
    spec: CalendarSpec, tmp_path: Path, builds: Builds
) -> None:
    written = cached_calendar(spec, tmp_path)
    assert builds.count == 1
    assert cache_path(spec, tmp_path).is_file()
    read = cached_calendar(spec, tmp_path)
    assert builds.count == 1  # served from the file
    assert_same_calendar(read, build_calendar(spec))
    assert_same_calendar(written, build_calendar(spec))


def test_the_file_names_its_calendar_and_is_no_pickle(tmp_path: Path) -> None:
    spec = SPECS[3]
    cached_calendar(spec, tmp_path)
    blob = cache_path(spec, tmp_path).read_bytes()
    assert blob.startswith(b"ESFCAL1\n")
    size = int.from_bytes(blob[8:12], "little")
    header = json.loads(blob[12 : 12 + size])
    assert header["region"] == "england-and-wales"
    assert header["holidays"] == regions.HOLIDAYS_VERSION
    assert header["spec"] == spec.version
    assert "extra:2031-06-02" in header["spec"]
    assert header["key"] == cache_key(spec)
    assert header["years"] == [2000, 2040]
    assert len(header["sha256"]) == 64


def test_calendars_with_other_days_have_other_files(tmp_path: Path) -> None:
    paths = {cache_path(spec, tmp_path) for spec in SPECS}
    assert len(paths) == len(SPECS)
    assert cache_path(SPECS[0], tmp_path).name.startswith("england-and-wales-2000-2040-")


def corrupt(path: Path, at: int) -> None:
    blob = bytearray(path.read_bytes())
    blob[at] ^= 0x20
    path.write_bytes(bytes(blob))


DAMAGE: dict[str, Callable[[Path], object]] = {
    "payload byte": lambda p: corrupt(p, p.stat().st_size - 5000),
    "last byte": lambda p: corrupt(p, p.stat().st_size - 1),
    "header byte": lambda p: corrupt(p, 40),
    "magic": lambda p: corrupt(p, 0),
    "header length": lambda p: corrupt(p, 9),
    "truncated in the payload": lambda p: p.write_bytes(p.read_bytes()[:-3000]),
    "truncated in the header": lambda p: p.write_bytes(p.read_bytes()[:30]),
    "one byte": lambda p: p.write_bytes(b"E"),
    "empty": lambda p: p.write_bytes(b""),
    "bytes added": lambda p: p.write_bytes(p.read_bytes() + b"\0\0\0\0"),
    "a pickle": lambda p: p.write_bytes(b"\x80\x04\x95\x00"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_file_is_ignored_and_rebuilt(damage: str, tmp_path: Path, builds: Builds) -> None:
    spec = SPECS[1]
    cached_calendar(spec, tmp_path)
    path = cache_path(spec, tmp_path)
    good = path.read_bytes()
    DAMAGE[damage](path)
    assert path.read_bytes() != good
    assert_same_calendar(cached_calendar(spec, tmp_path), BUILT[Region.SCOTLAND])
    assert builds.count == 2
    assert path.read_bytes() == good  # rewritten whole
    cached_calendar(spec, tmp_path)
    assert builds.count == 2


def test_a_table_with_a_consistent_but_wrong_content_is_not_trusted(
    tmp_path: Path, builds: Builds
) -> None:
    """The checksum covers the key: a table of England under Scotland's name is refused."""
    england, scotland = SPECS[0], SPECS[1]
    cached_calendar(england, tmp_path)
    cache_path(england, tmp_path).rename(cache_path(scotland, tmp_path))
    assert_same_calendar(cached_calendar(scotland, tmp_path), BUILT[Region.SCOTLAND])
    assert builds.count == 2


@pytest.mark.parametrize("change", ["holidays version", "code"])
def test_a_file_with_another_key_is_rebuilt_and_replaced(
    change: str, tmp_path: Path, builds: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = SPECS[2]
    with monkeypatch.context() as old:
        if change == "holidays version":
            old.setattr(regions, "HOLIDAYS_VERSION", "0.1")  # what the last install had
        else:
            old.setattr(table_cache, "_code_digest", lambda: "0" * 16)  # the code before
        cached_calendar(spec, tmp_path)
        old_key = cache_key(spec)
    assert builds.count == 1
    assert old_key != cache_key(spec)
    path = cache_path(spec, tmp_path)
    assert old_key is not None
    assert old_key.encode() in path.read_bytes()
    assert_same_calendar(cached_calendar(spec, tmp_path), BUILT[Region.NORTHERN_IRELAND])
    assert builds.count == 2
    assert old_key.encode() not in path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # replaced, not added


def test_a_new_one_off_day_is_another_calendar(tmp_path: Path, builds: Builds) -> None:
    plain = CalendarSpec(Region.ENGLAND_AND_WALES)
    day = BankHoliday(date(2022, 9, 19), "State Funeral", "one_off")
    with_day = CalendarSpec(Region.ENGLAND_AND_WALES, extra_days=(day,))
    cached_calendar(plain, tmp_path)
    cal = cached_calendar(with_day, tmp_path)
    assert builds.count == 2
    assert not cal.is_working_day(date(2022, 9, 19))
    assert "extra:2022-09-19" in cal.version


def test_one_off_day_names_come_from_the_spec(tmp_path: Path) -> None:
    first = CalendarSpec(
        Region.SCOTLAND, extra_days=(BankHoliday(date(2030, 3, 4), "First name", "one_off"),)
    )
    renamed = CalendarSpec(
        Region.SCOTLAND, extra_days=(BankHoliday(date(2030, 3, 4), "Second name", "one_off"),)
    )
    cached_calendar(first, tmp_path)
    [day] = [
        h for h in cached_calendar(renamed, tmp_path).bank_holidays(2030) if h.kind != "statutory"
    ]
    assert day.name == "Second name"


def test_a_missing_directory_is_made(tmp_path: Path) -> None:
    directory = tmp_path / "a" / "b"
    cached_calendar(SPECS[0], directory)
    assert cache_path(SPECS[0], directory).is_file()


@pytest.mark.parametrize("blocked", ["directory is a file", "mkstemp refused", "rename refused"])
def test_a_cache_that_cannot_be_written_never_fails(
    blocked: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "cache"
    if blocked == "directory is a file":
        directory.write_text("in the way")
    else:
        import tempfile

        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        if blocked == "mkstemp refused":
            monkeypatch.setattr(tempfile, "mkstemp", refuse)
        else:
            monkeypatch.setattr(os, "replace", refuse)
    assert_same_calendar(cached_calendar(SPECS[0], directory), BUILT[Region.ENGLAND_AND_WALES])
    if blocked == "directory is a file":
        assert directory.read_text() == "in the way"
    else:
        assert list(directory.iterdir()) == []  # no temporary file left behind


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_a_read_only_directory_is_read_and_never_fails(tmp_path: Path, builds: Builds) -> None:
    cached_calendar(SPECS[0], tmp_path)
    tmp_path.chmod(0o500)
    try:
        cached_calendar(SPECS[0], tmp_path)
        assert builds.count == 1
        assert_same_calendar(cached_calendar(SPECS[1], tmp_path), BUILT[Region.SCOTLAND])
    finally:
        tmp_path.chmod(0o700)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_file_of_another_user_is_not_read(tmp_path: Path, builds: Builds) -> None:
    cached_calendar(SPECS[0], tmp_path)
    os.chown(cache_path(SPECS[0], tmp_path), 65534, 65534)  # nobody
    assert_same_calendar(cached_calendar(SPECS[0], tmp_path), BUILT[Region.ENGLAND_AND_WALES])
    assert builds.count == 2
    assert cache_path(SPECS[0], tmp_path).stat().st_uid == os.getuid()  # replaced by our own


def test_a_leftover_temporary_file_is_ignored(tmp_path: Path, builds: Builds) -> None:
    (tmp_path / f".{cache_path(SPECS[0], tmp_path).name}.x.tmp").write_bytes(b"half a file")
    cached_calendar(SPECS[0], tmp_path)
    cached_calendar(SPECS[0], tmp_path)
    assert builds.count == 1


def test_no_directory_no_files(builds: Builds) -> None:
    cached_calendar(SPECS[0], None)
    cached_calendar(SPECS[0], None)
    assert builds.count == 2


def test_a_table_served_from_the_cache_imports_neither_holidays_nor_numpy(tmp_path: Path) -> None:
    cached_calendar(SPECS[0], tmp_path)
    code = textwrap.dedent(
        f"""
        import sys
        from datetime import date
        from pathlib import Path
        from calendars import CalendarSpec, Region, cached_calendar
        cal = cached_calendar(CalendarSpec(Region.ENGLAND_AND_WALES), Path({str(tmp_path)!r}))
        print(cal.add_working_days(date(2022, 9, 16), 1), cal.bank_holidays(2022)[-1].name)
        print("holidays" in sys.modules, "numpy" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines() == ["2022-09-20 Christmas Day (observed)", "False False"]
