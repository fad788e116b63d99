"""`--help` groups options in panels (maskcli.cli.help.PanelCommand) and loses none of them; shell
completion installs and completes."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from maskcli.cli import app
from maskcli.cli.help import OPTIONS, ORDER, PanelCommand

ROOT = Path(__file__).resolve().parents[1]
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}
SECTION = re.compile(r"^(?P<title>[A-Z][^\n:]*):\n(?P<body>(?:(?: {2,}.*)?\n)*)", re.M)


def sections(args: list[str]) -> dict[str, str]:
    result = CliRunner().invoke(app, [*args, "--help"], env=ENV, prog_name="maskcli")
    assert result.exit_code == 0, result.output
    return {m["title"]: m["body"] for m in SECTION.finditer(result.stdout)}


def terms(body: str) -> list[set[str]]:
    """The option names of each entry of a section (an entry's line starts with two spaces)."""
    return [set(re.findall(r"-{1,2}[\w-]+", m[1])) for m in re.finditer(r"^  (\S.*?)(?: {2,}|$)", body, re.M)]


def declared(name: str) -> list:
    command = typer.main.get_command(app).commands[name]
    assert isinstance(command, PanelCommand)
    return [param for param in command.params if param.param_type_name == "option"]


@pytest.mark.parametrize("name", [command.name for command in app.registered_commands])
def test_every_option_is_listed_once_in_its_panel(name):
    found = sections([name])
    panels = [title for title in found if title not in ("Usage", "Arguments", "Examples")]
    assert panels[0] == OPTIONS and panels[1:] == [p for p in ORDER if p in panels[1:]]  # a fixed order
    for param in declared(name):
        panel = param.rich_help_panel or OPTIONS
        flag = max(param.opts, key=len)
        listed = [title for title in panels for names in terms(found[title]) if flag in names]
        assert listed == [panel], f"maskcli {name} --help: {flag} is under {listed}, declared in {panel!r}"
    assert "-h, --help" in found[OPTIONS]


def test_show_help_has_the_panels_a_person_looks_for():
    found = sections(["show"])
    assert list(found)[:3] == ["Arguments", OPTIONS, "Input"]
    assert {"Input", "Tokenizer", "Encoding", "Masks", "Output", "Pictures", "SFT (--sft)"} <= set(found)
    assert "--tokenizer" in found["Tokenizer"] and "--pad-token" in found["Tokenizer"]
    assert "--mask" in found["Masks"] and "--png" in found["Pictures"] and "--packing" in found["SFT (--sft)"]


def test_panels_keep_one_column_of_descriptions():
    """Every description starts in the same column, whichever panel it is in."""
    result = CliRunner().invoke(app, ["show", "--help"], env=ENV)
    columns = {m.end() for m in (re.match(r"  -\S.*? {2,}", line) for line in result.stdout.splitlines()) if m}
    assert columns == {34}


def test_a_command_without_panels_lists_its_options_as_before():
    found = sections(["view"])
    assert [title for title in found if title not in ("Usage", "Arguments")] == [OPTIONS]


# Shell completion (typer's --install-completion / --show-completion). The variable keeps typer from
# asking shellingham which shell runs the tests: the shell is then the option's value.
NO_DETECTION = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


@pytest.mark.parametrize(("shell", "line"), [
    ("bash", "complete -o default -F _maskcli_completion maskcli"),
    ("zsh", "#compdef maskcli"),
    ("fish", "complete --command maskcli"),
])
def test_show_completion_prints_the_script_for_a_shell(shell, line):
    """In a process of its own: typer reads the variable when it is imported."""
    result = subprocess.run([sys.executable, "-m", "maskcli", "--show-completion", shell], capture_output=True,
                            text=True, env={**os.environ, **NO_DETECTION, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert line in result.stdout and "_MASKCLI_COMPLETE" in result.stdout


def test_install_completion_writes_the_script_and_sources_it(tmp_path):
    env = {**os.environ, **NO_DETECTION, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "maskcli", "--install-completion", "bash"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    script = tmp_path / ".bash_completions" / "maskcli.sh"
    assert "_MASKCLI_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()


@pytest.mark.parametrize(("words", "expected"), [
    ("maskcli sh", ["show"]),
    ("maskcli show --padding ", ["longest", "max_length", "none"]),
    ("maskcli check --format j", ["json", "junit"]),
    ("maskcli show --pad-t", ["--pad-to-multiple-of", "--pad-token"]),
])
def test_the_installed_script_completes_commands_options_and_choices(words, expected):
    """What bash gets back when it runs the script's command line for these words."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "_MASKCLI_COMPLETE": "complete_bash",
           "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    result = subprocess.run([sys.executable, "-m", "maskcli"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == expected
