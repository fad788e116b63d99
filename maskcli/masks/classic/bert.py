"""BERT masked LM, exactly as transformers' ``DataCollatorForLanguageModeling`` masks a batch.

The collator picks positions with probability ``mlm_probability`` (never special tokens or
padding), sets ``labels`` to -100 everywhere else, then replaces 80% of the picked tokens with
``[MASK]``, 10% with a random token and leaves 10% unchanged. The attention mask is untouched:
``[MASK]`` is an ordinary, attended token; only padding keys are masked.

Worked example, ``[CLS] [MASK] cat sat [SEP] [PAD] [PAD] [PAD]`` with ``attention_mask =
11111000``: every query row is ``1 1 1 1 1 0 0 0`` (the ``bert-mlm`` kind is the encoder's
``bidirectional`` mask; :func:`mlm_rows` masks the batch's tokens).

The random draws are the collator's own, in its order: ``backend="numpy"`` replays
``DataCollatorForLanguageModeling(seed=S, return_tensors="np")`` (``numpy.random.default_rng``),
``backend="torch"`` replays ``return_tensors="pt"`` (``torch.Generator().manual_seed(S)``).
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
from dataclasses import dataclass

import numpy as np

from maskcli.data.facts import IGNORE_INDEX
from maskcli.errors import InputError
from maskcli.data.records import Row

REFERENCE = "transformers DataCollatorForLanguageModeling (torch_mask_tokens / numpy_mask_tokens), BERT (Devlin et al. 2019)"


@dataclass(frozen=True)
class MLMBatch:
    """The collator's outputs for a batch ``(B, L)``."""

    input_ids: np.ndarray  # after replacement
    labels: np.ndarray  # original id at chosen positions, -100 elsewhere
    chosen: np.ndarray  # bool: positions that carry a loss
    replaced_mask: np.ndarray  # bool: chosen and replaced by [MASK]
    replaced_random: np.ndarray  # bool: chosen and replaced by a random token


class _NumpyDraws:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def bernoulli(self, p: float | np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return self.rng.binomial(1, p, size=shape).astype(bool)

    def random_words(self, where: np.ndarray, vocab_size: int) -> np.ndarray:
        return self.rng.integers(low=0, high=vocab_size, size=np.count_nonzero(where), dtype=np.int64)


class _TorchDraws:
    def __init__(self, seed: int) -> None:
        try:
            import torch
        except ImportError:
            raise InputError("--mlm-rng torch needs PyTorch installed (pip install torch); --mlm-rng numpy does not") from None
        self.torch = torch
        self.generator = torch.Generator().manual_seed(seed)

    def bernoulli(self, p: float | np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        torch = self.torch
        probs = torch.from_numpy(p) if isinstance(p, np.ndarray) else torch.full(shape, p)
        return torch.bernoulli(probs, generator=self.generator).bool().numpy()

    def random_words(self, where: np.ndarray, vocab_size: int) -> np.ndarray:
        words = self.torch.randint(vocab_size, where.shape, dtype=self.torch.long, generator=self.generator)
        return words.numpy()[where]


def mlm_mask_tokens(
    input_ids: np.ndarray,
    special_tokens_mask: np.ndarray,
    mask_token_id: int,
    vocab_size: int,
    mlm_probability: float = 0.15,
    seed: int = 0,
    backend: str = "numpy",
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
) -> MLMBatch:
    """Replay the collator's ``*_mask_tokens`` on a padded batch ``(B, L)``."""
    if not 0.0 <= mlm_probability <= 1.0:
        raise InputError(f"--mlm-probability must lie in [0, 1], not {mlm_probability}")
    draws = _TorchDraws(seed) if backend == "torch" else _NumpyDraws(seed)
    inputs = np.array(input_ids, dtype=np.int64, copy=True)
    shape = inputs.shape
    if backend == "torch":
        probability = np.full(shape, mlm_probability, dtype=np.float32)  # torch.full's default dtype
    else:
        probability = np.full(shape, mlm_probability)
    probability[np.asarray(special_tokens_mask, dtype=bool)] = 0
    chosen = draws.bernoulli(probability, shape)
    replaced = draws.bernoulli(mask_replace_prob, shape) & chosen
    randomised = np.zeros(shape, dtype=bool)
    labels = np.where(chosen, inputs, IGNORE_INDEX)
    inputs[replaced] = mask_token_id
    if not (mask_replace_prob == 1 or random_replace_prob == 0):
        scaled = random_replace_prob / (1 - mask_replace_prob)
        randomised = draws.bernoulli(scaled, shape) & chosen & ~replaced
        inputs[randomised] = draws.random_words(randomised, vocab_size)
    return MLMBatch(inputs, labels, chosen, replaced, randomised)


def mlm_at_positions(input_ids: np.ndarray, positions: Sequence[int], mask_token_id: int) -> MLMBatch:
    """Exactly ``positions`` chosen, all replaced by ``[MASK]`` (the collator with ``mask_replace_prob=1``)."""
    inputs = np.array(input_ids, dtype=np.int64, copy=True)
    chosen = np.zeros(inputs.shape, dtype=bool)
    chosen[..., list(positions)] = True
    labels = np.where(chosen, inputs, IGNORE_INDEX)
    inputs[chosen] = mask_token_id
    return MLMBatch(inputs, labels, chosen, chosen.copy(), np.zeros_like(chosen))


@dataclass(frozen=True)
class MLMOptions:
    """``show --mask bert-mlm``'s draw: exact ``positions``, else the collator's seeded draws."""

    positions: tuple[int, ...] | None = None
    probability: float = 0.15
    seed: int = 0
    backend: str = "numpy"


def mlm_rows(rows: Sequence[Row], options: MLMOptions, mask_token_id: int, vocab_size: int,
             special_ids: frozenset[int]) -> list[Row]:
    """A padded batch as the collator returns it: ``input_ids`` with ``[MASK]``, ``labels`` -100
    except at the chosen positions; ``attention_mask`` untouched."""
    lengths = {len(row) for row in rows}
    if len(lengths) > 1:
        raise InputError(f"bert-mlm masks a padded batch, got row lengths {sorted(lengths)} (use --padding longest)")
    ids = np.stack([row.input_ids for row in rows]).astype(np.int64)
    special = np.stack([
        row.special_tokens_mask if row.special_tokens_mask is not None else np.isin(row.input_ids, list(special_ids))
        for row in rows
    ]).astype(bool)
    if options.positions is not None:
        bad = [p for p in options.positions if p >= ids.shape[1]]
        if bad:
            raise InputError(f"--mlm-positions: position {bad[0]} is outside the {ids.shape[1]} tokens")
        never = sorted({p for p in options.positions if special[:, p].any()})
        if never:
            raise InputError(f"--mlm-positions {never}: special tokens and padding are never chosen by the collator")
        batch = mlm_at_positions(ids, options.positions, mask_token_id)
    else:
        batch = mlm_mask_tokens(ids, special, mask_token_id, vocab_size, mlm_probability=options.probability,
                                seed=options.seed, backend=options.backend)
    return [dataclasses.replace(row, input_ids=batch.input_ids[i], labels=batch.labels[i]) for i, row in enumerate(rows)]
