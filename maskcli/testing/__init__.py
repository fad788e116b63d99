"""Assertions for your own test suite: a collator's batch checked as ``maskcli check`` would, and masks compared
as ``maskcli diff`` would.

Example (a test of ``DataCollatorWithFlattening`` and of a broken collator: docs/verify.md)::

    from maskcli.testing import assert_batch_ok, assert_masks_equal

    def test_collator(tokenizer):
        batch = collator([tokenizer("The cat sat"), tokenizer("Hi")])
        assert_batch_ok(batch, tokenizer)               # fails with the findings and their rows

    def test_mask():
        assert_masks_equal(my_mask(6), "window:3", convention="sdpa")  # fails with the diff grid
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

BATCH = "<batch>"


def _handle(tokenizer: Any):
    """A tokenizer spec (``"gpt2"``, a path), a maskcli handle, or a transformers tokenizer."""
    from maskcli.data.tokenizer import TokenizerHandle, handle_from_transformers, load_tokenizer

    if isinstance(tokenizer, TokenizerHandle):
        return tokenizer
    if isinstance(tokenizer, str):
        return load_tokenizer(tokenizer)
    return handle_from_transformers(tokenizer, getattr(tokenizer, "name_or_path", type(tokenizer).__name__))


def batch_records(batch: Mapping[str, Any]) -> list[dict]:
    """A collator's output (dict of lists, numpy arrays or torch tensors, shape (B, L)) as one record per row."""
    columns = {name: np.asarray(values).tolist() for name, values in batch.items()
               if name in ("input_ids", "attention_mask", "labels", "position_ids", "token_type_ids")}
    if "input_ids" not in columns:
        raise AssertionError(f"the batch has no input_ids (keys: {', '.join(batch)})")
    count = len(columns["input_ids"])
    return [{name: values[i] for name, values in columns.items()} for i in range(count)]


def assert_batch_ok(batch: Mapping[str, Any], tokenizer: Any, **settings: Any) -> None:
    """Run ``maskcli check``'s findings on the batch; fail with each finding's message and rows.

    ``settings`` are ``[tool.maskcli]`` keys (``mode="generate"``, ``fail_on="warning"``, ``ignore=[...]``).
    """
    import dataclasses

    from maskcli.check import CheckConfig, audit_shard, build_report

    from maskcli.data.tokenizer import with_pad_token

    tok = _handle(tokenizer)
    config = dataclasses.replace(CheckConfig(tokenizer=tok.name), **settings)
    if config.pad_token is not None:
        tok = with_pad_token(tok, config.pad_token)
    report = build_report(audit_shard(batch_records(batch), tok, config, path=BATCH), tok, config, [BATCH])
    if report.failed(config.fail_on):
        lines = [f"maskcli check found {len(report.findings)} finding(s):"]
        for f in report.findings:
            lines.append(f"{f.id} {f.name} ({f.severity.value}): {f.message}")
            lines += [f"  {source}: {detail}" for source, detail in f.rows]
        raise AssertionError("\n".join(lines))


def assert_masks_equal(actual: Any, expected: Any, convention: str = "sdpa", *,
                       expected_convention: str | None = None, attention_mask: Any = None) -> None:
    """``actual`` (L, L), (B, L, L) or (B, 1, L, L) in ``convention`` against ``expected``: a mask kind
    spec (``"causal"``, ``"window:3"``, over ``attention_mask`` or all-real rows) or an array (read in
    ``expected_convention``, default ``convention``). The failure message holds ``maskcli diff``'s grid."""
    from maskcli.masks.conventions import from_convention
    from maskcli.masks.diff import MaskDiff

    got = _matrices(from_convention(np.asarray(actual), convention, "actual"))
    if isinstance(expected, str):
        want = _spec_masks(expected, got, attention_mask)
    else:
        want = _matrices(from_convention(np.asarray(expected), expected_convention or convention, "expected"))
    if len(got) != len(want):
        raise AssertionError(f"actual holds {len(got)} masks, expected {len(want)}")
    name = expected if isinstance(expected, str) else "mask"
    diffs = [MaskDiff(name, i, a, b, np.arange(len(a))) for i, (a, b) in enumerate(zip(got, want))]
    wrong = [d for d in diffs if not d.equal]
    if wrong:
        raise AssertionError("\n".join(_diff_text(d) for d in wrong))


def _matrices(flags: np.ndarray) -> list[np.ndarray]:
    if flags.ndim == 4 and flags.shape[1] == 1:
        flags = flags[:, 0]
    if flags.ndim == 2:
        return [flags]
    if flags.ndim == 3:
        return list(flags)
    raise AssertionError(f"a mask must be (L, L), (B, L, L) or (B, 1, L, L), not {flags.shape}")


def _spec_masks(spec: str, got: list[np.ndarray], attention_mask: Any) -> list[np.ndarray]:
    from maskcli.masks.kinds import build_mask, parse_spec
    from maskcli.masks.specs import RowContext

    parsed = parse_spec(spec)
    masks = np.ones((len(got), got[0].shape[-1]), dtype=np.int64) if attention_mask is None else np.asarray(attention_mask)
    return [build_mask(parsed, RowContext(row)) for row in np.atleast_2d(masks)]


def _diff_text(d) -> str:
    """``maskcli diff``'s summary line and grid for one sequence (A = actual, B = expected)."""
    lines = [f"{d.name} · sequence {d.sequence}: {d.summary()} (A = actual, B = expected)"]
    if d.comparable:
        from maskcli.render.grids import GridStyle
        from maskcli.render.kinds import diff_grid, diff_legend

        style = GridStyle(ascii=True)
        lines.append(diff_legend(style))
        lines += [line.plain for line in diff_grid(d.name, d.a, d.b, d.rows, style)]
    return "\n".join(lines)
