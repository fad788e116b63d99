"""Mask kinds, conventions, packing and flash forms against transformers itself (live, torch CPU)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
mu = pytest.importorskip("transformers.masking_utils")
import transformers  # noqa: E402

from maskcli.masks import conventions  # noqa: E402
from maskcli.masks.flash import flash_form  # noqa: E402
from maskcli.masks.kinds import RowContext, build_mask, parse_spec  # noqa: E402
from maskcli.masks.model_config import layer_panels, read_config  # noqa: E402
from maskcli.masks.packing import flash_cu_seqlens, from_position_ids  # noqa: E402

TINY = dict(hidden_size=8, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2, intermediate_size=16, vocab_size=32)


def ours(spec: str, am, **ctx) -> np.ndarray:
    """Our mask of every row of a batch, stacked (B, Q, K)."""
    return np.stack([build_mask(parse_spec(spec), RowContext(np.asarray(row), **ctx)) for row in am])


def sdpa(mask_function, am, q_length=None, q_offset=0) -> np.ndarray:
    """transformers' sdpa_mask for a mask function and a 2-D padding mask, as (B, Q, K) bools."""
    am_t = torch.tensor(np.asarray(am), dtype=torch.bool)
    length = am_t.shape[1]
    out = mu.sdpa_mask(
        batch_size=am_t.shape[0],
        q_length=q_length or length,
        kv_length=length,
        q_offset=q_offset,
        mask_function=mask_function,
        attention_mask=am_t,
        allow_is_causal_skip=False,
    )
    return out[:, 0].numpy()


def left_padding(am) -> torch.Tensor:
    am_t = torch.tensor(np.asarray(am))
    return (am_t.cumsum(-1) == 0).sum(-1)


padded_batches = st.integers(1, 9).flatmap(
    lambda n: st.lists(
        st.tuples(st.integers(0, n), st.booleans()).map(
            lambda t, n=n: [0] * t[0] + [1] * (n - t[0]) if t[1] else [1] * (n - t[0]) + [0] * t[0]
        ),
        min_size=1,
        max_size=3,
    )
)


@settings(max_examples=40, deadline=None)
@given(am=padded_batches, size=st.integers(1, 6))
def test_primitives_match_transformers_mask_functions(am, size):
    assert np.array_equal(ours("causal", am), sdpa(mu.causal_mask_function, am))
    assert np.array_equal(ours(f"window:{size}", am), sdpa(mu.sliding_window_causal_mask_function(size), am))
    assert np.array_equal(ours(f"window-bi:{size}", am), sdpa(mu.sliding_window_bidirectional_mask_function(size), am))
    assert np.array_equal(ours("bidirectional", am), sdpa(mu.bidirectional_mask_function, am))
    for row in am:  # chunks start at each row's first real token: one row per call, as its own left padding
        expected = sdpa(mu.chunked_causal_mask_function(size, left_padding([row])), [row])
        assert np.array_equal(ours(f"chunk:{size}", [row]), expected)


@settings(max_examples=25, deadline=None)
@given(am=padded_batches, offset=st.integers(0, 9))
def test_q_offset_matches_sdpa_mask_offsets(am, offset):
    length = len(am[0])
    offset = min(offset, length - 1)
    expected = sdpa(mu.causal_mask_function, am, q_length=length - offset, q_offset=offset)
    assert np.array_equal(ours("causal", am, q_offset=offset), expected)


def embeds(batch: int, length: int, dtype=torch.float32) -> torch.Tensor:
    return torch.zeros(batch, length, 8, dtype=dtype)


def build_hf(builder, config, am, position_ids=None, dtype=torch.float32, implementation="sdpa", **kwargs):
    config._attn_implementation = implementation
    am_t = None if am is None else torch.tensor(np.asarray(am))
    batch, length = (am_t.shape if am_t is not None else position_ids.shape)
    out = builder(
        config=config,
        inputs_embeds=embeds(batch, length, dtype),
        attention_mask=am_t,
        past_key_values=None,
        position_ids=position_ids,
        **kwargs,
    )
    out = out[:, 0]
    return (out.float() if out.is_floating_point() else out).numpy()


