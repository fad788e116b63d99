"""``maskcli diff A B``: compare two masks or two exported batches cell by cell."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from maskcli.cli.common import EXIT_FAILED, handles_input_errors, stdout_console
from maskcli.cli.mask_options import Convention

DIFF_HELP = """Compare two masks or two exported batches (.npy, .npz, JSON) cell by cell.

Prints how many cells differ, in which query rows, and a grid where disagreeing cells stand out.
Exit 0 when equal, 1 when they differ, 2 on bad input. Files that state their convention
(maskcli exports) are read in it; --convention / --convention-b cover raw matrices.

\b
Examples:
  maskcli show "a b c d" --mask window:2 -o expected.npz
  maskcli diff pipeline_mask.npy expected.npz --name window:2 --convention mha
  maskcli diff a.json b.json --json
"""

ConventionOpt = Annotated[
    Optional[Convention], typer.Option("--convention", "-c", help="Convention of A (and of B unless --convention-b) [default: sdpa].")
]


@handles_input_errors
def diff(
    a: Annotated[str, typer.Argument(help="First mask file (.npy, .npz, .json).")],
    b: Annotated[str, typer.Argument(help="Second mask file.")],
    name: Annotated[Optional[str], typer.Option(help="Compare only the mask with this name (e.g. window:3).")] = None,
    convention: ConventionOpt = None,
    convention_b: Annotated[Optional[Convention], typer.Option(help="Convention of B.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    ascii_only: Annotated[bool, typer.Option("--ascii", help="ASCII glyphs only.")] = False,
) -> None:
    from maskcli.masks.diff import diff_files
    from maskcli.masks.io import load_mask_file

    conv_a = convention.value if convention else None
    conv_b = convention_b.value if convention_b else None
    # B inherits --convention only when B itself does not state one (a maskcli export does)
    file_a, file_b = load_mask_file(a, conv_a), load_mask_file(b, conv_b, default=conv_a)
    results = diff_files(file_a, file_b, name)
    equal = all(r.equal for r in results)
    if as_json:
        document = {
            "schema_version": 1,
            "a": {"path": a, "convention": file_a.convention},
            "b": {"path": b, "convention": file_b.convention},
            "equal": equal,
            "masks": [r.describe() for r in results],
        }
        sys.stdout.write(json.dumps(document) + "\n")
    else:
        render(results, file_a.convention, file_b.convention, ascii_only)
    if not equal:
        raise typer.Exit(EXIT_FAILED)


def render(results: list, conv_a: str, conv_b: str, ascii_only: bool) -> None:
    from rich.text import Text

    from maskcli.render.grids import GridStyle
    from maskcli.render.kinds import diff_grid, diff_legend

    console = stdout_console()
    style = GridStyle(ascii=ascii_only or not (console.encoding or "").lower().startswith("utf"))
    console.print(Text(f"A read as {conv_a}, B read as {conv_b}; " + diff_legend(style), style="bright_black"))
    for r in results:
        head = f"{r.name} · sequence {r.sequence}: "
        style_of = "bold red" if not r.equal else "green"
        console.print(Text(head + r.summary(), style=style_of))
        if r.comparable and not r.equal:
            for line in diff_grid(r.name, r.a, r.b, r.rows, style):
                console.print(line, no_wrap=True, overflow="crop", crop=True)
    differing = sum(not r.equal for r in results)
    summary = "equal" if not differing else f"{differing} of {len(results)} masks differ"
    console.print(Text(summary, style="bold"))
