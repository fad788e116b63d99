"""The README stays true: its command reference is the current --help of every command."""

import readme_help

from maskcli.cli import COMMANDS, app


def test_readme_has_a_help_block_for_every_command():
    documented = {args for args, _ in readme_help.blocks(readme_help.README.read_text(encoding="utf-8"))}
    commands = set(COMMANDS)
    assert {"", *commands} <= documented


def test_readme_help_blocks_match_the_commands():
    for args, body in readme_help.blocks(readme_help.README.read_text(encoding="utf-8")):
        assert body == readme_help.help_text(args), f"README help for `maskcli {args}` is stale: run python tests/readme_help.py"


def test_readme_show_example_is_real_output():
    """The screenshot-like example at the top of the README is what the command prints."""
    from typer.testing import CliRunner

    text = readme_help.README.read_text(encoding="utf-8")
    start = text.index("sequence 1 · <text>[1]")
    shown = text[start : text.index("```", start)]
    result = CliRunner().invoke(
        app, ["show", "Hello world, this is", "Hi", "--pad-token", "eos", "--padding-side", "left"],
        env={"COLUMNS": "100", "NO_COLOR": "1"},
    )
    printed = "\n".join(line.rstrip() for line in result.stdout.splitlines()) + "\n"
    assert shown in printed
