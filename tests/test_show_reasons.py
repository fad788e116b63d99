"""Why a cell is blocked (maskcli.show.reasons): 0 exactly where the mask attends, for every kind on
random rows (the oracle is build_mask's dense matrix, built independently of the key intervals the
reasons read), and each reason only where it holds."""

from __future__ import annotations

import dataclasses
import doctest

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from maskcli.masks.kinds import KINDS, RowContext, build_mask, parse_spec
from maskcli.masks.packing import from_lengths
from maskcli.show import reasons as reasons_module
from maskcli.show.analysis import DEFAULT_SPECS, PACKED_COMBINED, mask_result
from maskcli.show.reasons import (ANOTHER_DOCUMENT, ATTENDS, CAUSALITY, KEY_PADDING, KIND_REASON, QUERY_PADDING,
                                  reason_texts, reasons, run_lengths)

ROW_KINDS = [name for name, kind in KINDS.items() if kind.shown_by is None]


def test_the_worked_examples():
    assert doctest.testmod(reasons_module).failed == 0


def test_every_kind_says_why_it_blocks():
    assert all(kind.blocked and kind.blocked[0].islower() for kind in KINDS.values())
    assert KINDS["chunk"].blocked == "another chunk" and KINDS["longformer"].blocked == "not global and outside the window"
    causal = {name for name, kind in KINDS.items() if kind.causal}
    assert causal == {"causal", "window", "window-mistral", "chunk", "prefix", "blocks", "causal-top-left", "unilm",
                      "logsparse", "dilated"}


@st.composite
def rows(draw):
    """A kind's spec text over a random row: (spec, attention_mask, q_offset, doc lengths, block ids)."""
    name = draw(st.sampled_from(ROW_KINDS))
    length = draw(st.integers(1, 12))
    if name == "bigbird":
        block = draw(st.integers(1, 3))
        length = block * draw(st.integers(3, 5))  # BigBird needs 3 blocks
    side = draw(st.sampled_from(["left", "right", "none"]))
    pads = 0 if side == "none" else draw(st.integers(0, length - 1))
    am = np.array([0] * pads + [1] * (length - pads) if side == "left" else [1] * (length - pads) + [0] * pads)
    real = np.flatnonzero(am).tolist()
    size = draw(st.integers(1, 5))
    text = {
        "window": f"window:{size}", "window-mistral": f"window-mistral:{size}", "window-bi": f"window-bi:{size}",
        "chunk": f"chunk:{size}", "prefix": f"prefix:{size}", "cross": f"cross:{size}", "unilm": f"unilm:source={size}",
        "dilated": f"dilated:window={size},dilation={draw(st.integers(1, 3))}",
        "dilated-bi": f"dilated-bi:window={size},dilation={draw(st.integers(1, 3))}",
    }.get(name, name)
    if name == "bigbird":
        text = f"bigbird:block={block}"
    if name == "longformer":
        chosen = draw(st.lists(st.sampled_from(real), max_size=2, unique=True)) if real else []
        text = f"longformer:window={2 * size}" + (f",global={'+'.join(map(str, chosen))}" if chosen else "")
    if name == "xlnet":
        order = draw(st.permutations(range(length)))
        stream = draw(st.sampled_from(["content", "query"]))
        text = f"xlnet:perm={'+'.join(map(str, order))},stream={stream}"
    if KINDS[name].can_pack and draw(st.booleans()):
        text = ("packed" if name == "causal" and draw(st.booleans()) else text + "+packed")
    cuts = sorted(draw(st.sets(st.integers(1, length - 1), max_size=3))) if length > 1 else []
    lengths = np.diff([0, *cuts, length]).tolist()
    block_ids = draw(st.lists(st.integers(-1, 2), min_size=length, max_size=length))
    q_offset = draw(st.integers(0, length)) if not KINDS[name].cross and draw(st.booleans()) else 0
    return text, am, q_offset, lengths, np.array(block_ids)


