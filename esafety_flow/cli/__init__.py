"""The `esafety` command line (DESIGN.md section 7).

Each command group lives in its own module, named in `COMMANDS` below, and is imported only when
it is used: `esafety calendar ...` imports `calendar_cmd` and nothing of the other commands (not
`states`, the web stack, SQLAlchemy or Prefect). Help that lists every command (`esafety
--help`) imports every module. Each command is made into the same Click command that
registering it on the root app at import time made (tests/cli/test_lazy_commands.py checks the
help of every command against that). Modules import their heavy dependencies (SQLAlchemy,
Prefect, the web stack) inside the command functions, too.

A plain `esafety calendar ...` call (arguments, `--region`, its flag) is run without Typer at
all (`calendar_cmd.run`): importing Typer, and the pydantic models it builds for each
parameter, takes longer than the whole call. Everything else goes to Typer (`app`, made on
first use).

Exit status: 0 success, 1 a refused or failed operation, 2 bad input (usage, unparseable values).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer  # made on first use, by `__getattr__`

__all__ = ["COMMANDS", "SETTINGS", "app", "load_command", "main"]

# name -> (module, attribute: a Typer sub-app or a command function), in the order of the help.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("esafety_flow.cli.serve_cmd", "serve"),
    "demo": ("esafety_flow.cli.serve_cmd", "demo"),
    "sweep": ("esafety_flow.cli.sweep_cmd", "sweep"),
    "worker": ("esafety_flow.cli.worker_cmd", "worker"),
    "deploy": ("esafety_flow.cli.deploy_cmd", "deploy"),
    "calendar": ("esafety_flow.cli.calendar_cmd", "app"),
    "db": ("esafety_flow.cli.db_cmd", "app"),
    "scenario": ("esafety_flow.cli.scenario_cmd", "app"),
    "states": ("esafety_flow.cli.states_cmd", "app"),
    "alerts": ("esafety_flow.cli.alerts_cmd", "app"),
    "users": ("esafety_flow.cli.org_cmd", "users_app"),
    "teams": ("esafety_flow.cli.org_cmd", "teams_app"),
    "returns": ("esafety_flow.cli.returns_cmd", "app"),
    "audit": ("esafety_flow.cli.audit_cmd", "app"),
}

# The root app's settings (Typer keyword arguments).
SETTINGS: dict[str, Any] = {
    "name": "esafety",
    "help": "esafety-flow: online-harm safeguarding case workflow.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
}


def _no_options() -> None:
    """The root command has no options of its own."""


def load_command(name: str) -> Any:
    """The Click command `name` of `COMMANDS`, as a root app holding only it would make it."""
    import typer
    from typer.core import TyperGroup

    module_name, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module_name), attribute)
    holder = typer.Typer(**SETTINGS)
    holder.callback()(_no_options)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return group.commands[name]


class _LazyCommands(MutableMapping[str, Any]):
    """The root's commands by name, each loaded on first access; names never load anything."""

    def __init__(self) -> None:
        self._names = list(COMMANDS)
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = load_command(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._names:
            self._names.append(name)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._names:
            raise KeyError(name)
        self._names.remove(name)
        self._loaded.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@cache
def _root() -> typer.Typer:
    import typer
    from typer.core import TyperGroup

    class LazyGroup(TyperGroup):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            lazy = _LazyCommands()
            for name, command in self.commands.items():
                lazy[name] = command
            self.commands = lazy

    root = typer.Typer(cls=LazyGroup, **SETTINGS)
    root.callback()(_no_options)
    return root


def __getattr__(name: str) -> Any:
    if name == "app":
        return _root()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    if sys.argv[1:2] == ["calendar"]:
        from esafety_flow.cli import calendar_cmd

        status = calendar_cmd.run(sys.argv[1:])
        if status is not None:
            sys.exit(status)
    _root()()
