"""Statutory returns (DESIGN 8): the CIN census, Ofsted's Annex A lists and the LADO's annual
figures, built from what was recorded.

`episodes` reads a case's log into the referral episodes the returns are made of (pure).
`annex_a` draws up Ofsted's Annex A lists 1, 3, 4, 5 and 7 at an as-of date and writes them as
an XLSX workbook. `lado_report` counts a reporting year's allegations by employment sector and
outcome, and the shares resolved within the policy's targets.
"""

from workflows.returns.annex_a import ANNEX_A_LISTS, AnnexA, AnnexList, annex_a, write_workbook
from workflows.returns.episodes import Assessment, Plan, Referral, Section47, episodes_of
from workflows.returns.lado_report import LadoReport, TargetShare, lado_report, report_csv

__all__ = [
    "ANNEX_A_LISTS",
    "AnnexA",
    "AnnexList",
    "Assessment",
    "LadoReport",
    "Plan",
    "Referral",
    "Section47",
    "TargetShare",
    "annex_a",
    "episodes_of",
    "lado_report",
    "report_csv",
    "write_workbook",
]
