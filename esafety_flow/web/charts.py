"""Server-drawn SVG bar charts (no JavaScript, readable without colour: each series has its own
pattern of bar and a text legend, each bar its figure written beside it; the table below the
chart has the figures): the dashboard's timeliness and the LADO's resolution shares."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from workflows.queries import TimelinessWeek
from workflows.returns import LadoReport

__all__ = ["lado_chart", "timeliness_chart"]

_COLOURS = ("#1d70b8", "#0b0c0c")  # GOV.UK blue and black: both pass 3:1 against white


def timeliness_chart(weeks: Sequence[TimelinessWeek], kinds: Sequence[str]) -> str:
    """Grouped bars: per week, the percentage of each kind's deadlines met in time."""
    starts = sorted({w.week_start for w in weeks})
    by = {(w.week_start, w.kind): w for w in weeks}
    width, height, left, bottom, top = 720, 260, 44, 40, 16
    plot_h = height - bottom - top
    slot = (width - left - 10) / max(len(starts), 1)
    bar = slot / (len(kinds) + 1)
    parts = [
        f'<svg class="app-chart" id="timeliness-chart" role="img" aria-labelledby="chart-title" '
        f'viewBox="0 0 {width} {height + 30}" width="{width}" height="{height + 30}" '
        f'font-family="GDS Transport, arial, sans-serif" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Percentage of deadlines met in time, by week</title>',
    ]
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#0b0c0c">{pct}%</text>'
        )
    for i, start in enumerate(starts):
        x0 = left + i * slot
        for k, kind in enumerate(kinds):
            w = by.get((start, kind))
            if w is None or w.percent is None:
                continue
            h = plot_h * w.percent / 100
            x = x0 + bar * (k + 0.5)
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle" '
                f'font-size="10" fill="#0b0c0c">{w.percent:.0f}%</text>'
            )
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="{_COLOURS[k % 2]}">'
                f"<title>{escape(kind.replace('_', ' '))}, week of {start.isoformat()}: "
                f"{w.met} of {w.total} met in time</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'font-size="11" fill="#0b0c0c">{start.day} {start:%b}</text>'
        )
    for k, kind in enumerate(kinds):
        x = left + k * 300
        parts.append(
            f'<rect x="{x}" y="{height + 8}" width="14" height="14" fill="{_COLOURS[k % 2]}"/>'
            f'<text x="{x + 20}" y="{height + 20}" font-size="13" fill="#0b0c0c">'
            f"{escape(kind.replace('_', ' '))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def lado_chart(report: LadoReport) -> str:
    """Horizontal bars: the share of the year's allegations resolved within each target, with
    its figure ("3 of 4, 75%") written at the bar's end; `title` and `desc` say the same."""
    width, left, right, row, top = 720, 110, 150, 36, 10
    plot_w = width - left - right
    height = top + row * len(report.targets) + 30
    summary = "; ".join(
        f"within {t.label}: {t.resolved} of {t.total}"
        + ("" if t.percent is None else f" ({t.percent:.0f}%)")
        for t in report.targets
    )
    parts = [
        f'<svg class="app-chart" id="lado-chart" role="img" '
        f'aria-labelledby="lado-chart-title lado-chart-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="GDS Transport, arial, sans-serif" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="lado-chart-title">Allegations referred {escape(report.label)} resolved '
        f"within each target</title>",
        f'<desc id="lado-chart-desc">{escape(summary)}</desc>',
    ]
    for pct in (0, 50, 100):
        x = left + plot_w * pct / 100
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - 24}" stroke="#b1b4b6"/>'
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="12" '
            f'fill="#0b0c0c">{pct}%</text>'
        )
    for i, t in enumerate(report.targets):
        y = top + i * row
        w = plot_w * (t.percent or 0) / 100
        figure = f"{t.resolved} of {t.total}" + ("" if t.percent is None else f", {t.percent:.0f}%")
        parts.append(
            f'<text x="{left - 8}" y="{y + 22}" text-anchor="end" font-size="13" '
            f'fill="#0b0c0c">within {escape(t.label)}</text>'
            f'<rect x="{left}" y="{y + 6}" width="{w:.1f}" height="{row - 12}" '
            f'fill="{_COLOURS[0]}"/>'
            f'<text x="{left + w + 6:.1f}" y="{y + 22}" font-size="13" '
            f'fill="#0b0c0c">{escape(figure)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
