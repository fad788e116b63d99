"""``maskcli view FILE``: draw a mask the user already has, in any convention."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from maskcli.cli.common import handles_input_errors, stdout_console
from maskcli.cli.mask_options import Convention

ConventionOpt = Annotated[
    Optional[Convention],
    typer.Option("--convention", "-c", help="Convention of the file's raw matrices (maskcli exports state theirs) [default: sdpa]."),
]

VIEW_HELP = """Draw the masks of a .npy / .npz / JSON file with maskcli's grids.

Raw matrices are read in --convention (default sdpa: nonzero = attend); maskcli exports state
their own. Query rows that attend to nothing are flagged (softmax NaN). Grids draw as many tokens
as the terminal shows; --range zooms, --row picks one sequence of a batch.

\b
Examples:
  maskcli view mask.npy --convention mha
  maskcli view eager_mask.npy --convention eager
  maskcli view masks.npz --name window:3
  maskcli view batch_mask.npy --row 2 --range 100:160
"""


RangeOpt = Annotated[Optional[str], typer.Option("--range", help="Draw only tokens A:B (e.g. 100:160); without it as many as the terminal shows.")]
RowOpt = Annotated[Optional[int], typer.Option("--row", help="Draw only this sequence (batch row) of a (B, Q, K) file.", show_default=False)]


@handles_input_errors
def view(
    path: Annotated[str, typer.Argument(help="Mask file (.npy, .npz, .json), a path or an fsspec URL.")],
    name: Annotated[Optional[str], typer.Option(help="Draw only the mask with this name.")] = None,
    convention: ConventionOpt = None,
    token_range: RangeOpt = None,
    row: RowOpt = None,
    ascii_only: Annotated[bool, typer.Option("--ascii", help="ASCII glyphs only.")] = False,
) -> None:
    import numpy as np
    from rich.text import Text

    from maskcli.cli.common import parse_range
    from maskcli.errors import InputError
    from maskcli.masks.io import load_mask_file, pick_rows
    from maskcli.render.grids import GridStyle, legend, window_grid, zoom_window
    from maskcli.show.lints import empty_rows_message

    zoom = parse_range(token_range)
    loaded = load_mask_file(path, convention.value if convention else None)
    if name is not None and name not in loaded.masks:
        raise InputError(f"{path}: no mask named {name!r} (it has {', '.join(loaded.masks)})")
    console = stdout_console()
    style = GridStyle(ascii=ascii_only or not (console.encoding or "").lower().startswith("utf"))
    drawn, present = [], set()
    for key, matrices in loaded.masks.items():
        if name is not None and key != name:
            continue
        for i in pick_rows(f"{path} holds", len(matrices), row):
            mask = matrices[i]
            keys = mask.shape[-1]
            am = loaded.attention_mask[i] if loaded.attention_mask is not None else np.ones(keys, dtype=int)
            rows = loaded.query_rows.get(key, [None] * len(matrices))[i]
            if rows is None:
                rows = np.arange(len(mask)) + (keys - len(mask))  # a non-square mask: bottom-right aligned queries
            window = zoom_window(keys, zoom, console.width, style, rows)
            lines, glyphs = window_grid(f"{key} · sequence {i}", mask, am, rows, window, style)
            present |= glyphs
            drawn.append((lines, window, keys, rows[~mask.any(axis=-1)]))
    console.print(Text(f"{path} read as {loaded.convention}; " + legend(style, present, blocked="blocked"), style="bright_black"))
    for lines, (start, stop), keys, empty in drawn:
        console.print()
        if stop - start < keys:
            console.print(Text(f"showing tokens {start}:{stop} of {keys}; zoom with --range A:B", style="yellow"))
        console.print(Text("\n").join(lines), no_wrap=True, overflow="crop", crop=True)
        if len(empty):
            console.print(Text(f"empty-rows: {empty_rows_message(empty)}", style="yellow"))
