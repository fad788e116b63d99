"""maskcli verify on tiny random models: planted bugs differ, their fixes agree (transformers is the oracle)."""

from __future__ import annotations

import json
import sys

import pytest

import model_factory

pytest.importorskip("torch")

LEFT = [{"input_ids": [0, 0, 5, 6, 7, 8], "attention_mask": [0, 0, 1, 1, 1, 1]},
        {"input_ids": [4, 5, 6, 7, 8, 9], "attention_mask": [1] * 6}]
LEFT_FIXED = [dict(LEFT[0], position_ids=[0, 0, 0, 1, 2, 3]), dict(LEFT[1], position_ids=list(range(6)))]
PACKED_POSITIONS = [0, 1, 2, 3, 0, 1, 2]
PACKED_IDS = [5, 6, 7, 8, 9, 10, 11]
PACKED_ONES = [{"input_ids": PACKED_IDS, "attention_mask": [1] * 7, "position_ids": PACKED_POSITIONS}]
PACKED = [{"input_ids": PACKED_IDS, "position_ids": PACKED_POSITIONS}]


@pytest.fixture(scope="module")
def models(tmp_path_factory, tokenizer_dirs):
    from maskcli.data.tokenizer import load_tokenizer

    tok_dir = tokenizer_dirs["gpt2_like"]
    vocab = load_tokenizer(str(tok_dir)).full_vocab_size
    root = tmp_path_factory.mktemp("models")
    made = {arch: model_factory.tiny_model(root / arch, arch, vocab, tok_dir) for arch in ("gpt2", "llama", "qwen2")}
    made["nan-pad"] = model_factory.tiny_model(root / "nan-pad", "llama", vocab, tok_dir, nan_token=0)
    return made


