"""The command reference (docs/cli.md) is the commands' own `--help`; this keeps the two equal.

    python tests/readme_help.py          # rewrite docs/cli.md's help blocks from --help

Each block in docs/cli.md looks like::

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

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
REFERENCE = ROOT / "docs" / "cli.md"
BLOCK = re.compile(r"(<!-- help: maskcli(?P<args>[^>]*?) -->\n```text\n)(?P<body>.*?)(```)", re.S)


def help_text(args: str) -> str:
    from typer.testing import CliRunner

    from maskcli.cli import app

    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner().invoke(app, [*args.split(), "--help"], env=env, prog_name="maskcli")
    assert result.exit_code == 0, result.output
    return "\n".join(line.rstrip() for line in result.stdout.splitlines()) + "\n"


def blocks(text: str) -> list[tuple[str, str]]:
    """``(args, body)`` of every help block in a Markdown text."""
    return [(m["args"].strip(), m["body"]) for m in BLOCK.finditer(text)]


def rewrite(text: str) -> str:
    return BLOCK.sub(lambda m: m[1] + help_text(m["args"].strip()) + m[4], text)


if __name__ == "__main__":
    os.environ.setdefault("COLUMNS", "100")
    sys.path.insert(0, str(ROOT))  # this tree's maskcli, whatever the installed one is
    REFERENCE.write_text(rewrite(REFERENCE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rewrote {len(blocks(REFERENCE.read_text(encoding='utf-8')))} help blocks in {REFERENCE}", file=sys.stderr)
