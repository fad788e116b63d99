"""Every ``check`` report format, byte for byte, on the planted datasets (JSONL and Parquet).

The golden files in tests/golden/check/ were written by the row-at-a-time engine before the
check engine changed; any engine must reproduce them. After an intended change of a report,
rewrite them with ``MASKCLI_UPDATE_GOLDEN=1 pytest tests/test_check_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from check_fixtures import planted_rows, run, write_jsonl, write_parquet

GOLDEN = Path(__file__).parent / "golden" / "check"
FORMATS = ("text", "json", "github", "junit", "markdown")
# (name, flags): settings that reach every check id between them
RUNS = {
    "default": ["--pad-token", "eos", "--batch-size", "4"],
    "strict": ["--pad-token", "eos", "--batch-size", "1", "--max-length", "32", "--require-eos",
               "--fail-on", "warning", "--max-padding-ratio", "0.1"],
    "generate": ["--pad-token", "eos", "--mode", "generate", "--padding-side", "right"],
    "no-pad": ["--batch-size", "3"],
}


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("golden")
    rows = planted_rows()
    write_jsonl(folder / "planted.jsonl", rows)
    pytest.importorskip("pyarrow")
    write_parquet(folder / "planted.parquet", rows)
    return folder


@pytest.mark.parametrize("name", sorted(RUNS))
@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize("dataset", ["planted.jsonl", "planted.parquet"])
def test_report_matches_its_golden_file(datasets, monkeypatch, dataset, name, output_format):
    monkeypatch.chdir(datasets)  # paths in reports are as given: relative
    result = run(dataset, *RUNS[name], "--format", output_format)
    assert result.exit_code in (0, 1), result.stderr
    produced = f"exit {result.exit_code}\n{result.stderr}---\n{result.stdout}"
    golden = GOLDEN / f"{Path(dataset).suffix[1:]}-{name}.{output_format}"
    if os.environ.get("MASKCLI_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(produced)
    assert produced == golden.read_text()


@pytest.fixture(scope="module")
def dense_parquet(datasets) -> Path:
    """The planted pre-tokenized rows with every column present (no nulls): the columnar engine reads it."""
    import pyarrow
    import pyarrow.parquet as pq

    tokenized = [row for row in planted_rows() if isinstance(row, dict) and "attention_mask" in row]
    columns = {"input_ids": [row["input_ids"] for row in tokenized],
               "attention_mask": [row["attention_mask"] for row in tokenized]}
    pq.write_table(pyarrow.table(columns), datasets / "dense.parquet", row_group_size=5)
    return datasets / "dense.parquet"


@pytest.mark.parametrize("name", sorted(RUNS))
def test_columnar_engine_shards_and_workers_on_records_report_alike(dense_parquet, monkeypatch, name):
    """One process reads the Parquet columns straight into the columnar engine; --num-proc 2 gives
    each worker its own row groups (shards of 5 rows, cut across training batches); from stdin the
    main process sends chunks of records to the workers. Every format must come out the same."""
    from maskcli.check.arrow_input import arrow_files

    assert arrow_files([str(dense_parquet)], None) is not None  # it does take the columnar way
    monkeypatch.chdir(dense_parquet.parent)
    for output_format in FORMATS:
        columnar = run(dense_parquet.name, *RUNS[name], "--format", output_format)
        assert columnar.exit_code in (0, 1), columnar.stderr
        expected = (columnar.exit_code, columnar.stdout, columnar.stderr)
        sharded = run(dense_parquet.name, *RUNS[name], "--format", output_format, "--num-proc", "2")
        assert (sharded.exit_code, sharded.stdout, sharded.stderr) == expected
    columnar, piped = (json.loads(run(*paths, "--input-format", "parquet", *RUNS[name], "--format", "json", *more,
                                      input=dense_parquet.read_bytes()).stdout)
                       for paths, more in (([dense_parquet.name], []), (["-"], ["--num-proc", "2"])))
    for row in (row for finding in piped["findings"] for row in finding["rows"]):
        row["path"] = dense_parquet.name
    assert (piped["summary"], piped["findings"]) == (columnar["summary"], columnar["findings"])


@pytest.mark.parametrize("name", sorted(RUNS))
def test_spans_of_lines_in_workers_match_the_golden_file(datasets, monkeypatch, name):
    """--num-proc 2 on the planted JSONL cut into spans of ~200 bytes (blank and bad lines among
    them, so some predicted starts are wrong and re-audited): the one-process golden report."""
    from maskcli.check import shards

    monkeypatch.setattr(shards, "MIN_SPAN_BYTES", 200)
    assert len(shards.plan([str(datasets / "planted.jsonl")], None, 200)) > 5
    monkeypatch.chdir(datasets)
    for output_format in FORMATS:
        result = run("planted.jsonl", *RUNS[name], "--format", output_format, "--num-proc", "2")
        produced = f"exit {result.exit_code}\n{result.stderr}---\n{result.stdout}"
        assert produced == (GOLDEN / f"jsonl-{name}.{output_format}").read_text()
