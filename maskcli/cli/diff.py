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
    token_range: Annotated[Optional[str], typer.Option("--range", help="Draw only tokens A:B of the grids (the counts cover whole masks).")] = None,
    row: Annotated[Optional[int], typer.Option("--row", help="Compare only this sequence (batch row).", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    ascii_only: Annotated[bool, typer.Option("--ascii", help="ASCII glyphs only.")] = False,
) -> None:
    from maskcli.cli.common import parse_range
    from maskcli.masks.diff import diff_files
    from maskcli.masks.io import load_mask_file, pick_rows

    zoom = parse_range(token_range)
    conv_a = convention.value if convention else None
    conv_b = convention_b.value if convention_b else None
    # B inherits --convention only when B itself does not state one (a maskcli export does)
    file_a, file_b = load_mask_file(a, conv_a), load_mask_file(b, conv_b, default=conv_a)
    results = diff_files(file_a, file_b, name)
    if row is not None:
        picked = pick_rows(f"{a} and {b} hold", max(r.sequence for r in results) + 1, row)
        results = [r for r in results if r.sequence in picked]
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
        render(results, file_a.convention, file_b.convention, ascii_only, zoom)
    if not equal:
        raise typer.Exit(EXIT_FAILED)


def render(results: list, conv_a: str, conv_b: str, ascii_only: bool, zoom: tuple[int, int | None] | None) -> None:
    from rich.text import Text

    from maskcli.render.grids import GridStyle, zoom_window
    from maskcli.render.kinds import diff_grid, diff_legend

    console = stdout_console()
    style = GridStyle(ascii=ascii_only or not (console.encoding or "").lower().startswith("utf"))
    drawn = [r.comparable and not r.equal for r in results]
    windows = [zoom_window(r.a.shape[-1], zoom, console.width, style, r.rows) if draw else None for r, draw in zip(results, drawn)]
    console.print(Text(f"A read as {conv_a}, B read as {conv_b}; " + diff_legend(style), style="bright_black"))
    for r, window in zip(results, windows):
        head = f"{r.name} · sequence {r.sequence}: "
        style_of = "bold red" if not r.equal else "green"
        console.print(Text(head + r.summary(), style=style_of))
        if window is not None:
            (start, stop), keys = window, r.a.shape[-1]
            if stop - start < keys:
                console.print(Text(f"showing tokens {start}:{stop} of {keys}; zoom with --range A:B", style="yellow"))
            lines = diff_grid(r.name, r.a, r.b, r.rows, style, window)
            console.print(Text("\n").join(lines), no_wrap=True, overflow="crop", crop=True)
    differing = sum(not r.equal for r in results)
    summary = "equal" if not differing else f"{differing} of {len(results)} masks differ"
    console.print(Text(summary, style="bold"))
