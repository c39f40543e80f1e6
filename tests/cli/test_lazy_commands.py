"""The root `esafety` app loads each command on first use, and answers as an eager one would."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from esafety_flow.cli import COMMANDS, SETTINGS, app
from esafety_flow.cli import _LazyCommands as LazyCommands

runner = CliRunner()


def eager_app() -> typer.Typer:
    """Every command registered on the root at once, as `esafety_flow.cli` used to do."""
    root = typer.Typer(**SETTINGS)
    for name, (module, attribute) in COMMANDS.items():
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            root.add_typer(target, name=name)
        else:
            root.command(name)(target)
    return root


def command_paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, TyperGroup):
        for name in command.list_commands(None):  # type: ignore[arg-type]
            yield from command_paths(command.commands[name], (*path, name))


EAGER = eager_app()
PATHS = list(command_paths(typer.main.get_command(EAGER)))


def test_every_command_is_listed_in_the_help_order() -> None:
    # The order of `esafety --help` since the first release: commands, then groups.
    order = [
        "serve",
        "demo",
        "sweep",
        "worker",
        "deploy",
        "calendar",
        "db",
        "scenario",
        "states",
        "alerts",
        "users",
        "teams",
        "returns",
        "audit",
    ]
    assert list(COMMANDS) == order
    assert [p[0] for p in PATHS if len(p) == 1] == order
    help_text = runner.invoke(app, ["--help"]).output
    assert sorted(order, key=lambda name: help_text.index(f" {name} ")) == order
    assert {("calendar", "add-working-days"), ("states", "policy"), ("teams", "set-manager")} < set(
        PATHS
    )


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "esafety")
def test_help_is_the_same_as_the_eager_app(path: tuple[str, ...]) -> None:
    lazy = runner.invoke(app, [*path, "--help"])
    eager = runner.invoke(EAGER, [*path, "--help"])
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.output == eager.output


@pytest.mark.parametrize("args", [[], ["calender"], ["nosuch"], ["calendar", "nosuch"]])
def test_usage_errors_are_the_same_as_the_eager_app(args: list[str]) -> None:
    lazy = runner.invoke(app, args)
    eager = runner.invoke(EAGER, args)
    assert (lazy.exit_code, lazy.output) == (eager.exit_code, eager.output)
    assert lazy.exit_code == 2


def test_names_are_known_without_loading_anything() -> None:
    commands = LazyCommands()
    assert list(commands) == list(COMMANDS)
    assert "calendar" in commands
    assert "nosuch" not in commands
    assert len(commands) == len(COMMANDS)
    assert commands.get("nosuch") is None
    assert commands._loaded == {}
    assert commands["db"].name == "db"
    assert list(commands._loaded) == ["db"]


def test_a_calendar_call_imports_no_other_command_module() -> None:
    code = textwrap.dedent(
        """
        import json, sys
        from esafety_flow.cli import app
        try:
            app(["calendar", "holidays", "2026"], standalone_mode=False)
        except SystemExit as exc:
            assert not exc.code
        print()
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("esafety_flow.cli."))))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout.splitlines()[-1]) == ["esafety_flow.cli.calendar_cmd"]
