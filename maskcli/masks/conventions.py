"""The same boolean mask (True = may attend) in the form each API wants, and back.

| name           | dtype | meaning                                                            |
|----------------|-------|--------------------------------------------------------------------|
| hf             | int   | 1 = attend, 0 = masked (transformers ``attention_mask`` style)      |
| sdpa           | bool  | True = attend (transformers' 4-D sdpa mask, torch SDPA ``attn_mask``) |
| eager          | float | 0 = attend, ``finfo(dtype).min`` = blocked (added to the scores)    |
| mha            | bool  | True = NOT allowed (``nn.MultiheadAttention`` ``attn_mask``)        |
| flex-predicate | bool  | True = attend, the ``mask_mod`` predicate stated beside it          |
| flash          | ints  | ``window_size`` / ``cu_seqlens`` / unpadded indices (:mod:`maskcli.masks.flash`) |

Worked example, the causal mask of 2 tokens::

    hf        sdpa            eager (float32)          mha
    1 0       True  False     0  -3.4028235e+38        False True
    1 1       True  True      0   0                    False False
"""

from __future__ import annotations

import numpy as np

from maskcli.errors import InputError
from maskcli.masks.choices import CONVENTIONS

MATRIX_CONVENTIONS = CONVENTIONS[:-1]
# torch.finfo(dtype).min; numpy has no bfloat16, so its value is written out (tested against torch).
FINFO_MIN = {
    "float32": float(np.finfo(np.float32).min),
    "float16": float(np.finfo(np.float16).min),
    "bfloat16": -3.3895313892515355e38,
    "float64": float(np.finfo(np.float64).min),
}
MEANINGS = {
    "hf": "int: 1 = may attend, 0 = masked",
    "sdpa": "bool: true = may attend (transformers sdpa 4-D mask, torch scaled_dot_product_attention attn_mask)",
    "eager": "float {dtype}: 0 = may attend, {min} = blocked (added to the attention scores)",
    "mha": "bool: true = NOT allowed (torch.nn.MultiheadAttention attn_mask)",
    "flex-predicate": "bool: true = may attend, as the FlexAttention mask_mod predicate stated beside it returns",
    "flash": "flash-attn: window_size (left, right; -1 = unbounded), cu_seqlens and unpadded indices per row",
}


def check_dtype(dtype: str) -> str:
    if dtype not in FINFO_MIN:
        raise InputError(f"--dtype must be one of {', '.join(FINFO_MIN)}, not {dtype!r}")
    return dtype


def check_convention(name: str) -> str:
    if name not in CONVENTIONS:
        raise InputError(f"convention must be one of {', '.join(CONVENTIONS)}, not {name!r}")
    return name


def describe(name: str, dtype: str = "float32") -> dict:
    """The ``convention`` object of the JSON: the name, what a value means, and the dtype."""
    meaning = MEANINGS[check_convention(name)]
    if name == "eager":
        meaning = meaning.format(dtype=dtype, min=FINFO_MIN[check_dtype(dtype)])
    return {"name": name, "meaning": meaning, **({"dtype": dtype} if name == "eager" else {})}


def to_convention(mask: np.ndarray, name: str, dtype: str = "float32") -> np.ndarray:
    """A boolean True = attend mask as convention ``name`` would hold it (``flash``: see maskcli.masks.flash)."""
    attend = np.asarray(mask, dtype=bool)
    if name == "hf":
        return attend.astype(np.int64)
    if name in ("sdpa", "flex-predicate"):
        return attend.copy()
    if name == "mha":
        return ~attend
    if name == "eager":
        out_dtype = np.float64 if dtype == "float64" else np.float32
        return np.where(attend, 0.0, FINFO_MIN[check_dtype(dtype)]).astype(out_dtype)
    raise InputError(f"convention {name!r} has no matrix form; choose one of {', '.join(MATRIX_CONVENTIONS)}")


def _as_flags(values: np.ndarray, name: str, where: str) -> np.ndarray:
    """Bool or 0/1 values as booleans; anything else is an additive (eager) mask in disguise."""
    if values.dtype == bool:
        return values
    if np.issubdtype(values.dtype, np.floating) and not np.isin(values, (0.0, 1.0)).all():
        raise InputError(
            f"{where}: float values other than 0/1 are an additive mask; read it with --convention eager, not {name}"
        )
    return values != 0


def from_convention(values: np.ndarray, name: str, where: str = "mask") -> np.ndarray:
    """Convention ``name`` back to boolean True = attend (transformers casts hf masks to bool)."""
    arr = np.asarray(values)
    if not (arr.dtype == bool or np.issubdtype(arr.dtype, np.number)):
        raise InputError(f"{where}: a mask must hold numbers or booleans, not {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and np.isnan(arr).any():
        raise InputError(f"{where}: the mask holds NaN")
    if name in ("hf", "sdpa", "flex-predicate"):
        return _as_flags(arr, name, where)
    if name == "mha":
        return ~_as_flags(arr, name, where)
    if name == "eager":
        if (arr > 0).any():
            raise InputError(f"{where}: an eager (additive) mask holds 0 = attend and negatives = blocked, found a positive value")
        return arr == 0
    raise InputError(f"{where}: --convention {name!r} cannot be read as a matrix; use one of {', '.join(MATRIX_CONVENTIONS)}")
