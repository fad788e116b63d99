"""The README's command reference is the commands' own `--help`; this keeps the two equal.

    python tests/readme_help.py          # rewrite the README's help blocks from --help

Each block in README.md looks like::

    <!-- help: maskcli check -->
    ```text
    ...output of `maskcli check --help` at 100 columns...
    ```
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- help: maskcli(?P<args>[^>]*?) -->\n```text\n)(?P<body>.*?)(```)", re.S)


def help_text(args: str) -> str:
    from typer.testing import CliRunner

    from maskcli.cli import app

    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner().invoke(app, [*args.split(), "--help"], env=env, prog_name="maskcli")
    assert result.exit_code == 0, result.output
    return "\n".join(line.rstrip() for line in result.stdout.splitlines()) + "\n"


def blocks(text: str) -> list[tuple[str, str]]:
    """``(args, body)`` of every help block in the README."""
    return [(m["args"].strip(), m["body"]) for m in BLOCK.finditer(text)]


def rewrite(text: str) -> str:
    return BLOCK.sub(lambda m: m[1] + help_text(m["args"].strip()) + m[4], text)


if __name__ == "__main__":
    os.environ.setdefault("COLUMNS", "100")
    README.write_text(rewrite(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rewrote {len(blocks(README.read_text(encoding='utf-8')))} help blocks in {README}", file=sys.stderr)
