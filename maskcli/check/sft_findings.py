"""The loss-mask findings (MC019-MC021) of one training row, and those of one ``--sft`` record
(MC018, MC022-MC024).

Plain functions returning ``(check id, detail)`` pairs, so the row engine only has to call
:func:`label_issues` on each row it is given with labels, and ``check --sft``
:func:`example_issues` on each prepared record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from maskcli.facts import IGNORE_INDEX
from maskcli.packing import from_position_ids
from maskcli.records import Row

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
        starts = np.flatnonzero(np.diff(from_position_ids(row.position_ids).documents, prepend=-1)) \
            if len(row.position_ids) else np.empty(0, dtype=np.int64)
        flagged = starts[trained[starts]] if starts.size > 1 else np.empty(0, dtype=np.int64)
        if flagged.size:
            shown = ", ".join(map(str, flagged[:5].tolist()))
            issues.append(("MC020", f"document start(s) at {shown} trained ({flagged.size} of {starts.size} "
                                    "documents); DataCollatorWithFlattening sets them to -100"))
    mask = row.attention_mask
    if row.position_ids is None and len(mask) and not mask[0] and mask.any() and trained.any():
        pads = int(np.argmax(mask != 0))
        issues.append(("MC021", f"{pads} pad token(s) on the left and no position_ids: the first real token "
                                f"sits at position {pads}, not 0"))
    return issues


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
