"""A bounded copy of a row a finding lists, for the reports that show it (``--format html``, ``json``).

Only the rows a finding lists (its first ``rows_per_finding``) get a :class:`RowSample`, made when
the row is listed, so memory stays bounded whatever the dataset's size. A row longer than
``2 * EDGE`` tokens keeps its first and last ``EDGE`` tokens; ``omitted`` says which positions
were left out. The audit holds ids only (it has no tokenizer: workers pickle it); the report adds
the tokens' text with :meth:`RowSample.named`.

JSON (report schema 2, ``findings[].rows[].sample``)::

    {"length": 300, "omitted": {"start": 128, "stop": 172}, "tokens": ["The", " cat", ...],
     "input_ids": [...], "attention_mask": [...], "labels": [...] or null, "position_ids": [...] or null}

(the lists hold positions 0-127 and 172-299; ``omitted`` is null when they hold the whole row)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from maskcli.data.records import Row
    from maskcli.data.tokenizer import TokenizerHandle
    from maskcli.sft.prepare import Example

EDGE = 128  # tokens kept at each end of a long row


def kept_positions(length: int) -> np.ndarray:
    """The positions a sample keeps of a row of ``length`` tokens."""
    if length <= 2 * EDGE:
        return np.arange(length)
    return np.concatenate((np.arange(EDGE), np.arange(length - EDGE, length)))


def _kept(values: Sequence[int] | np.ndarray | None, positions: np.ndarray) -> tuple[int | None, ...] | None:
    """``values`` at ``positions``; None past the end of a field shorter than the row (MC001)."""
    if values is None:
        return None
    values = np.asarray(values)
    inside = positions[positions < len(values)]
    return tuple(int(v) for v in values[inside]) + (None,) * (len(positions) - len(inside))


@dataclass(frozen=True)
class RowSample:
    """The row's ids, attention mask, labels and position ids (its first and last ``EDGE`` tokens when
    it is long), and their text once :meth:`named`."""

    length: int  # tokens in the whole row
    input_ids: tuple[int, ...]
    attention_mask: tuple[int | None, ...]  # None past the end of a shorter field (MC001)
    labels: tuple[int | None, ...] | None = None
    position_ids: tuple[int | None, ...] | None = None
    tokens: tuple[str | None, ...] | None = None  # decoded text per kept token, None out of vocabulary

    @classmethod
    def of(cls, input_ids: Sequence[int] | np.ndarray, attention_mask: Sequence[int] | np.ndarray | None = None,
           labels: Sequence[int] | np.ndarray | None = None,
           position_ids: Sequence[int] | np.ndarray | None = None) -> RowSample:
        n = len(input_ids)
        kept = kept_positions(n)
        mask = attention_mask if attention_mask is not None else np.ones(n, dtype=np.int64)
        return cls(n, _kept(input_ids, kept), _kept(mask, kept), _kept(labels, kept), _kept(position_ids, kept))

    @classmethod
    def of_row(cls, row: Row) -> RowSample:
        return cls.of(row.input_ids, row.attention_mask, row.labels, row.position_ids)

    @classmethod
    def of_example(cls, example: Example) -> RowSample:
        """A ``--sft`` record as prepared, before packing and collating."""
        return cls.of(example.input_ids, example.given.get("attention_mask"), example.labels,
                      example.given.get("position_ids"))

    @property
    def omitted(self) -> tuple[int, int] | None:
        """``(start, stop)`` of the positions left out, None when the whole row is kept."""
        return (EDGE, self.length - EDGE) if self.length > 2 * EDGE else None

    def named(self, tok: TokenizerHandle) -> RowSample:
        """With the text of each token (each end decoded on its own, ids outside the vocabulary as None)."""
        from maskcli.data.token_text import token_texts

        vocab = tok.full_vocab_size
        texts: list[str | None] = []
        ends = [self.input_ids] if self.omitted is None else [self.input_ids[:EDGE], self.input_ids[EDGE:]]
        for ids in ends:
            run: list[int] = []
            for token in (*ids, None):
                if token is not None and 0 <= token < vocab:
                    run.append(token)
                    continue
                texts.extend(token_texts(tok, run))
                run = []
                if token is not None:
                    texts.append(None)
        return dataclasses.replace(self, tokens=tuple(texts))

    def to_dict(self) -> dict:
        omitted = self.omitted
        return {
            "length": self.length,
            "omitted": None if omitted is None else {"start": omitted[0], "stop": omitted[1]},
            "tokens": None if self.tokens is None else list(self.tokens),
            "input_ids": list(self.input_ids),
            "attention_mask": list(self.attention_mask),
            "labels": None if self.labels is None else list(self.labels),
            "position_ids": None if self.position_ids is None else list(self.position_ids),
        }
