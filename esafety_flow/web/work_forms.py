"""The forms of who does the work (DESIGN 2.5): what was typed, each problem beside its field, and
the GOV.UK date input with a time that every date on these forms uses.

A form's values are kept as posted (`WorkForm.values`), so a page shown again after an error has
everything the user typed. `WorkForm.problem` records a message against a field and the id of the
input the error summary links to. `when_from_form` reads a date and time posted as
`<name>-day`, `<name>-month`, `<name>-year` and `<name>-time` (Europe/London wall-clock time, the
24-hour clock) into an aware UTC instant; it never accepts a time in the future.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from calendars import LONDON, CalendarError, parse_instant

__all__ = ["WHEN", "WorkForm", "when_defaults", "when_from_form"]

WHEN = "occurred"
"""The name of every form's "when did it happen" date and time."""

_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


@dataclass
class WorkForm:
    """A posted form (or the defaults of a new one) and its problems, in the order found."""

    values: dict[str, list[str]] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    """(field, message, id of the input to link to)."""
    wrong_parts: dict[str, list[str]] = field(default_factory=dict)
    """The parts of a date and time field in error (`day`, `month`, `year`, `time`)."""

    @classmethod
    def of(cls, posted: Mapping[str, Sequence[str]]) -> WorkForm:
        return cls({k: list(v) for k, v in posted.items() if k != "csrf_token"})

    def one(self, name: str) -> str:
        found = self.values.get(name) or [""]
        return found[0].strip()

    def many(self, name: str) -> list[str]:
        return [v for v in self.values.get(name, []) if v]

    def problem(
        self, name: str, message: str, anchor: str | None = None, parts: Sequence[str] = ()
    ) -> None:
        self.problems.append((name, message, anchor or name))
        if parts:
            self.wrong_parts.setdefault(name, []).extend(parts)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> list[dict[str, str]]:
        """The GOV.UK error summary's list: each message linking to its input."""
        return [{"text": m, "href": f"#{a}"} for _, m, a in self.problems]

    @property
    def error_for(self) -> dict[str, str]:
        """The message beside each field (the first, where a field has several)."""
        out: dict[str, str] = {}
        for name, message, _ in self.problems:
            out.setdefault(name, message)
        return out


def when_defaults(now: datetime, name: str = WHEN) -> dict[str, list[str]]:
    """A date and time field set to `now` (London time, to the minute)."""
    local = now.astimezone(LONDON)
    return {
        f"{name}-day": [str(local.day)],
        f"{name}-month": [str(local.month)],
        f"{name}-year": [str(local.year)],
        f"{name}-time": [f"{local:%H:%M}"],
    }


def when_from_form(
    form: WorkForm, *, now: datetime, prefix: str, name: str = WHEN, what: str = "the date"
) -> datetime | None:
    """The instant posted in the date and time field `name`, or None after recording the problem
    against it (`prefix` makes the input ids of the page: `<prefix>-<name>-day` ...)."""
    parts = {p: form.one(f"{name}-{p}") for p in ("day", "month", "year", "time")}
    base = f"{prefix}-{name}"
    what_ = what[:1].upper() + what[1:]

    def wrong(message: str, *bad: str) -> None:
        form.problem(name, message, f"{base}-{bad[0]}", bad)

    date_parts = ("day", "month", "year")
    missing = [p for p in date_parts if not parts[p]]
    if len(missing) == 3:
        wrong(f"Enter {what}", *date_parts)
        return None
    if missing:
        wrong(f"{what_} must include a {' and a '.join(missing)}", *missing)
        return None
    bad = [p for p in date_parts if not (parts[p].isdigit() and len(parts[p]) <= 4)]
    if bad:
        wrong(f"{what_} must be a real date", *bad)
        return None
    if len(parts["year"]) != 4:
        wrong("The year must include 4 numbers, for example 2026", "year")
        return None
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        wrong(f"{what_} must be a real date", *date_parts)
        return None
    if not parts["time"]:
        wrong("Enter the time, for example 16:00", "time")
        return None
    matched = _TIME.match(parts["time"])
    if matched is None or int(matched.group(1)) > 23 or int(matched.group(2)) > 59:
        wrong("Enter the time as hours and minutes on the 24-hour clock, for example 16:00", "time")
        return None
    hour, minute = int(matched.group(1)), int(matched.group(2))
    try:
        instant = parse_instant(f"{day.isoformat()}T{hour:02d}:{minute:02d}")
    except CalendarError:
        wrong("That time did not happen on that day: the clocks went forward an hour", "time")
        return None
    if instant > now:
        wrong(f"{what_} must be now or in the past", *date_parts, "time")
        return None
    return instant
