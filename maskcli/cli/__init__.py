"""The ``maskcli`` command: one Typer app, one module per command.

A run imports and builds only the command it runs (``maskcli show`` never imports ``check``'s
module nor builds its options); ``maskcli --help`` builds them all to list them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

import typer
import typer.core

from maskcli import __version__
from maskcli.cli.help import PanelCommand

# name -> module maskcli.cli.<name>, which defines the function <name> and <NAME>_HELP; in --help order.
COMMANDS = ("show", "check", "masks", "swin", "diff", "view", "verify")


class LazyCommands(Mapping):
    """The group's commands, each imported and built by typer on first use."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in COMMANDS:
            raise KeyError(name)
        if name not in self._built:
            module = importlib.import_module(f"maskcli.cli.{name}")
            single = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
            single.command(name, help=getattr(module, f"{name.upper()}_HELP"), cls=PanelCommand)(getattr(module, name))
            self._built[name] = typer.main.get_command(single)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(typer.core.TyperGroup):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands()  # type: ignore[assignment]


app = typer.Typer(
    name="maskcli",
    cls=LazyGroup,
    help="See and check the padding and attention masks your pipeline really builds.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"maskcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True, help="Print the version."),
) -> None:
    """See and check the padding and attention masks your pipeline really builds."""


def main() -> None:
    """The console script: like ``app()``, but a usage error is one ``Error:`` line (exit 2)."""
    import sys

    from maskcli.cli.common import EXIT_USAGE, debug_enabled

    command = typer.main.get_command(app)
    try:
        code = command.main(prog_name="maskcli", standalone_mode=False)
    except Exception as exc:  # click's UsageError family, matched by shape (typer keeps click private)
        if getattr(exc, "exit_code", None) != EXIT_USAGE or not hasattr(exc, "format_message") or debug_enabled():
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `maskcli`: the help is the answer
            typer.echo(exc.format_message())
            sys.exit(0)
        context = getattr(exc, "ctx", None)
        where = f" (see '{context.command_path} --help')" if context is not None else ""
        typer.echo(f"Error: {exc.format_message()}{where}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else 0)
