"""Tiny random causal LMs built offline from configs (1-2 layers, hidden 32), saved as model directories.

Three position schemes the verify tests need: GPT-2 (learned absolute positions), Llama and
Qwen2 (RoPE: only relative positions enter the scores). Weights are drawn with a fixed seed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SIZES = {"hidden": 32, "layers": 2, "heads": 2, "positions": 64}


def config_for(arch: str, vocab_size: int):
    from transformers import GPT2Config, LlamaConfig, Qwen2Config

    if arch == "gpt2":
        return GPT2Config(vocab_size=vocab_size, n_embd=SIZES["hidden"], n_layer=SIZES["layers"],
                          n_head=SIZES["heads"], n_positions=SIZES["positions"], bos_token_id=0, eos_token_id=0)
    common = dict(vocab_size=vocab_size, hidden_size=SIZES["hidden"], intermediate_size=2 * SIZES["hidden"],
                  num_hidden_layers=SIZES["layers"], num_attention_heads=SIZES["heads"],
                  num_key_value_heads=SIZES["heads"], max_position_embeddings=SIZES["positions"],
                  bos_token_id=0, eos_token_id=0)
    return {"llama": LlamaConfig, "qwen2": Qwen2Config}[arch](**common)


def tiny_model(directory: Path, arch: str, vocab_size: int, tokenizer_dir: Path | None = None, seed: int = 0,
               nan_token: int | None = None) -> Path:
    """Save a random ``arch`` model (and the tokenizer's files beside it); ``nan_token``: plant a NaN
    in that token's embedding (a broken checkpoint)."""
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config_for(arch, vocab_size))
    if nan_token is not None:
        with torch.no_grad():
            model.get_input_embeddings().weight[nan_token] = float("nan")
    model.save_pretrained(directory)
    if tokenizer_dir is not None:
        for item in Path(tokenizer_dir).iterdir():
            shutil.copy(item, directory / item.name)
    return directory
