"""``--svg``, ``--html`` and ``--png``: files of the grids a command draws.

SVG and HTML are rich's recording of exactly what the terminal showed; PNG draws each grid
(a :class:`~maskcli.show.panels.Panel`) as a heatmap with token labels (matplotlib, optional),
one row of panels per sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from maskcli.output import write_atomic


class Pictures(NamedTuple):
    svg: Path | None = None
    html: Path | None = None
    png: Path | None = None

    def __bool__(self) -> bool:
        return any(self)

    def check(self) -> None:
        """Before anything is printed: a missing matplotlib fails now, with one line."""
        if self.png:
            from maskcli.render.png import load_pyplot

            load_pyplot()

    def record(self, console: Any) -> None:
        console.record = bool(self.svg or self.html)

    def write(
        self,
        console: Any,
        title: str,
        panels: Callable[[], Sequence[PanelRow]],
        caption: str,
        token_range: tuple[int, int | None] | None = None,
        block_size: int | None = None,
    ) -> None:
        """Write every requested file atomically; ``panels`` (the picture's rows) is only called for PNG."""
        if self.svg:
            write_atomic(self.svg, console.export_svg(title=title, clear=False))
        if self.html:
            write_atomic(self.html, console.export_html(clear=False))
        if self.png:
            from maskcli.render.png import png_bytes

            write_atomic(self.png, png_bytes(list(panels()), caption, token_range, block_size))


class PanelRow(NamedTuple):
    """One row of a picture: a sequence's panels (:class:`~maskcli.show.panels.Panel`) side by
    side, and what marks its query rows as the terminal's ``P`` and ``!`` do."""

    panels: Sequence[Any]
    pad_queries: Sequence[int] = ()  # queries that are padding
    empty: Sequence[Any] = ()  # per panel: the queries that see no key (NaN), from the whole row


MAX_PICTURED = 16  # sequences one PNG shows (a file of thousands would be a poster nobody reads)


def batch_panels(rows: Sequence[Any], prefix: str = "") -> list[PanelRow]:
    """Every sequence of a batch (its :class:`~maskcli.show.analysis.RowAnalysis` rows) as a
    picture row of its grids, titled ``PREFIXsequence i · MASK`` (for ``--png``)."""
    import dataclasses

    import numpy as np

    pictured = []
    for index, analysis in enumerate(rows):
        items = analysis.drawn()
        pictured.append(PanelRow(
            [dataclasses.replace(item.panel, title=f"{prefix}sequence {index} · {item.panel.title}") for item in items],
            np.flatnonzero(~np.asarray(analysis.row.attention_mask, dtype=bool)).tolist(),
            [item.empty_rows for item in items]))
    return pictured


def panel_rows(panels: Sequence[Any], per_row: int = 4) -> list[PanelRow]:
    """Panels with no sequence of their own (Swin's windows) as rows of at most ``per_row``."""
    return [PanelRow(panels[i:i + per_row]) for i in range(0, len(panels), per_row)]


def mask_caption(request: Any) -> str:
    """What the pictured masks are: each kind's reading and reference, and the convention."""
    from maskcli.masks.specs import ATTEND_CONVENTION

    by_kind: dict = {}
    for spec in request.all_specs:
        by_kind.setdefault(spec.kind, []).append(spec.text)
    lines = [f"{', '.join(texts)}: {kind.reading} ({kind.reference})" for kind, texts in by_kind.items()]
    if not lines:
        lines = ["padding, causal and combined (causal AND padding) masks, as transformers create_causal_mask builds them"]
    return "\n".join([*lines, f"rows = queries, columns = keys; convention: {ATTEND_CONVENTION}"])
