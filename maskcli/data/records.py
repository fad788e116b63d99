"""Rows as the model sees them: token ids and their masks, with where each row came from.

Readers (``maskcli.data.readers``) turn file records into :class:`Row`; text records are
tokenized first, already-tokenized records are taken exactly as given. ``show`` draws rows,
``check`` audits them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maskcli.errors import InputError


@dataclass(frozen=True)
class Source:
    """Where a row came from: ``path`` and 1-based ``line`` (text, JSONL, CSV) or 0-based ``row``."""

    path: str
    line: int | None = None
    row: int | None = None

    def describe(self) -> dict:
        return {"path": self.path, "line": self.line} if self.line is not None else {"path": self.path, "row": self.row}

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else f"{self.path}[{self.row}]"


class RowError(InputError):
    """A bad record: with ``--on-error skip`` it is counted and skipped instead of fatal."""

    def __init__(self, source: Source, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


@dataclass(frozen=True, eq=False)  # arrays: no field-wise == (identity)
class Row:
    """One sequence: ``input_ids`` plus whichever of the other fields the record had.

    ``pretokenized`` rows are shown and checked exactly as given (their ``attention_mask`` may
    be wrong: that is what the user came to see). ``length_before_truncation`` is the token
    count of a text record before ``--max-length`` cut it.
    """

    source: Source
    input_ids: np.ndarray
    attention_mask: np.ndarray
    labels: np.ndarray | None = None
    position_ids: np.ndarray | None = None
    token_type_ids: np.ndarray | None = None
    special_tokens_mask: np.ndarray | None = None
    text: str | None = None
    shape: str = "text"
    pretokenized: bool = False
    given_attention_mask: bool = True
    truncated: bool = False
    length_before_truncation: int | None = None
    roles: tuple[str | None, ...] | None = None  # per token, from the chat template's message boundaries (--sft)
    labels_from: str | None = None  # --sft: "given", or the masks the labels were built from

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def num_tokens(self) -> int:
        """Real (attended) tokens, special tokens included."""
        return int(np.count_nonzero(self.attention_mask))
