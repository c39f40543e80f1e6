"""`esafety calendar ...`: working-day arithmetic on the UK bank-holiday calendars."""

from __future__ import annotations

import typer

app = typer.Typer(help="Working days and bank holidays.", no_args_is_help=True)
