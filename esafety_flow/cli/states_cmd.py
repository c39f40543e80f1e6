"""`esafety states ...`: the procedures as data, printed from the tables.

    esafety states diagram [--state S] [--allegation-state A]   the Mermaid state diagram
    esafety states diagram --svg [--track T] [--state S | --allegation-state A]
                                                                 one track as the case page draws it
    esafety states policy [NAME | --file PATH] [--json]          the timescale table with sources

Bad input (an unknown state or policy, a malformed policy file) is a message on stderr, exit
status 2, and nothing on stdout. Imports only `states` and Typer (and, for `--svg` alone, the
web's drawing module).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from states import (
    MachineName,
    Policy,
    RecordedDate,
    StatesError,
    load_policy,
    machine_layout,
    mermaid_diagram,
    policy_by_name,
)

__all__ = ["app"]

app = typer.Typer(
    help="States, events, the diagram and the timescale policy.", no_args_is_help=True
)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@app.command()
def diagram(
    state: Annotated[
        str | None, typer.Option("--state", help="Highlight this child_protection state.")
    ] = None,
    allegation_state: Annotated[
        str | None, typer.Option("--allegation-state", help="Highlight this allegation state.")
    ] = None,
    svg: Annotated[
        bool, typer.Option("--svg", help="Print one track as SVG, as the case page draws it.")
    ] = False,
    track: Annotated[
        MachineName, typer.Option("--track", help="The track --svg draws.")
    ] = MachineName.CHILD_PROTECTION,
) -> None:
    """Print the Mermaid diagram of both machines, generated from the transition tables (or,
    with --svg, one track's SVG)."""
    try:
        if svg:
            text = _svg(track, state, allegation_state)
        else:
            text = mermaid_diagram(state, allegation_state)
    except StatesError as exc:
        _fail(str(exc))
    typer.echo(text, nl=False)


def _svg(track: MachineName, state: str | None, allegation_state: str | None) -> str:
    from esafety_flow.web.diagram import layout_svg  # the web's drawing: loaded for --svg only

    current = state if track is MachineName.CHILD_PROTECTION else allegation_state
    other = allegation_state if track is MachineName.CHILD_PROTECTION else state
    if other is not None:
        flag = "--allegation-state" if track is MachineName.CHILD_PROTECTION else "--state"
        raise StatesError(f"{flag} belongs to the other track: --svg draws {track.value}")
    title = {
        MachineName.CHILD_PROTECTION: "Child protection: the procedure",
        MachineName.ALLEGATION: "Allegation (LADO) track",
    }[track]
    drawn = layout_svg(machine_layout(track), current=current, title=title, ident=track.value)
    return drawn + "\n"


def _policy_rows(policy: Policy) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for kind, rule in policy.rules.items():
        rows.append(
            {
                "kind": kind.value,
                "due": rule.duration.describe(),
                "urgent": None if rule.urgent_duration is None else rule.urgent_duration.describe(),
                "escalations": [e.describe() for e in rule.escalations],
                "anchor": rule.anchor,
                "started_by": [e.value for e in rule.started_by],
                "met_by": [e.value for e in rule.met_by],
                "counting": rule.counting.value,
                "recorded": isinstance(rule.duration, RecordedDate),
                "source": rule.source,
            }
        )
    return rows


@app.command()
def policy(
    name: Annotated[str, typer.Argument(help="A built-in policy name.")] = "england-2023",
    file: Annotated[Path | None, typer.Option("--file", help="A policy variant TOML file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a timescale policy: every deadline kind with its due time, anchor and source."""
    try:
        chosen = load_policy(file) if file is not None else policy_by_name(name)
    except StatesError as exc:
        _fail(str(exc))
    if as_json:
        alerts = chosen.alerts
        document = {
            "name": chosen.name,
            "alerts": {
                "due_soon_working_days": alerts.due_soon_working_days,
                "escalate_manager_after": alerts.escalate_manager_after,
                "escalate_head_of_service_after": alerts.escalate_head_of_service_after,
            },
            "receipt": {
                "out_of_hours": chosen.receipt.out_of_hours.value,
                "office_opens": chosen.receipt.hours.opens.isoformat("minutes"),
                "office_closes": chosen.receipt.hours.closes.isoformat("minutes"),
            },
            "rules": _policy_rows(chosen),
        }
        typer.echo(json.dumps(document, indent=2))
        return
    typer.echo(f"policy {chosen.name}")
    for kind, rule in chosen.rules.items():
        due = rule.duration.describe()
        if rule.urgent_duration is not None:
            due += f" ({rule.urgent_duration.describe()} if urgent)"
        if rule.escalations:
            due += "; escalate at " + ", ".join(e.describe() for e in rule.escalations)
        typer.echo(f"{kind.value}: {due} from {rule.anchor}")
        typer.echo(f"    source: {rule.source}")
    receipt = chosen.receipt
    typer.echo(
        f"out-of-hours receipt: {receipt.out_of_hours.value} "
        f"(office hours {receipt.hours.opens:%H:%M}-{receipt.hours.closes:%H:%M}, Europe/London)"
    )
