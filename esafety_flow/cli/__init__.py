"""The `esafety` command line (DESIGN.md section 7).

Each command group lives in its own module and registers a Typer sub-app here. Modules import
their heavy dependencies (SQLAlchemy, Prefect, the web stack) inside the command functions, so
that `esafety calendar ...` starts in a fraction of a second.

Exit status: 0 success, 1 a refused or failed operation, 2 bad input (usage, unparseable values).
"""

from __future__ import annotations

import typer

from esafety_flow.cli import (
    alerts_cmd,
    calendar_cmd,
    db_cmd,
    org_cmd,
    scenario_cmd,
    serve_cmd,
    states_cmd,
    sweep_cmd,
    worker_cmd,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="esafety",
    help="esafety-flow: online-harm safeguarding case workflow.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(calendar_cmd.app, name="calendar")
app.add_typer(db_cmd.app, name="db")
app.add_typer(scenario_cmd.app, name="scenario")
app.add_typer(states_cmd.app, name="states")
app.command("serve")(serve_cmd.serve)
app.command("demo")(serve_cmd.demo)
app.command("sweep")(sweep_cmd.sweep)
app.command("worker")(worker_cmd.worker)
app.add_typer(alerts_cmd.app, name="alerts")
app.add_typer(org_cmd.users_app, name="users")
app.add_typer(org_cmd.teams_app, name="teams")


def main() -> None:
    app()