def write(tmp_path, records, name="batch.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def verify_json(cli, *args):
    result = cli("verify", *args, "--json")
    return result, json.loads(result.stdout) if result.stdout else None


def test_left_padding_without_position_ids_differs_on_gpt2_and_names_the_fix(cli, models, tmp_path):
    result, doc = verify_json(cli, "-f", write(tmp_path, LEFT), "--model", models["gpt2"])
    assert result.exit_code == 1, result.stderr
    padded, full = doc["rows"]
    assert padded["agrees"] is False and padded["max_abs_diff"] > 1e-2
    assert padded["cause"]["code"] == "left-padding-without-position-ids"
    assert padded["cause"]["fixed_max_abs_diff"] <= doc["atol"]
    assert full["agrees"] is True and full["cause"] is None


def test_left_padding_with_derived_position_ids_agrees_on_gpt2(cli, models, tmp_path):
    result, doc = verify_json(cli, "-f", write(tmp_path, LEFT_FIXED), "--model", models["gpt2"])
    assert result.exit_code == 0, result.stderr
    assert [r["agrees"] for r in doc["rows"]] == [True, True]


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_left_padding_without_position_ids_agrees_on_rope_models(cli, models, tmp_path, arch):
    result, doc = verify_json(cli, "-f", write(tmp_path, LEFT), "--model", models[arch])
    assert result.exit_code == 0, result.stderr
    assert all(r["agrees"] and r["cause"] is None for r in doc["rows"])


def test_packed_row_with_all_ones_mask_differs(cli, models, tmp_path):
    result, doc = verify_json(cli, "-f", write(tmp_path, PACKED_ONES), "--model", models["llama"], "--no-use-cache")
    assert result.exit_code == 1, result.stderr
    first, second = doc["rows"]
    assert (first["documents"], first["agrees"]) == (2, True)  # the first document sees nothing before it
    assert second["cause"]["code"] == "packed-with-attention-mask"
    assert second["cause"]["fixed_max_abs_diff"] <= doc["atol"]


def test_packed_row_without_mask_differs_under_the_cache_and_agrees_without(cli, models, tmp_path):
    path = write(tmp_path, PACKED)
    cached, doc = verify_json(cli, "-f", path, "--model", models["llama"])
    assert cached.exit_code == 1, cached.stderr
    assert doc["use_cache"] is True  # the config's default, as training runs it
    assert doc["rows"][1]["cause"]["code"] == "packed-under-cache"
    uncached, doc = verify_json(cli, "-f", path, "--model", models["llama"], "--no-use-cache")
    assert uncached.exit_code == 0, uncached.stderr
    assert [r["document"] for r in doc["rows"]] == [0, 1]


def test_sft_padding_free_batches_are_verified_per_document(cli, models, tmp_path):
    """--sft --padding-free: the collator's one flat row with restarting position_ids and no mask."""
    path = write(tmp_path, [{"text": "Hello world"}, {"text": "The cat sat on the mat."}])
    sft = ("-f", path, "--model", models["llama"], "--sft", "--padding-free")
    cached, doc = verify_json(cli, *sft)
    assert cached.exit_code == 1, cached.stderr
    assert [r["document"] for r in doc["rows"]] == [0, 1]
    assert doc["rows"][1]["cause"]["code"] == "packed-under-cache"
    uncached, doc = verify_json(cli, *sft, "--no-use-cache")
    assert uncached.exit_code == 0, uncached.stderr
    assert all(r["agrees"] for r in doc["rows"])


def test_sft_padded_batches_agree_for_the_real_tokens(cli, models, tmp_path):
    path = write(tmp_path, [{"prompt": "Hello", "completion": " world"}, {"text": "The cat sat on the mat."}])
    result, doc = verify_json(cli, "-f", path, "--model", models["gpt2"], "--sft", "--pad-token", "eos")
    assert result.exit_code == 0, result.stderr
    assert len(doc["rows"]) == 2 and all(r["agrees"] for r in doc["rows"])


def test_right_padding_agrees_for_the_real_tokens(cli, models):
    result, doc = verify_json(cli, "Hello world", "The cat sat on the mat.", "--model", models["gpt2"],
                              "--pad-token", "eos", "--padding-side", "right")
    assert result.exit_code == 0, result.stderr
    assert doc["rows"][0]["tokens"] < doc["rows"][1]["tokens"]


def test_nan_from_a_pad_token_is_reported_per_row(cli, models, tmp_path):
    result, doc = verify_json(cli, "-f", write(tmp_path, LEFT), "--model", models["nan-pad"])
    assert result.exit_code == 1, result.stderr
    padded, full = doc["rows"]
    assert padded["max_abs_diff"] == "nan" and padded["cause"]["code"] == "nan-in-batch"
    assert full["agrees"] is True


def test_random_init_from_a_config_needs_no_weights(cli, models, tmp_path):
    result, doc = verify_json(cli, "-f", write(tmp_path, LEFT), "--model-config", models["gpt2"] / "config.json",
                              "--random-init", "--seed", "3")
    assert result.exit_code == 1, result.stderr
    assert doc["rows"][0]["cause"]["code"] == "left-padding-without-position-ids"


def test_text_output_names_the_cause_and_the_fix(cli, models, tmp_path):
    result = cli("verify", "-f", write(tmp_path, LEFT), "--model", models["gpt2"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[1].startswith(f"DIFFERS {tmp_path / 'batch.jsonl'}:1: 4 tokens, max |diff| ")
    assert lines[3].startswith("  fix: position_ids = attention_mask.cumsum(-1) - 1 (pads 0) -> max |diff| ")
    assert lines[-1] == "1 of 2 differ"


@pytest.mark.parametrize("args, message", [
    ([], "Error: give --model DIR, or --model-config config.json --random-init\n"),
    (["--model-config", "c.json"], "Error: --model-config builds a random model: add --random-init (or give --model DIR)\n"),
    (["--random-init"], "Error: --random-init needs --model-config config.json\n"),
])
def test_model_options_are_checked(cli, tmp_path, args, message):
    result = cli("verify", "-f", write(tmp_path, LEFT), *args)
    assert (result.exit_code, result.stderr) == (2, message)


def test_not_a_model_directory(cli, tmp_path):
    result = cli("verify", "-f", write(tmp_path, LEFT), "--model", tmp_path)
    assert (result.exit_code, result.stderr) == (2, f"Error: --model {tmp_path}: not a model directory (no config.json)\n")


def test_ids_outside_the_model_vocabulary(cli, models, tmp_path):
    path = write(tmp_path, [{"input_ids": [1, 1000]}])
    result = cli("verify", "-f", path, "--model", models["gpt2"], "-t", "gpt2")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}:1: input_ids[1] = 1000 is outside the model's vocabulary")


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_a_batch_longer_than_the_model_positions_is_refused_before_the_forward_pass(cli, models, tmp_path, arch):
    positions = model_factory.SIZES["positions"]
    path = write(tmp_path, [{"input_ids": [1] * (positions + 1)}])
    result = cli("verify", "-f", path, "--model", models[arch])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"Error: {path}:1: a batch of {positions + 1} tokens is longer than the model's "
                             f"{positions} positions (max_position_embeddings); use a smaller --max-length\n")
    ok = cli("verify", "-f", write(tmp_path, [{"input_ids": [1] * positions}]), "--model", models[arch])
    assert ok.exit_code == 0, ok.stderr


def test_attention_scores_past_the_memory_budget_are_refused(monkeypatch):
    """The budget is on batch x heads x L x L float32 scores (20,000 tokens, 32 heads: 48 GiB a row)."""
    from types import SimpleNamespace

    import numpy as np

    from maskcli.data.records import Source
    from maskcli.errors import InputError
    from maskcli.verify import runs

    config = SimpleNamespace(max_position_embeddings=131072, num_attention_heads=32)
    rows = [SimpleNamespace(input_ids=np.zeros(20000, dtype=np.int64), source=Source("big.jsonl", line=3))] * 2
    with pytest.raises(InputError, match=r"big.jsonl:3: 2 rows of 20,000 tokens need 95.4 GiB of attention scores"):
        runs.check_fits(rows, config)
    monkeypatch.setattr(runs, "MAX_SCORE_BYTES", 2 * 32 * 20000 * 20000 * 4)
    runs.check_fits(rows, config)  # exactly at the budget: allowed


def test_without_torch_one_line_names_the_extra(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    result = cli("verify", "-f", write(tmp_path, LEFT), "--model-config", tmp_path / "c.json", "--random-init")
    assert (result.exit_code, result.stderr) == (2, "Error: maskcli verify needs torch: pip install 'maskcli[verify]'\n")
