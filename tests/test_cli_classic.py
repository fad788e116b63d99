"""``maskcli classic``: CLI runs, pictures (SVG/HTML/PNG) exist, parse and carry the token labels."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest
from typer.testing import CliRunner

from maskcli.cli import app

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "HF_HUB_OFFLINE": "1"}
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["classic", *args], env=ENV)


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
    """The glyph rows printed after a grid title, as 1/0 strings."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == label)
    out: list[str] = []
    for line in lines[start + 1:]:
        glyphs = [c for c in line if c in "■·×"]
        if not glyphs and out:
            break
        if not glyphs:
            continue  # column headers
        out.append("".join("1" if c == "■" else "0" for c in glyphs))
    return out


def test_longformer_grid_is_the_worked_example():
    result = run("longformer", "--length", "8", "--window", "4", "--global", "0")
    assert result.exit_code == 0, result.stderr
    assert cells(result.stdout, "Longformer") == "11111111 11110000 11111000 11111100 10111110 10011111 10001111 10000111".split()
    assert "reference: transformers LongformerSelfAttention" in flat(result.stdout)
    assert "0 = padding, 1 = local attention, 2 = global attention" in flat(result.stdout)


def test_xlnet_shows_both_streams_and_perm_mask_convention():
    result = run("xlnet", "--length", "4", "--perm", "2,1,3,0")
    assert result.exit_code == 0, result.stderr
    assert cells(result.stdout, "content stream h") == ["1111", "0110", "0010", "0111"]
    assert cells(result.stdout, "query stream g") == ["0111", "0010", "0000", "0110"]
    assert "= 1: i cannot attend to j" in flat(result.stdout)


