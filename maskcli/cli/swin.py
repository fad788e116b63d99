"""``maskcli swin``: Swin's shifted windows over an image grid (the one classic mask with no text).

Every other mask is drawn over a tokenized row by ``maskcli show --mask``; Swin masks ``M x M``
windows of image patches after a cyclic shift, so its input is the image's geometry, not text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

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
    windows: Annotated[int, typer.Option(help="Draw the first N windows and the last one.")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Region ids and every window's additive mask as JSON.")] = False,
    svg: SvgOpt = None,
    html: HtmlOpt = None,
    png: PngOpt = None,
) -> None:
    from maskcli.classic.swin import swin_shifted

    shown = swin_shifted(image[0], image[1], window, shift)
    if png:
        from maskcli.render.png import load_pyplot

        load_pyplot()  # a missing matplotlib fails before anything is printed
    if as_json:
        sys.stdout.write(json.dumps(shown.describe()) + "\n")
        return
    console = stdout_console()
    console.record = bool(svg or html)
    render_swin(console, shown, windows)
    write_pictures(console, shown, windows, svg, html, png)


def render_swin(console, shown, windows: int) -> None:
    from rich.text import Text

    from maskcli.classic.swin import CONVENTION, REFERENCE
    from maskcli.render.batch import ascii_only
    from maskcli.render.grids import GridStyle, grid_lines, legend

    style = GridStyle(ascii=ascii_only(console))
    console.print(Text("swin", style="bold") + Text(f" · {shown.summary}"))
    console.print(Text(f"reference: {REFERENCE}\nconvention: {CONVENTION}", style="bright_black"))
    console.print(Text(legend(style), style="bright_black"))
    console.print(Text("region ids after the shift:", style="bright_black"))
    for row in shown.region_ids:
        console.print(Text("  " + " ".join(str(v) for v in row), style="bright_black"))
    for w in shown.shown(windows):
        panel = shown.panel(w)
        console.print()
        for line in grid_lines(panel.title, panel.mask, panel.valid, (0, panel.length), style, labels=panel.labels):
            console.print(line, no_wrap=True, overflow="crop", crop=True)
        console.print(Text(f"window {w} as Swin adds it to the scores:", style="bright_black"))
        for row in shown.masks[w]:
            console.print(Text("  " + " ".join(f"{v:g}".rjust(4) for v in row), style="bright_black"))


def write_pictures(console, shown, windows: int, svg: Optional[Path], html: Optional[Path], png: Optional[Path]) -> None:
    from maskcli.classic.swin import CONVENTION, REFERENCE
    from maskcli.output import write_atomic

    if svg:
        write_atomic(svg, console.export_svg(title="maskcli swin", clear=False))
    if html:
        write_atomic(html, console.export_html(clear=False))
    if png:
        from maskcli.render.png import png_bytes

        panels = [shown.panel(w) for w in shown.shown(windows)]
        caption = f"swin: {shown.summary}\nreference: {REFERENCE}\nconvention: {CONVENTION}"
        write_atomic(png, png_bytes(panels, caption, None, None))
