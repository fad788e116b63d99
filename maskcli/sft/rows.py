"""Collated training rows as :class:`~maskcli.data.records.Row`, and what was trained, per role."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from maskcli.data.facts import IGNORE_INDEX
from maskcli.data.records import Row
from maskcli.sft.collate import Collated

UNKNOWN_ROLE = "unknown"


def to_row(collated: Collated) -> Row:
    """A training row, shown and checked as given (``pretokenized``): it is what the model receives."""
    first = collated.examples[0]
    n = len(collated.input_ids)
    attention = collated.attention_mask
    return Row(
        source=first.source,
        input_ids=collated.input_ids,
        attention_mask=attention if attention is not None else np.ones(n, dtype=np.int64),
        labels=collated.labels,
        position_ids=collated.position_ids,
        shape=first.shape if len(collated.examples) == 1 else "padding-free",
        pretokenized=True,
        given_attention_mask=attention is not None,
        truncated=any(e.truncated for e in collated.examples),
        roles=tuple(collated.roles) if collated.roles is not None else None,
        labels_from="+".join(sorted({e.labels_from for e in collated.examples})),
    )


def trained_by_role(rows: Iterable[Row]) -> dict[str, dict[str, int]]:
    """``{role: {"tokens": n, "trained": m}}`` over real tokens (``unknown`` where no role is known)."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        if row.labels is None:
            continue
        roles: Sequence = row.roles if row.roles is not None else (None,) * len(row)
        for role, label, real in zip(roles, row.labels.tolist(), row.attention_mask.tolist()):
            if not real:
                continue
            entry = counts.setdefault(role or UNKNOWN_ROLE, {"tokens": 0, "trained": 0})
            entry["tokens"] += 1
            entry["trained"] += label != IGNORE_INDEX
    return counts


def describe_trained(counts: dict[str, dict[str, int]]) -> str:
    """``assistant 14/14 trained · user 0/22 · system 0/9``."""
    parts = [f"{role} {c['trained']}/{c['tokens']}" for role, c in counts.items()]
    return (parts[0] + " trained" + "".join(f" · {p}" for p in parts[1:])) if parts else "no labels"


def sft_record(row: Row, texts: Sequence[str]) -> dict:
    """The JSON keys ``--sft`` adds to a sequence: where labels came from, roles, token ``texts``, counts."""
    return {
        "labels_from": row.labels_from,
        "roles": list(row.roles) if row.roles is not None else None,
        "token_text": list(texts),
        "trained_by_role": trained_by_role([row]),
    }
