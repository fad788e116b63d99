"""Running the CLI in tests: a pinned terminal (100 columns, no colour, offline) and JSON output."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from maskcli.cli import app

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "HF_HUB_OFFLINE": "1"}
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env=ENV)


def show_json(*args: str) -> dict:
    result = run("show", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)
