"""``show --html`` in a real browser: Debian's chromium driven by playwright (tests/browser.py).

Hovering a cell names the query and the key and why the key is blocked: key padding in a
left-padded batch, causality, another document for ``--mask packed``; a 2,000-token row opens fast
from a small page, and a tile of its block view drills down to its tokens.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import browser
from cli_helpers import run

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")

ROOT = Path(__file__).resolve().parent.parent


class ShowPage(browser.WatchedPage):
    """``show ... --html`` opened in chromium, with its console errors and every request it made."""

    def __init__(self, chromium, tmp_path: Path, *args: str):
        out = tmp_path / "show.html"
        result = run("show", *args, "--html", str(out))
        assert result.exit_code == 0, result.stderr
        self.size = out.stat().st_size
        super().__init__(chromium, viewport={"width": 1200, "height": 900})
        self.url = out.resolve().as_uri()
        started = time.perf_counter()
        self.page.goto(self.url)
        self.page.locator("canvas.grid").last.wait_for()
        self.seconds = time.perf_counter() - started

    def grid(self, name: str):
        return self.page.locator(f'canvas.grid[data-mask="{name}"]')

    def hover(self, name: str, query_row: int, key: int) -> str:
        """The hover box over the cell of ``query_row`` (within the drawn window) and ``key``."""
        grid = self.grid(name)
        cell, left, top = (float(grid.get_attribute(f"data-{a}")) for a in ("cell", "left", "top"))
        k0, q0 = int(grid.get_attribute("data-k0")), int(grid.get_attribute("data-q0"))
        grid.hover(position={"x": left + (key - k0 + 0.5) * cell, "y": top + (query_row - q0 + 0.5) * cell})
        box = self.page.locator("#hover")
        assert box.is_visible()
        return box.inner_text()

    def clean(self) -> bool:
        return not self.errors and self.requests == [self.url]


def test_hover_names_padding_and_causality(chromium, tmp_path):
    view = ShowPage(chromium, tmp_path, "Hi", "The cat sat on the mat", "--pad-token", "eos", "--padding-side", "left")
    assert view.page.locator("#sequence option").count() == 2
    assert view.page.locator(".tokens-table tbody tr").count() == 6
    padded = view.hover("combined", 5, 2)  # "Hi" (query 5) against a left pad
    assert "query 5 \u201cHi\u201d" in padded and "key 2 \u201c<|endoftext|>\u201d" in padded
    assert "blocked: key padding" in padded and "padding" in padded.splitlines()[2]
    assert view.hover("combined", 5, 5).endswith("attends")
    view.page.select_option("#sequence", "1")  # "The cat sat on the mat": no padding
    assert view.page.locator("#sequence-title").inner_text() == "batch 0 \u00b7 sequence 1"
    causal = view.hover("combined", 1, 4)
    assert "query 1 \u201c\u0120cat\u201d\n" in causal and "key 4 \u201c\u0120the\u201d\n" in causal  # the tokenizer's tokens
    assert "blocked: causality: the key comes after the query" in causal
    assert view.hover("causal", 4, 1).endswith("attends")
    assert view.clean(), (view.errors, view.requests)


@pytest.mark.parametrize("args", [("The cat sat on the", "--mask", "packed", "--doc-lengths", "2,3"),
                                  ("-f", str(ROOT / "samples" / "flattened.jsonl"))], ids=["doc-lengths", "flattened"])
def test_hover_names_another_document(chromium, tmp_path, args):
    view = ShowPage(chromium, tmp_path, *args)
    name = "packed" if "--mask" in args else "combined"
    documents = json.loads(view.page.locator("#show").text_content())["batches"][0]["sequences"][0]["documents"]
    later = documents.index(1)  # the first token of the second document, against the first token
    text = view.hover(name, later, 0)
    assert "blocked: another document: packed documents do not see each other" in text
    assert "document 1" in text.splitlines()[1] and "document 0" in text.splitlines()[2]
    assert view.hover(name, later, later).endswith("attends")
    assert view.clean(), (view.errors, view.requests)


def test_the_kinds_own_reason(chromium, tmp_path):
    view = ShowPage(chromium, tmp_path, "a b c d e f g h", "--mask", "window:2", "--mask", "chunk:4")
    assert "blocked: outside the window (W keys back, self included)" in view.hover("window:2", 5, 2)
    assert "blocked: another chunk" in view.hover("chunk:4", 5, 2)
    assert view.clean(), (view.errors, view.requests)


def test_a_2000_token_row_opens_small_and_drills_down(chromium, tmp_path):
    length = 2000
    source = tmp_path / "long.jsonl"
    source.write_text(json.dumps({"input_ids": [464 + i % 500 for i in range(length)]}) + "\n")
    view = ShowPage(chromium, tmp_path, "-f", str(source))
    assert view.size < 400_000 < length * length // 8  # a dump of the L x L cells, even as bits, would exceed it
    assert view.seconds < 10
    note = view.page.locator(".window-note").last.inner_text()
    assert note.startswith("queries 0\u2013511 \u00d7 keys 0\u2013511 of 2000 \u00d7 2000: the first 512 tokens")
    blocks = view.page.locator("canvas.blocks").last
    tile = float(blocks.get_attribute("data-tile"))
    blocks.click(position={"x": tile * 40.5, "y": tile * 50.5})  # query tile 50, key tile 40 (32 tokens each)
    assert view.page.locator(".window-note").last.inner_text().startswith("queries 1600\u20131631 \u00d7 keys 1280\u20131311")
    assert view.hover("combined", 1610, 1300).endswith("attends")
    view.page.locator("button.reset").last.click()
    assert view.page.locator(".window-note").last.inner_text().startswith("queries 0\u2013511")
    assert "blocked: causality" in view.hover("combined", 3, 400)
    assert view.clean(), (view.errors, view.requests)


def test_a_mask_with_too_many_runs_keeps_the_first_tokens(chromium, tmp_path):
    source = tmp_path / "long.jsonl"
    source.write_text(json.dumps({"input_ids": [464 + i % 500 for i in range(2000)]}) + "\n")
    view = ShowPage(chromium, tmp_path, "-f", str(source), "--mask", "xlnet")  # a random order: ~L/2 runs a row
    note = view.page.locator(".window-note")
    assert note.inner_text() == ("queries 0\u2013511 \u00d7 keys 0\u2013511 of 2000 \u00d7 2000; only the cells of the "
                                 "first 512 tokens are in the page (too many runs)")
    blocks = view.page.locator("canvas.blocks")
    tile = float(blocks.get_attribute("data-tile"))
    blocks.click(position={"x": tile * 10.5, "y": tile * 10.5})  # tiles of 32 tokens: 320-351, in the page
    assert note.inner_text().startswith("queries 320\u2013351 \u00d7 keys 320\u2013351")
    assert view.hover("xlnet", 330, 330).endswith("attends")  # the content stream sees itself
    runs = json.loads(view.page.locator("#show").text_content())["batches"][0]["sequences"][0]["masks"][0]["runs"][330]
    codes = [code for code, count in zip(runs[::2], runs[1::2]) for _ in range(count)]
    later = next(k for k in range(320, 352) if codes[k])
    assert view.hover("xlnet", 330, later).endswith("blocked: a target not earlier in the permutation order (the query "
                                                    "stream: not itself either)")
    blocks.click(position={"x": tile * 40.5, "y": tile * 2.5})  # keys 1280-1311: not in the page
    assert note.inner_text() == "the cells of this tile are not in the page: only those of the first 512 tokens are"
    assert view.clean(), (view.errors, view.requests)
