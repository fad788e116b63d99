"""The ``maskcli`` command: one Typer app, one module per command."""

from __future__ import annotations

import typer

from maskcli import __version__
from maskcli.cli.check import CHECK_HELP, check
from maskcli.cli.diff import DIFF_HELP, diff
from maskcli.cli.help import PanelCommand
from maskcli.cli.masks import MASKS_HELP, masks
from maskcli.cli.show import SHOW_HELP, show
from maskcli.cli.swin import SWIN_HELP, swin
from maskcli.cli.verify import VERIFY_HELP, verify
from maskcli.cli.view import VIEW_HELP, view

app = typer.Typer(
    name="maskcli",
    help="See and check the padding and attention masks your pipeline really builds.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("show", help=SHOW_HELP, cls=PanelCommand)(show)
app.command("check", help=CHECK_HELP, cls=PanelCommand)(check)
app.command("masks", help=MASKS_HELP, cls=PanelCommand)(masks)
app.command("swin", help=SWIN_HELP, cls=PanelCommand)(swin)
app.command("diff", help=DIFF_HELP, cls=PanelCommand)(diff)
app.command("view", help=VIEW_HELP, cls=PanelCommand)(view)
app.command("verify", help=VERIFY_HELP, cls=PanelCommand)(verify)


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
