"""``show``'s mask options (``--mask``, ``--model-config``, ``--as``, ``--q-offset``, ...) in one place.

``show`` declares the options with these aliases, turns them into a
:class:`~maskcli.mask_request.MaskRequest` with :func:`mask_request`, and hands its JSON or
``.npz`` output to :func:`write_outputs`.
"""

from __future__ import annotations

import io
import itertools
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from maskcli.errors import InputError


class Convention(str, Enum):
    hf = "hf"
    sdpa = "sdpa"
    eager = "eager"
    mha = "mha"
    flex_predicate = "flex-predicate"
    flash = "flash"


class Dtype(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    float64 = "float64"


MaskOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--mask",
        "-m",
        help="Mask kind to show, e.g. causal, window:4, chunk:3, prefix:2, packed, window:3+packed "
        "(repeatable; list: maskcli masks). Each is combined with the row's padding.",
    ),
]
ModelConfigOpt = Annotated[
    Optional[Path],
    typer.Option(help="A model's config.json (or its directory): one grid per layer type (full/sliding/chunked)."),
]
AsOpt = Annotated[
    Optional[Convention],
    typer.Option("--as", help="Convention of every matrix in --json / -o output [default: hf, 1 = attend]."),
]
DtypeOpt = Annotated[Dtype, typer.Option(help="dtype whose finfo.min blocks cells with --as eager.")]
QOffsetOpt = Annotated[
    int,
    typer.Option(help="KV cache: the first N tokens are cached, queries are the rest (bottom-right aligned)."),
]
DocLengthsOpt = Annotated[
    Optional[str],
    typer.Option(help="Packed documents' lengths, e.g. 3,2,1 (else position_ids resets, else EOS ends a document)."),
]
BlockIdsOpt = Annotated[
    Optional[str],
    typer.Option(help="Per-token block ids for --mask blocks, e.g. -1,0,0,0,-1,-1 (-1 = text)."),
]


def parse_ints(option: str, value: str | None) -> tuple[int, ...] | None:
    """``"3,2,1"`` -> ``(3, 2, 1)``."""
    if value is None:
        return None
    try:
        return tuple(int(part) for part in value.split(","))
    except ValueError:
        raise InputError(f"{option} must be comma-separated integers (e.g. 3,2,1), not {value!r}") from None


def mask_request(
    tok: Any,
    masks: list[str] | None,
    model_config: Path | None,
    convention: Convention | None,
    dtype: Dtype,
    q_offset: int,
    doc_lengths: str | None,
    block_ids: str | None,
) -> Any:
    """The options as a MaskRequest (validated: every bad value is one InputError line)."""
    from maskcli.kinds import parse_spec
    from maskcli.mask_request import DEFAULT_CONVENTION, MaskRequest

    specs = tuple(parse_spec(text) for text in masks or [])
    layers: tuple = ()
    if model_config is not None:
        from maskcli.model_config import layer_panels, read_config

        layers = tuple(layer_panels(read_config(model_config)))
    if q_offset < 0:
        raise InputError(f"--q-offset must be 0 or more, not {q_offset}")
    if q_offset and not (specs or layers):
        raise InputError("--q-offset applies to --mask kinds; add one, e.g. --mask causal")
    return MaskRequest(
        specs=specs,
        layers=layers,
        convention=convention.value if convention else DEFAULT_CONVENTION,
        dtype=dtype.value,
        q_offset=q_offset,
        doc_lengths=parse_ints("--doc-lengths", doc_lengths),
        block_ids=parse_ints("--block-ids", block_ids),
        separator_id=tok.eos_token_id,
    )


def wants_grids(request: Any) -> bool:
    return bool(request.specs or request.layers)


def write_npz(output: Path, batches: Any, request: Any) -> None:
    """``-o FILE.npz``: NumPy arrays of one batch (``input_ids``, ``attention_mask``, each mask)."""
    import numpy as np

    from maskcli.document import sequence_masks
    from maskcli.mask_request import npz_arrays
    from maskcli.output import write_atomic

    taken = list(itertools.islice(batches, 2))
    if len(taken) != 1:
        raise InputError(f"-o {output}: an .npz file holds one batch; narrow the input with --rows or --batch-size")
    rows = taken[0].rows
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **npz_arrays(rows, [sequence_masks(r) for r in rows], request))
    write_atomic(output, buffer.getvalue())
