"""``check --format html`` without a browser: one self-contained page holding the JSON report,
every string escaped, the assets shipped as package data. (tests/test_check_html_browser.py opens it.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from check_fixtures import EOT, run, write_jsonl
from maskcli.render.page import escape, json_script, page

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '</script><!-- <script>alert("x")</script> & \u2028'


def embedded(html: str, element_id: str = "report"):
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, "no embedded JSON"
    return json.loads(match.group(1))


def test_json_script_cannot_end_its_script_or_open_a_comment():
    script = json_script({"detail": HOSTILE, "list": ["<!--", "</SCRIPT>"]}, "data")
    body = script[len('<script type="application/json" id="data">'):-len("</script>")]
    assert "<" not in body and embedded(script, "data") == {"detail": HOSTILE, "list": ["<!--", "</SCRIPT>"]}
    assert escape('<a href="x">\'&') == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;"


def test_the_page_fetches_nothing():
    html = page("t", "<p>body</p>", data={"d": [1]}, scripts=["check_page.js"])
    assert "default-src 'none'" in html  # the Content-Security-Policy forbids any fetch
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|https?://", html, re.I)


@pytest.fixture
def hostile(tmp_path):
    """A dataset whose path and text are HTML (``.../a</script><!--<b>rows&amp.jsonl``), with findings
    that list its rows."""
    bad = {"input_ids": [464, 3797, EOT, EOT], "attention_mask": [1, 1, 1, 0], "labels": [464, 3797, EOT, EOT]}
    (tmp_path / "a<").mkdir()
    path = write_jsonl(tmp_path / "a<" / "script><!--<b>rows&amp.jsonl", [{"text": HOSTILE}, bad, bad])
    return str(path)


def test_the_page_holds_the_json_report_and_escapes_everything(hostile, tmp_path):
    out = tmp_path / "report.html"
    flags = (hostile, "--pad-token", "eos", "--max-length", "8")  # MC008 lists the text row: its tokens are HTML
    result = run(*flags, "--format", "html", "--output-file", str(out))
    assert result.exit_code == 1 and result.stdout == "" and "2 error(s), 1 warning(s)" in result.stderr
    html = out.read_text(encoding="utf-8")
    as_json = json.loads(run(*flags, "--format", "json").stdout)
    assert embedded(html) == as_json  # one analysis, the same data as --format json
    assert "script><!--<b>" in json.dumps(as_json) and "<!--" not in html and "<b>" not in html
    assert "a&lt;/script&gt;&lt;!--&lt;b&gt;rows&amp;amp.jsonl:2" in html
    assert html.count("<script") == html.count("</script>") == 3  # the data, page.js, check_page.js
    assert [(f["id"], f["count"]) for f in as_json["findings"]] == [("MC004", 2), ("MC008", 1), ("MC010", 1)]
    assert len(re.findall(r'<button class="expand"', html)) == 3
    for section in ("statistics", "lengths", "padding", "findings"):
        assert f'id="{section}"' in html


def test_page_to_stdout_and_a_clean_dataset(tmp_path):
    path = write_jsonl(tmp_path / "clean.jsonl", ["The cat sat.", "A dog."])
    result = run(str(path), "--pad-token", "eos", "--format", "html")
    assert result.exit_code == 0 and result.stdout.startswith("<!DOCTYPE html>")
    assert "No findings." in result.stdout and "passed" in result.stdout


def test_sft_pages_show_trained_tokens_by_role(tmp_path):
    result = run(str(ROOT / "samples" / "chat.jsonl"), "-t", str(ROOT / "samples" / "tiny-chat-tokenizer"),
                 "--sft", "--format", "html", "--exit-zero")
    assert result.exit_code == 0, result.stderr
    roles = embedded(result.stdout)["summary"]["sft"]["trained_by_role"]
    assert roles and 'id="roles"' in result.stdout and all(escape(role) in result.stdout for role in roles)


def test_a_plain_install_ships_the_assets(tmp_path):
    """``pip install .`` (not editable) must ship assets/*.css and *.js: package-data in pyproject.toml.
    (Built from a copy: setuptools writes build/ and *.egg-info beside the sources.)"""
    source, target = tmp_path / "src", tmp_path / "site"
    shutil.copytree(ROOT / "maskcli", source / "maskcli", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, cwd=tmp_path, capture_output=True)
    code = ("import maskcli.render.page as p, sys; assert p.__file__.startswith(sys.argv[1]), p.__file__; "
            "print(len(p.page('t', '', scripts=['check_page.js'])))")
    shipped = subprocess.run([sys.executable, "-c", code, str(target)], env={"PYTHONPATH": str(target)},
                             cwd=tmp_path, capture_output=True, text=True)
    assert shipped.returncode == 0, shipped.stderr
    assert int(shipped.stdout) > 5000
