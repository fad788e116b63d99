"""Parity of the classic masks with transformers' own code (collators, models' attention layers).

Model oracles run a tiny randomly initialised layer (nothing downloaded) and read which keys
each query's output depends on from the Jacobian: ``d out[q] / d in[k] != 0`` exactly when the
layer lets q attend to k (masked scores get probability 0, hence zero gradient).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from maskcli.masks.classic.bert import IGNORE_INDEX, mlm_mask_tokens  # noqa: E402
from maskcli.masks.classic.sparse import bigbird_token_spans, longformer_spans  # noqa: E402
from maskcli.masks.classic.swin import region_ids, window_masks  # noqa: E402
from maskcli.masks.classic.xlnet import perm_mask, streams  # noqa: E402
from maskcli.masks.kinds import RowContext, build_mask, parse_spec  # noqa: E402


def bert_attention(am) -> np.ndarray:
    return build_mask(parse_spec("bert-mlm"), RowContext(np.asarray(am)))


def captured_call(model, module, **inputs):
    """Run ``model`` once and return the (args, kwargs) ``module`` was called with."""
    seen = {}
    handle = module.register_forward_pre_hook(lambda m, a, k: seen.setdefault("call", (a, k)), with_kwargs=True)
    with torch.no_grad():
        model(**inputs)
    handle.remove()
    return seen["call"]


def dependency(module, args, kwargs) -> np.ndarray:
    """``(L, L)``: does output row q of ``module(hidden, ...)`` depend on input row k?"""
    hidden = torch.randn(args[0].shape, dtype=torch.float64)
    module = module.double()
    rest = [a.double() if torch.is_tensor(a) and a.is_floating_point() else a for a in args[1:]]
    kw = {n: v.double() if torch.is_tensor(v) and v.is_floating_point() else v for n, v in kwargs.items()}
    jac = torch.autograd.functional.jacobian(lambda h: module(h, *rest, **kw)[0], hidden)
    return (jac[0].abs().sum(dim=(1, 2, 4)) > 0).numpy()


def bert_like_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "a", "dog", "ran"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]",
    )


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("seed", [0, 1, 7, 42])
def test_mlm_replays_the_collator_exactly(backend, seed):
    tok = bert_like_tokenizer()
    texts = ["the cat sat on the mat", "a dog ran", "the dog sat on a cat the mat"]
    encoded = tok(texts, padding=True, return_special_tokens_mask=True)
    examples = [{k: encoded[k][i] for k in encoded} for i in range(len(texts))]
    collator = transformers.DataCollatorForLanguageModeling(
        tok, mlm_probability=0.4, seed=seed, return_tensors="np" if backend == "numpy" else "pt"
    )
    ref = collator(examples)
    ours = mlm_mask_tokens(
        np.array(encoded["input_ids"]), np.array(encoded["special_tokens_mask"]), tok.mask_token_id, len(tok),
        mlm_probability=0.4, seed=seed, backend=backend,
    )
    assert np.array_equal(ours.input_ids, np.asarray(ref["input_ids"]))
    assert np.array_equal(ours.labels, np.asarray(ref["labels"]))
    # invariants: loss only at chosen positions, never on special tokens or padding
    assert np.array_equal(ours.labels != IGNORE_INDEX, ours.chosen)
    assert not (ours.chosen & np.array(encoded["special_tokens_mask"], dtype=bool)).any()
    # the attention mask is untouched: every row is the padding mask, [MASK] included
    for row, am in enumerate(np.asarray(ref["attention_mask"])):
        assert np.array_equal(bert_attention(am), np.broadcast_to(am.astype(bool), (len(am), len(am))))


def test_bert_attention_matches_create_bidirectional_mask():
    from transformers import BertConfig
    from transformers.masking_utils import create_bidirectional_mask

    am = torch.tensor([[1, 1, 1, 1, 1, 0, 0, 0]])
    config = BertConfig(hidden_size=4, num_attention_heads=1)
    config._attn_implementation = "sdpa"
    ref = create_bidirectional_mask(config, torch.zeros(1, 8, 4), am, allow_is_bidirectional_skip=False)
    assert np.array_equal(bert_attention(am[0].numpy()), ref[0, 0].numpy())


@pytest.mark.parametrize(
    "mask012, window",
    [([2, 1, 1, 1, 1, 1, 1, 1], 4), ([1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 0], 4), ([1] * 9 + [0] * 3, 6)],
)
def test_longformer_matches_longformer_self_attention(mask012, window):
    from transformers import LongformerConfig, LongformerModel

    am = torch.tensor([mask012])
    config = LongformerConfig(
        hidden_size=4, num_attention_heads=1, num_hidden_layers=1, intermediate_size=4, attention_window=[window],
        vocab_size=8, max_position_embeddings=40, pad_token_id=0,
    )
    model = LongformerModel(config).eval()
    layer = model.encoder.layer[0].attention.self
    args, kwargs = captured_call(
        model, layer, input_ids=torch.ones_like(am), attention_mask=(am > 0).long(), global_attention_mask=(am == 2).long()
    )
    reference = dependency(layer, args, kwargs)
    assert np.array_equal(longformer_spans(np.array(mask012), window).dense(), reference)
    chosen = "+".join(str(i) for i, v in enumerate(mask012) if v == 2)
    spec = f"longformer:window={window}" + (f",global={chosen}" if chosen else "")
    assert np.array_equal(build_mask(parse_spec(spec), RowContext(np.array(mask012) > 0)), reference)


@pytest.mark.parametrize("num_blocks, block_size", [(8, 2), (10, 3)])
def test_bigbird_matches_block_sparse_attention_in_eval(num_blocks, block_size):
    from transformers import BigBirdConfig, BigBirdModel

    config = BigBirdConfig(
        hidden_size=4, num_attention_heads=1, num_hidden_layers=1, intermediate_size=4, block_size=block_size,
        num_random_blocks=1, attention_type="block_sparse", vocab_size=8, max_position_embeddings=64,
        pad_token_id=0, bos_token_id=1, eos_token_id=2, sep_token_id=3,
    )
    model = BigBirdModel(config).eval()
    layer = model.encoder.layer[0].attention.self
    assert type(layer).__name__ == "BigBirdBlockSparseAttention"
    length = num_blocks * block_size
    args, kwargs = captured_call(model, layer, input_ids=torch.ones(1, length, dtype=torch.long))
    reference = dependency(layer, args, kwargs)
    assert np.array_equal(bigbird_token_spans(num_blocks, block_size).dense(), reference)
    spec = parse_spec(f"bigbird:block={block_size}")
    assert np.array_equal(build_mask(spec, RowContext(np.ones(length, int))), reference)


@pytest.mark.parametrize("order", [[2, 1, 3, 0], [0, 1, 2, 3, 4], [4, 0, 3, 1, 2]])
def test_xlnet_streams_match_xlnet_model(order):
    from transformers import XLNetConfig, XLNetModel

    n = len(order)
    model = XLNetModel(XLNetConfig(d_model=4, n_head=1, n_layer=1, d_inner=4, vocab_size=8)).eval()
    perm = perm_mask(order)
    args, _ = captured_call(
        model, model.layer[0].rel_attn, input_ids=torch.ones(1, n, dtype=torch.long),
        perm_mask=torch.tensor(perm[None], dtype=torch.float32), target_mapping=torch.eye(n)[None],
    )
    blocked_h, blocked_g = (a[:, :, 0, 0].bool().numpy() for a in args[2:4])  # XLNet: 1 = cannot attend
    content, query = streams(perm)
    assert np.array_equal(content, ~blocked_h)
    assert np.array_equal(query, ~blocked_g)
    order_text = "+".join(map(str, order))
    ctx = RowContext(np.ones(n, int))
    assert np.array_equal(build_mask(parse_spec(f"xlnet:perm={order_text}"), ctx), ~blocked_h)
    assert np.array_equal(build_mask(parse_spec(f"xlnet:perm={order_text},stream=query"), ctx), ~blocked_g)


@pytest.mark.parametrize("seed", [0, 3, 11])
def test_perm_mask_matches_permutation_collator(seed):
    tok = bert_like_tokenizer()
    collator = transformers.DataCollatorForPermutationLanguageModeling(tok, plm_probability=0.5, max_span_length=2)
    torch.manual_seed(seed)
    ids = [tok.convert_tokens_to_ids(w) for w in "the cat sat on the mat a dog ran the".split()]
    batch = collator([ids])
    ref = batch["perm_mask"][0].bool().numpy()
    targets = (batch["labels"][0] != -100).numpy()
    # recover the collator's factorisation order: a target's rank = number of targets it may see
    rank = np.where(targets, (~ref & targets[None, :]).sum(axis=1), -1)
    order = np.argsort(rank, kind="stable")
    assert np.array_equal(perm_mask(order, targets).astype(bool), ref)


@pytest.mark.parametrize("height, width, window, shift", [(4, 4, 2, 1), (8, 8, 4, 2), (6, 9, 3, 1)])
def test_swin_matches_swin_layer_get_attn_mask(height, width, window, shift):
    from transformers import SwinConfig
    from transformers.models.swin.modeling_swin import SwinLayer

    layer = SwinLayer(SwinConfig(window_size=window), dim=4, input_resolution=(height, width), num_heads=1,
                      shift_size=shift)
    ref = layer.get_attn_mask(height, width, torch.float32, torch.device("cpu")).numpy()
    assert np.array_equal(window_masks(region_ids(height, width, window, shift), window), ref)
