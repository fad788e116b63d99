"""One planted bug per check id: each is found, on the right rows, and nothing else fires."""

from __future__ import annotations

from pathlib import Path

import pytest

from check_fixtures import CLEAN_GENERATE_ROWS, CLEAN_ROWS, CLEAN_TEXTS, EOT, PLANTED_ROWS, findings, lines, write_jsonl


def planted(tmp_path, bad: list[dict], name: str = "data.jsonl"):
    """Clean rows on lines 1-6, the planted rows from line 7 on."""
    return str(write_jsonl(tmp_path / name, CLEAN_ROWS + bad))


def test_clean_pretokenized_rows_have_no_findings(tmp_path):
    path = planted(tmp_path, [])
    assert findings(path, "--pad-token", "eos") == {}
    generate = str(write_jsonl(tmp_path / "generate.jsonl", CLEAN_GENERATE_ROWS))
    assert findings(generate, "--pad-token", "eos", "--mode", "generate") == {}


def test_clean_text_records_have_no_findings(tmp_path):
    path = str(write_jsonl(tmp_path / "texts.jsonl", CLEAN_TEXTS))
    assert findings(path, "--pad-token", "eos") == {}
    assert findings(path, "--pad-token", "eos", "--padding-side", "left", "--mode", "generate") == {}
    assert findings(path, "--pad-token", "eos", "--padding", "none", "--max-length", "64") == {}


@pytest.mark.parametrize(("code", "bad", "extra"), PLANTED_ROWS)
def test_planted_row_bug_is_found_on_its_row(tmp_path, code, bad, extra):
    path = planted(tmp_path, [bad, CLEAN_ROWS[0], bad])
    found = findings(path, "--pad-token", "eos", "--batch-size", "1", *extra)
    assert set(found) == {code}, found
    assert found[code]["count"] == 2
    assert lines(found[code]) == [7, 9]


def test_mc007_right_padding_in_generate_mode(tmp_path):
    found = findings(planted(tmp_path, []), "--pad-token", "eos", "--mode", "generate")
    assert set(found) == {"MC007"}
    # right-padded rows as given (1, 2, 6), and rows a collator would pad on the right (3, 4)
    assert sorted(lines(found["MC007"])) == [1, 2, 3, 4, 6]


def test_mc011_left_padding_with_naive_positions(tmp_path):
    naive = {"input_ids": [EOT, EOT, 464, 3797], "attention_mask": [0, 0, 1, 1], "position_ids": [0, 1, 2, 3]}
    path = str(write_jsonl(tmp_path / "g.jsonl", CLEAN_GENERATE_ROWS + [naive]))
    found = findings(path, "--pad-token", "eos", "--mode", "generate", "--batch-size", "1")
    assert set(found) == {"MC011"} and lines(found["MC011"]) == [4]
    assert "position_ids[2] = 2, expected 0" in found["MC011"]["rows"][0]["detail"]


def test_mc007_rows_padded_on_different_sides(tmp_path):
    right = {"input_ids": [464, 3797, EOT], "attention_mask": [1, 1, 0]}
    left = {"input_ids": [EOT, 464, 3797], "attention_mask": [0, 1, 1]}
    found = findings(str(write_jsonl(tmp_path / "d.jsonl", [right, right, left, right])), "--pad-token", "eos")
    assert set(found) == {"MC007"}
    assert lines(found["MC007"]) == [3]  # the minority side
    assert "1 row is padded on the left, 3 on the right" in found["MC007"]["message"]


def test_mc007_text_records_right_padded_for_generation(tmp_path):
    path = str(write_jsonl(tmp_path / "t.jsonl", ["short", "a much longer text than the first one"]))
    found = findings(path, "--pad-token", "eos", "--mode", "generate", "--padding-side", "right")
    assert lines(found["MC007"]) == [1]


