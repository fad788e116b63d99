"""``maskcli classic KIND``: a mask from the literature, exactly as its reference code builds it."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from maskcli.cli.common import handles_input_errors, parse_range, stdout_console
from maskcli.errors import InputError

CLASSIC_HELP = """Show a classic attention mask (BERT, UniLM, XLNet, Swin, LogSparse, Longformer, BigBird, dilated)
exactly as its reference code builds it, with the reference and the convention it follows.

Long masks become a block view (full / partial / empty tiles and the sparsity a kernel gets with
--block-size); --range A:B zooms to tokens; --layers K shows the receptive field after K layers;
--svg / --html / --png draw the same grids to files.

\b
Examples:
  maskcli classic bert-mlm "the cat sat" -t bert-dir --mlm-positions 2
  maskcli classic bert-mlm "the cat sat" "a dog" -t bert-dir --mlm-probability 0.3 --seed 1
  maskcli classic unilm "x1 x2" "y1 y2" -t bert-dir --max-length 8
  maskcli classic xlnet --length 4 --perm 2,1,3,0
  maskcli classic swin --image 4 4 --window 2 --shift 1
  maskcli classic longformer --length 8 --window 4 --global 0
  maskcli classic bigbird --length 16 --bigbird-block 2
  maskcli classic logsparse --length 32 --layers 3
  maskcli classic longformer --length 32768 --window 512 --global 0 --block-size 1024
  maskcli classic dilated --length 24 --window 4 --dilation 3 --png dilated.png
