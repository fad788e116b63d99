"""CLI tests of show's mask options and the masks / diff / view commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import ENV, run, show_json



def test_json_has_each_mask_by_spec_combined_with_padding():
    doc = show_json("Hi", "a b c d", "--pad-token", "eos", "--padding-side", "left", "--mask", "window:2", "--mask", "chunk:2")
    seq = doc["sequences"][0]  # "Hi" left-padded: 3 pad tokens then 1 real
    assert seq["attention_mask"] == [0, 0, 0, 1]
    assert seq["masks"]["window:2"] == [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]
    assert set(doc["mask_kinds"]) == {"window:2", "chunk:2"}
    assert doc["mask_convention"]["name"] == "hf"
    assert "chunk-shifted" in {lint["code"] for lint in seq["lints"]}
    assert "empty-rows" in {lint["code"] for lint in seq["lints"]}


def test_as_eager_and_mha_convert_every_matrix():
    eager = show_json("a b", "--mask", "causal", "--as", "eager", "--dtype", "float16")
    assert eager["mask_convention"] == {
        "name": "eager",
        "meaning": "float float16: 0 = may attend, -65504.0 = blocked (added to the attention scores)",
        "dtype": "float16",
    }
    assert eager["convention"].endswith("-65504.0 = blocked (added to the attention scores)")
    assert eager["sequences"][0]["masks"]["causal"] == [[0.0, -65504.0], [0.0, 0.0]]
    assert eager["sequences"][0]["masks"]["combined"] == [[0.0, -65504.0], [0.0, 0.0]]
    mha = show_json("a b", "--mask", "causal", "--as", "mha")
    assert mha["sequences"][0]["masks"]["causal"] == [[False, True], [False, False]]


def test_as_flash_and_flex_predicate():
    flash = show_json("a b c d e f", "--mask", "packed", "--doc-lengths", "3,2,1", "--mask", "prefix:2", "--as", "flash")
    masks = flash["sequences"][0]["masks"]
    assert masks["packed"]["cu_seqlens"] == [0, 3, 5, 6]
    assert masks["packed"]["window_size"] == [-1, 0]
    assert masks["prefix:2"]["representable"] is False
    assert flash["mask_kinds"]["packed"]["documents_from"] == "doc-lengths"
    flex = show_json("a b", "--mask", "window:2", "--as", "flex-predicate")
    assert flex["mask_kinds"]["window:2"]["predicate"] == "((kv_idx <= q_idx) & (kv_idx > q_idx - 2)) & attention_mask[b, kv_idx]"


def test_q_offset_rows_in_json():
    doc = show_json("a b c d e f", "--mask", "causal", "--mask", "causal-top-left", "--q-offset", "4")
    seq = doc["sequences"][0]
    assert seq["masks"]["causal"] == [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]
    assert seq["masks"]["causal-top-left"] == [[1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0]]
    assert seq["query_rows"]["causal"] == [4, 5]


def test_npz_export_loads_into_numpy(tmp_path):
    out = tmp_path / "masks.npz"
    result = run("show", "Hi", "a b c", "--pad-token", "eos", "--mask", "window:2", "-o", str(out), "--as", "sdpa")
    assert result.exit_code == 0, result.stderr
    with np.load(out) as data:
        assert data["input_ids"].shape == (2, 3)
        assert data["attention_mask"].tolist() == [[1, 0, 0], [1, 1, 1]]
        assert data["window:2"].dtype == bool
        assert data["window:2"][1].astype(int).tolist() == [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
        assert str(data["convention"]) == "sdpa"


def test_grids_show_each_kind_and_model_config_panels(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gemma3_text", "sliding_window": 2, "num_hidden_layers": 3,
                                                       "hidden_size": 8, "num_attention_heads": 2, "num_key_value_heads": 2,
                                                       "intermediate_size": 16, "vocab_size": 32, "layer_types":
                                                       ["sliding_attention", "full_attention", "sliding_attention"]}))
    result = run("show", "a b c", "--model-config", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "sliding_attention · layers 0,2 = window:2" in result.stdout
    assert "full_attention · layers 1 = causal" in result.stdout
    assert "0  ■ · ·" in result.stdout and "2  · ■ ■" in result.stdout


def test_show_mask_window_no_effect_lint_in_grids():
    result = run("show", "a b", "--mask", "window:5")
    assert result.exit_code == 0
    assert "window-no-effect: window:5" in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--mask", "wndow:3"], "Error: --mask 'wndow:3': unknown kind 'wndow'"),
        (["--mask", "window"], "Error: --mask 'window': window needs its W, e.g. window:4"),
        (["--mask", "packed", "--doc-lengths", "1,1"], "Error: --doc-lengths 1,1 sum to 2, but the row has 3 tokens"),
        (["--doc-lengths", "a,b"], "Error: --doc-lengths must be comma-separated integers"),
        (["--q-offset", "1"], "Error: --q-offset applies to --mask kinds"),
        (["--mask", "blocks"], "Error: mask blocks needs --block-ids"),
        (["--model-config", "/nonexistent/config.json"], "Error: --model-config /nonexistent/config.json: no such file"),
    ],
)
def test_bad_show_options_exit_2_with_one_line(args, message):
    result = run("show", "a b c", *args, "--json")
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_npz_with_ragged_rows_is_an_input_error(tmp_path):
    result = run("show", "a", "a b c", "--padding", "none", "-o", str(tmp_path / "m.npz"))
    assert result.exit_code == 2
    assert "needs rows of one length" in result.stderr


def test_masks_lists_every_kind():
    result = run("masks", "--json")
    assert result.exit_code == 0
    names = [kind["name"] for kind in json.loads(result.stdout)["kinds"]]
    from maskcli.masks.kinds import KINDS

    assert names == [*KINDS, "packed"]
    table = run("masks")
    for name in names:
        assert name in table.stdout
    assert "block[q_idx]" in table.stdout  # predicates are not eaten as rich markup


def export(tmp_path, name: str, *args: str):
    path = tmp_path / name
    result = run("show", "a b c d", *args, "-o", str(path))
    assert result.exit_code == 0, result.stderr
    return str(path)


def test_diff_equal_exports_in_different_conventions(tmp_path):
    a = export(tmp_path, "a.npz", "--mask", "window:2")
    b = export(tmp_path, "b.json", "--mask", "window:2", "--as", "eager")
    result = run("diff", a, b)
    assert result.exit_code == 0, result.stderr
    assert "window:2 · sequence 0: equal (16 cells)" in result.stdout


def test_diff_reports_cells_rows_and_grid(tmp_path):
    a = export(tmp_path, "a.npz", "--mask", "causal")
    raw = tmp_path / "pipeline.npy"
    np.save(raw, ~build_window_2())  # an MHA mask: True = blocked
    result = run("diff", str(raw), a, "--name", "causal", "--convention", "mha", "--convention-b", "hf")
    assert result.exit_code == 1
    assert "causal · sequence 0: 3 of 16 cells differ in rows [2, 3] (only A attends: 0, only B attends: 3)" in result.stdout
    assert "2* b ■ ■ ·" in result.stdout
    data = json.loads(run("diff", str(raw), a, "--name", "causal", "--convention", "mha", "--convention-b", "hf", "--json").stdout)
    assert data["masks"][0]["differing_rows"] == [2, 3]
    assert data["equal"] is False


def test_diff_of_many_rows_lists_the_first_and_counts_them(tmp_path):
    """A 40x40 causal mask against an all-attend one: 39 rows differ; the line lists 10 and says 39,
    the JSON lists all 39."""
    causal = tmp_path / "causal.npy"
    np.save(causal, np.tril(np.ones((40, 40), dtype=bool)))
    full = tmp_path / "full.npy"
    np.save(full, np.ones((40, 40), dtype=bool))
    result = run("diff", str(causal), str(full), "--convention", "hf")
    assert result.exit_code == 1
    line = " ".join(result.stdout.split())  # the summary may wrap at the terminal's width
    assert "780 of 1600 cells differ in rows [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...] (39 rows) (only A attends: 0" in line
    data = json.loads(run("diff", str(causal), str(full), "--convention", "hf", "--json").stdout)
    assert data["masks"][0]["differing_rows"] == list(range(39))


def build_window_2() -> np.ndarray:
    from maskcli.masks.kinds import RowContext, build_mask, parse_spec

    return build_mask(parse_spec("window:2"), RowContext(np.ones(4, int)))


@pytest.mark.parametrize(
    "files,extra,message",
    [
        (("missing.npy", "missing.npy"), [], "no such file"),
        (("bad.txt", "bad.txt"), [], "unknown mask file type"),
        (("float.npy", "float.npy"), ["--convention", "mha"], "additive mask; read it with --convention eager"),
        (("a.npz", "float.npy"), ["--convention", "mha"], "states convention 'hf', but --convention mha was given"),
    ],
)
def test_diff_bad_input_exits_2(tmp_path, files, extra, message):
    (tmp_path / "bad.txt").write_text("x")
    np.save(tmp_path / "float.npy", np.array([[0.0, -100.0], [0.0, 0.0]]))
    export(tmp_path, "a.npz")
    result = run("diff", *(str(tmp_path / f) for f in files), *extra)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_view_imports_a_mask_in_any_convention(tmp_path):
    path = tmp_path / "eager.npy"
    np.save(path, np.array([[-np.inf, -np.inf], [0.0, 0.0]], dtype=np.float32))
    result = run("view", str(path), "--convention", "eager")
    assert result.exit_code == 0, result.stderr
    assert "0! · ·" in result.stdout
    assert "empty-rows: query rows [0] attend to nothing" in result.stdout


def test_show_mask_never_imports_transformers():
    code = (
        "import sys\nfrom maskcli.cli import main\nsys.argv=['maskcli','show','a b c','--mask','window:2','--mask','packed']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\nassert 'transformers' not in sys.modules, 'transformers imported'\n"
    )
    env = {**os.environ, **ENV, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_diff_convention_applies_to_b_only_when_b_states_none(cli, tmp_path):
    """The README example: a raw MHA mask (True = blocked) against a maskcli export (hf)."""
    import numpy as np

    expected = tmp_path / "expected.npz"
    assert cli("show", "a b c d", "--mask", "window:2", "-o", expected).exit_code == 0
    raw = tmp_path / "pipeline_mask.npy"
    np.save(raw, ~np.tri(4, dtype=bool)[None])  # plain causal, MHA convention
    result = cli("diff", raw, expected, "--name", "window:2", "--convention", "mha")
    assert result.exit_code == 1, result.stderr
    assert "3 of 16 cells differ in rows [2, 3]" in result.stdout
    both_raw = cli("diff", raw, raw, "--convention", "mha")
    assert both_raw.exit_code == 0, both_raw.stderr
