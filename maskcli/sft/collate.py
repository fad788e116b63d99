"""TRL's ``DataCollatorForLanguageModeling``: prepared examples -> the rows of one training batch.

Padded mode: right padding with the pad id, ``attention_mask`` 1 on real tokens, labels
``-100`` on padding. Padding-free (``padding_free``, or bfd packing): the batch flattened into
one row with ``position_ids`` restarting at every document and no attention mask, and the label
of every document's first token set to ``-100``. ``pad_to_multiple_of`` rounds either up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from maskcli.data.facts import IGNORE_INDEX
from maskcli.sft.options import SFTOptions
from maskcli.sft.prepare import Example, joined_roles


@dataclass(frozen=True)
class Collated:
    """One training row: arrays as the collator returns them, plus maskcli's per-token roles."""

    examples: list[Example]
    input_ids: np.ndarray
    labels: np.ndarray
    attention_mask: np.ndarray | None
    position_ids: np.ndarray | None
    roles: list[str | None] | None


def batches(examples: Iterable[Example], batch_size: int) -> Iterator[list[Example]]:
    group: list[Example] = []
    for example in examples:
        group.append(example)
        if len(group) == batch_size:
            yield group
            group = []
    if group:
        yield group


def collate(examples: list[Example], pad_token_id: int, options: SFTOptions) -> list[Collated]:
    if options.flattened:
        positions = np.concatenate([_positions(e) for e in examples])
        row = _padded(examples, [t for e in examples for t in e.input_ids], [t for e in examples for t in e.labels],
                      joined_roles(examples), len(positions), pad_token_id, options.pad_to_multiple_of)
        position_ids = _pad(positions, len(row.input_ids), 0)
        labels = np.where(position_ids == 0, IGNORE_INDEX, row.labels)
        return [Collated(examples, row.input_ids, labels, None, position_ids, row.roles)]
    longest = max(len(e.input_ids) for e in examples)
    return [_padded([e], e.input_ids, e.labels, e.roles, longest, pad_token_id, options.pad_to_multiple_of)
            for e in examples]


def _padded(examples, ids, labels, roles, longest, pad_id, multiple) -> Collated:
    length = longest if not multiple or longest % multiple == 0 else longest + multiple - longest % multiple
    n = len(ids)
    attention = _pad(np.ones(n, dtype=np.int64), length, 0)
    padded_roles = list(roles) + [None] * (length - n) if roles is not None else None
    return Collated(examples, _pad(np.asarray(ids, dtype=np.int64), length, pad_id),
                    _pad(np.asarray(labels, dtype=np.int64), length, IGNORE_INDEX), attention, None, padded_roles)


def _pad(values: np.ndarray, length: int, value: int) -> np.ndarray:
    return np.concatenate([values, np.full(length - len(values), value, dtype=np.int64)]).astype(np.int64)


def _positions(example: Example) -> np.ndarray:
    lengths = example.seq_lengths or [len(example.input_ids)]
    return np.concatenate([np.arange(n, dtype=np.int64) for n in lengths])
