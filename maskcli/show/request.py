"""What ``show --mask/--model-config/--as/--q-offset`` asks for, and what a mask kind reads of a row.

:func:`maskcli.show.analysis.analyse_row` builds the requested masks of each row from a
:class:`MaskRequest` and the row's :class:`~maskcli.masks.kinds.RowContext`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from maskcli.masks import packing
from maskcli.masks.kinds import RowContext

if TYPE_CHECKING:  # annotations only: a show without --model-config imports no model_config
    from maskcli.data.records import Row
    from maskcli.masks.kinds import MaskSpec
    from maskcli.masks.model_config import LayerPanel

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

    def titles(self) -> dict[str, str]:
        """Grid titles: the spec, or for a model config's layer type its layers too."""
        titles = {spec.text: spec.text for spec in self.specs}
        for panel in self.layers:
            if panel.spec:
                label = f"{panel.title} = {panel.spec.text}"
                titles[panel.spec.text] = f"{titles[panel.spec.text]}; {label}" if panel.spec.text in titles else label
        return titles


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
