"""The date and time input of the work pages (GOV.UK date input with a time): what it accepts
and what it says about what it does not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from esafety_flow.web.work_forms import WorkForm, when_defaults, when_from_form
from esafety_flow.web.work_views import ChronologyRow, chronology_csv

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)  # BST since 29 March


def _form(day: str, month: str, year: str, time: str) -> WorkForm:
    return WorkForm.of(
        {
            "occurred-day": [day],
            "occurred-month": [month],
            "occurred-year": [year],
            "occurred-time": [time],
        }
    )


def test_a_london_wall_clock_time_is_read_as_an_instant() -> None:
    form = _form("30", "3", "2026", "9:05")
    assert when_from_form(form, now=NOW, prefix="p") == datetime(2026, 3, 30, 8, 5, tzinfo=UTC)
    assert form.ok


def test_the_defaults_are_now_in_london_time() -> None:
    assert when_defaults(NOW) == {
        "occurred-day": ["30"],
        "occurred-month": ["3"],
        "occurred-year": ["2026"],
        "occurred-time": ["13:00"],
    }


@pytest.mark.parametrize(
    ("parts", "message", "anchor", "wrong"),
    [
        (("", "", "", "10:00"), "Enter the date", "#p-occurred-day", ["day", "month", "year"]),
        (
            ("3", "", "2026", "10:00"),
            "The date must include a month",
            "#p-occurred-month",
            ["month"],
        ),
        (
            ("31", "2", "2026", "10:00"),
            "The date must be a real date",
            "#p-occurred-day",
            ["day", "month", "year"],
        ),
        (("x", "2", "2026", "10:00"), "The date must be a real date", "#p-occurred-day", ["day"]),
        (
            ("1", "2", "26", "10:00"),
            "The year must include 4 numbers, for example 2026",
            "#p-occurred-year",
            ["year"],
        ),
        (("1", "2", "2026", ""), "Enter the time, for example 16:00", "#p-occurred-time", ["time"]),
        (
            ("1", "2", "2026", "4pm"),
            "Enter the time as hours and minutes on the 24-hour clock, for example 16:00",
            "#p-occurred-time",
            ["time"],
        ),
        (
            ("29", "3", "2026", "01:30"),
            "That time did not happen on that day: the clocks went forward an hour",
            "#p-occurred-time",
            ["time"],
        ),
        (
            ("31", "3", "2026", "09:00"),
            "The date must be now or in the past",
            "#p-occurred-day",
            ["day", "month", "year", "time"],
        ),
    ],
)
def test_each_problem_names_the_part_to_correct(
    parts: tuple[str, str, str, str], message: str, anchor: str, wrong: list[str]
) -> None:
    form = _form(*parts)
    assert when_from_form(form, now=NOW, prefix="p") is None
    assert form.summary == [{"text": message, "href": anchor}]
    assert form.error_for == {"occurred": message}
    assert form.wrong_parts["occurred"] == wrong


def test_a_csv_cell_is_never_a_formula() -> None:
    row = ChronologyRow(
        event_id=1,
        kind="note",
        kind_label="Case note",
        what="Visit note",
        details=["+44 7700 900000", "@home"],
        at=NOW,
        recorded_at=NOW,
        by="-x",
        late=False,
        original_at=None,
    )
    text = chronology_csv("ESF-1", [row])
    line = text.splitlines()[1]
    assert "'+44 7700 900000 | @home" in line
    assert ",'-x," in line
