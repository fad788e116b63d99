"""``maskcli show --html FILE``: the batches as one self-contained interactive page.

A pure formatter of the :class:`~maskcli.show.analysis.BatchAnalysis` list ``show`` made: per
sequence, the token table, the row's lints and notes, and every drawn mask as a grid that
``assets/show_page.js`` paints on a canvas. Each mask travels as the reason code of every cell
(:mod:`maskcli.show.reasons`), run-length encoded per query row (a causal row of 2,000 keys is
4 numbers), never as ``L x L`` numbers; hovering a cell names both tokens and why it is blocked.

Rows longer than :data:`WINDOW` tokens also get the block view (tiles of
:func:`~maskcli.masks.blocks.counts_from_spans`, full / partial / empty); a tile drills down to its
tokens. A mask whose runs exceed :data:`RUN_BUDGET` (a random XLNet order), or whose cells are
more than :data:`~maskcli.masks.kinds.DENSE_CELLS` (an 8192 x 8192 mask: each cell's reason is
computed, about 5 ns a cell), keeps only the cells of the first :data:`WINDOW` tokens, and the
page says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from maskcli.data.tokenizer import TokenizerHandle
from maskcli.render.batch import row_notes
from maskcli.render.blocks import panel_blocks
from maskcli.render.page import escape, page
from maskcli.masks.kinds import DENSE_CELLS
from maskcli.show.analysis import BatchAnalysis, MaskResult, RowAnalysis
from maskcli.show.lints import empty_rows_message
from maskcli.show.reasons import reason_texts, reasons, run_lengths
from maskcli.wording import counted

WINDOW = 512  # tokens of the first grid (and the cells kept when a mask's runs are too many)
RUN_BUDGET = 1_000_000  # run-length numbers of one mask, beyond which only the first WINDOW tokens are kept
MAX_TILES = 64  # tiles per side of the block view
CHUNK_CELLS = 1 << 22  # cells of reason codes computed at once


MAX_PAGE_SEQUENCES = 256  # a page holds the first batches up to this many sequences: memory and page stay bounded


def to_html(tok: TokenizerHandle, analyses: Sequence[BatchAnalysis], titled: bool = False,
            read: int | None = None) -> str:
    """The page of the batches ``show`` read (``titled``: the batches came from files); ``read``, when
    more than they hold, is how many sequences were read in all (the page holds the first batches,
    about :data:`MAX_PAGE_SEQUENCES` sequences)."""
    data = {
        "tokenizer": tok.describe(),
        "batches": [batch_data(number, analysis, titled) for number, analysis in enumerate(analyses)],
        "window": WINDOW,
    }
    rows = sum(len(a.rows) for a in analyses)
    meta = (f"{counted(len(analyses), 'batch', 'batches')}, {counted(rows, 'sequence')}"
            + (f" (the first {rows} of {read}; pick others with --rows)" if read is not None and read > rows else "")
            + f" · tokenizer {tok.name} (pad {'none' if tok.pad_token is None else repr(tok.pad_token)})")
    body = (f'<header><h1>maskcli show</h1><p class="muted" id="meta">{escape(meta)}</p>'
            '<nav class="show-nav"><label>batch <select id="batch"></select></label> '
            '<label>sequence <select id="sequence"></select></label></nav></header>'
            '<main id="view"></main><div id="hover" class="hover" hidden></div>')
    return page("maskcli show", body, data={"show": data}, scripts=["show_page.js"])


def batch_data(number: int, analysis: BatchAnalysis, titled: bool) -> dict[str, Any]:
    batch = analysis.batch
    title = f"batch {number} · {batch.location} · {', '.join(batch.shapes)}" if titled else f"batch {number}"
    resolved = analysis.resolved
    settings = None if resolved is None else (
        f"padding {resolved.padding}, {resolved.padding_side} side" + (f", max_length {resolved.max_length}"
                                                                         if resolved.max_length else ""))
    return {"title": title, "settings": settings,
            "sequences": [sequence_data(analysis, index, row) for index, row in enumerate(analysis.rows)]}


def sequence_data(batch: BatchAnalysis, index: int, analysis: RowAnalysis) -> dict[str, Any]:
    seq, facts = analysis.row, analysis.facts
    notes = [note.plain for note in row_notes(seq, facts, batch.tokenizer.pad_token_id is None)]
    if seq.labels_from is not None:
        from maskcli.sft.rows import describe_trained, trained_by_role  # only rows with labels

        notes.append(f"{seq.labels_from}: {describe_trained(trained_by_role([seq]))}")
    return {
        "title": f"sequence {index}",
        "source": str(seq.source),
        "shape": seq.shape,
        "truncated": seq.truncated,
        "tokens": facts.tokens,
        "texts": facts.texts,
        "input_ids": seq.input_ids.tolist(),
        "attention_mask": seq.attention_mask.tolist(),
        "special": facts.special_id.astype(int).tolist(),
        "labels": None if seq.labels is None else seq.labels.tolist(),
        "trained": None if facts.trained is None else facts.trained.astype(int).tolist(),
        "position_ids": None if facts.position_ids is None else facts.position_ids.tolist(),
        "positions_derived": facts.positions_derived,
        "documents": document_ids(analysis),
        "roles": None if seq.roles is None else list(seq.roles),
        "lints": [lint.describe() for lint in analysis.lints],
        "notes": notes,
        "masks": [mask_data(item) for item in analysis.drawn()] if len(seq) else [],
    }


def document_ids(analysis: RowAnalysis) -> list[int] | None:
    """The row's documents: from its ``position_ids``, else those ``+packed`` specs read."""
    if analysis.facts.documents is not None:
        return analysis.facts.documents.tolist()
    packing = analysis.context.packing
    return None if packing is None else packing.documents.tolist()


