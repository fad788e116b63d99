"""The masks a model's layers really get, read from its ``config.json`` (local only, no network).

transformers' own config class fills in what the file leaves out (Gemma's alternating
``layer_types``, Qwen2's ``max_window_layers``), so the file is loaded through
``AutoConfig.for_model`` when its ``model_type`` is known; each layer type then maps to the
builder the modelling code calls:

| layer type          | causal model (``is_causal``)        | bidirectional model              |
|---------------------|-------------------------------------|----------------------------------|
| full_attention      | ``causal`` (create_causal_mask)     | ``bidirectional``                |
| sliding_attention   | ``window:W`` (sliding_window)       | ``window-bi:W``                  |
| chunked_attention   | ``chunk:C`` (attention_chunk_size)  | ``chunk:C``                      |

A config without ``layer_types`` gets one type for every layer: sliding when ``sliding_window``
is set (Mistral), else full.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maskcli.errors import InputError
from maskcli.masks.kinds import MaskSpec, parse_spec


@dataclass(frozen=True)
class LayerPanel:
    """One distinct layer type: the mask its layers get and which layers use it."""

    layer_type: str
    spec: MaskSpec | None
    layers: tuple[int, ...]
    note: str = ""

    @property
    def title(self) -> str:
        return f"{self.layer_type} · layers {format_layers(self.layers)}"

    def describe(self) -> dict:
        return {"mask": self.spec.text if self.spec else None, "layers": list(self.layers), "note": self.note or None}


def format_layers(layers: tuple[int, ...]) -> str:
    """``(0, 1, 2, 4, 5)`` -> ``0-2,4-5``."""
    runs: list[list[int]] = []
    for layer in layers:
        if runs and layer == runs[-1][-1] + 1:
            runs[-1].append(layer)
        else:
            runs.append([layer])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


SIZE_FIELDS = ("sliding_window", "attention_chunk_size", "num_hidden_layers")  # read as token / layer counts


def read_config(path: str | os.PathLike) -> Any:
    """``config.json`` (or a directory holding one) as the transformers config object it describes."""
    target = Path(path)
    if target.is_dir():
        target = target / "config.json"
    if not target.is_file():
        raise InputError(f"--model-config {path}: no such file (give a config.json or a directory holding one)")
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"--model-config {target}: not a JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"--model-config {target}: expected a JSON object")
    for field in SIZE_FIELDS:
        value = data.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InputError(f"--model-config {target}: field {field!r} must be a whole number 0 or more, not {value!r}")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from transformers import AutoConfig, PretrainedConfig

    model_type = data.pop("model_type", None)
    try:
        config = AutoConfig.for_model(model_type, **data) if model_type else PretrainedConfig(**data)
    except ValueError:
        config = PretrainedConfig(**data)  # a model type this transformers does not know: take the file as is
    return config.get_text_config() if hasattr(config, "get_text_config") else config


def is_bidirectional(config: Any) -> bool:
    """Encoders (no causal-LM class for the model type, or ``is_decoder=False`` on BERT-likes) and
    decoders switched to bidirectional attention (``is_causal=False``, ``use_bidirectional_attention``)."""
    if getattr(config, "is_causal", True) is False or getattr(config, "use_bidirectional_attention", False):
        return True
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    model_type = getattr(config, "model_type", "")
    return model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES or getattr(config, "is_decoder", None) is False


def sliding_spec(config: Any, sliding: int, bidirectional: bool) -> str:
    """Gemma's ``use_bidirectional_attention`` ORs ``|q - kv| < sliding_window`` (exclusive, on the
    already halved window); other encoders use ``create_bidirectional_sliding_window_mask`` (``<=``)."""
    if not bidirectional:
        return f"window:{sliding}"
    if getattr(config, "use_bidirectional_attention", False):
        return f"window-bi:{sliding - 1}"
    return f"window-bi:{sliding}"


def layer_panels(config: Any) -> list[LayerPanel]:
    """One panel per distinct layer type, in order of first use."""
    count = int(getattr(config, "num_hidden_layers", 0) or 0)
    sliding = getattr(config, "sliding_window", None)
    chunk = getattr(config, "attention_chunk_size", None)
    types = getattr(config, "layer_types", None)
    if not types:
        types = ["sliding_attention" if sliding else "full_attention"] * max(count, 1)
    bidirectional = is_bidirectional(config)
    panels = []
    for layer_type in dict.fromkeys(types):
        layers = tuple(i for i, t in enumerate(types) if t == layer_type)
        spec, note = None, ""
        if layer_type == "full_attention":
            spec = parse_spec("bidirectional" if bidirectional else "causal")
        elif layer_type == "sliding_attention":
            if not sliding:
                raise InputError("--model-config: layer_types has sliding_attention but sliding_window is not set")
            spec = parse_spec(sliding_spec(config, sliding, bidirectional))
        elif layer_type == "chunked_attention":
            if not chunk:
                raise InputError("--model-config: layer_types has chunked_attention but attention_chunk_size is not set")
            spec = parse_spec(f"chunk:{chunk}")
        else:
            note = f"{layer_type} layers use no attention mask maskcli can draw"
        panels.append(LayerPanel(layer_type, spec, layers, note))
    return panels
