"""``show``'s mask options (``--mask``, ``--model-config``, ``--as``, ``--q-offset``, ...) in one place.

``show`` declares the options with these aliases, turns them into a
:class:`~maskcli.show.request.MaskRequest` with :func:`mask_request`, and hands its JSON or
``.npz`` output to :func:`write_outputs`.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from maskcli.cli.help import MASKS, OUTPUT, PICTURES
from maskcli.cli.options import choices
from maskcli.errors import InputError
from maskcli.masks.choices import CONVENTIONS, DTYPES, RNGS


Convention = choices("Convention", CONVENTIONS)
Dtype = choices("Dtype", DTYPES)
Rng = choices("Rng", RNGS)


MaskOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--mask",
        "-m",
        help="Mask kind to show: KIND, KIND:VALUE or KIND:KEY=VALUE,... (lists joined by +), optionally +packed; "
        "e.g. window:4, chunk:3, packed, window:3+packed, longformer:window=4,global=0+5, bigbird:block=2, "
        "xlnet:perm=2+1+3+0 (repeatable; list: maskcli masks). Each is combined with the row's padding.",
        rich_help_panel=MASKS,
    ),
]
LayersOpt = Annotated[
    Optional[int],
    typer.Option(help="Receptive field: beside each --mask grid, which keys reach each query after K layers.", rich_help_panel=MASKS),
]
SvgOpt = Annotated[Optional[Path], typer.Option(help="Also save the grids as printed (token labels included) as SVG.", rich_help_panel=PICTURES)]
HtmlOpt = Annotated[Optional[Path], typer.Option(help="Also save the grids as printed as an HTML page.", rich_help_panel=PICTURES)]
PageOpt = Annotated[Optional[Path], typer.Option(
    "--html", help="Also write an interactive HTML page: tokens, every mask's cells, why each is blocked (hover).",
    rich_help_panel=PICTURES)]
PngOpt = Annotated[
    Optional[Path],
    typer.Option(help="Also draw each grid as a heatmap PNG with token labels (needs matplotlib: maskcli[plot]).", rich_help_panel=PICTURES),
]
SeedOpt = Annotated[int, typer.Option(min=0, help="Seed of random draws: bert-mlm's --mlm-probability, xlnet without perm.", rich_help_panel=MASKS)]
MlmPositionsOpt = Annotated[
    Optional[str], typer.Option(help="bert-mlm: exactly these token positions become [MASK], e.g. 1,3.", rich_help_panel=MASKS)
]
MlmProbabilityOpt = Annotated[
    Optional[float], typer.Option(help="bert-mlm: the collator's mlm_probability [default: 0.15], drawn with --seed.", rich_help_panel=MASKS)
]
MlmRngOpt = Annotated[
    Rng, typer.Option(help="bert-mlm: replay the collator's numpy (return_tensors='np') or torch ('pt') draws.", rich_help_panel=MASKS),
]
ModelConfigOpt = Annotated[
    Optional[Path],
    typer.Option(help="A model's config.json (or its directory): one grid per layer type (full/sliding/chunked).", rich_help_panel=MASKS),
]
AsOpt = Annotated[
    Optional[Convention],
    typer.Option("--as", help="Convention of every matrix in --json / -o output [default: hf, 1 = attend].", rich_help_panel=OUTPUT),
]
DtypeOpt = Annotated[Dtype, typer.Option(help="dtype whose finfo.min blocks cells with --as eager.", rich_help_panel=OUTPUT)]
QOffsetOpt = Annotated[
    int,
    typer.Option(help="KV cache: the first N tokens are cached, queries are the rest (bottom-right aligned).", rich_help_panel=MASKS),
]
DocLengthsOpt = Annotated[
    Optional[str],
    typer.Option(help="Packed documents' lengths, e.g. 3,2,1 (else position_ids resets, else EOS ends a document).", rich_help_panel=MASKS),
]
BlockIdsOpt = Annotated[
    Optional[str],
    typer.Option(help="Per-token block ids for --mask blocks, e.g. -1,0,0,0,-1,-1 (-1 = text).", rich_help_panel=MASKS),
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
    seed: int = 0,
) -> Any:
    """The options as a MaskRequest (validated: every bad value is one InputError line)."""
    from maskcli.masks.kinds import parse_spec
    from maskcli.show.request import DEFAULT_CONVENTION, MaskRequest

    specs = tuple(parse_spec(text) for text in masks or [])
    layers: tuple = ()
    if model_config is not None:
        from maskcli.masks.model_config import layer_panels, read_config

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
        seed=seed,
    )


def mlm_options(request: Any, positions: str | None, probability: float | None, seed: int, rng: Rng) -> Any:
    """``--mlm-*`` as :class:`~maskcli.masks.classic.bert.MLMOptions` when ``--mask bert-mlm`` is asked for."""
    wanted = any(spec.kind.name == "bert-mlm" for spec in request.all_specs)
    given = [name for name, value in (("--mlm-positions", positions), ("--mlm-probability", probability)) if value is not None]
    if given and not wanted:
        raise InputError(f"{given[0]} masks tokens for --mask bert-mlm; add it")
    if not wanted:
        return None
    if probability is not None and not 0.0 <= probability <= 1.0:
        raise InputError(f"--mlm-probability must lie in [0, 1], not {probability}")
    chosen = parse_ints("--mlm-positions", positions)
    if chosen is not None and min(chosen) < 0:
        raise InputError("--mlm-positions are token positions, 0 or more")
    from maskcli.masks.classic.bert import MLMOptions  # only with --mask bert-mlm

    return MLMOptions(chosen, 0.15 if probability is None else probability, seed, rng.value)


def mask_token_id(tok: Any) -> int:
    for token in ("[MASK]", "<mask>"):
        found = tok.backend.token_to_id(token)
        if found is not None:
            return found
    raise InputError(f"bert-mlm needs a mask token ([MASK] or <mask>), and tokenizer {tok.name} has none")


def wants_grids(request: Any) -> bool:
    return bool(request.specs or request.layers)


def write_npz(output: Path, analyses: Any) -> list:
    """``-o FILE.npz``: NumPy arrays of one analysed batch (``input_ids``, ``attention_mask``, each
    mask); returns that batch's analysis (in a list) for ``--json`` beside it."""
    import numpy as np

    from maskcli.show.export import npz_arrays
    from maskcli.output import write_atomic

    taken = list(itertools.islice(analyses, 2))
    if len(taken) != 1:
        raise InputError(f"-o {output}: an .npz file holds one batch; narrow the input with --rows or --batch-size")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **npz_arrays(taken[0]))
    write_atomic(output, buffer.getvalue())
    return taken
