"""Report schema 2: each listed row of a finding carries a bounded sample of the row (tokens, ids, mask,
labels), made for the listed rows only."""

from __future__ import annotations

import json

from hypothesis import given, strategies as st

from check_fixtures import EOT, run, write_jsonl
from maskcli.check import samples
from maskcli.check.formats import indented_json
from maskcli.check.samples import EDGE, RowSample
from maskcli.data.tokenizer import load_tokenizer

MC004 = {"attention_mask": [1, 1, 1, 0], "labels": [464, 3797, EOT, EOT]}


def test_a_long_row_keeps_its_first_and_last_tokens():
    sample = RowSample.of(list(range(300)), labels=list(range(1000, 1300)))
    assert sample.length == 300 and sample.omitted == (EDGE, 300 - EDGE)
    assert sample.input_ids == (*range(EDGE), *range(300 - EDGE, 300))
    assert sample.labels == tuple(i + 1000 for i in sample.input_ids) and set(sample.attention_mask) == {1}
    short = RowSample.of(list(range(2 * EDGE)))
    assert short.omitted is None and short.input_ids == tuple(range(2 * EDGE))


def test_tokens_are_decoded_per_end_and_unknown_ids_are_none():
    tok = load_tokenizer("gpt2")
    ids = [464] * 200 + [60000] + [3797] * 200
    named = RowSample.of(ids).named(tok)
    assert len(named.tokens) == 2 * EDGE and named.tokens[:2] == ("The", "The") and named.tokens[-1] == " cat"
    assert RowSample.of([464, 60000, EOT]).named(tok).tokens == ("The", None, "<|endoftext|>")


def test_long_rows_in_the_json_report(tmp_path):
    ids = [464 + i % 50 for i in range(597)] + [EOT, EOT, EOT]
    row = {"input_ids": ids, "attention_mask": [1] * 598 + [0, 0], "labels": ids}  # MC004 on 598 and 599
    path = write_jsonl(tmp_path / "long.jsonl", [row] * 30)
    result = run(str(path), "--pad-token", "eos", "--format", "json", "--exit-zero", "--max-length", "1024")
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["id"] == "MC004" and finding["count"] == 30 and len(finding["rows"]) == 10
    sample = finding["rows"][0]["sample"]
    assert sample["length"] == 600 and sample["omitted"] == {"start": EDGE, "stop": 600 - EDGE}
    assert sample["input_ids"] == ids[:EDGE] + ids[-EDGE:] and sample["attention_mask"][-2:] == [0, 0]
    assert len(sample["tokens"]) == 2 * EDGE and sample["tokens"][-1] == "<|endoftext|>"


def test_samples_are_made_for_listed_rows_only(tmp_path, monkeypatch):
    made = []
    monkeypatch.setattr(samples.RowSample, "of_row", classmethod(lambda cls, row: made.append(row) or cls.of([1])))
    bad = {"input_ids": [464, 3797, EOT, EOT], **MC004}
    path = write_jsonl(tmp_path / "bad.jsonl", [bad] * 500)
    report = json.loads(run(str(path), "--pad-token", "eos", "--format", "json", "--exit-zero").stdout)
    assert [(f["id"], f["count"], len(f["rows"])) for f in report["findings"]] == [("MC004", 500, 10)]
    assert len(made) == 2 * 10  # MC004's rows, and the first right-padded ones (MC007, should left ones follow)


def test_batch_padding_findings_have_samples(tmp_path):
    """MC013 (no pad token) and MC007 (right padding in generate) are flagged when a batch closes."""
    path = write_jsonl(tmp_path / "texts.jsonl", ["Hi", "The cat sat on the mat", "A dog"])
    no_pad = json.loads(run(str(path), "--batch-size", "2", "--format", "json", "--exit-zero").stdout)
    (mc013,) = [f for f in no_pad["findings"] if f["id"] == "MC013"]
    assert [r["sample"]["tokens"] for r in mc013["rows"]] == [["Hi"]]
    generate = json.loads(run(str(path), "--pad-token", "eos", "--mode", "generate", "--padding-side", "right",
                              "--format", "json", "--exit-zero").stdout)
    (mc007,) = [f for f in generate["findings"] if f["id"] == "MC007"]
    assert [r["sample"]["tokens"] for r in mc007["rows"]] == [["Hi"], ["A", " dog"]]


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
values = st.recursive(scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20)


@given(values)
def test_indented_json_is_json(value):
    assert json.loads(indented_json(value)) == value


def test_columnar_samples_are_the_rows_listed(tmp_path, monkeypatch):
    """Parquet columns checked in the columnar layout (rows that pass the screen, over several record
    batches) list the same rows with the same samples as workers checking records one by one."""
    import pyarrow
    import pyarrow.parquet as pq

    from maskcli.check.arrow_input import arrow_files

    rows = [[464 + (i + j) % 100 for j in range(300 if i % 7 == 3 else 5 + i % 4)] + [EOT] for i in range(2000)]
    masks = [[1] * len(ids) for ids in rows]
    path = tmp_path / "dense.parquet"
    pq.write_table(pyarrow.table({"input_ids": rows, "attention_mask": masks}), path, row_group_size=300)
    assert arrow_files([str(path)], None) is not None
    monkeypatch.chdir(tmp_path)
    flags = ("dense.parquet", "--pad-token", "eos", "--max-length", "256", "--format", "json", "--exit-zero")
    columnar, by_rows = run(*flags).stdout, run(*flags, "--num-proc", "2").stdout
    assert columnar == by_rows
    (mc008,) = [f for f in json.loads(columnar)["findings"] if f["id"] == "MC008"]
    assert mc008["count"] == 286 and [r["row"] for r in mc008["rows"]] == list(range(3, 70, 7))
    for listed in mc008["rows"]:
        ids = rows[listed["row"]]
        assert listed["sample"]["input_ids"] == ids[:EDGE] + ids[-EDGE:] and listed["sample"]["length"] == len(ids)
