"""`esafety returns ...`: the statutory returns (DESIGN 7, 8).

A minimal group holding the commands of `returns_reports_cmd` (`annex-a`, `lado-report`),
added by its `register(app)`.
"""

from __future__ import annotations

import typer

from esafety_flow.cli import returns_reports_cmd

__all__ = ["app"]

app = typer.Typer(
    help="Statutory returns: Ofsted's Annex A lists, the LADO's annual figures.",
    no_args_is_help=True,
)
returns_reports_cmd.register(app)
