"""What ``show --mask/--model-config/--as/--q-offset`` asks for, built per row of a batch.

This is the glue between rows (:mod:`maskcli.data.records`), mask kinds (:mod:`maskcli.masks.kinds`),
conventions and lints; ``show`` calls :func:`augment_document` for the JSON, :func:`npz_arrays`
for ``-o masks.npz`` and :func:`build_row` to draw the grids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from maskcli.masks import conventions, packing
from maskcli.errors import InputError
from maskcli.masks.flash import flash_form
from maskcli.masks.kinds import MaskSpec, RowContext, build_mask, query_positions, span_view
from maskcli.show.lints import Lint, mask_lints, row_lints
from maskcli.masks.model_config import LayerPanel
from maskcli.show.panels import Panel
from maskcli.data.records import Row
from maskcli.masks.spans import SpanMask, combined_spans, prefix_spans

DEFAULT_CONVENTION = "hf"


@dataclass(frozen=True)
class MaskRequest:
    specs: tuple[MaskSpec, ...] = ()
    layers: tuple[LayerPanel, ...] = ()
    convention: str = DEFAULT_CONVENTION
    dtype: str = "float32"
    q_offset: int = 0
    doc_lengths: tuple[int, ...] | None = None
    block_ids: tuple[int, ...] | None = None
    separator_id: int | None = None
    seed: int = 0

    @property
    def all_specs(self) -> tuple[MaskSpec, ...]:
        """``--mask`` specs, then the model config's, each spec once."""
        seen: dict[str, MaskSpec] = {}
        for spec in (*self.specs, *(panel.spec for panel in self.layers if panel.spec)):
            seen.setdefault(spec.text, spec)
        return tuple(seen.values())

    def convention_info(self) -> dict:
        return conventions.describe(self.convention, self.dtype)

    def titles(self) -> dict[str, str]:
        """Grid titles: the spec, or for a model config's layer type its layers too."""
        titles = {spec.text: spec.text for spec in self.specs}
        for panel in self.layers:
            if panel.spec:
                label = f"{panel.title} = {panel.spec.text}"
                titles[panel.spec.text] = f"{titles[panel.spec.text]}; {label}" if panel.spec.text in titles else label
        return titles


@dataclass(frozen=True)
class BuiltMask:
    spec: MaskSpec
    mask: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class BuiltRow:
    context: RowContext
    masks: tuple[BuiltMask, ...]
    lints: tuple[Lint, ...]


def row_packing(row: Row, request: MaskRequest) -> packing.Packing | None:
    """Documents of a packed row: ``--doc-lengths``, else the row's ``position_ids``, else EOS."""
    if request.doc_lengths is not None:
        return packing.from_lengths(request.doc_lengths, len(row))
    if row.position_ids is not None:
        return packing.from_position_ids(row.position_ids)
    if request.separator_id is not None:
        return packing.from_separator(row.input_ids, request.separator_id)
    return None


def row_context(row: Row, request: MaskRequest) -> RowContext:
    return RowContext(
        attention_mask=np.asarray(row.attention_mask),
        q_offset=request.q_offset,
        packing=row_packing(row, request) if any(spec.packed for spec in request.all_specs) else None,
        block_ids=np.asarray(request.block_ids) if request.block_ids is not None else None,
        seed=request.seed,
    )


def build_row(row: Row, request: MaskRequest) -> BuiltRow:
    specs = request.all_specs
    ctx = row_context(row, request)
    built = []
    lints = row_lints(row.attention_mask, row.position_ids, row.given_attention_mask)
    for spec in specs:
        mask, rows = build_mask(spec, ctx), query_positions(spec, ctx)
        built.append(BuiltMask(spec, mask, rows))
        lints.extend(mask_lints(spec, mask, rows, ctx))
    return BuiltRow(ctx, tuple(built), tuple(lints))


DEFAULT_PANELS = ("padding", "causal", "combined")