BATCHES = [[[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], [[1, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 1]], [[0, 1, 1, 1, 1, 1, 1]]]


@pytest.mark.parametrize("am", BATCHES)
def test_create_causal_mask_sdpa_and_eager(am):
    config = transformers.LlamaConfig(**TINY)
    mine = ours("causal", am)
    assert np.array_equal(build_hf(mu.create_causal_mask, config, am, allow_is_causal_skip=False), mine)
    for dtype, name in ((torch.float32, "float32"), (torch.float16, "float16"), (torch.bfloat16, "bfloat16")):
        eager = build_hf(mu.create_causal_mask, config, am, dtype=dtype, implementation="eager")
        assert np.array_equal(eager, conventions.to_convention(mine, "eager", name))
        assert conventions.FINFO_MIN[name] == torch.finfo(dtype).min
        assert np.array_equal(conventions.from_convention(eager, "eager"), mine)


@pytest.mark.parametrize("am", BATCHES)
def test_create_sliding_window_and_chunked_masks(am):
    mistral = transformers.MistralConfig(**TINY, sliding_window=3)
    assert np.array_equal(build_hf(mu.create_sliding_window_causal_mask, mistral, am, allow_is_causal_skip=False), ours("window:3", am))
    llama4 = transformers.Llama4TextConfig(**TINY, attention_chunk_size=2)
    assert np.array_equal(build_hf(mu.create_chunked_causal_mask, llama4, am, allow_is_causal_skip=False), ours("chunk:2", am))


@pytest.mark.parametrize(
    "position_ids", [[0, 1, 2, 0, 1, 0], [0, 1, 2, 3, 0, 1], [5, 6, 7, 0, 1, 2, 3], [0, 1, 0, 1, 2, 3, 4, 0]]
)
@pytest.mark.parametrize("spec,builder,extra", [
    ("packed", mu.create_causal_mask, {}),
    ("window:3+packed", mu.create_sliding_window_causal_mask, {"sliding_window": 3}),
    ("chunk:2+packed", mu.create_chunked_causal_mask, {"attention_chunk_size": 2}),
])
def test_packed_detection_from_position_ids(position_ids, spec, builder, extra):
    pos = torch.tensor([position_ids])
    packing = from_position_ids(np.array(position_ids))
    assert np.array_equal(mu.find_packed_sequence_indices(pos)[0].numpy(), packing.documents)
    config_cls = transformers.Llama4TextConfig if "chunk" in spec else transformers.MistralConfig
    config = config_cls(**TINY, **extra)
    if "sliding_window" not in extra and config_cls is transformers.MistralConfig:
        config.sliding_window = None
    expected = build_hf(builder, config, None, position_ids=pos, allow_is_causal_skip=False)
    mine = build_mask(parse_spec(spec), RowContext(np.ones(len(position_ids), dtype=int), packing=packing))
    assert np.array_equal(expected[0], mine)


@pytest.mark.parametrize("position_ids", [[0, 1, 2, 0, 1, 0], [0, 1, 2, 3, 0, 1], [0, 0, 1, 2]])
def test_flash_cu_seqlens_match_transformers(position_ids):
    from transformers.modeling_flash_attention_utils import prepare_fa_kwargs_from_position_ids

    (cu_q, _), _ = prepare_fa_kwargs_from_position_ids(torch.tensor([position_ids]))
    assert flash_cu_seqlens(np.array(position_ids)) == cu_q.tolist()
    mask = build_mask(parse_spec("packed"), RowContext(np.ones(len(position_ids), int), packing=from_position_ids(np.array(position_ids))))
    assert list(flash_form(mask, np.ones(len(position_ids))).cu_seqlens) == cu_q.tolist()


@pytest.mark.parametrize("am", [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
def test_flash_unpad_indices_match_get_unpad_data(am):
    from transformers.modeling_flash_attention_utils import _get_unpad_data

    indices, cu, _ = _get_unpad_data(torch.tensor([am]))
    form = flash_form(ours("causal", [am])[0], np.array(am))
    assert list(form.indices) == indices.tolist()
    assert list(form.cu_seqlens) == cu.tolist()
    assert form.causal and form.window_size == (-1, 0)


def test_blocks_match_block_sequence_ids():
    ids = [-1, 0, 0, 0, -1, -1]
    config = transformers.LlamaConfig(**TINY)
    expected = build_hf(mu.create_causal_mask, config, [[1] * 6], block_sequence_ids=torch.tensor([ids]))
    assert np.array_equal(expected[0], build_mask(parse_spec("blocks"), RowContext(np.ones(6, int), block_ids=np.array(ids))))


def test_cross_attention_matches_create_bidirectional_mask():
    config = transformers.LlamaConfig(**TINY)
    config._attn_implementation = "sdpa"
    encoder_am = torch.tensor([[1, 1, 1, 0, 0]])
    expected = mu.create_bidirectional_mask(
        config=config, inputs_embeds=embeds(1, 3), attention_mask=encoder_am, encoder_hidden_states=embeds(1, 5)
    )[:, 0].numpy()
    assert np.array_equal(expected[0], build_mask(parse_spec("cross:3"), RowContext(encoder_am[0].numpy())))


def test_causal_top_left_is_sdpa_is_causal():
    q, k, v = torch.randn(1, 1, 2, 4), torch.randn(1, 1, 6, 4), torch.randn(1, 1, 6, 4)
    reference = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    mask = build_mask(parse_spec("causal-top-left"), RowContext(np.ones(6, int), q_offset=4))
    explicit = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask))
    assert torch.allclose(reference, explicit)
    bottom_right = build_mask(parse_spec("causal"), RowContext(np.ones(6, int), q_offset=4))
    assert not torch.allclose(reference, torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(bottom_right)))


