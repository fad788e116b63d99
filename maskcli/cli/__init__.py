"""The ``maskcli`` command: one Typer app, one module per command."""

from __future__ import annotations

import typer

from maskcli import __version__
from maskcli.cli.diff import DIFF_HELP, diff
from maskcli.cli.masks import MASKS_HELP, masks
from maskcli.cli.show import SHOW_HELP, show
from maskcli.cli.swin import SWIN_HELP, swin
from maskcli.cli.view import VIEW_HELP, view

app = typer.Typer(
    name="maskcli",
    help="See and check the padding and attention masks your pipeline really builds.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("show", help=SHOW_HELP)(show)
app.command("masks", help=MASKS_HELP)(masks)
app.command("swin", help=SWIN_HELP)(swin)
app.command("diff", help=DIFF_HELP)(diff)
app.command("view", help=VIEW_HELP)(view)


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
    app(prog_name="maskcli")
