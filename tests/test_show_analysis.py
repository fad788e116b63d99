"""show's one analysis per row: formatters only format it, masks stay intervals until a matrix is asked for."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from maskcli.data.batches import Batch
from maskcli.data.records import Row, Source
from maskcli.data.tokenizer import load_tokenizer
from maskcli.masks.kinds import parse_spec
from maskcli.show.analysis import analyse_batch
from maskcli.show.export import batch_document, bit_matrix_json, document_json
from maskcli.show.request import MaskRequest


@given(arrays(bool, st.tuples(st.integers(0, 5), st.integers(0, 7))))
def test_bit_matrix_json_is_what_json_dumps_writes(mask):
    assert bit_matrix_json(mask) == json.dumps(mask.astype(int).tolist())


@given(st.lists(st.lists(st.integers(0, 1), min_size=5, max_size=5), min_size=1, max_size=3),
       st.sampled_from([(), ("window:2",), ("chunk:2", "xlnet:perm=4+3+2+1+0,stream=query"), ("cross:2",)]))
def test_the_json_document_is_json_dumps_of_the_analysis(masks, specs):
    tok = load_tokenizer("gpt2")
    rows = [Row(Source("<text>", row=i), np.array([64, 275, 269, 288, 304]), np.array(am)) for i, am in enumerate(masks)]
    batch = analyse_batch(tok, Batch(rows, None, ("text",)), MaskRequest(specs=tuple(parse_spec(s) for s in specs)))
    expected = json.dumps(batch_document(batch, lambda dense, *_: dense.astype(int).tolist()), ensure_ascii=False)
    assert document_json(batch) == expected
    assert json.loads(document_json(batch, matrices=False))["sequences"][0].keys() == json.loads(expected)["sequences"][0].keys() - {"masks", "query_rows"}


def test_a_window_of_the_grid_marks_only_queries_that_see_nothing_in_the_whole_row(cli):
    # query 1 ranks third in the permutation: it sees keys 2 and 3, both outside --range 0:2
    result = cli("show", "a b c d", "--mask", "xlnet:perm=3+2+1+0,stream=query", "--range", "0:2")
    assert result.exit_code == 0, result.stderr
    grid = result.stdout.split("xlnet:perm=3+2+1+0,stream=query\n", 1)[1].splitlines()
    assert grid[1].split() == ["0", "·", "■"] and grid[2].split() == ["1", "·", "·"]
    assert "query rows [3] attend to nothing" in result.stdout.replace("\n", " ")


def run_limited(tmp_path, *args: str, limit_kb: int = 1_500_000) -> subprocess.CompletedProcess:
    """``maskcli ARGS`` in a subprocess under ``ulimit -v`` (a runaway L x L allocation fails)."""
    quoted = " ".join(f"'{a}'" for a in args)
    return subprocess.run(["bash", "-c", f'ulimit -v {limit_kb}; exec "{sys.executable}" -m maskcli {quoted}'],
                          capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "COLUMNS": "100"},
                          timeout=120)


def test_a_60k_token_row_is_shown_in_memory_linear_in_its_length(tmp_path):
    words = "the quick brown fox jumps over a lazy dog".split()
    (tmp_path / "long.txt").write_text(" ".join(words[i % 9] for i in range(60_000)))
    for extra in ([], ["--compact", "--mask", "window:128"], ["--block-size", "1024"], ["--json", "--no-matrices"]):
        done = run_limited(tmp_path, "show", "-f", "long.txt", *extra)
        assert done.returncode == 0, (extra, done.stderr[-500:])
        assert "60000" in done.stdout
    refused = run_limited(tmp_path, "show", "-f", "long.txt", "--json")
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "Error: the JSON needs the 60000 x 60000 matrix of padding, more than 67,108,864 cells; "
        "leave the matrices out with --no-matrices"]
    assert refused.stdout == ""
