"""The columnar screen against the row-at-a-time checks: it never passes a row that has an issue
(but MC008, which the audit counts from the lengths, and MC013 without a pad token, from the masked
positions)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from check_fixtures import CLEAN_GENERATE_ROWS, CLEAN_ROWS, EOT, PLANTED_ROWS
from maskcli.check import build_report
from maskcli.check.audit import Audit, make_context
from maskcli.check.formats import to_json
from maskcli.check.columnar import COLUMNS, SIDES, RaggedBatch, screen
from maskcli.check.config import CheckConfig
from maskcli.check.rows import pretokenized_row
from maskcli.check.sft_findings import label_issues
from maskcli.data.records import Source
from maskcli.data.tokenizer import load_tokenizer

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
        row = ragged.row(i, Source("t", row=i))
        result = pretokenized_row(row, ctx)
        issues = [code for code, _ in result.issues + label_issues(row)]
        # the audit reports MC008 of a passed row from its real length, MC013 (no pad token) from its masked count
        in_bulk = {"MC008", "MC013"} if ctx.pad_id is None else {"MC008"}
        if set(issues) - in_bulk:
            assert screened.suspect[i], (record, issues)
        if not screened.suspect[i]:
            assert SIDES[screened.side[i]] == result.side
            assert screened.real[i] == result.real
            assert bool(screened.ends_with_eos[i]) == result.ends_with_eos
            assert (None if screened.trained is None else screened.trained[i]) == result.trained
            assert ("MC008" in issues) == (ctx.limit is not None and result.real > ctx.limit)
            if ctx.pad_id is None and "attention_mask" in present:
                assert ("MC013" in issues) == (screened.masked[i] > 0)


def test_clean_pipeline_rows_are_not_suspect(contexts):
    """The screen is worth it: padded rows a correct pipeline makes need no row-by-row check.

    (It leaves the BOS-only row and packed rows, CLEAN_ROWS[3:5], to the row checks.)
    """
    for rows_, ctx in ((CLEAN_ROWS[:3] + CLEAN_ROWS[5:], contexts[0]), (CLEAN_GENERATE_ROWS, contexts[0])):
        for row in rows_:
            names = tuple(name for name in COLUMNS if name in row)
            screened = screen(RaggedBatch.from_lists({name: [row[name]] for name in names}), ctx)
            assert screened.suspect.tolist() == [False], row


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(rows(), min_size=1, max_size=40), present=st.sets(st.sampled_from(COLUMNS[1:])),
       which=st.integers(0, len(CONFIGS) - 1), split=st.integers(1, 40), batch_size=st.integers(1, 5))
@example(batch=[{"input_ids": [EOT], "attention_mask": [1], "labels": [EOT], "position_ids": [0], "token_type_ids": [0]}],
         present={"attention_mask"}, which=3, split=1, batch_size=1)  # no pad token, nothing masked: no MC013 finding
def test_the_columnar_engine_reports_what_the_row_engine_does(batch, present, which, split, batch_size):
    """Whole reports (findings, the rows they list, statistics), engine against engine."""
    config = dataclasses.replace(CONFIGS[which], batch_size=batch_size, rows_per_finding=3)
    tok = load_tokenizer(config.tokenizer, pad_token=config.pad_token)
    ctx = make_context(tok, config)[0]
    names = ("input_ids", *sorted(present))
    sources = [Source("data.parquet", row=i) for i in range(len(batch))]
    by_rows, by_columns = Audit.start(ctx, config), Audit.start(ctx, config)
    for start in range(0, len(batch), split):  # chunks, as the engines get them
        part = batch[start:start + split]
        ragged = RaggedBatch.from_lists({name: [row[name] for row in part] for name in names})
        by_columns.update_columnar(ragged, sources[start:start + split])
        by_rows.update_by_row([ragged.row(i, sources[start + i]) for i in range(len(part))])
    reports = [to_json(build_report(audit, tok, config, ["data.parquet"])) for audit in (by_rows, by_columns)]
    assert reports[0] == reports[1]


def test_audit_shard_takes_an_arrow_table_and_reports_what_records_give():
    pyarrow = pytest.importorskip("pyarrow")
    from maskcli.check import audit_shard

    config = CheckConfig(pad_token="eos", batch_size=2)
    tok = load_tokenizer(config.tokenizer, pad_token=config.pad_token)
    rows = [row for _, row, _ in PLANTED_ROWS if "attention_mask" in row] + CLEAN_GENERATE_ROWS
    records = [{"input_ids": row["input_ids"], "attention_mask": row["attention_mask"]} for row in rows]
    table = pyarrow.Table.from_pylist(records)
    from_table = audit_shard(pyarrow.concat_tables([table.slice(0, 3), table.slice(3)]), tok, config, path="s",
                             first_index=10)
    from_records = audit_shard(records, tok, config, path="s", first_index=10)
    reports = [to_json(build_report(audit, tok, config, ["s"])) for audit in (from_table, from_records)]
    assert reports[0] == reports[1] and '"row": 10' in reports[0]
