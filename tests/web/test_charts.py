from __future__ import annotations

from datetime import date, timedelta

from esafety_flow.web.charts import timeliness_chart
from workflows.queries import TimelinessWeek

KINDS = ("single_assessment", "initial_child_protection_conference")


def test_chart_draws_one_bar_per_week_and_kind_with_figures() -> None:
    monday = date(2026, 3, 2)
    weeks = [
        TimelinessWeek(monday, "single_assessment", met=3, missed=1),
        TimelinessWeek(monday, "initial_child_protection_conference", met=0, missed=2),
        TimelinessWeek(monday + timedelta(weeks=1), "single_assessment", met=0, missed=0),
        TimelinessWeek(monday + timedelta(weeks=1), "initial_child_protection_conference", 1, 0),
    ]
    svg = timeliness_chart(weeks, KINDS)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert 'role="img"' in svg
    assert "<title id=" in svg
    assert svg.count("<rect") == 3 + len(KINDS)  # three bars with data, two legend keys
    assert ">75%<" in svg
    assert svg.count(">0%<") == 2  # the axis and the 0-of-2 bar
    assert svg.count(">100%<") == 2  # the axis and the 1-of-1 bar
    assert "3 of 4 met in time" in svg
    assert "2 Mar" in svg
    assert "9 Mar" in svg