def test_bert_mlm_mask_token_is_attended_and_labels_are_ignored_elsewhere(bert_dir):
    result = run("bert-mlm", "the cat sat", "the", "-t", bert_dir, "--pad-token", "[PAD]", "--mlm-positions", "1", "--row", "1",
                 "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1 and doc["kind"] == "bert-mlm"
    assert doc["facts"]["labels"] == [-100, 5, -100, -100, -100]
    assert doc["facts"]["input_ids"][1] == 4  # [MASK]
    assert doc["panels"][0]["attend"] == [[1, 1, 1, 0, 0]] * 5
    rejected = run("bert-mlm", "the cat", "-t", bert_dir, "--mlm-positions", "0")
    assert rejected.exit_code == 2 and "never chosen" in rejected.stderr


def test_bert_mlm_probability_replays_seeded_collator(bert_dir):
    result = run("bert-mlm", "the cat sat on the mat", "-t", bert_dir, "--mlm-probability", "0.5", "--seed", "3", "--json")
    assert result.exit_code == 0, result.stderr
    facts = json.loads(result.stdout)["facts"]
    from maskcli.classic.bert import mlm_mask_tokens

    ids = np.array([[2, 5, 6, 7, 8, 5, 9, 3]])
    special = np.array([[1, 0, 0, 0, 0, 0, 0, 1]])
    expected = mlm_mask_tokens(ids, special, 4, 14, mlm_probability=0.5, seed=3)
    assert facts["labels"] == expected.labels[0].tolist()
    assert facts["input_ids"] == expected.input_ids[0].tolist()


def test_unilm_pair_with_padding_is_the_worked_example(bert_dir):
    result = run("unilm", "x1 x2", "y1 y2", "-t", bert_dir, "--max-length", "8", "--pad-token", "[PAD]", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    rows = ["".join(map(str, r)) for r in doc["panels"][0]["attend"]]
    assert rows == ["11110000"] * 4 + ["11111000", "11111100", "11111110", "11110000"]
    assert doc["panels"][0]["labels"] == ["[CLS]", "x1", "x2", "[SEP]", "y1", "y2", "[SEP]", "[PAD]"]


def test_swin_region_ids_printed():
    result = run("swin", "--image", "4", "4", "--window", "2", "--shift", "1")
    assert result.exit_code == 0, result.stderr
    assert "0 0 1 2\n  0 0 1 2\n  3 3 4 5\n  6 6 7 8" in result.stdout
    assert cells(result.stdout, "window 1") == ["1010", "0101", "1010", "0101"]
    assert "-100" in result.stdout


def test_block_view_reports_tiles_and_sparsity():
    result = run("bigbird", "--length", "64", "--bigbird-block", "8", "--block-size", "8")
    assert result.exit_code == 0, result.stderr
    assert "8x8 tiles of 8 tokens: 44 full, 0 partial, 20 empty" in flat(result.stdout)
    assert "sparsity 31.2%" in flat(result.stdout)


def test_long_mask_falls_back_to_block_view_and_range_zooms():
    result = run("longformer", "--length", "32768", "--window", "512", "--global", "0")
    assert result.exit_code == 0, result.stderr
    assert "too wide for token cells: block view" in flat(result.stdout)
    zoomed = run("longformer", "--length", "32768", "--window", "4", "--range", "32760:32768")
    assert cells(zoomed.stdout, "Longformer")[-1] == "00000111"


def test_layers_show_distance_per_layer():
    result = run("dilated", "--length", "16", "--window", "2", "--dilation", "3", "--layers", "3")
    assert result.exit_code == 0, result.stderr
    assert [f"layer {i}: farthest |q-k| reached {3 * i}" in result.stdout for i in (1, 2, 3)] == [True] * 3


@pytest.mark.parametrize(
    "args, message",
    [(["nope"], "unknown classic mask"), (["longformer", "--length", "8"], "needs --window"),
     (["swin", "--image", "5", "4", "--window", "2", "--shift", "1"], "multiples"),
     (["longformer", "--length", "8", "--window", "4", "--global", "9"], "outside"),
     (["xlnet", "--length", "3", "--perm", "0,1"], "exactly once"), (["unilm"], "needs TEXT")],
)
def test_bad_input_is_one_error_line_and_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text = []

    def handle_data(self, data):
        self.text.append(data)


def test_svg_and_html_parse_and_carry_token_labels(tmp_path):
    svg, html = tmp_path / "m.svg", tmp_path / "m.html"
    result = run("longformer", "The cat sat on the mat", "--window", "2", "--global", "0", "--svg", str(svg),
                 "--html", str(html))
    assert result.exit_code == 0, result.stderr
    root = ET.parse(svg).getroot()
    svg_text = "".join(root.itertext()).replace("\xa0", " ")
    parser = _Text()
    parser.feed(html.read_text(encoding="utf-8"))
    html_text = "".join(parser.text)
    for label in ("The", "Ġcat", "Ġmat"):
        assert label in svg_text and label in html_text


def test_png_has_header_and_labels(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "m.png"
    result = run("xlnet", "The cat sat on", "--perm", "2,1,3,0", "--png", str(png))
    assert result.exit_code == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_labels_reach_the_axes():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from maskcli.classic.sparse import logsparse
    from maskcli.render.png import draw_panel

    fig, ax = plt.subplots()
    draw_panel(ax, logsparse(["a", "b", "c"]).panels[0], (0, 3), None)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0 a", "1 b", "2 c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0 a", "1 b", "2 c"]
    plt.close(fig)


def test_png_without_matplotlib_is_one_clear_line(tmp_path):
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from typer.testing import CliRunner; from maskcli.cli import app\n"
        f"r = CliRunner().invoke(app, ['classic', 'logsparse', '--length', '4', '--png', r'{tmp_path / 'x.png'}'])\n"
        "print(r.exit_code); print(r.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("2\nError: --png needs matplotlib")
    assert not (tmp_path / "x.png").exists()


def test_classic_help_lists_examples():
    result = runner.invoke(app, ["classic", "--help"], env=ENV)
    assert result.exit_code == 0 and "maskcli classic swin --image 4 4 --window 2 --shift 1" in result.stdout


def test_show_block_size_tiles_the_combined_mask():
    result = runner.invoke(app, ["show", "Hi", "The cat sat on the mat", "--pad-token", "eos", "--padding-side", "left",
                                 "--block-size", "4"], env=ENV)
    assert result.exit_code == 0, result.stderr
    text = flat(result.stdout)
    assert "2x2 tiles of 4 tokens: 0 full, 1 partial, 3 empty · sparsity 75.0%" in text
    assert "2x2 tiles of 4 tokens: 1 full, 2 partial, 1 empty · sparsity 25.0%" in text
    zoomed = runner.invoke(app, ["show", "The cat sat on the mat", "--block-size", "4", "--range", "0:3"], env=ENV)
    assert cells(zoomed.stdout, "combined") == ["100", "110", "111"]
    bad = runner.invoke(app, ["show", "Hi", "--block-size", "0"], env=ENV)
    assert bad.exit_code == 2 and "--block-size" in bad.stderr
