"""The columnar screen against the row-at-a-time checks: it never passes a row that has an issue."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from check_fixtures import CLEAN_GENERATE_ROWS, CLEAN_ROWS, EOT
from maskcli.check.audit import make_context
from maskcli.check.columnar import COLUMNS, SIDES, RaggedBatch, screen
from maskcli.check.config import CheckConfig
from maskcli.check.rows import pretokenized_row
from maskcli.records import Row, Source
from maskcli.tokenizer import load_tokenizer

CONFIGS = [
    CheckConfig(pad_token="eos"),
    CheckConfig(pad_token="eos", mode="generate", require_eos=True),
    CheckConfig(pad_token="eos", max_length=4),
    CheckConfig(),  # gpt2 has no pad token
]


@pytest.fixture(scope="module")
def contexts():
    return [make_context(load_tokenizer(c.tokenizer, pad_token=c.pad_token), c)[0] for c in CONFIGS]


@st.composite
def rows(draw):
    """A row as a padding pipeline makes it, then (often) one random bug."""
    real = draw(st.lists(st.sampled_from([EOT, 464, 3797, 40]), max_size=6))
    pads = draw(st.integers(0, 3))
    left = draw(st.booleans())
    ids = [EOT] * pads + real if left else real + [EOT] * pads
    mask = [0] * pads + [1] * len(real) if left else [1] * len(real) + [0] * pads
    prompt = draw(st.integers(0, len(real)))
    labels = [-100 if not m else tok for tok, m in zip(ids, mask)]
    labels = [-100 if i < prompt + (pads if left else 0) else tok for i, tok in enumerate(labels)]
    positions = list(np.maximum(np.cumsum(mask) - 1, 0))
    row = {"input_ids": ids, "attention_mask": mask, "labels": labels, "position_ids": [int(p) for p in positions],
           "token_type_ids": [0] * len(ids)}
    if ids and draw(st.booleans()):
        name = draw(st.sampled_from(COLUMNS))
        at = draw(st.integers(0, len(ids) - 1))
        values = list(row[name])
        bug = draw(st.sampled_from(["set", "drop"]))
        if bug == "drop":
            del values[at]
        else:
            values[at] = draw(st.sampled_from([0, 1, -100, EOT, 464, 2, 60000, -1]))
        row[name] = values
    return row


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(rows(), max_size=12), present=st.sets(st.sampled_from(COLUMNS[1:])),
       which=st.integers(0, len(CONFIGS) - 1))
def test_a_row_the_screen_passes_is_clean_row_by_row(contexts, batch, present, which):
    ctx = contexts[which]
    names = ("input_ids", *sorted(present))
    ragged = RaggedBatch.from_lists({name: [row[name] for row in batch] for name in names})
    screened = screen(ragged, ctx)
    for i, record in enumerate(batch):
        result = pretokenized_row(as_row(record, names), ctx)
        if result.issues:
            assert screened.suspect[i], (record, result.issues)
        if not screened.suspect[i]:
            assert SIDES[screened.side[i]] == result.side
            assert screened.real[i] == result.real
            assert bool(screened.ends_with_eos[i]) == result.ends_with_eos
            assert (None if screened.trained is None else screened.trained[i]) == result.trained


def as_row(record: dict, names: tuple[str, ...]) -> Row:
    """The row a reader makes of ``record`` with only the ``names`` fields (as shapes.py does)."""
    arrays = {name: np.asarray(record[name], dtype=np.int64) if name in names else None for name in COLUMNS}
    ids = arrays["input_ids"]
    given_mask = arrays["attention_mask"] is not None
    return Row(Source("t", row=0), ids, arrays["attention_mask"] if given_mask else np.ones_like(ids),
               labels=arrays["labels"], position_ids=arrays["position_ids"], token_type_ids=arrays["token_type_ids"],
               shape="pretokenized", pretokenized=True, given_attention_mask=given_mask)


def test_clean_pipeline_rows_are_not_suspect(contexts):
    """The screen is worth it: padded rows a correct pipeline makes need no row-by-row check.

    (It leaves the BOS-only row and packed rows, CLEAN_ROWS[3:5], to the row checks.)
    """
    for rows_, ctx in ((CLEAN_ROWS[:3] + CLEAN_ROWS[5:], contexts[0]), (CLEAN_GENERATE_ROWS, contexts[0])):
        for row in rows_:
            names = tuple(name for name in COLUMNS if name in row)
            screened = screen(RaggedBatch.from_lists({name: [row[name]] for name in names}), ctx)
            assert screened.suspect.tolist() == [False], row