def test_mha_convention_is_the_inverse_of_sdpa():
    """nn.MultiheadAttention with our mha mask computes what SDPA computes with our sdpa mask."""
    torch.manual_seed(0)
    mask = build_mask(parse_spec("window:2"), RowContext(np.array([1, 1, 1, 1, 0])))
    mha = torch.nn.MultiheadAttention(4, 1, batch_first=True, bias=False)
    x = torch.randn(1, 5, 4)
    blocked = torch.tensor(conventions.to_convention(mask, "mha"))
    out_mha, _ = mha(x, x, x, attn_mask=blocked, need_weights=False)
    w_q, w_k, w_v = mha.in_proj_weight.chunk(3)
    attended = torch.nn.functional.scaled_dot_product_attention(
        x @ w_q.T, x @ w_k.T, x @ w_v.T, attn_mask=torch.tensor(conventions.to_convention(mask, "sdpa"))
    )
    assert torch.allclose(out_mha, mha.out_proj(attended), atol=1e-6)


CONFIGS = [
    dict(model_type="mistral", sliding_window=3, **TINY),
    dict(model_type="gemma3_text", sliding_window=3, **{**TINY, "num_hidden_layers": 7}),
    dict(model_type="llama4_text", attention_chunk_size=2, **{**TINY, "num_hidden_layers": 4}),
    dict(model_type="llama", **TINY),
]
BUILDERS = {
    "full_attention": mu.create_causal_mask,
    "sliding_attention": mu.create_sliding_window_causal_mask,
    "chunked_attention": mu.create_chunked_causal_mask,
}


@pytest.mark.parametrize("data", CONFIGS, ids=lambda d: d["model_type"])
@pytest.mark.parametrize("am", BATCHES[:2])
def test_model_config_panels_match_the_builder_of_each_layer_type(tmp_path, data, am):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    config = read_config(tmp_path)
    panels = layer_panels(config)
    # MistralModel/LlamaModel without layer_types: sliding when config.sliding_window is set (modeling_mistral)
    fallback = "sliding_attention" if getattr(config, "sliding_window", None) else "full_attention"
    layer_types = getattr(config, "layer_types", None) or [fallback] * config.num_hidden_layers
    assert sorted(i for p in panels for i in p.layers) == list(range(config.num_hidden_layers))
    for panel in panels:
        assert all(layer_types[i] == panel.layer_type for i in panel.layers)
        expected = build_hf(BUILDERS[panel.layer_type], config, am, allow_is_causal_skip=False)
        assert np.array_equal(expected, ours(panel.spec.text, am)), panel.title


def test_gemma_bidirectional_and_modernbert_configs(tmp_path):
    from transformers.models.gemma3.modeling_gemma3 import _bidirectional_window_overlay

    am = BATCHES[1]
    (tmp_path / "config.json").write_text(json.dumps(dict(model_type="gemma3_text", sliding_window=5, use_bidirectional_attention=True, **TINY)))
    gemma = read_config(tmp_path)
    (panel,) = layer_panels(gemma)
    expected = build_hf(
        mu.create_sliding_window_causal_mask, gemma, am, or_mask_function=_bidirectional_window_overlay(gemma.sliding_window)
    )
    assert np.array_equal(expected, ours(panel.spec.text, am))
    (tmp_path / "config.json").write_text(json.dumps(dict(model_type="modernbert", num_hidden_layers=3)))
    bert = read_config(tmp_path)
    full, sliding = layer_panels(bert)
    assert np.array_equal(build_hf(mu.create_bidirectional_mask, bert, am), ours(full.spec.text, am))
    assert np.array_equal(build_hf(mu.create_bidirectional_sliding_window_mask, bert, am), ours(sliding.spec.text, am))
