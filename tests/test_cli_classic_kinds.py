"""The classic masks through ``show --mask`` and ``maskcli swin``: grids, JSON, block view, --layers,
pictures (SVG/HTML/PNG exist, parse and carry the token labels), and their listing by ``maskcli masks``."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

from cli_helpers import run, show_json



def letters(n: int) -> str:
    """``n`` one-token words for gpt2 ("a b c ..." is one token per word)."""
    return " ".join("a" for _ in range(n))


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    """A tiny BERT-like tokenizer directory, built with the tokenizers library (nothing downloaded)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "x1", "x2", "y1", "y2"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    for word in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"):
        backend.add_special_tokens([word])
    path = tmp_path_factory.mktemp("bert") / "tokenizer.json"
    backend.save(str(path))
    return str(path)


def flat(stdout: str) -> str:
    """Output with rich's wrapping undone, for phrases that may wrap."""
    return " ".join(stdout.split())


def cells(stdout: str, label: str) -> list[str]:
    """The glyph rows printed after a grid title (rows start with the query index), as 1/0 strings."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == label)
    out: list[str] = []
    for line in lines[start + 1:]:
        glyphs = [c for c in line if c in "■·×"]
        if not (glyphs and line.strip()[:1].isdigit()):
            if out:
                break
            continue  # column headers
        out.append("".join("1" if c == "■" else "0" for c in glyphs))
    return out


def test_longformer_grid_is_the_worked_example():
    result = run("show", letters(8), "--mask", "longformer:window=4,global=0")
    assert result.exit_code == 0, result.stderr
    assert cells(result.stdout, "longformer:window=4,global=0") == \
        "11111111 11110000 11111000 11111100 10111110 10011111 10001111 10000111".split()
    text = flat(result.stdout)
    assert "transformers LongformerSelfAttention" in text
    assert "0 = padding, 1 = local attention, 2 = global attention): 2 1 1 1 1 1 1 1" in text


def test_longformer_json_has_mask_native_form_and_reference():
    doc = show_json(letters(3), letters(4), "--pad-token", "eos", "--mask", "longformer:window=2,global=0+2")
    assert doc["sequences"][1]["masks"]["longformer:window=2,global=0+2"] == [
        [1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 1, 1]]
    assert doc["sequences"][1]["native"]["longformer:window=2,global=0+2"] == [2, 1, 2, 1]
    about = doc["mask_kinds"]["longformer:window=2,global=0+2"]
    assert about["params"] == {"window": 2, "global": [0, 2]}
    assert about["native_convention"].startswith("Longformer attention_mask: 0 = padding")
    assert "LongformerSelfAttention" in about["reference"]
    bad = run("show", "Hi", letters(4), "--pad-token", "eos", "--mask", "longformer:window=2,global=1", "--json")
    assert bad.exit_code == 2 and "global token 1 is padding" in bad.stderr


def test_xlnet_shows_both_streams_and_perm_mask_convention():
    doc = show_json(letters(4), "--mask", "xlnet:perm=2+1+3+0", "--mask", "xlnet:perm=2+1+3+0,stream=query")
    masks = doc["sequences"][0]["masks"]
    assert masks["xlnet:perm=2+1+3+0"] == [[1, 1, 1, 1], [0, 1, 1, 0], [0, 0, 1, 0], [0, 1, 1, 1]]
    assert masks["xlnet:perm=2+1+3+0,stream=query"] == [[0, 1, 1, 1], [0, 0, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0]]
    assert doc["sequences"][0]["native"]["xlnet:perm=2+1+3+0"] == [[1, 0, 0, 0], [1, 1, 0, 1], [1, 1, 1, 1], [1, 0, 0, 1]]
    grids = run("show", letters(4), "--mask", "xlnet:perm=2+1+3+0")
    assert "= 1: i cannot attend to j" in flat(grids.stdout)


def test_xlnet_without_perm_draws_from_seed():
    one = show_json(letters(6), "--mask", "xlnet", "--seed", "3")["sequences"][0]["native"]["xlnet"]
    assert one == show_json(letters(6), "--mask", "xlnet", "--seed", "3")["sequences"][0]["native"]["xlnet"]
    from maskcli.masks.classic.xlnet import perm_mask, random_order

    assert one == perm_mask(random_order(6, 3)).tolist()


def test_bert_mlm_mask_token_is_attended_and_labels_are_ignored_elsewhere(bert_dir):
    doc = show_json("the cat sat", "the", "-t", bert_dir, "--pad-token", "[PAD]", "--mask", "bert-mlm", "--mlm-positions", "1")
    row = doc["sequences"][1]
    assert row["labels"] == [-100, 5, -100, -100, -100]
    assert row["input_ids"][1] == 4  # [MASK]
    assert row["masks"]["bert-mlm"] == [[1, 1, 1, 0, 0]] * 5
    grids = run("show", "the cat sat", "-t", bert_dir, "--mask", "bert-mlm", "--mlm-positions", "1")
    assert "[MASK]" in grids.stdout and "label" in grids.stdout
    rejected = run("show", "the cat", "-t", bert_dir, "--mask", "bert-mlm", "--mlm-positions", "0")
    assert rejected.exit_code == 2 and "never chosen" in rejected.stderr
    alone = run("show", "the cat", "-t", bert_dir, "--mlm-positions", "1")
    assert alone.exit_code == 2 and "--mask bert-mlm" in alone.stderr


def test_bert_mlm_probability_replays_seeded_collator(bert_dir):
    doc = show_json("the cat sat on the mat", "-t", bert_dir, "--mask", "bert-mlm", "--mlm-probability", "0.5", "--seed", "3")
    row = doc["sequences"][0]
    from maskcli.masks.classic.bert import mlm_mask_tokens

    ids = np.array([[2, 5, 6, 7, 8, 5, 9, 3]])
    special = np.array([[1, 0, 0, 0, 0, 0, 0, 1]])
    expected = mlm_mask_tokens(ids, special, 4, 14, mlm_probability=0.5, seed=3)
    assert row["labels"] == expected.labels[0].tolist()
    assert row["input_ids"] == expected.input_ids[0].tolist()


def test_unilm_pair_with_padding_is_the_worked_example(bert_dir):
    doc = show_json("x1 x2 [SEP] y1 y2", "-t", bert_dir, "--padding", "max_length", "--max-length", "8",
                    "--pad-token", "[PAD]", "--mask", "unilm:source=4")
    row = doc["sequences"][0]
    assert row["tokens"] == ["[CLS]", "x1", "x2", "[SEP]", "y1", "y2", "[SEP]", "[PAD]"]
    rows = ["".join(map(str, r)) for r in row["masks"]["unilm:source=4"]]
    assert rows == ["11110000"] * 4 + ["11111000", "11111100", "11111110", "11110000"]


def test_swin_region_ids_printed():
    result = run("swin", "--image", "4", "4", "--window", "2", "--shift", "1")
    assert result.exit_code == 0, result.stderr
    assert "0 0 1 2\n  0 0 1 2\n  3 3 4 5\n  6 6 7 8" in result.stdout
    assert cells(result.stdout, "window 1") == ["1010", "0101", "1010", "0101"]
    assert "(0,2)" in result.stdout and "-100" in result.stdout
    assert "attend  · another window\n" in result.stdout  # no causality, no padding in Swin
    assert "causality" not in result.stdout and "padding" not in result.stdout
    doc = json.loads(run("swin", "--image", "4", "4", "--window", "2", "--shift", "1", "--json").stdout)
    assert doc["region_ids"] == [[0, 0, 1, 2], [0, 0, 1, 2], [3, 3, 4, 5], [6, 6, 7, 8]]
    refused = run("show", "a b", "--mask", "swin:image=4")
    assert refused.exit_code == 2 and "use maskcli swin --image H W" in refused.stderr


def test_block_view_reports_tiles_and_sparsity():
    result = run("show", letters(64), "--mask", "bigbird:block=8", "--block-size", "8")
    assert result.exit_code == 0, result.stderr
    assert "8x8 tiles of 8 tokens: 44 full, 0 partial, 20 empty" in flat(result.stdout)
    assert "sparsity 31.2%" in flat(result.stdout)


def test_long_mask_block_view_and_range_zoom():
    text = letters(32768)
    result = run("show", text, "--mask", "longformer:window=512,global=0", "--block-size", "1024")
    assert result.exit_code == 0, result.stderr
    assert "32x32 tiles of 1024 tokens" in flat(result.stdout)
    zoomed = run("show", text, "--mask", "longformer:window=4", "--block-size", "8", "--range", "32760:32768")
    assert cells(zoomed.stdout, "longformer:window=4")[-1] == "00000111"


def test_layers_show_distance_per_layer():
    result = run("show", letters(16), "--mask", "dilated:window=2,dilation=3", "--layers", "3")
    assert result.exit_code == 0, result.stderr
    assert [f"layer {i}: farthest |q-k| reached {3 * i}" in result.stdout for i in (1, 2, 3)] == [True] * 3
    assert "dilated:window=2,dilation=3 after 3 layers" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [(["show", "a", "--mask", "nope"], "unknown kind 'nope'"),
     (["show", "a", "--mask", "longformer"], "needs its W"),
     (["swin", "--image", "5", "4", "--window", "2", "--shift", "1"], "multiples"),
     (["show", letters(8), "--mask", "longformer:window=4,global=9"], "outside"),
     (["show", letters(3), "--mask", "xlnet:perm=0+1"], "exactly once"),
     (["show", "a b", "--mask", "unilm"], "needs its P"),
     (["show", "a b", "--layers", "2"], "--layers applies to --mask kinds"),
     (["show", "a b", "--mask", "causal", "--q-offset", "1", "--layers", "2"], "square"),
     (["show", "a b", "--mask", "causal", "--svg", "x.svg", "--json"], "not with --json"),
     (["classic", "longformer"], "No such command")],
)
def test_bad_input_is_one_error_line_and_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text = []

    def handle_data(self, data):
        self.text.append(data)


def test_svg_and_html_parse_and_carry_token_labels(tmp_path):
    svg, html = tmp_path / "m.svg", tmp_path / "m.html"
    result = run("show", "The cat sat on the mat", "--mask", "longformer:window=2,global=0", "--layers", "2",
                 "--svg", str(svg), "--html", str(html))
    assert result.exit_code == 0, result.stderr
    root = ET.parse(svg).getroot()
    svg_text = "".join(root.itertext()).replace("\xa0", " ")
    for label in ("The", "Ġcat", "Ġmat", "longformer:window=2,global=0 after 2 layers"):
        assert label in svg_text
    parser = _Text()  # --html is show's interactive page (tests/test_show_html.py): its data carries the tokens
    parser.feed(html.read_text(encoding="utf-8"))
    data = json.loads(next(text for text in parser.text if text.startswith('{"tokenizer"')))
    [sequence] = data["batches"][0]["sequences"]
    assert sequence["tokens"][:2] == ["The", "Ġcat"] and sequence["masks"][0]["name"] == "longformer:window=2,global=0"


def test_png_has_header_and_labels(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "m.png"
    result = run("show", "The cat sat on", "--mask", "xlnet:perm=2+1+3+0", "--png", str(png))
    assert result.exit_code == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    swin_png = tmp_path / "s.png"
    assert run("swin", "--image", "4", "4", "--window", "2", "--shift", "1", "--png", str(swin_png)).exit_code == 0
    assert swin_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_panels_carry_token_labels_on_both_axes():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from maskcli.render.pictures import batch_panels
    from maskcli.show.analysis import analyse_row
    from maskcli.masks.kinds import parse_spec
    from maskcli.show.request import MaskRequest
    from maskcli.data.records import Row, Source
    from maskcli.render.png import draw_panel
    from maskcli.data.tokenizer import load_tokenizer

    tok = load_tokenizer("gpt2")
    ids = np.array(tok.backend.encode("The cat sat").ids)
    row = Row(Source("<text>", row=0), ids, np.ones(len(ids), int))
    (((panel,), pad_queries, empty),) = batch_panels([analyse_row(tok, row, MaskRequest(specs=(parse_spec("logsparse"),)))])
    assert pad_queries == [] and [e.tolist() for e in empty] == [[]]
    assert panel.title == "sequence 0 · logsparse"
    fig, ax = plt.subplots()
    draw_panel(ax, panel, (0, 3), None)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0 The", "1 Ġcat", "2 Ġsat"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0 The", "1 Ġcat", "2 Ġsat"]
    plt.close(fig)


def test_png_without_matplotlib_is_one_clear_line(tmp_path):
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from typer.testing import CliRunner; from maskcli.cli import app\n"
        f"r = CliRunner().invoke(app, ['show', 'a b', '--mask', 'logsparse', '--png', r'{tmp_path / 'x.png'}'])\n"
        "print(r.exit_code); print(repr(r.stdout)); print(r.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("2\n''\nError: --png needs matplotlib")
    assert not (tmp_path / "x.png").exists()


def test_help_lists_the_new_spellings():
    shown = run("show", "--help").stdout
    assert "--mask longformer:window=4,global=0" in shown and "--layers" in shown and "--png" in shown
    assert "maskcli swin --image 4 4 --window 2 --shift 1" in run("swin", "--help").stdout


def test_masks_lists_classic_kinds_with_reference_and_convention():
    kinds = {k["name"]: k for k in json.loads(run("masks", "--json").stdout)["kinds"]}
    for name in ("bert-mlm", "unilm", "xlnet", "swin", "logsparse", "longformer", "bigbird", "dilated", "dilated-bi"):
        assert kinds[name]["reference"] and kinds[name]["predicate"]
    assert [p["name"] for p in kinds["longformer"]["params"]] == ["window", "global"]
    assert kinds["xlnet"]["convention"].startswith("perm_mask[i, j] = 1")
    assert kinds["swin"]["shown_by"].startswith("maskcli swin")
    table = flat(run("masks").stdout)
    for phrase in ("longformer:window=4,global=0", "bigbird:block=2", "LongformerSelfAttention", "KIND:KEY=VALUE"):
        assert phrase in table


def test_show_block_size_tiles_the_combined_mask():
    result = run("show", "Hi", "The cat sat on the mat", "--pad-token", "eos", "--padding-side", "left",
                                 "--block-size", "4")
    assert result.exit_code == 0, result.stderr
    text = flat(result.stdout)
    assert "2x2 tiles of 4 tokens: 0 full, 1 partial, 3 empty · sparsity 75.0%" in text
    assert "2x2 tiles of 4 tokens: 1 full, 2 partial, 1 empty · sparsity 25.0%" in text
    zoomed = run("show", "The cat sat on the mat", "--block-size", "4", "--range", "0:3")
    assert cells(zoomed.stdout, "combined") == ["100", "110", "111"]
    bad = run("show", "Hi", "--block-size", "0")
    assert bad.exit_code == 2 and "--block-size" in bad.stderr