def test_mc008_text_records_over_max_length_and_the_rate_threshold(tmp_path):
    path = str(write_jsonl(tmp_path / "t.jsonl", ["one two three four five six seven eight", "short"] * 2))
    found = findings(path, "--pad-token", "eos", "--max-length", "4", "--truncation")
    assert lines(found["MC008"]) == [1, 3]
    assert found["MC008"]["severity"] == "error"  # 50% > 1%
    assert "8 tokens, longer than max_length 4; truncated, 4 tokens lost" in found["MC008"]["rows"][0]["detail"]
    relaxed = findings(path, "--pad-token", "eos", "--max-length", "4", "--max-truncation-rate", "0.6")
    assert relaxed["MC008"]["severity"] == "warning"


def test_mc008_pretokenized_rows_cut_without_their_eos(tmp_path):
    short = {"input_ids": [464, 3797, EOT]}
    cut = {"input_ids": [464, 3797, 3332, 319]}
    found = findings(str(write_jsonl(tmp_path / "d.jsonl", [short, cut, short])), "--pad-token", "eos",
                     "--max-length", "4")
    assert set(found) == {"MC008"} and lines(found["MC008"]) == [2]
    # without evidence that rows end with EOS (packed pre-training data), full rows are fine
    assert findings(str(write_jsonl(tmp_path / "p.jsonl", [cut, cut])), "--pad-token", "eos", "--max-length", "4") == {}


def test_mc009_double_bos_in_text_and_in_tokenized_rows(tmp_path):
    text = str(write_jsonl(tmp_path / "t.jsonl", ["fine", "<|endoftext|><|endoftext|>Hello there"]))
    assert lines(findings(text, "--padding", "none")["MC009"]) == [2]
    rows = str(write_jsonl(tmp_path / "d.jsonl", [{"input_ids": [EOT, EOT, 464], "attention_mask": [1, 1, 1]}]))
    assert set(findings(rows)) == {"MC009"}  # no pad token: the leading ids cannot be padding


def test_mc010_padding_waste(tmp_path):
    path = str(write_jsonl(tmp_path / "t.jsonl", ["a", "a " * 60] * 4))
    found = findings(path, "--pad-token", "eos", "--batch-size", "2", "--max-padding-ratio", "0.3")
    assert set(found) == {"MC010"}
    assert found["MC010"]["rows"] == [] and "length-grouped batches would waste 0.0%" in found["MC010"]["message"]


def test_mc013_no_pad_token(tmp_path):
    texts = str(write_jsonl(tmp_path / "t.jsonl", ["short", "a longer text here", "the same len"]))
    found = findings(texts, "--batch-size", "3")
    assert set(found) == {"MC013"} and lines(found["MC013"]) == [1, 3]
    padded = str(write_jsonl(tmp_path / "d.jsonl", [{"input_ids": [464, EOT], "attention_mask": [1, 0]}]))
    assert set(findings(padded)) == {"MC013"}  # padded data, but which pad? (no MC003 guess)
    assert findings(padded, "--pad-token", "eos") == {}


def test_mc014_require_eos(tmp_path):
    path = str(write_jsonl(tmp_path / "t.jsonl", ["no eos here", "ends with eos<|endoftext|>"]))
    assert findings(path, "--pad-token", "eos") == {}
    found = findings(path, "--pad-token", "eos", "--require-eos")
    assert lines(found["MC014"]) == [1]
    rows = planted(tmp_path, [], "rows.jsonl")
    assert lines(findings(rows, "--pad-token", "eos", "--require-eos")["MC014"]) == [6]  # ends with 262


def test_mc016_empty_text(tmp_path):
    path = str(write_jsonl(tmp_path / "t.jsonl", ["fine", ""]))
    assert lines(findings(path, "--pad-token", "eos")["MC016"]) == [2]


def test_every_check_id_has_a_planted_fixture():
    from maskcli.check.registry import CHECKS

    from pathlib import Path

    here = Path(__file__)
    source = here.read_text() + (here.parent / "check_fixtures.py").read_text()  # PLANTED_ROWS is there
    source += (here.parent / "test_sft_findings.py").read_text()  # MC017-MC024 live there
    assert all(f'"{code}"' in source for code in CHECKS)
