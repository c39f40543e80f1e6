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


def test_lado_chart_draws_a_bar_per_target_with_its_figure_and_text_alternative() -> None:
    from esafety_flow.web.charts import lado_chart
    from workflows.returns import LadoReport, TargetShare

    report = LadoReport(
        year=2027,
        first=date(2026, 4, 1),
        last=date(2027, 3, 31),
        total=4,
        by_sector=(("education", 4),),
        by_outcome=(("substantiated", 4),),
        targets=(
            TargetShare("1 month", 1, 4),
            TargetShare("3 months", 3, 4),
            TargetShare("12 months", 4, 4),
        ),
    )
    svg = lado_chart(report)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert 'role="img" aria-labelledby="lado-chart-title lado-chart-desc"' in svg
    assert "resolved within each target</title>" in svg
    assert (
        '<desc id="lado-chart-desc">within 1 month: 1 of 4 (25%); within 3 months: 3 of 4 (75%); '
        "within 12 months: 4 of 4 (100%)</desc>"
    ) in svg
    assert svg.count("<rect") == 3
    assert 'width="115.0"' in svg  # 25% of the 460-wide plot
    assert ">3 of 4, 75%<" in svg
    empty = lado_chart(
        LadoReport(
            2020, date(2019, 4, 1), date(2020, 3, 31), 0, (), (), (TargetShare("1 month", 0, 0),)
        )
    )
    assert ">0 of 0<" in empty
    assert 'width="0.0"' in empty
