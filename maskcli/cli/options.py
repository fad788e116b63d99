"""Options that several commands share (``show`` and ``check``), declared once."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer


class Padding(str, Enum):
    longest = "longest"
    max_length = "max_length"
    none = "none"


class Side(str, Enum):
    left = "left"
    right = "right"


class OnError(str, Enum):
    fail = "fail"
    skip = "skip"


TokenizerOpt = Annotated[
    str,
    typer.Option(
        "--tokenizer",
        "-t",
        help="Built-in `gpt2`, a tokenizer.json, a local tokenizer directory, or a hub id (local cache).",
    ),
]
class Loader(str, Enum):
    auto = "auto"
    transformers = "transformers"


LoaderOpt = Annotated[
    Optional[Loader],
    typer.Option(
        help="auto: fast-tokenizer directories without transformers when exact, else transformers; "
        "transformers: always AutoTokenizer [default: auto].",
    ),
]
PadTokenOpt = Annotated[
    Optional[str],
    typer.Option(help="Pad token to use: a token string, or eos / bos / unk for that special token."),
]
