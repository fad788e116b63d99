"""``maskcli swin``: Swin's shifted windows over an image grid (the one classic mask with no text).

Every other mask is drawn over a tokenized row by ``maskcli show --mask``; Swin masks ``M x M``
windows of image patches after a cyclic shift, so its input is the image's geometry, not text.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from maskcli.cli.common import handles_input_errors, stdout_console
from maskcli.cli.mask_options import HtmlOpt, PngOpt, SvgOpt

SWIN_HELP = """Show Swin's shifted-window masks over an H x W image of patches, exactly as
SwinLayer.get_attn_mask builds them: the region ids after the cyclic shift, then each window's
mask (rows = query patches, columns = key patches, labelled (row,col)) and its additive form
(0 = attend, -100 = blocked).

\b
Examples:
  maskcli swin --image 4 4 --window 2 --shift 1
  maskcli swin --image 8 8 --window 4 --shift 2 --windows 2 --png swin.png
  maskcli swin --image 4 4 --window 2 --shift 1 --json | jq .region_ids
"""


@handles_input_errors
def swin(
    image: Annotated[tuple[int, int], typer.Option(help="Image of H W patches.")],
    window: Annotated[int, typer.Option(help="Window size M (H and W are multiples of M).")],
    shift: Annotated[int, typer.Option(help="Cyclic shift S, 0 < S < M.")],
    windows: Annotated[int, typer.Option(min=1, help="Draw the first N windows and the last one.")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Region ids and every window's additive mask as JSON.")] = False,
    svg: SvgOpt = None,
    html: HtmlOpt = None,
    png: PngOpt = None,
) -> None:
    from maskcli.masks.classic.swin import CONVENTION, REFERENCE, swin_shifted
    from maskcli.output import refuse_inputs
    from maskcli.render.pictures import Pictures, panel_rows

    shown = swin_shifted(image[0], image[1], window, shift)
    pictures = Pictures(svg, html, png)
    refuse_inputs({"--svg": svg, "--html": html, "--png": png}, [])
    pictures.check()
    if as_json:
        sys.stdout.write(json.dumps(shown.describe()) + "\n")
        return
    from maskcli.render.swin import render_swin

    console = stdout_console()
    pictures.record(console)
    render_swin(console, shown, windows)
    caption = f"swin: {shown.summary}\nreference: {REFERENCE}\nconvention: {CONVENTION}"
    pictures.write(console, "maskcli swin", lambda: panel_rows([shown.panel(w) for w in shown.shown(windows)]), caption)
