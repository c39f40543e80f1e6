"""`esafety scenario run FILE [--json] [--database-url URL]` (DESIGN 6).

Replays the scenario against a fresh in-memory SQLite database (or the database at
`--database-url`, e.g. a PostgreSQL test schema) with the clock frozen at each step, and prints the
DESIGN 6 JSON document (`--json`) or a readable summary. A malformed scenario is a message on
stderr naming the step, exit status 2, and nothing is replayed. Refused steps are part of the
result (`rejected`), not errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["app"]

app = typer.Typer(help="Replay scenario files with frozen time.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Replay scenario files with frozen time."""


@app.command("run")
def run_cmd(
    file: Annotated[Path, typer.Argument(help="The scenario (YAML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON document.")] = False,
    database_url: Annotated[
        str,
        typer.Option("--database-url", help="Replay on this (empty) database instead."),
    ] = "sqlite:///:memory:",
) -> None:
    """Replay FILE and print the resulting case, deadlines and alerts."""
    from workflows.scenario import ScenarioError, load_scenario, run_scenario

    try:
        scenario, policy = load_scenario(file)
    except ScenarioError as exc:
        typer.echo(f"error: {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        result = run_scenario(scenario, policy, database_url=database_url)
    except ValueError as exc:  # e.g. an unusable --database-url
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    _print_summary(scenario.name, result)


def _print_summary(name: str, result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{name}[/bold]")
    console.print(
        f"state: {result['state']}   allegation: {result['allegation_state'] or '-'}\n"
        f"required actions: {', '.join(result['required_actions']) or '-'}"
    )
    sections: list[tuple[str, list[str], list[dict[str, Any]]]] = [
        ("History", ["at", "event", "from", "to"], result["history"]),
        ("Rejected", ["at", "event", "reason"], result["rejected"]),
        ("Deadlines", ["kind", "due_date", "status", "met_at"], result["deadlines"]),
        ("Alerts", ["at", "deadline", "level", "to"], result["alerts"]),
    ]
    for title, columns, rows in sections:
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("-" if row[c] is None else str(row[c]) for c in columns))
        console.print(table)