"""


class Rng(str, Enum):
    numpy = "numpy"
    torch = "torch"


def encoded_rows(tok, texts: list[str], kind: str, max_length: Optional[int]):
    """Tokenize ``texts`` the way each kind needs: a padded batch (BERT) or one pair (UniLM)."""
    import numpy as np

    from maskcli.classic import EncodedRows
    from maskcli.encoding import EncodeSettings, encode_texts

    if kind == "unilm":
        if len(texts) != 2:
            raise InputError(f"unilm needs exactly two texts, source and target; got {len(texts)}")
        tok.backend.no_padding()
        tok.backend.no_truncation()
        enc = tok.backend.encode(texts[0], texts[1])
        ids, sequence_ids = list(enc.ids), list(enc.sequence_ids)
        special = list(enc.special_tokens_mask)
        if max_length is not None and max_length > len(ids):
            if tok.pad_token_id is None:
                raise InputError(f"--max-length pads, but tokenizer {tok.name} has no pad token (see --pad-token)")
            extra = max_length - len(ids)
            ids, sequence_ids, special = ids + [tok.pad_token_id] * extra, sequence_ids + [None] * extra, special + [1] * extra
        am = [1] * len(enc.ids) + [0] * (len(ids) - len(enc.ids))
        return EncodedRows(np.array([ids]), np.array([am]), np.array([special]), [tok.tokens(ids)], tok.tokens,
                           [sequence_ids])
    settings = EncodeSettings(padding="max_length" if max_length else "longest", max_length=max_length)
    _, rows = encode_texts(tok, texts, settings)
    return EncodedRows(
        np.stack([r.input_ids for r in rows]),
        np.stack([r.attention_mask for r in rows]),
        np.stack([r.special_tokens_mask for r in rows]),
        [tok.tokens(r.input_ids) for r in rows],
        tok.tokens,
    )


@handles_input_errors
def classic(
    kind: Annotated[str, typer.Argument(help="bert-mlm, unilm, xlnet, swin, logsparse, longformer, bigbird, dilated.")],
    texts: Annotated[Optional[list[str]], typer.Argument(help="Texts to tokenize (labels; BERT batch; UniLM pair).")] = None,
    tokenizer: Annotated[str, typer.Option("--tokenizer", "-t", help="Tokenizer for TEXT (built-in gpt2, a file or dir).")] = "gpt2",
    pad_token: Annotated[Optional[str], typer.Option(help="Pad token: a token string, or eos / bos / unk.")] = None,
    max_length: Annotated[Optional[int], typer.Option(help="Pad TEXT to this many tokens.")] = None,
    length: Annotated[Optional[int], typer.Option(help="Number of positions when no TEXT is given.")] = None,
    window: Annotated[Optional[int], typer.Option(help="Window: Longformer attention_window W, dilated W keys, Swin M.")] = None,
    global_tokens: Annotated[Optional[str], typer.Option("--global", help="Longformer global tokens, e.g. 0,5.")] = None,
    dilation: Annotated[int, typer.Option(help="Dilated window: spacing D between keys.")] = 1,
    causal: Annotated[bool, typer.Option("--causal/--bidirectional", help="Dilated window direction.")] = True,
    bigbird_block: Annotated[int, typer.Option(help="BigBird's own block size (tokens per block).")] = 2,
    perm: Annotated[Optional[str], typer.Option(help="XLNet factorisation order, 0-based: 2,1,3,0 (else --seed).")] = None,
    targets: Annotated[Optional[str], typer.Option(help="XLNet target positions (default: all).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for --mlm-probability and for a random XLNet order.")] = 0,
    image: Annotated[Optional[tuple[int, int]], typer.Option(help="Swin: image of H W patches.")] = None,
    shift: Annotated[Optional[int], typer.Option(help="Swin: cyclic shift S (0 < S < window).")] = None,
    mlm_positions: Annotated[Optional[str], typer.Option(help="BERT: exactly these positions become [MASK].")] = None,
    mlm_probability: Annotated[Optional[float], typer.Option(help="BERT: the collator's mlm_probability (default 0.15).")] = None,
    rng: Annotated[Rng, typer.Option(help="BERT: replay the collator's numpy (return_tensors='np') or torch ('pt') draws.")] = Rng.numpy,
    mask_token: Annotated[str, typer.Option(help="BERT: the mask token of the tokenizer.")] = "[MASK]",
    row: Annotated[int, typer.Option(help="BERT: which row of the batch to show.")] = 0,
    token_range: Annotated[Optional[str], typer.Option("--range", help="Zoom to tokens A:B (e.g. 100:160).")] = None,
    block_size: Annotated[Optional[int], typer.Option(help="Block view with tiles of N tokens; prints the sparsity.")] = None,
    layers: Annotated[Optional[int], typer.Option(help="Receptive field after K stacked layers (matrix power).")] = None,
    compact: Annotated[bool, typer.Option(help="One character per cell.")] = False,
    svg: Annotated[Optional[Path], typer.Option(help="Also write the grids as an SVG picture.")] = None,
    html: Annotated[Optional[Path], typer.Option(help="Also write the grids as an HTML page.")] = None,
    png: Annotated[Optional[Path], typer.Option(help="Write a heatmap PNG (needs matplotlib).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the mask as one JSON document.")] = False,
) -> None:
    from maskcli.classic import ClassicRequest, build, check_kind
    from maskcli.classic.base import index_labels
    from maskcli.output import write_atomic

    check_kind(kind)
    view_range = parse_range(token_range)
    request = ClassicRequest(
        kind=kind, length=length, window=window, global_tokens=global_tokens, dilation=dilation, causal=causal,
        bigbird_block=bigbird_block, perm=perm, targets=targets, seed=seed, image=image, shift=shift,
        mlm_positions=mlm_positions, mlm_probability=mlm_probability, rng=rng.value, row=row,
    )
    labels: list[str] = index_labels(length) if length is not None else []
    encoded, mask_id, vocab = None, None, 0
    if texts:
        from maskcli.tokenizer import load_tokenizer

        tok = load_tokenizer(tokenizer, pad_token=pad_token)
        if kind in ("bert-mlm", "unilm"):
            encoded = encoded_rows(tok, texts, kind, max_length)
            mask_id, vocab = tok.backend.token_to_id(mask_token), tok.full_vocab_size
        else:
            labels = [str(t) for t in encoded_rows(tok, [" ".join(texts)], "labels", max_length).tokens[0]]
    elif kind in ("bert-mlm", "unilm"):
        raise InputError(f"{kind} needs TEXT to tokenize (unilm: a source and a target)")
    mask = build(request, labels, encoded, mask_id, vocab)
    if as_json:
        sys.stdout.write(json.dumps(mask.describe(), ensure_ascii=False) + "\n")
        return
    from maskcli.render.classic import ClassicView, render_classic

    console = stdout_console()
    console.record = bool(svg or html)
    render_classic(console, mask, ClassicView(view_range, block_size, layers, compact))
    if svg:
        write_atomic(svg, console.export_svg(title=f"maskcli classic {kind}", clear=False))
    if html:
        write_atomic(html, console.export_html(clear=False))
    if png:
        from maskcli.render.png import png_bytes

        write_atomic(png, png_bytes(mask, view_range, block_size))