def mask_data(result: MaskResult) -> dict[str, Any]:
    """One drawn mask: its runs of reason codes (the whole mask, or its first :data:`WINDOW` tokens)."""
    queries = result.panel.query_rows
    length = result.panel.length
    whole = len(queries) * length <= DENSE_CELLS  # past it, reading every cell takes minutes
    runs = chunked_runs(result, len(queries), length, RUN_BUDGET) if whole else None
    full = runs is not None
    if runs is None:
        runs = chunked_runs(result, min(len(queries), WINDOW), min(length, WINDOW))
    item = {
        "name": result.name,
        "title": result.panel.title,
        "predicate": result.spec.predicate(),
        "reading": result.spec.kind.reading,
        "reasons": list(reason_texts(result)),
        "cross": result.spec.kind.cross,
        "query_start": int(queries[0]) if len(queries) else 0,
        "queries": len(queries),
        "keys": length,
        "complete": full,
        "runs": runs,
        "empty_rows": empty_rows_message(result.empty_rows) if len(result.empty_rows) else None,
        "blocks": None,
    }
    square = len(queries) == length and (not len(queries) or queries[0] == 0)
    if length > WINDOW and square:
        size = 2 ** math.ceil(math.log2(length / MAX_TILES))
        blocks = panel_blocks(result.panel, (0, length), size)
        item["blocks"] = {"block_size": size, "states": blocks.states.tolist(), **blocks.tally(),
                          "sparsity": blocks.sparsity}
    return item


def chunked_runs(result: MaskResult, queries: int, keys: int, budget: int | None = None) -> list[list[int]] | None:
    """Runs of the first ``queries`` x ``keys`` cells, computed a few rows at a time; ``None``
    once they exceed ``budget`` numbers."""
    step = max(1, CHUNK_CELLS // max(keys, 1))
    out: list[list[int]] = []
    numbers = 0
    for start in range(0, queries, step):
        block = run_lengths(reasons(result, (start, min(start + step, queries)), (0, keys)))
        numbers += sum(map(len, block))
        if budget is not None and numbers > budget:
            return None
        out += block
    return out
