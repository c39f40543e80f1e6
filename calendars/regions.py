"""Regions, bank holidays and calendar specifications (DESIGN 3.2).

Bank holidays come from the `holidays` package with the region's subdivision (ENG, SCT, NIR; never
the bare country "GB", which drops Easter Monday and the August holiday). The package lists a
holiday on its real date even when that is a Saturday or Sunday, and lists the substitute weekday
as "... (observed)": only weekdays are days off, so weekend dates are dropped here.

`holidays` is imported only when a calendar is built from it (`statutory_holidays`): a command
served from the table cache (`calendars.table_cache`) never pays for it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

from calendars.errors import CalendarError, UnknownRegionError

__all__ = [
    "HOLIDAYS_VERSION",
    "BankHoliday",
    "CalendarSpec",
    "Counting",
    "HolidayKind",
    "Region",
    "installed_version",
    "statutory_holidays",
]


def installed_version(distribution: str) -> str:
    """The installed version of `distribution`, whose top-level package has the same name.

    Read from the ``NAME-VERSION.dist-info/METADATA`` file beside the package, the file that
    `importlib.metadata.version` reads, without importing `importlib.metadata` (a sizeable share
    of a command's start-up). Anything else (no package, no such directory beside it, or more
    than one) is left to `importlib.metadata.version`, which raises `PackageNotFoundError` for a
    distribution that is not installed.
    """
    spec = importlib.util.find_spec(distribution)
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    if len(locations) == 1:
        parent = os.path.dirname(os.path.abspath(locations[0]))
        prefix = f"{distribution}-"
        try:
            found = [
                entry
                for entry in os.listdir(parent)
                if entry.startswith(prefix) and entry.endswith(".dist-info")
            ]
            if len(found) == 1:
                with open(os.path.join(parent, found[0], "METADATA"), encoding="utf-8") as meta:
                    for line in meta:
                        if not line.strip():
                            break  # end of the headers
                        field, _, value = line.partition(":")
                        if field == "Version" and value.strip():
                            return value.strip()
        except (OSError, UnicodeDecodeError):
            pass
    from importlib.metadata import version

    return version(distribution)


HOLIDAYS_VERSION: str = installed_version("holidays")

HolidayKind = Literal["statutory", "one_off", "closure"]


class Region(StrEnum):
    """A bank-holiday region, named as GOV.UK names it."""

    ENGLAND_AND_WALES = "england-and-wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"

    @classmethod
    def parse(cls, text: str) -> Region:
        """The region named `text`; `UnknownRegionError` naming the valid regions otherwise."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            valid = ", ".join(r.value for r in cls)
            raise UnknownRegionError(f"unknown region {text!r}: expected one of {valid}") from None

    @property
    def subdivision(self) -> str:
        """The `holidays` package subdivision of GB used for this region."""
        return _SUBDIVISION[self]


_SUBDIVISION: dict[Region, str] = {
    Region.ENGLAND_AND_WALES: "ENG",
    Region.SCOTLAND: "SCT",
    Region.NORTHERN_IRELAND: "NIR",
}


class Counting(StrEnum):
    """How "N working days from X" counts (DESIGN 3.2).

    DAY_0: X's own date is day 0 whether or not it is a working day; the due date is the N-th
    working day after X (HMCTS task due dates, freedom-of-information law). N >= 0; N = 0 is X.
    DAY_1: X's date is day 1 when it is a working day (the CIN census validator), so the due date
    is one working day earlier than DAY_0 when X is a working day and the same otherwise. N >= 1.
    """

    DAY_0 = "day_0"
    DAY_1 = "day_1"


@dataclass(frozen=True, slots=True)
class BankHoliday:
    """A weekday that is not a working day.

    kind: "statutory" (a bank holiday of the region), "one_off" (added by an administrator before
    the `holidays` package knows it, as with 19 September 2022) or "closure" (a local,
    non-statutory office closure day).
    """

    date: date
    name: str
    kind: HolidayKind = "statutory"


def _check_days(days: tuple[BankHoliday, ...], kind: HolidayKind, field: str) -> None:
    seen: set[date] = set()
    for day in days:
        if not isinstance(day, BankHoliday):
            raise CalendarError(f"{field}: expected BankHoliday items, got {day!r}")
        if day.kind != kind:
            raise CalendarError(f"{field}: {day.date} has kind {day.kind!r}, expected {kind!r}")
        if day.date.weekday() >= 5:
            raise CalendarError(f"{field}: {day.date} is a weekend day, not a possible day off")
        if not day.name.strip():
            raise CalendarError(f"{field}: {day.date} needs a name")
        if day.date in seen:
            raise CalendarError(f"{field}: {day.date} is listed twice")
        seen.add(day.date)


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """Everything that determines a working-day calendar; `.version` names it.

    extra_days: one-off bank holidays (kind "one_off") an administrator adds before the
    `holidays` package knows them. closure_days: local office closures (kind "closure"), off
    unless given. The table covers 1 January `first_year` to 31 December `last_year`.
    """

    region: Region
    extra_days: tuple[BankHoliday, ...] = ()
    closure_days: tuple[BankHoliday, ...] = ()
    first_year: int = 2000
    last_year: int = 2040

    def __post_init__(self) -> None:
        if not isinstance(self.region, Region):
            raise CalendarError(f"region: expected a Region, got {self.region!r}")
        if not 1900 <= self.first_year <= self.last_year <= 2200:
            raise CalendarError(
                f"years {self.first_year}..{self.last_year}: need 1900 <= first <= last <= 2200"
            )
        _check_days(self.extra_days, "one_off", "extra_days")
        _check_days(self.closure_days, "closure", "closure_days")
        for day in (*self.extra_days, *self.closure_days):
            if not self.first_year <= day.date.year <= self.last_year:
                raise CalendarError(
                    f"{day.date} is outside the years {self.first_year}..{self.last_year}"
                )

    @property
    def version(self) -> str:
        """An explicit value stored with every deadline computed from this calendar.

        It names the region, the `holidays` package version, the one-off days and the closure
        days, e.g.
        ``england-and-wales/holidays-0.109/extra:2031-06-02/closure:none``.
        """
        extra = ",".join(sorted(d.date.isoformat() for d in self.extra_days)) or "none"
        closure = ",".join(sorted(d.date.isoformat() for d in self.closure_days)) or "none"
        if len(closure) > 120:  # a long closure list is named by its digest
            closure = (
                f"{len(self.closure_days)}days-" + hashlib.sha256(closure.encode()).hexdigest()[:12]
            )
        return f"{self.region.value}/holidays-{HOLIDAYS_VERSION}/extra:{extra}/closure:{closure}"


def statutory_holidays(region: Region, first_year: int, last_year: int) -> list[BankHoliday]:
    """The region's weekday bank holidays from `holidays`, sorted by date.

    Checked against the GOV.UK list for 2012-2028 by tests/calendars/test_govuk_fixture.py; no
    day needed correcting with holidays 0.109. Should a later release disagree with GOV.UK, add the
    day to the default spec's `extra_days` (or remove it here) with its source.
    """
    import holidays

    source = holidays.country_holidays(
        "GB", subdiv=region.subdivision, years=range(first_year, last_year + 1)
    )
    return [
        BankHoliday(day, str(name), "statutory")
        for day, name in sorted(source.items())
        if day.weekday() < 5  # a weekend date is never a day off; its substitute weekday is
    ]
