"""The shard planner (spans of lines) and ``check --num-proc`` over shards read by the workers themselves."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from check_fixtures import CLEAN_TEXTS, run, write_jsonl
from maskcli.check import shards
from maskcli.data.readers import iter_records


def spans(path, size):
    return [(s.part.start, s.part.stop, s.part.first_line, s.rows) if s.kind == "lines" else (s.kind, s.rows)
            for s in shards._line_spans(str(path), size)]


def test_spans_are_cut_after_the_first_line_end_past_each_size(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"aaa\nbb\nc\nd\n")  # the docstring's example
    assert spans(path, 4) == [(0, 4, 1, 1), (4, 9, 2, 2), (9, 11, 4, 1)]
    path.write_bytes(b"aaa\nbb\nc\nd")  # no line end at the end: the last line still counts
    assert spans(path, 4)[-1] == (9, 10, 4, 1)
    assert spans(path, 100) == [("file", 4)]  # one span: the whole file, its lines counted
    path.write_bytes(b"\n \n\t\n")
    assert shards._line_spans(str(path), 1) is None  # only white space: the reader's error, whole


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab \u00e9", max_size=12), min_size=1, max_size=40),
       size=st.integers(1, 64), newline_at_end=st.booleans())
def test_records_of_the_spans_are_the_records_of_the_file(tmp_path_factory, lines, size, newline_at_end):
    path = tmp_path_factory.mktemp("spans") / "t.txt"
    path.write_bytes(("\n".join(lines) + ("\n" if newline_at_end else "")).encode())
    planned = shards._line_spans(str(path), size)
    if planned is None:  # nothing but white space: read whole, as one process would
        assert not "".join(lines).strip()
        return
    whole = list(iter_records(str(path), "text"))
    pieces = [item for shard in planned for item in iter_records(str(path), "text", shard.part)]
    assert pieces == whole
    assert sum(shard.rows for shard in planned) == len(whole)


def test_a_bad_line_in_a_later_span_is_named_as_one_process_names_it(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = b"".join(json.dumps({"text": text}).encode() + b"\n" for text in CLEAN_TEXTS * 30)
    path.write_bytes(good + b'{"text": "caf\xff"}\n' + good)
    one = run(str(path), "--pad-token", "eos")
    assert one.exit_code == 2 and "invalid UTF-8 at byte offset" in one.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shards, "MIN_SPAN_BYTES", 256)
        assert len(shards.plan([str(path)], None, 256)) > 4
        two = run(str(path), "--pad-token", "eos", "--num-proc", "2")
    assert (two.exit_code, two.stderr) == (one.exit_code, one.stderr)


def test_text_records_in_spans_report_what_one_process_does(tmp_path, monkeypatch):
    """Text records cut into many spans (blank JSONL lines shift some starts: re-audited), batches of
    3 across the cuts, findings listed from several spans."""
    rows = [{"text": text} for text in CLEAN_TEXTS * 20] + [{"text": "x " * 400}] * 3
    path = write_jsonl(tmp_path / "texts.jsonl", rows)
    path.write_text(path.read_text().replace("\n", "\n\n", 7))
    monkeypatch.setattr(shards, "MIN_SPAN_BYTES", 300)
    assert len(shards.plan([str(path)], None, 300)) > 5
    args = (str(path), "--pad-token", "eos", "--batch-size", "3", "--max-length", "64", "--format", "json")
    one, two = run(*args), run(*args, "--num-proc", "2")
    assert one.exit_code == 1, one.stderr
    assert (two.exit_code, two.stdout, two.stderr) == (one.exit_code, one.stdout, one.stderr)



def test_a_fifo_with_workers_is_read_once_by_the_main_process(tmp_path):
    """Planning would consume a FIFO and its workers would wait for a writer forever: it is read by the
    main process and sent to the workers, with the report of one process."""
    import os
    import subprocess
    import sys
    import threading

    data = write_jsonl(tmp_path / "texts.jsonl", CLEAN_TEXTS * 50).read_bytes()
    fifo = tmp_path / "stream.jsonl"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as stream:
            stream.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    argv = [sys.executable, "-m", "maskcli", "check", str(fifo), "--pad-token", "eos", "--format", "json"]
    piped = subprocess.run([*argv, "--num-proc", "2"], capture_output=True, text=True, timeout=120)
    writer.join(timeout=10)
    (tmp_path / "stream.jsonl").unlink()
    (tmp_path / "stream.jsonl").write_bytes(data)
    one = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert piped.returncode == one.returncode == 0, piped.stderr
    assert piped.stdout == one.stdout
