"""Planted loss-mask bugs, each found by its check (MC017-MC021), and ``show --sft``'s view."""

from __future__ import annotations

import json

import pytest

import tokenizer_factory
from check_fixtures import findings, lines, run, write_jsonl

CHAT = {"messages": [{"role": "system", "content": "Attention masks."}, {"role": "user", "content": "こんにちは"},
                     {"role": "assistant", "content": "👋 Hello"}]}


@pytest.fixture(scope="module")
def chatml(tmp_path_factory):
    root = tmp_path_factory.mktemp("chatml")
    directory = tokenizer_factory.chat_like(root / "tok", "chatml")
    training = root / "training.jinja"
    training.write_text(tokenizer_factory.CHATML_TRAINING_TEMPLATE)
    return str(directory), str(training)


def test_mc017_assistant_only_loss_with_a_template_without_generation_tags(tmp_path, chatml):
    data = write_jsonl(tmp_path / "d.jsonl", [CHAT, CHAT])
    found = findings(str(data), "-t", chatml[0], "--sft", "--assistant-only-loss")
    assert found["MC017"]["severity"] == "error" and lines(found["MC017"]) == [1, 2]
    assert "MC017" not in findings(str(data), "-t", chatml[0], "--sft", "--assistant-only-loss",
                                   "--chat-template", chatml[1])


def test_mc018_prompt_that_is_not_a_prefix_shows_the_divergence(tmp_path, chatml):
    # "Hello" + " world" merge across the boundary: the prompt's last token is not kept
    data = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "Hello wor", "completion": "ld, this is a test."},
                                              {"prompt": "Hello", "completion": " world"}])
    found = findings(str(data), "-t", chatml[0], "--sft")
    assert found["MC018"]["severity"] == "warning"
    assert lines(found["MC018"]) == [1]
    assert "' wor'" in found["MC018"]["rows"][0]["detail"]


def test_mc019_labels_shifted_by_hand(tmp_path):
    ids = [10, 11, 12, 13, 14]
    data = write_jsonl(tmp_path / "d.jsonl", [{"input_ids": ids, "labels": ids[1:] + [-100]},
                                              {"input_ids": ids, "labels": ids}])
    found = findings(str(data))
    assert found["MC019"]["severity"] == "error" and lines(found["MC019"]) == [1]
    assert "4 of 4 trained labels" in found["MC019"]["rows"][0]["detail"]


def test_mc020_packed_row_whose_document_start_is_trained(tmp_path):
    row = {"input_ids": [10, 11, 12, 13, 14], "position_ids": [0, 1, 2, 0, 1]}
    data = write_jsonl(tmp_path / "d.jsonl", [row | {"labels": [-100, 11, 12, 13, 14]},
                                              row | {"labels": [-100, 11, 12, -100, 14]}])
    found = findings(str(data))
    assert found["MC020"]["severity"] == "error" and lines(found["MC020"]) == [1]
    assert "start(s) at 3 trained" in found["MC020"]["rows"][0]["detail"]


def test_mc021_left_padding_without_position_ids(tmp_path):
    base = {"input_ids": [50256, 50256, 11, 12], "attention_mask": [0, 0, 1, 1], "labels": [-100, -100, 11, 12]}
    data = write_jsonl(tmp_path / "d.jsonl", [base, base | {"position_ids": [0, 0, 0, 1]}])
    found = findings(str(data), "--pad-token", "eos")
    assert found["MC021"]["severity"] == "warning" and lines(found["MC021"]) == [1]


def test_sft_report_counts_trained_tokens_by_role_and_dropped_examples(tmp_path, chatml):
    data = write_jsonl(tmp_path / "d.jsonl", [CHAT, {"prompt": "The cat sat on the mat.", "completion": " Yes."}])
    result = run(str(data), "-t", chatml[0], "--sft", "--assistant-only-loss", "--chat-template", chatml[1],
                 "--max-length", "4", "--format", "json", "--exit-zero")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    result = run(str(data.parent / "d.jsonl"), "-t", chatml[0], "--sft", "--max-length", "5", "--format", "json")
    sft = json.loads(result.stdout)["summary"]["sft"]
    assert sft["dropped_fully_masked"] == 1 and sft["dropped_first"] == [f"{data}:2"]
    assert sft["trained_by_role"] == {"system": {"tokens": 5, "trained": 5}}


def test_show_sft_json_has_roles_token_text_and_counts(tmp_path, chatml, cli):
    data = write_jsonl(tmp_path / "d.jsonl", [CHAT])
    result = cli("show", "-f", data, "-t", chatml[0], "--sft", "--assistant-only-loss", "--chat-template", chatml[1],
                 "--json", "--no-matrices")
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)["sequences"][0]
    assert row["labels_from"] == "assistant_masks"
    assert "".join(row["token_text"]) == "".join(
        f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in CHAT["messages"])
    assert [row["roles"][i] for i, t in enumerate(row["token_text"]) if t == "<|im_start|>"] == \
        ["system", "user", "assistant"]
    assert "こんにちは" in row["token_text"] and "👋" in row["token_text"]
    by_role = row["trained_by_role"]
    assert by_role["system"]["trained"] == by_role["user"]["trained"] == 0 < by_role["assistant"]["trained"]
    trained_roles = {role for role, label in zip(row["roles"], row["labels"]) if label != -100}
    assert trained_roles == {"assistant"}
