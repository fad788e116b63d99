"""``maskcli show``: tokenize texts and show ids beside the padding, causal and combined masks."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from maskcli.cli.common import handles_input_errors, parse_range, stdout_console
from maskcli.cli.mask_options import AsOpt, BlockIdsOpt, DocLengthsOpt, DtypeOpt, Dtype, MaskOpt, ModelConfigOpt, QOffsetOpt
from maskcli.errors import InputError

SHOW_HELP = """Tokenize TEXT and show tokens and ids beside the padding, causal and combined masks.

Several TEXT arguments form one padded batch; `-` reads one text per line from stdin.

\b
Examples:
  maskcli show "The cat sat"
  maskcli show "Hi" "The cat sat on the mat" --pad-token eos --padding-side left
  maskcli show "Hello world" --json | jq .sequences[0].input_ids
  maskcli show "a b c" -t ./my-tokenizer-dir --padding max_length --max-length 8
  cat prompts.txt | maskcli show - --pad-token eos --compact
  maskcli show "a b c d e f" --mask window:3 --mask chunk:2 --mask packed --doc-lengths 3,3
  maskcli show "Hi" "The cat sat" --pad-token eos --padding-side left --model-config ./config.json
  maskcli show "a b c" --mask causal --json --as eager --dtype bfloat16
  maskcli show "a b c" --mask window:2 -o masks.npz
"""


class Padding(str, Enum):
    longest = "longest"
    max_length = "max_length"
    none = "none"


class Side(str, Enum):
    left = "left"
    right = "right"


TokenizerOpt = Annotated[
    str,
    typer.Option(
        "--tokenizer",
        "-t",
        help="Built-in `gpt2`, a tokenizer.json, a local tokenizer directory, or a hub id (local cache).",
    ),
]
PadTokenOpt = Annotated[
    Optional[str],
    typer.Option(help="Pad token to use: a token string, or eos / bos / unk for that special token."),
]


def read_texts(texts: list[str]) -> list[str]:
    """TEXT arguments, with ``-`` replaced by stdin's lines."""
    result: list[str] = []
    for text in texts:
        if text == "-":
            data = sys.stdin.buffer.read()
            try:
                decoded = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"<stdin>: invalid UTF-8 at byte offset {exc.start}") from None
            result.extend(decoded.splitlines())
        else:
            result.append(text)
    return result


@handles_input_errors
def show(
    texts: Annotated[Optional[list[str]], typer.Argument(help="Texts to tokenize as one batch; - reads stdin.")] = None,
    tokenizer: TokenizerOpt = "gpt2",
    padding: Annotated[Padding, typer.Option(help="Padding strategy, as in the tokenizer's __call__.")] = Padding.longest,
    max_length: Annotated[Optional[int], typer.Option(help="max_length for padding and truncation.")] = None,
    truncation: Annotated[
        Optional[bool], typer.Option("--truncation/--no-truncation", help="Truncate to --max-length.")
    ] = None,
    padding_side: Annotated[
        Optional[Side], typer.Option(help="Padding side [default: the tokenizer's own].")
    ] = None,
    pad_to_multiple_of: Annotated[Optional[int], typer.Option(help="Pad lengths up to a multiple of N.")] = None,
    no_special_tokens: Annotated[bool, typer.Option(help="Do not add BOS/EOS/CLS/SEP.")] = False,
    pad_token: PadTokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the batch as one JSON document.")] = False,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write the JSON document to FILE (atomically); FILE.npz: NumPy arrays."),
    ] = None,
    no_matrices: Annotated[bool, typer.Option(help="Leave the L x L masks out of the JSON.")] = False,
    token_range: Annotated[
        Optional[str], typer.Option("--range", help="Zoom the grids to tokens A:B (e.g. 100:160).")
    ] = None,
    compact: Annotated[bool, typer.Option(help="One character per cell: twice as many tokens per line.")] = False,
    mask: MaskOpt = None,
    model_config: ModelConfigOpt = None,
    as_convention: AsOpt = None,
    dtype: DtypeOpt = Dtype.float32,
    q_offset: QOffsetOpt = 0,
    doc_lengths: DocLengthsOpt = None,
    block_ids: BlockIdsOpt = None,
) -> None:
    from maskcli.cli.mask_options import mask_request, wants_grids, write_outputs
    from maskcli.document import batch_document
    from maskcli.encoding import EncodeSettings, encode_texts
    from maskcli.tokenizer import load_tokenizer

    batch = read_texts(texts or [])
    if not batch:
        raise InputError("no text given: pass TEXT arguments, or - to read lines from stdin")
    view_range = parse_range(token_range)
    tok = load_tokenizer(tokenizer, pad_token=pad_token)
    settings = EncodeSettings(
        padding=padding.value,
        max_length=max_length,
        truncation=truncation,
        padding_side=padding_side.value if padding_side else None,
        pad_to_multiple_of=pad_to_multiple_of,
        add_special_tokens=not no_special_tokens,
    )
    request = mask_request(tok, mask, model_config, as_convention, dtype, q_offset, doc_lengths, block_ids)
    resolved, sequences = encode_texts(tok, batch, settings)
    if as_json or output:
        document = batch_document(tok, resolved, sequences, matrices=not no_matrices)
        write_outputs(document, sequences, request, as_json, output)
        if as_json:
            return
    from maskcli.render.batch import View, render_batch

    view = View(token_range=view_range, compact=compact, masks=request if wants_grids(request) else None)
    render_batch(stdout_console(), tok, sequences, view)
