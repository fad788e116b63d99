"""``Dataset.map(batched=True, with_indices=True, num_proc=2)`` with :func:`audit_pieces`: the merged
report is ``maskcli check``'s of the same rows saved as Parquet or JSONL, row numbers included,
whatever the map batches and the processes' shards (neither is a multiple of ``batch_size``)."""

from __future__ import annotations

import json
import pickle

import pytest

from tests.check_fixtures import CLEAN_ROWS, CLEAN_TEXTS, PLANTED_ROWS, run, write_jsonl, write_parquet

datasets = pytest.importorskip("datasets")


@pytest.fixture(autouse=True)
def same_environ(monkeypatch):
    """``Dataset.map(num_proc=...)`` replaces ``os.environ`` with a copy (to set TOKENIZERS_PARALLELISM);
    rich keeps the original, so later CliRunner tests' COLUMNS would not reach it: put it back."""
    import os

    monkeypatch.setattr(os, "environ", os.environ)
BATCH = 4
ROWS = (CLEAN_ROWS + [row for _, row, _ in PLANTED_ROWS]) * 3  # 54 rows: processes' shards of 27


def mapped_report(columns: dict, name: str, map_batch: int) -> dict:
    """The docs/check.md recipe: audits of map batches, pickled into a column, merged in order."""
    from maskcli.check import CheckConfig, audit_pieces, build_report
    from maskcli.data.tokenizer import load_tokenizer

    config = CheckConfig(pad_token="eos", batch_size=BATCH)
    tok = load_tokenizer(config.tokenizer, config.pad_token)

    def audit_batch(batch, indices):
        return {"audit": [pickle.dumps(piece) for piece in
                          audit_pieces(batch, tok, config, path=name, first_index=indices[0])]}

    ds = datasets.Dataset.from_dict(columns)
    audited = ds.map(audit_batch, batched=True, batch_size=map_batch, with_indices=True, num_proc=2,
                     remove_columns=ds.column_names)
    total, *pieces = (pickle.loads(blob) for blob in audited["audit"])
    for piece in pieces:
        total.merge(piece, continues=True)
    return build_report(total, tok, config, [name]).to_dict()


def checked(path) -> dict:
    result = run(str(path), "--pad-token", "eos", "--batch-size", str(BATCH), "--format", "json", "--exit-zero")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("map_batch", [5, 8])
def test_mapped_audits_merge_into_the_parquet_report(tmp_path, map_batch):
    path = write_parquet(tmp_path / "rows.parquet", ROWS)
    columns = {name: [row.get(name) for row in ROWS] for name in ("input_ids", "attention_mask", "labels", "position_ids")}
    report = mapped_report(columns, str(path), map_batch)
    assert report == checked(path)
    assert len(report["findings"]) >= 8 and report["summary"]["rows"] == len(ROWS)


def test_mapped_audits_of_text_merge_into_the_jsonl_report(tmp_path):
    texts = (CLEAN_TEXTS + ["", "<|endoftext|>" * 2 + "hi"]) * 4  # 32 rows, 2 processes: shards of 16
    path = write_jsonl(tmp_path / "texts.jsonl", texts)
    report = mapped_report({"text": texts}, str(path), 3)
    for finding in report["findings"]:  # map rows count from 0, file lines from 1
        for row in finding["rows"]:
            row["line"] = row.pop("row") + 1
    assert report == checked(path)
    assert report["findings"]


def test_audit_shard_takes_a_mapping_of_columns(tmp_path):
    from maskcli.check import CheckConfig, audit_shard, build_report
    from maskcli.data.tokenizer import load_tokenizer

    config = CheckConfig(pad_token="eos", batch_size=BATCH)
    tok = load_tokenizer(config.tokenizer, config.pad_token)
    columns = {"input_ids": [r["input_ids"] for r in ROWS], "labels": [r.get("labels") for r in ROWS]}
    records = [{"input_ids": i, "labels": labels} for i, labels in zip(columns["input_ids"], columns["labels"])]
    by_columns, by_records = (build_report(audit_shard(given, tok, config, path="x"), tok, config, ["x"]).to_dict()
                              for given in (columns, records))
    assert by_columns == by_records and by_columns["findings"]


def test_audit_pieces_cut_where_the_batch_of_the_first_row_ends():
    from maskcli.check import CheckConfig, audit_pieces
    from maskcli.data.tokenizer import load_tokenizer

    config = CheckConfig(pad_token="eos", batch_size=BATCH)
    tok = load_tokenizer(config.tokenizer, config.pad_token)
    rows = ROWS[:10]
    assert [p.stats.rows for p in audit_pieces(rows, tok, config, first_index=6)] == [2, 8]
    assert [p.stats.rows for p in audit_pieces(rows, tok, config, first_index=8)] == [10]
    assert [p.stats.rows for p in audit_pieces(rows[:1], tok, config, first_index=5)] == [1]


def test_the_docs_example_runs_and_prints_what_it_says():
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    blocks = re.findall(r"```python\n(.*?)```", (root / "docs" / "check.md").read_text(), re.S)
    code = next(block for block in blocks if "audit_pieces" in block)
    expected = code.strip().splitlines()[-1].removeprefix("# ")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == expected
