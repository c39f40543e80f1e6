"""Statutory returns (DESIGN 8): the CIN census, Ofsted's Annex A lists and the LADO's annual
figures, built from what was recorded.

`episodes` reads a case's log into the referral episodes the returns are made of (pure).
"""

from workflows.returns.episodes import Assessment, Plan, Referral, Section47, episodes_of

__all__ = ["Assessment", "Plan", "Referral", "Section47", "episodes_of"]
