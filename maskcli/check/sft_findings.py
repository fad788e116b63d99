"""The loss-mask findings (MC019-MC021) of one training row, and those of one ``--sft`` record
(MC018, MC022-MC024).

Plain functions returning ``(check id, detail)`` pairs, so the row engine only has to call
:func:`label_issues` on each row it is given with labels, and ``check --sft``
:func:`example_issues` on each prepared record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from maskcli.data.facts import IGNORE_INDEX
from maskcli.masks.packing import from_position_ids
from maskcli.data.records import Row

if TYPE_CHECKING:
    from maskcli.sft.prepare import Example

Issue = tuple[str, str]
SHIFTED_SHARE = 0.5  # "most" trained positions


def label_issues(row: Row) -> list[Issue]:
    if row.labels is None or len(row.labels) != len(row.input_ids):
        return []
    issues = []
    trained = row.labels != IGNORE_INDEX
    shifted = shifted_labels(row.input_ids, row.labels, trained)
    if shifted:
        issues.append(("MC019", shifted))
    if row.position_ids is not None and len(row.position_ids) == len(row.input_ids):
        flagged, documents = trained_document_starts(row.position_ids, row.attention_mask, trained)
        if flagged.size:
            shown = ", ".join(map(str, flagged[:5].tolist()))
            issues.append(("MC020", f"document start(s) at {shown} trained ({flagged.size} of {documents} "
                                    "documents); DataCollatorWithFlattening sets them to -100"))
    mask = row.attention_mask
    if row.position_ids is None and len(mask) and not mask[0] and mask.any() and trained.any():
        pads = int(np.argmax(mask != 0))
        issues.append(("MC021", f"{pads} pad token(s) on the left and no position_ids: the first real token "
                                f"sits at position {pads}, not 0"))
    return issues


def trained_document_starts(position_ids: np.ndarray, attention_mask: np.ndarray,
                            trained: np.ndarray) -> tuple[np.ndarray, int]:
    """Trained first tokens of the packed documents after the first, and the number of documents.

    Documents are read off the real tokens' position ids (pad tokens are no document); the first
    document's start is never a target after the model's label shift, so it is not flagged::

        position_ids  [0, 1, 0, 1, 2, 0]     attention_mask [1, 1, 1, 1, 1, 0]
        trained       [T, T, T, T, T, F]  -> (array([2]), 2)
    """
    real = np.flatnonzero(attention_mask != 0)
    if real.size < 2:
        return np.empty(0, dtype=np.int64), int(real.size)
    documents = from_position_ids(position_ids[real]).documents
    starts = real[1:][np.diff(documents) != 0]
    return starts[trained[starts]], int(starts.size) + 1


def shifted_labels(ids: np.ndarray, labels: np.ndarray, trained: np.ndarray) -> str | None:
    """Most trained ``labels[t]`` equal ``input_ids[t+1]`` (and not ``input_ids[t]``): shifted by hand."""
    positions = np.flatnonzero(trained[:-1])
    if positions.size < 2:
        return None
    ahead = int(np.count_nonzero(labels[positions] == ids[positions + 1]))
    same = int(np.count_nonzero(labels[positions] == ids[positions]))
    if ahead > SHIFTED_SHARE * positions.size and ahead > same:
        return f"{ahead} of {positions.size} trained labels equal the next input id"
    return None


def example_issues(example: "Example") -> list[Issue]:
    """The findings of one prepared record (before packing): MC018, and MC022-MC024 for given labels
    next to their messages or prompt (:mod:`maskcli.sft.given`)."""
    issues = []
    if example.prompt_divergence is not None:
        issues.append(("MC018", f"the prompt alone ends with {example.prompt_divergence!r}, which prompt+completion "
                                "does not keep: the model trains on a context it will not see at inference"))
    comparison = example.comparison
    if comparison is None:
        return issues
    if comparison.mismatch is not None:
        issues.append(("MC024", comparison.mismatch + "; its given labels cannot be compared"))
    kept = "; TRL trains given labels as they are"
    if comparison.prompt is not None:
        issues.append(("MC022", comparison.prompt.describe("prompt") + ", under completion-only loss" + kept))
    if comparison.non_assistant is not None:
        issues.append(("MC023", comparison.non_assistant.describe("non-assistant")
                       + ", under assistant-only loss" + kept))
    return issues
