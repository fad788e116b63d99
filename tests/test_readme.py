"""The README and docs/ stay true: the command reference (docs/cli.md) is the current --help of every
command, and every example marked ``<!-- example -->`` prints what the page shows.

An example is the fenced block after the marker::

    <!-- example -->
    ```
    $ maskcli show "a b c d e f" --mask window:3
    window:3
    ...
    ```

Each ``$ maskcli ...`` line runs in-process (CliRunner, 100 columns, no colour) in a scratch
directory holding a link to ``samples/``; the lines after it, up to the next ``$``, must appear in
what it printed (stdout, then stderr), in order; a line ``...`` stands for any output.
"""

import re
import shlex
from pathlib import Path

import pytest
import readme_help

from maskcli.cli import COMMANDS, app

ROOT = readme_help.ROOT
PAGES = [readme_help.README, *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLE = re.compile(r"<!-- example -->\n```[a-z]*\n(?P<body>.*?)```", re.S)


def examples(page: Path) -> list[str]:
    return [m["body"] for m in EXAMPLE.finditer(page.read_text(encoding="utf-8"))]


def runs(body: str) -> list[tuple[str, list[str]]]:
    """``(command, [expected fragment, ...])`` per ``$`` line of an example."""
    found: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], [""]))
        elif line == "...":
            found[-1][1].append("")
        else:
            found[-1][1][-1] += line.rstrip() + "\n"
    return [(command, [fragment for fragment in fragments if fragment]) for command, fragments in found]


CASES = [(page, index, command, fragments)
         for page in PAGES for index, body in enumerate(examples(page)) for command, fragments in runs(body)]


def test_reference_has_a_help_block_for_every_command():
    documented = {args for args, _ in readme_help.blocks(readme_help.REFERENCE.read_text(encoding="utf-8"))}
    commands = set(COMMANDS)
    assert {"", *commands} <= documented


def test_reference_help_blocks_match_the_commands():
    for args, body in readme_help.blocks(readme_help.REFERENCE.read_text(encoding="utf-8")):
        assert body == readme_help.help_text(args), f"docs/cli.md help for `maskcli {args}` is stale: run python tests/readme_help.py"


def test_the_readme_has_no_help_blocks_and_its_tour_is_tested():
    readme = readme_help.README.read_text(encoding="utf-8")
    assert readme_help.blocks(readme) == []
    tested = {shlex.split(command)[1] for page, _, command, _ in CASES if page == readme_help.README}
    assert {"show", "check"} <= tested


@pytest.mark.parametrize(("page", "index", "command", "fragments"), CASES,
                         ids=[f"{page.name}-{index}-{command[:40]}" for page, index, command, _ in CASES])
def test_example_prints_what_the_page_shows(page, index, command, fragments, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    argv = shlex.split(command, comments=True)
    assert argv[0] == "maskcli", f"{page.name}: examples run maskcli only, not {command!r}"
    (tmp_path / "samples").symlink_to(ROOT / "samples")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, argv[1:], env={"COLUMNS": "100", "NO_COLOR": "1", "HF_HUB_OFFLINE": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    printed = "\n".join(line.rstrip() for line in (result.stdout + result.stderr).splitlines()) + "\n"
    at = 0
    for fragment in fragments:
        found = printed.find(fragment, at)
        assert found >= 0, f"{page.name}, example {index}: `{command}` does not print\n{fragment}\n--- it prints\n{printed}"
        at = found + len(fragment)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_links_between_pages_lead_somewhere(page):
    """The reference moved into docs/: every relative link names a file, and a heading in it, that exist."""
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: link to missing {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
            assert anchor in {slug(h) for h in headings}, f"{page.name}: no heading #{anchor} in {linked.name}"
