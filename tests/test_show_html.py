"""``show --html FILE`` without a browser: one self-contained page whose cells are the masks' own
(decoded run lengths == the ``--json`` matrices), every string escaped, no ``L x L`` dump, and the
terminal output unchanged. (tests/test_show_html_browser.py opens the pages.)"""

from __future__ import annotations

import json
import re

import numpy as np

from cli_helpers import run, show_json
from maskcli.render.show_page import WINDOW

HOSTILE = '</script><!-- <b>x</b> & "'


def page_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="show">(.*?)</script>', html, re.S)
    assert match, "no embedded JSON"
    return json.loads(match.group(1))


def show_page(tmp_path, *args: str) -> tuple[str, dict, str]:
    out = tmp_path / "show.html"
    result = run("show", *args, "--html", str(out))
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    return html, page_data(html), result.stdout


def decoded(runs: list[list[int]], keys: int) -> np.ndarray:
    rows = []
    for row in runs:
        codes = np.repeat(row[0::2], row[1::2])
        assert len(codes) == keys
        rows.append(codes)
    return np.array(rows)


def test_the_cells_are_the_masks_and_the_terminal_is_unchanged(tmp_path):
    args = ("Hi", "The cat sat on the mat", "--pad-token", "eos", "--padding-side", "left")
    html, data, stdout = show_page(tmp_path, *args)
    assert stdout == run("show", *args).stdout  # the grids still print; the page is the file
    expected = show_json(*args)
    [batch] = data["batches"]
    for seq, want in zip(batch["sequences"], expected["sequences"], strict=True):
        assert seq["tokens"] == want["tokens"] and seq["input_ids"] == want["input_ids"]
        assert [m["name"] for m in seq["masks"]] == ["padding", "causal", "combined"]
        for mask in seq["masks"]:
            codes = decoded(mask["runs"], mask["keys"])
            assert np.array_equal(codes == 0, np.array(want["masks"][mask["name"]], dtype=bool))
            assert mask["complete"] and mask["blocks"] is None
    combined = batch["sequences"][0]["masks"][2]
    assert combined["reasons"][1].startswith("key padding") and combined["reasons"][3].startswith("causality")
    assert decoded(combined["runs"], 6)[5].tolist() == [1, 1, 1, 1, 1, 0]  # "Hi" sees itself; the rest is padding
    assert "default-src 'none'" in html and html.count("<script") == 3  # the data, page.js, show_page.js


def test_requested_masks_and_documents(tmp_path):
    _, data, _ = show_page(tmp_path, "The cat sat on the", "--mask", "packed", "--doc-lengths", "2,3")
    seq = data["batches"][0]["sequences"][0]
    assert seq["documents"] == [0, 0, 1, 1, 1]
    [mask] = seq["masks"]
    assert mask["name"] == "packed" and decoded(mask["runs"], 5)[3].tolist() == [2, 2, 0, 0, 3]


def test_every_string_is_escaped(tmp_path):
    source = tmp_path / "hostile.jsonl"
    source.write_text(json.dumps({"text": HOSTILE}) + "\n")
    html, data, _ = show_page(tmp_path, "-f", str(source))
    assert "<!--" not in html and "<b>" not in html
    assert "".join(data["batches"][0]["sequences"][0]["tokens"]).replace("\u0120", " ") == HOSTILE


def test_a_long_row_is_small_and_gets_the_block_view(tmp_path):
    length = 2000
    source = tmp_path / "long.jsonl"
    source.write_text(json.dumps({"input_ids": [464 + i % 500 for i in range(length)]}) + "\n")
    html, data, _ = show_page(tmp_path, "-f", str(source), "--mask", "window:64", "--mask", "xlnet")
    assert len(html.encode()) < 1_000_000 < length * length  # a 0/1 dump alone would be 4 MB
    window, xlnet = data["batches"][0]["sequences"][0]["masks"]
    assert window["complete"] and len(window["runs"]) == length and sum(map(len, window["runs"])) < 6 * length
    assert window["blocks"]["block_size"] == 32 and len(window["blocks"]["states"]) == 63
    assert not xlnet["complete"] and len(xlnet["runs"]) == WINDOW  # a random order: only the first tokens' cells
    assert all(sum(row[1::2]) == WINDOW for row in xlnet["runs"])


def test_a_row_past_the_cell_budget_keeps_its_first_tokens_without_reading_every_cell(tmp_path, monkeypatch):
    """Each cell's reason costs ~5 ns: 300,000 tokens took 6 minutes before the budget (DENSE_CELLS)."""
    from maskcli.render import show_page as page_module

    monkeypatch.setattr(page_module, "DENSE_CELLS", 1000 * 1000 - 1)  # a 1,000-token row is one cell too many
    computed = []
    original = page_module.reasons
    monkeypatch.setattr(page_module, "reasons", lambda result, rows, keys: computed.append((rows, keys))
                        or original(result, rows, keys))
    source = tmp_path / "long.jsonl"
    source.write_text(json.dumps({"input_ids": [464 + i % 500 for i in range(1000)]}) + "\n")
    _, data, _ = show_page(tmp_path, "-f", str(source))
    masks = data["batches"][0]["sequences"][0]["masks"]
    assert [m["complete"] for m in masks] == [False] * 3 and all(len(m["runs"]) == WINDOW for m in masks)
    assert all(m["blocks"]["block_size"] == 16 for m in masks)  # the block view still covers the whole row
    assert max(rows[1] for rows, _ in computed) == WINDOW and max(keys[1] for _, keys in computed) == WINDOW


def test_svg_is_still_the_terminal_recording(tmp_path):
    out = tmp_path / "grids.svg"
    result = run("show", "The cat", "--svg", str(out))
    assert result.exit_code == 0 and out.read_text().startswith("<svg")


def test_the_page_carries_what_each_token_reads(tmp_path):
    _, data, _ = show_page(tmp_path, "こんにちは 👋")
    seq = data["batches"][0]["sequences"][0]
    assert seq["tokens"][0] == "ãģĵ" and seq["texts"][0] == "こ"
    assert "".join(seq["texts"]) == "こんにちは 👋"


def test_a_long_file_pages_its_first_batches_only(tmp_path, monkeypatch):
    """The page holds whole batches up to MAX_PAGE_SEQUENCES sequences and says how many were read;
    the terminal still shows every row (memory stays bounded on a file of any length)."""
    import maskcli.render.show_page

    monkeypatch.setattr(maskcli.render.show_page, "MAX_PAGE_SEQUENCES", 10)
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"line {i}\n" for i in range(30)), encoding="utf-8")
    html, data, stdout = show_page(tmp_path, "-f", str(texts), "--batch-size", "8")
    assert [len(batch["sequences"]) for batch in data["batches"]] == [8, 8]
    assert "2 batches, 16 sequences (the first 16 of 30; pick others with --rows)" in html
    assert "texts.txt:30," in stdout  # the last row's headline
    short = show_page(tmp_path, "-f", str(texts), "--batch-size", "8", "--rows", "0:5")[0]
    assert "1 batch, 5 sequences ·" in short
