"""``check --format html`` in a real browser: Debian's chromium driven by playwright (tests/browser.py).

A report made from the planted datasets opens without a console error and without fetching
anything; a finding's listed row expands into its tokens, mask and labels (a long row with the gap
where its middle was left out), and folds back. The samples/ files give pages that open cleanly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import browser
from check_fixtures import EOT, planted_rows, run, write_jsonl, write_parquet

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")

ROOT = Path(__file__).resolve().parent.parent
LONG = [464 + i % 300 for i in range(598)] + [EOT, EOT]  # 600 tokens: the sample keeps 128 + 128
LONG_ROW = {"input_ids": LONG, "attention_mask": [1] * 599 + [0], "labels": LONG}  # MC004 at 599


class Page(browser.WatchedPage):
    """A page opened from a file, with its console errors and every request it made."""

    def __init__(self, chromium, path: Path):
        super().__init__(chromium)
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.report = json.loads(self.page.locator("#report").text_content())

    def clean(self) -> bool:
        return not self.errors and self.requests == [self.url]


def page_of(tmp_path: Path, chromium, *args: str) -> Page:
    out = tmp_path / "report.html"
    result = run(*args, "--format", "html", "--output-file", str(out), "--exit-zero")
    assert result.exit_code == 0, result.stderr
    return Page(chromium, out)


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_a_findings_row_expands_into_its_tokens(tmp_path, chromium, kind):
    rows = planted_rows() + [LONG_ROW]
    data = (write_jsonl if kind == "jsonl" else write_parquet)(tmp_path / f"planted.{kind}", rows)
    view = page_of(tmp_path, chromium, str(data), "--pad-token", "eos", "--batch-size", "4")
    assert view.page.locator(".finding").count() == len(view.report["findings"]) > 5
    mc004 = view.page.locator("#finding-MC004")
    sample = view.report["findings"][[f["id"] for f in view.report["findings"]].index("MC004")]["rows"][0]["sample"]
    mc004.locator("button.expand").first.click()
    chips = mc004.locator(".tokens-row .tokens .tok:not(.gap)")
    assert chips.count() == len(sample["input_ids"])
    texts = chips.locator(".text").all_text_contents()
    assert texts == [t.replace(" ", "\u2423") for t in sample["tokens"]] and texts[:2] == ["The", "\u2423cat"]
    assert chips.locator(".id").all_text_contents() == [str(i) for i in sample["input_ids"]]
    assert chips.locator(".mask").all_text_contents() == [str(m) for m in sample["attention_mask"]]
    assert chips.nth(3).get_attribute("class") == "tok pad trained"  # the trained pad MC004 is about
    mc004.locator("button.expand").first.click()  # folds back
    assert not mc004.locator(".tokens-row").first.is_visible()

    long_button = mc004.locator("button.expand").last  # the 600-token row, listed last
    long_button.click()
    long_view = mc004.locator(".tokens-row").last
    assert long_view.locator(".tokens .tok.gap").text_content() == "\u2026344 tokens"
    positions = long_view.locator(".tokens .tok:not(.gap) .pos").all_text_contents()
    assert positions[127:129] == ["127", "472"] and positions[-1] == "599" and len(positions) == 256
    assert view.clean(), (view.errors, view.requests)


SAMPLES = [("texts.jsonl",), ("texts.csv", "--field", "text"), ("texts.tsv", "--field", "text"), ("texts.parquet",),
           ("pretokenized.jsonl",), ("packed.jsonl",), ("torchtune.jsonl",), ("prompts.txt", "--max-length", "4"),
           ("hf_dataset",), ("chat.jsonl", "-t", "samples/tiny-chat-tokenizer"),
           ("sharegpt.jsonl", "-t", "samples/tiny-chat-tokenizer"), ("alpaca.jsonl", "-t", "samples/tiny-chat-tokenizer"),
           ("prompt_completion.jsonl", "-t", "samples/tiny-chat-tokenizer", "--sft")]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s[0])
def test_the_samples_give_pages_that_open_cleanly(tmp_path, chromium, monkeypatch, sample):
    monkeypatch.chdir(ROOT)
    name, *flags = sample
    view = page_of(tmp_path, chromium, f"samples/{name}", "--pad-token", "eos", *flags)
    buttons = view.page.locator("button.expand")
    for i in range(buttons.count()):
        buttons.nth(i).click()
    assert view.page.locator(".tokens-row").count() == buttons.count()
    assert view.clean(), (view.errors, view.requests)
