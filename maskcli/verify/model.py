"""The model ``verify`` runs: a local directory, or a random model built offline from a config.json.

Never remote code, never the network. The model is put in eval mode (no dropout, so two runs of
the same tokens can agree), but ``use_cache`` is left as its config says: that is how training
runs it, and transformers' packing detection depends on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maskcli.errors import InputError
from maskcli.data.tokenizer import _first_line

DTYPES = ("float32", "float64", "float16", "bfloat16")
ATTN_IMPLEMENTATIONS = ("eager", "sdpa", "flex_attention")
# max |logit difference| a row may show and still agree; batched and single kernels round differently
DEFAULT_ATOL = {"float64": 1e-8, "float32": 1e-4, "float16": 1e-2, "bfloat16": 5e-2}
TORCH_MISSING = "maskcli verify needs torch: pip install 'maskcli[verify]'"


@dataclass(frozen=True)
class ModelSource:
    """``directory`` (a saved model) or ``config`` (a config.json, random weights drawn with ``seed``)."""

    directory: str | None = None
    config: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if (self.directory is None) == (self.config is None):
            raise InputError("give --model DIR, or --model-config config.json --random-init")
        if self.directory is not None and not (Path(self.directory) / "config.json").is_file():
            raise InputError(f"--model {self.directory}: not a model directory (no config.json)")


def require_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise InputError(TORCH_MISSING) from None
    return torch


def load_model(source: ModelSource, dtype: str = "float32", attn_implementation: str | None = None) -> Any:
    """The causal LM in eval mode, in ``dtype``, with the attention implementation asked for."""
    if dtype not in DTYPES:
        raise InputError(f"--dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    if attn_implementation is not None and attn_implementation not in ATTN_IMPLEMENTATIONS:
        raise InputError(f"--attn-implementation must be one of {', '.join(ATTN_IMPLEMENTATIONS)}, "
                         f"not {attn_implementation!r}")
    torch = require_torch()
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # stderr is for maskcli's own progress and messages

    options = {"dtype": getattr(torch, dtype), "attn_implementation": attn_implementation or "sdpa"}
    if source.directory is not None:
        where = f"--model {source.directory}"
        load = lambda: AutoModelForCausalLM.from_pretrained(  # noqa: E731
            source.directory, local_files_only=True, trust_remote_code=False, **options)
    else:
        from maskcli.masks.model_config import read_config

        where = f"--model-config {source.config}"
        config = read_config(source.config)
        torch.manual_seed(source.seed)
        load = lambda: AutoModelForCausalLM.from_config(config, trust_remote_code=False, **options)  # noqa: E731
    try:
        model = load()
    except (OSError, ValueError, KeyError, TypeError, ImportError) as exc:
        raise InputError(f"{where}: cannot build the model ({_first_line(exc)})") from None
    return model.eval()
