"""check's progress: Done reports from the core, and the bar on a terminal's stderr (never in pipes)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from check_fixtures import CLEAN_ROWS, CLEAN_TEXTS, PLANTED_ROWS, write_jsonl, write_parquet
from maskcli.check import CheckConfig, build_report
from maskcli.check import shards
from maskcli.check.run import run_check
from maskcli.data.tokenizer import load_tokenizer


@pytest.mark.parametrize("num_proc", [1, 2])
@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_the_last_report_counts_every_row_and_token(tmp_path, monkeypatch, kind, num_proc):
    monkeypatch.setattr(shards, "MIN_SPAN_BYTES", 200)
    path = (write_jsonl(tmp_path / "t.jsonl", CLEAN_TEXTS * 40) if kind == "jsonl"
            else write_parquet(tmp_path / "t.parquet", (CLEAN_ROWS + [row for _, row, _ in PLANTED_ROWS]) * 5))
    config = CheckConfig(pad_token="eos", num_proc=num_proc)
    tok = load_tokenizer(config.tokenizer, config.pad_token)
    seen = []
    summary = build_report(run_check([str(path)], tok, config, seen.append), tok, config, [str(path)]).summary
    last = seen[-1]
    assert (last.rows, last.tokens) == (summary["rows"], summary["real_tokens"])
    assert [d.rows for d in seen] == sorted(d.rows for d in seen)
    if num_proc == 2:  # shards: exactly their planned bytes, all of them at the end
        assert len(seen) > 1 and last.bytes_read == last.bytes_total > 0
    elif sys.platform.startswith("linux"):  # one process: what it has read, out of the file's size
        assert last.bytes_total == path.stat().st_size and last.bytes_read > 0


def test_stdin_has_no_total(monkeypatch):
    from maskcli.check.progress import input_size

    assert input_size(["-"]) is None


def test_a_terminal_gets_the_bar_and_a_pipe_does_not(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", CLEAN_TEXTS * 400)
    argv = [sys.executable, "-m", "maskcli", "check", str(path), "--pad-token", "eos", "--exit-zero"]
    env = dict(os.environ, COLUMNS="120")
    piped = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert piped.returncode == 0 and "rows/s" not in piped.stderr
    main, child = pty.openpty()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=child, env=env) as process:
        os.close(child)
        stderr = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            stderr += chunk
        stdout = process.stdout.read()
    os.close(main)
    assert process.returncode == 0
    assert b"rows/s" in stderr and b"tokens/s" in stderr and b"ETA" in stderr
    assert stdout.decode() == piped.stdout  # the report itself is the same
