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
their own. Query rows that attend to nothing are flagged (softmax NaN).

\b
Examples:
  maskcli view mask.npy --convention mha
  maskcli view eager_mask.npy --convention eager
  maskcli view masks.npz --name window:3
"""


@handles_input_errors
def view(
    path: Annotated[str, typer.Argument(help="Mask file (.npy, .npz, .json).")],
    name: Annotated[Optional[str], typer.Option(help="Draw only the mask with this name.")] = None,
    convention: ConventionOpt = None,
    ascii_only: Annotated[bool, typer.Option("--ascii", help="ASCII glyphs only.")] = False,
) -> None:
    import numpy as np
    from rich.text import Text

    from maskcli.errors import InputError
    from maskcli.masks.io import load_mask_file
    from maskcli.render.grids import GridStyle, grid_lines, legend, present_glyphs

    loaded = load_mask_file(path, convention.value if convention else None)
    if name is not None and name not in loaded.masks:
        raise InputError(f"{path}: no mask named {name!r} (it has {', '.join(loaded.masks)})")
    console = stdout_console()
    style = GridStyle(ascii=ascii_only or not (console.encoding or "").lower().startswith("utf"))
    def padding_of(i: int, keys: int) -> np.ndarray:
        return loaded.attention_mask[i] if loaded.attention_mask is not None else np.ones(keys, dtype=int)

    present = {glyph for key, matrices in loaded.masks.items() if name is None or key == name
               for i, mask in enumerate(matrices) for glyph in present_glyphs(mask, padding_of(i, mask.shape[-1]))}
    console.print(Text(f"{path} read as {loaded.convention}; " + legend(style, present, blocked="blocked"), style="bright_black"))
    for key, matrices in loaded.masks.items():
        if name is not None and key != name:
            continue
        for i, mask in enumerate(matrices):
            keys = mask.shape[-1]
            am = padding_of(i, keys)
            rows = loaded.query_rows.get(key, [None] * len(matrices))[i]
            if rows is None:
                rows = np.arange(len(mask)) + (keys - len(mask))  # a non-square mask: bottom-right aligned queries
            console.print()
            for line in grid_lines(f"{key} · sequence {i}", mask, am, (0, keys), style, rows=rows):
                console.print(line, no_wrap=True, overflow="crop", crop=True)
            empty = [int(rows[r]) for r in np.flatnonzero(~mask.any(axis=-1))]
            if empty:
                console.print(Text(f"empty-rows: query rows {empty} attend to nothing: softmax over no key gives NaN", style="yellow"))