@settings(max_examples=400, deadline=None)
@given(rows())
def test_reason_is_zero_exactly_where_the_mask_attends(case):
    text, am, q_offset, lengths, block_ids = case
    spec = parse_spec(text)
    ctx = RowContext(am, q_offset=q_offset, packing=from_lengths(lengths, len(am)), block_ids=block_ids)
    result = mask_result(text, spec, ctx, [""] * len(am), True)
    oracle = build_mask(spec, ctx)
    queries = result.panel.query_rows
    code = reasons(result, (0, len(queries)), (0, len(am)))
    assert code.shape == oracle.shape
    assert np.array_equal(code == ATTENDS, oracle), (text, am.tolist(), q_offset)
    q, k = queries[:, None], np.arange(len(am))[None, :]
    shape = code.shape
    assert not np.any((code == KEY_PADDING) & np.broadcast_to(am[None, :] != 0, shape))
    documents = ctx.packing.documents
    assert not np.any((code == ANOTHER_DOCUMENT) & ~(documents[q] != documents[k])) if not spec.kind.cross else True
    assert spec.packed or not np.any(code == ANOTHER_DOCUMENT)
    assert not np.any((code == CAUSALITY) & ~np.broadcast_to(k > q, shape))
    assert spec.kind.causal or not np.any(code == CAUSALITY)
    assert spec.kind.masks_padding_queries or not np.any(code == QUERY_PADDING)
    # the kind's own reason holds without the padding: the pattern itself blocks the cell
    pattern = build_mask(dataclasses.replace(spec, padded=False), ctx)
    assert not np.any((code == KIND_REASON) & pattern)
    assert len(reason_texts(result)) == KIND_REASON + 1


def test_the_defaults_name_padding_causality_and_documents():
    am = np.array([0, 0, 1, 1, 1])
    padding, causal, combined = (mask_result(s.text, s, RowContext(am), [""] * 5, False) for s in DEFAULT_SPECS)
    assert reasons(combined, (0, 5), (0, 5)).tolist() == [[1, 1, 3, 3, 3], [1, 1, 3, 3, 3], [1, 1, 0, 3, 3],
                                                          [1, 1, 0, 0, 3], [1, 1, 0, 0, 0]]
    assert reasons(causal, (0, 5), (0, 5))[0].tolist() == [0, 3, 3, 3, 3]  # the bare causal grid has no padding
    assert set(reasons(padding, (0, 5), (0, 5)).ravel()) == {ATTENDS, KEY_PADDING}
    packed = mask_result("c", PACKED_COMBINED, RowContext(np.ones(5, int), packing=from_lengths([2, 3], 5)), [""] * 5,
                         False)
    assert reasons(packed, (0, 5), (0, 5)).tolist() == [[0, 3, 2, 2, 2], [0, 0, 2, 2, 2], [2, 2, 0, 3, 3],
                                                        [2, 2, 0, 0, 3], [2, 2, 0, 0, 0]]
    assert reasons(packed, (3, 5), (1, 4)).tolist() == [[2, 0, 0], [2, 0, 0]]  # a window of the cells


def test_the_kinds_own_reason():
    spec = parse_spec("longformer:window=2,global=0")
    result = mask_result(spec.text, spec, RowContext(np.array([1, 1, 1, 1, 0])), [""] * 5, True)
    code = reasons(result, (0, 5), (0, 5))
    assert code[3].tolist() == [0, 5, 0, 0, 1] and code[4].tolist() == [4, 4, 4, 4, 1]
    assert reason_texts(result)[code[3, 1]] == "not global and outside the window"
    chunk = parse_spec("chunk:2")
    result = mask_result(chunk.text, chunk, RowContext(np.ones(4, int)), [""] * 4, True)
    assert reasons(result, (0, 4), (0, 4))[2].tolist() == [5, 5, 0, 3]


def test_run_lengths_are_small_for_long_rows():
    combined = DEFAULT_SPECS[2]
    result = mask_result("c", combined, RowContext(np.ones(2000, int)), [], False)
    runs = run_lengths(reasons(result, (0, 2000), (0, 2000)))
    assert runs[0] == [0, 1, 3, 1999] and runs[-1] == [0, 2000] and sum(map(len, runs)) < 4 * 2000
    assert run_lengths(np.zeros((1, 0), dtype=np.uint8)) == [[]]