def row_panels(row: Row, request: MaskRequest, labels: Sequence[str], defaults: Sequence[str] = DEFAULT_PANELS) -> list[Panel]:
    """The masks ``show`` draws for a row: the requested ones, else ``defaults`` of padding /
    causal / combined. Kinds with a span form stay spans (cheap at any length)."""
    real = np.asarray(row.attention_mask) != 0
    if not request.all_specs:
        length = len(real)
        forms = {"padding": SpanMask(length, prefix_spans(length, length).spans, key_valid=real),
                 "causal": prefix_spans(0, length), "combined": combined_spans(row.attention_mask)}
        return [Panel(name, forms[name], labels, key_valid=None if name == "causal" else real) for name in defaults]
    ctx, titles = row_context(row, request), request.titles()
    panels = []
    for spec in request.all_specs:
        view = span_view(spec, ctx)
        mask = view if view is not None else build_mask(spec, ctx)
        panels.append(Panel(titles[spec.text], mask, labels, key_valid=real, rows=query_positions(spec, ctx)))
    return panels


def native_forms(row: Row, request: MaskRequest) -> dict[str, tuple[str, np.ndarray]]:
    """Each requested mask the reference stores differently, in that form (``convention, value``)."""
    ctx = row_context(row, request)
    return {spec.text: (spec.kind.native_convention, spec.kind.native(ctx, spec))
            for spec in request.all_specs if spec.kind.native is not None}


def encode(mask: np.ndarray, attention_mask: np.ndarray, request: MaskRequest) -> Any:
    """One mask as JSON in the requested convention."""
    if request.convention == "flash":
        form = flash_form(mask, attention_mask)
        return {"representable": False, "reason": form} if isinstance(form, str) else form.describe()
    return conventions.to_convention(mask, request.convention, request.dtype).tolist()


def augment_document(document: dict, sequences: Sequence[Row], request: MaskRequest) -> dict:
    """Add ``masks[SPEC]`` (already combined with padding), lints, the convention and the layer map.

    With ``--as`` the built-in padding / causal / combined matrices are converted too, so every
    matrix of the document is in the one convention ``mask_convention`` states.
    """
    document = dict(document)
    document["mask_convention"] = request.convention_info()
    if request.convention != DEFAULT_CONVENTION:
        document["convention"] = f"rows are queries, columns are keys; {document['mask_convention']['meaning']}"
    document["mask_kinds"] = {}
    document["q_offset"] = request.q_offset
    if request.layers:
        document["model_layers"] = {panel.layer_type: panel.describe() for panel in request.layers}
    records = []
    for record, row in zip(document["sequences"], sequences):
        record = dict(record)
        built = build_row(row, request)
        for item in built.masks:
            source = built.context.packing.source if item.spec.packed and built.context.packing else None
            document["mask_kinds"].setdefault(item.spec.text, item.spec.describe(source))
        native = native_forms(row, request)
        if native:
            record["native"] = {name: value.tolist() for name, (_, value) in native.items()}
        if "masks" in record:
            am = np.asarray(row.attention_mask)
            masks = {name: encode(np.asarray(value, dtype=bool), am, request) for name, value in record["masks"].items()}
            masks.update({item.spec.text: encode(item.mask, am, request) for item in built.masks})
            record["masks"] = masks
            record["query_rows"] = {item.spec.text: item.rows.tolist() for item in built.masks}
        record["lints"] = [lint.describe() for lint in built.lints]
        records.append(record)
    document["sequences"] = records
    return document


def npz_arrays(sequences: Sequence[Row], base_masks: Sequence[dict[str, np.ndarray]], request: MaskRequest) -> dict[str, np.ndarray]:
    """``input_ids`` and ``attention_mask`` ``(B, L)``, each mask stacked ``(B, Q, K)``, and the convention."""
    if request.convention == "flash":
        raise InputError("-o FILE.npz holds matrices; --as flash has none (use --json)")
    lengths = {len(row) for row in sequences}
    if len(lengths) > 1:
        raise InputError(f"-o FILE.npz needs rows of one length, got lengths {sorted(lengths)}; pad the batch (--padding longest)")
    per_row: list[dict[str, np.ndarray]] = []
    for row, base in zip(sequences, base_masks):
        masks = dict(base)
        masks.update({item.spec.text: item.mask for item in build_row(row, request).masks})
        per_row.append(masks)
    arrays: dict[str, np.ndarray] = {
        "input_ids": np.stack([row.input_ids for row in sequences]),
        "attention_mask": np.stack([row.attention_mask for row in sequences]),
        "convention": np.array(request.convention),
    }
    for name in per_row[0]:
        arrays[name] = np.stack([conventions.to_convention(m[name], request.convention, request.dtype) for m in per_row])
    return arrays
