"""Swin's shifted windows on the terminal: region ids, each window's grid and its additive form."""

from __future__ import annotations

from typing import Any


def render_swin(console: Any, shown: Any, windows: int) -> None:
    from rich.text import Text

    from maskcli.masks.classic.swin import CONVENTION, REFERENCE
    from maskcli.render.grids import ascii_only
    from maskcli.render.grids import ATTEND, CAUSAL, GridStyle, grid_lines, legend

    style = GridStyle(ascii=ascii_only(console))
    console.print(Text("swin", style="bold") + Text(f" · {shown.summary}"))
    console.print(Text(f"reference: {REFERENCE}\nconvention: {CONVENTION}", style="bright_black"))
    console.print(Text(legend(style, {ATTEND, CAUSAL}, blocked="another window"), style="bright_black"))
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
