"""Options that several commands share (``show`` and ``check``), declared once."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from maskcli.cli.help import ENCODING, INPUT, TOKENIZER
from maskcli.data.choices import LOADERS, ON_ERRORS, PADDINGS, SIDES


def choices(name: str, values: tuple[str, ...]) -> type[Enum]:
    """A ``str`` Enum of the core's ``values`` for typer's choices (``flex-predicate`` is member ``flex_predicate``).

    >>> choices("Side", ("left", "right")).left.value
    'left'
    """
    return Enum(name, {value.replace("-", "_"): value for value in values}, type=str)  # type: ignore[return-value]


Padding = choices("Padding", PADDINGS)
Side = choices("Side", SIDES)
OnError = choices("OnError", ON_ERRORS)


TokenizerOpt = Annotated[
    str,
    typer.Option(
        "--tokenizer",
        "-t",
        help="Built-in `gpt2`, a tokenizer.json, a local tokenizer directory, or a hub id (local cache).",
        rich_help_panel=TOKENIZER,
    ),
]
Loader = choices("Loader", LOADERS)


LoaderOpt = Annotated[
    Optional[Loader],
    typer.Option(
        help="auto: fast-tokenizer directories without transformers when exact, else transformers; "
        "transformers: always AutoTokenizer [default: auto].",
        rich_help_panel=TOKENIZER,
    ),
]
PadTokenOpt = Annotated[
    Optional[str],
    typer.Option(help="Pad token to use: a token string, or eos / bos / unk for that special token.", rich_help_panel=TOKENIZER),
]

# The inputs and encoding options of `show`, which `verify` reads the same way.
TextsArg = Annotated[Optional[list[str]], typer.Argument(help="Texts to tokenize as one batch; - reads stdin.")]
FilesOpt = Annotated[
    Optional[list[str]], typer.Option("--file", "-f", help="Read records from FILE or an fsspec URL (repeatable; - is stdin).", rich_help_panel=INPUT),
]
InputFormatOpt = Annotated[
    Optional[str], typer.Option(help="text, jsonl, json, csv, tsv, parquet or arrow [default: from the extension].", rich_help_panel=INPUT)
]
FieldOpt = Annotated[str, typer.Option(help="Record field holding the text.", rich_help_panel=INPUT)]
RowsOpt = Annotated[Optional[str], typer.Option(help="Only records A:B (0-based, B exclusive).", rich_help_panel=INPUT)]
LimitOpt = Annotated[Optional[int], typer.Option(help="At most N records.", rich_help_panel=INPUT)]
BatchSizeOpt = Annotated[int, typer.Option(min=1, help="Records per padded batch.", rich_help_panel=INPUT)]
OnErrorOpt = Annotated[OnError, typer.Option(help="fail on a bad record, or skip and count it.", rich_help_panel=INPUT)]
PaddingOpt = Annotated[Padding, typer.Option(help="Padding strategy, as in the tokenizer's __call__.", rich_help_panel=ENCODING)]
MaxLengthOpt = Annotated[Optional[int], typer.Option(help="max_length for padding and truncation.", rich_help_panel=ENCODING)]
TruncationOpt = Annotated[Optional[bool], typer.Option("--truncation/--no-truncation", help="Truncate to --max-length.", rich_help_panel=ENCODING)]
PaddingSideOpt = Annotated[Optional[Side], typer.Option(help="Padding side [default: the tokenizer's own].", rich_help_panel=ENCODING)]
PadToMultipleOpt = Annotated[Optional[int], typer.Option(help="Pad lengths up to a multiple of N.", rich_help_panel=ENCODING)]
NoSpecialTokensOpt = Annotated[bool, typer.Option("--no-special-tokens", help="Do not add BOS/EOS/CLS/SEP.", rich_help_panel=ENCODING)]
