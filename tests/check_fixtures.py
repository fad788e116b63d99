"""Helpers for the ``maskcli check`` tests: write JSONL fixtures, run the CLI, read findings."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from maskcli.cli import app

EOT = 50256  # gpt2's <|endoftext|>: bos = eos (= pad with --pad-token eos)
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "HF_HUB_OFFLINE": "1"}

# Rows a correct pipeline produces with gpt2 and pad = eos: no finding may fire on any of them.
CLEAN_ROWS = [
    # right padding: the first pad-id token is the real EOS, attended and trained
    {"input_ids": [464, 3797, 3332, EOT, EOT], "attention_mask": [1, 1, 1, 1, 0], "labels": [464, 3797, 3332, EOT, -100]},
    # right padding with position ids
    {"input_ids": [464, 3797, EOT, EOT], "attention_mask": [1, 1, 1, 0], "position_ids": [0, 1, 2, 3]},
    # unpadded, no mask given, prompt not trained
    {"input_ids": [464, 3797, 3332, EOT], "labels": [-100, -100, 3332, EOT]},
    # a BOS-only row
    {"input_ids": [EOT], "attention_mask": [1]},
    # packed documents with no attention_mask (as DataCollatorWithFlattening makes them)
    {"input_ids": [464, 3797, EOT, 40, 588, EOT], "position_ids": [0, 1, 2, 0, 1, 2],
     "labels": [-100, 3797, EOT, -100, 588, EOT]},
    # right padded without labels
    {"input_ids": [40, 588, 262, EOT], "attention_mask": [1, 1, 1, 0]},
]
# Left padding for generation, positions as generate() derives them (a dataset is padded on one side).
CLEAN_GENERATE_ROWS = [
    {"input_ids": [EOT, EOT, 464, 3797], "attention_mask": [0, 0, 1, 1], "position_ids": [0, 0, 0, 1]},
    {"input_ids": [EOT, 40, 588, 262], "attention_mask": [0, 1, 1, 1]},
    {"input_ids": [40, 588, 262, 3797], "attention_mask": [1, 1, 1, 1], "position_ids": [0, 1, 2, 3]},
]
# One planted bug per row: (check id, the row, the flags it needs).
PLANTED_ROWS = [
    ("MC001", {"input_ids": [464, 3797, EOT], "labels": [464, 3797]}, []),
    ("MC002", {"input_ids": [464, 3797, EOT, 3332], "attention_mask": [1, 1, 0, 1]}, []),
    ("MC003", {"input_ids": [464, 3797, EOT, EOT, EOT], "attention_mask": [1, 1, 1, 1, 1]}, []),
    ("MC003", {"input_ids": [464, 3797, 3332, EOT], "attention_mask": [1, 0, 1, 1]}, ["--ignore", "MC002"]),
    ("MC004", {"input_ids": [464, 3797, EOT, EOT], "attention_mask": [1, 1, 1, 0],
               "labels": [464, 3797, EOT, EOT]}, []),
    ("MC005", {"input_ids": [464, 3797, EOT, EOT], "attention_mask": [1, 1, 1, 0],
               "labels": [464, 3797, -100, -100]}, []),
    ("MC006", {"input_ids": [464, 3797, EOT], "labels": [-100, -100, -100]}, []),
    ("MC008", {"input_ids": list(range(300, 340))}, ["--max-length", "32"]),
    ("MC011", {"input_ids": [464, 3797, EOT, EOT], "attention_mask": [1, 1, 1, 0],
               "position_ids": [1, 2, 3, 4]}, []),
    ("MC012", {"input_ids": [464, 3797, EOT, 40, 588], "attention_mask": [1, 1, 1, 1, 1],
               "position_ids": [0, 1, 2, 0, 1]}, []),
    ("MC015", {"input_ids": [464, 60000, EOT]}, []),
    ("MC016", {"input_ids": [EOT, EOT], "attention_mask": [0, 0]}, []),
]
CLEAN_TEXTS = ["The cat sat on the mat.", "A dog barked at the moon.", "Hello world, this is fine.",
               "Padding is only waste.", "Short one here.", "Another sentence to read."]


def planted_rows() -> list:
    """Clean rows, every planted bug (twice), clean texts, an empty text and a double BOS: the golden datasets."""
    bad = [row for _, row, _ in PLANTED_ROWS]
    return CLEAN_ROWS + bad + CLEAN_GENERATE_ROWS + bad[::-1] + CLEAN_TEXTS + ["", "<|endoftext|>" * 2 + "hi"]


def write_parquet(path: Path, rows: list) -> Path:
    """The pre-tokenized rows of ``rows`` as Parquet (missing fields are nulls), in row groups of 7."""
    import pyarrow
    import pyarrow.parquet as pq

    tokenized = [row for row in rows if isinstance(row, dict)]
    columns = {name: [row.get(name) for row in tokenized]
               for name in ("input_ids", "attention_mask", "labels", "position_ids")}
    pq.write_table(pyarrow.table(columns), path, row_group_size=7)
    return path


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row if isinstance(row, dict) else {"text": row}) + "\n" for row in rows))
    return path


def run(*args: str, input: str | None = None, env: dict | None = None):
    return CliRunner().invoke(app, ["check", *args], input=input, env=ENV | (env or {}))


def findings(*args: str) -> dict[str, dict]:
    """Run ``check --format json`` and return its findings by id."""
    result = run(*args, "--format", "json", "--exit-zero")
    assert result.exit_code == 0, result.stderr
    return {f["id"]: f for f in json.loads(result.stdout)["findings"]}


def lines(finding: dict) -> list[int]:
    return [row["line"] for row in finding["rows"]]
