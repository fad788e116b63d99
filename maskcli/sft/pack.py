"""``packing=True``: TRL's ``pack_dataset`` with the ``bfd`` and ``wrapped`` strategies.

``datasets.map(batched=True)`` hands the packer 1000 examples at a time, so packing happens
within consecutive groups of 1000 prepared examples, exactly as there.

- ``bfd`` (best fit decreasing): each example cut to ``max_length``, longest first, into the
  fullest bin it fits; ``seq_lengths`` keeps the documents apart (position ids restart).
- ``wrapped``: all examples end to end, cut every ``max_length`` tokens, boundaries ignored.
"""

from __future__ import annotations

import bisect
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator

from maskcli.sft.prepare import Example, joined_roles

MAP_BATCH_SIZE = 1000  # datasets' default batch size for map(batched=True)


def packed(examples: Iterable[Example], max_length: int, strategy: str) -> Iterator[Example]:
    group: list[Example] = []
    pack = _bfd if strategy == "bfd" else _wrapped
    for example in examples:
        group.append(example)
        if len(group) == MAP_BATCH_SIZE:
            yield from pack(group, max_length)
            group = []
    if group:
        yield from pack(group, max_length)


def _bfd(examples: list[Example], max_length: int) -> Iterator[Example]:
    cut = [_head(e, max_length) for e in examples if e.input_ids]
    order = sorted(range(len(cut)), key=lambda i: -len(cut[i].input_ids))  # stable, as Arrow's sort
    bins: list[list[int]] = []
    by_space: dict[int, deque] = defaultdict(deque)
    spaces: list[int] = []  # sorted spaces of partly filled bins
    for index in order:
        length = len(cut[index].input_ids)
        at = bisect.bisect_left(spaces, length)
        space = spaces[at] if at < len(spaces) else max_length
        if space < max_length:
            members = by_space[space].popleft()
            if not by_space[space]:
                spaces.pop(at)
        else:
            members = []
            bins.append(members)
        members.append(index)
        left = space - length
        if left > 0:
            if not by_space[left]:
                bisect.insort(spaces, left)
            by_space[left].append(members)
    for members in bins:
        yield _joined([cut[i] for i in members], seq_lengths=[len(cut[i].input_ids) for i in members])


def _wrapped(examples: list[Example], max_length: int) -> Iterator[Example]:
    whole = _joined(examples, seq_lengths=None)
    for start in range(0, len(whole.input_ids), max_length):
        part = slice(start, start + max_length)
        yield Example(whole.source, whole.shape, whole.input_ids[part], whole.labels[part], whole.labels_from,
                      whole.roles[part] if whole.roles is not None else None)


def _head(example: Example, max_length: int) -> Example:
    if len(example.input_ids) <= max_length:
        return example
    roles = example.roles[:max_length] if example.roles is not None else None
    return Example(example.source, example.shape, example.input_ids[:max_length], example.labels[:max_length],
                   example.labels_from, roles, truncated=True, length_before_truncation=len(example.input_ids))


def _joined(examples: list[Example], seq_lengths: list[int] | None) -> Example:
    labels_from = sorted({e.labels_from for e in examples})
    return Example(examples[0].source, "packed", [t for e in examples for t in e.input_ids],
                   [t for e in examples for t in e.labels], "+".join(labels_from), joined_roles(examples),
                   truncated=any(e.truncated for e in examples), seq_lengths=seq_lengths)
