"""Findings shown under the grids: things about a row's masks that silently go wrong.

Each lint has a stable code:

- ``empty-rows``: query rows that may attend to no key (softmax over nothing gives NaN).
- ``packing-ignored``: ``position_ids`` restart (packed documents) but an all-ones 2-D
  ``attention_mask`` is given; transformers detects packing only when the mask is None, so every
  document attends across the others.
- ``packed-needs-no-cache``: ``position_ids`` restart and no ``attention_mask`` is given, so
  transformers keeps the documents apart, but only when no KV cache is passed: a forward with
  ``use_cache=True`` (the config default, also in train mode) attends across documents.
- ``flash-packing-differs``: flash-attn (``prepare_fa_kwargs_from_position_ids``) starts a sequence
  wherever ``position_ids`` equal their minimum, sdpa/eager wherever they do not go up by one; for
  these ``position_ids`` the two implementations see different documents.
- ``segment-ids``: values > 1 in the 2-D ``attention_mask``; transformers casts it to bool, so the
  segments collapse into one.
Kinds add their own (``Kind.lints`` in :mod:`maskcli.masks.kinds`):

- ``window-no-effect``: the window covers the whole row; the mask is just causal (or full).
- ``chunk-shifted``: left padding moves the chunk boundaries (transformers starts chunks at the
  first real token), so they are not at multiples of C from index 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maskcli.masks.kinds import MaskSpec, RowContext
from maskcli.masks.packing import flash_cu_seqlens, from_position_ids


@dataclass(frozen=True)
class Lint:
    code: str
    message: str

    def describe(self) -> dict:
        return {"code": self.code, "message": self.message}


def row_lints(attention_mask: np.ndarray, position_ids: np.ndarray | None, given_attention_mask: bool = True) -> list[Lint]:
    """Lints about the row's own inputs (independent of the requested masks)."""
    found = []
    am = np.asarray(attention_mask)
    if (am > 1).any():
        found.append(Lint(
            "segment-ids",
            f"attention_mask holds values {sorted(set(am[am > 1].tolist()))} > 1: transformers casts it to bool, "
            "so segment ids collapse and segments attend to each other",
        ))
    if position_ids is not None and len(position_ids):
        documents = from_position_ids(position_ids).documents
        sdpa = [0, *(np.flatnonzero(np.diff(documents)) + 1).tolist(), len(documents)]
        flash = flash_cu_seqlens(position_ids)
        if flash != sdpa:
            found.append(Lint(
                "flash-packing-differs",
                f"flash-attn cuts these position_ids into sequences at {flash}, sdpa/eager at {sdpa}: "
                "the attention implementations see different documents",
            ))
    documents = int(from_position_ids(position_ids).documents[-1]) + 1 if position_ids is not None and len(position_ids) else 1
    if documents > 1 and given_attention_mask and len(am) and (am != 0).all():
        found.append(Lint(
            "packing-ignored",
            f"position_ids hold {documents} packed documents but an all-ones attention_mask is given: "
            "transformers detects packing only when attention_mask is None, so documents attend to each other",
        ))
    if documents > 1 and not given_attention_mask:
        found.append(Lint(
            "packed-needs-no-cache",
            f"position_ids hold {documents} packed documents and no attention_mask: transformers keeps each "
            "document to itself only when no KV cache is passed; run the forward with use_cache=False "
            "(use_cache=True, the config default also in train mode, attends across documents)",
        ))
    return found


def empty_rows_message(empty_rows: np.ndarray) -> str:
    return f"query rows {np.asarray(empty_rows).tolist()} attend to nothing: softmax over no key gives NaN"


def mask_lints(spec: MaskSpec, empty_rows: np.ndarray, ctx: RowContext) -> list[Lint]:
    """Lints about one mask of a row; ``empty_rows`` are its queries that attend to no key."""
    found = []
    if len(empty_rows):
        found.append(Lint("empty-rows", f"{spec.text}: {empty_rows_message(empty_rows)}"))
    if spec.kind.lints is not None:
        found += [Lint(code, f"{spec.text}: {message}") for code, message in spec.kind.lints(spec, ctx)]
    return found
