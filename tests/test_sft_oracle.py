"""``--sft`` preparation compared with TRL 1.16's ``SFTTrainer`` and its collator, built offline."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import numpy as np
import pytest

import tokenizer_factory

trl = pytest.importorskip("trl")
datasets = pytest.importorskip("datasets")

from maskcli.data.records import Source  # noqa: E402
from maskcli.sft.options import SFTOptions  # noqa: E402
from maskcli.sft.pipeline import training_batches  # noqa: E402
from maskcli.sft.prepare import Dropped  # noqa: E402
from maskcli.data.tokenizer import load_tokenizer  # noqa: E402

SHIPPED = files("trl") / "chat_templates"
FIELDS = ("input_ids", "labels", "attention_mask", "position_ids")

TEXTS = [{"text": "The cat sat on the mat."}, {"text": "Hello world, こんにちは 👋"}, {"text": "Attention masks."}]
PROMPT_COMPLETION = [
    {"prompt": "The cat sat", "completion": " on the mat."},
    {"prompt": "Hello", "completion": " world, this is a test."},
    {"prompt": "Padding on the left shifts", "completion": " position ids."},
]
CONVERSATIONAL_PC = [
    {"prompt": [{"role": "user", "content": "Hello world"}], "completion": [{"role": "assistant", "content": "Hi 👋"}]},
    {"prompt": [{"role": "user", "content": "The cat?"}], "completion": [{"role": "assistant", "content": "sat."}]},
]
MULTI_TURN = [
    {"messages": [{"role": "user", "content": "Hello world"}, {"role": "assistant", "content": "This is a test."},
                  {"role": "user", "content": "The cat sat"}, {"role": "assistant", "content": "on the mat."}]},
    {"messages": [{"role": "user", "content": "こんにちは"}, {"role": "assistant", "content": "👋 Hello"}]},
    {"messages": [{"role": "system", "content": "Attention masks."}, {"role": "user", "content": "Keys?"},
                  {"role": "assistant", "content": "Each query may see."}]},
]


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    return {
        "chatml": tokenizer_factory.chat_like(root / "chatml", "chatml"),
        "llama3": tokenizer_factory.chat_like(root / "llama3", "llama3",
                                              (SHIPPED / "llama3.jinja").read_text()),
        "gemma": tokenizer_factory.chat_like(root / "gemma", "gemma", (SHIPPED / "gemma.jinja").read_text()),
        "gpt2_like": tokenizer_factory.gpt2_like(root / "gpt2_like"),
        "llama_like": tokenizer_factory.llama_like(root / "llama_like"),
    }


def trl_batches(directory, records, tmp_path, **config):
    """``SFTTrainer`` on a tiny random Llama: its collated batches, in dataset order."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    from trl import SFTConfig, SFTTrainer

    tok = AutoTokenizer.from_pretrained(str(directory))
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=8, intermediate_size=16,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                                         max_position_embeddings=2048))
    batch = config.pop("per_device_train_batch_size", 2)
    args = SFTConfig(output_dir=str(tmp_path / "out"), report_to=[], use_cpu=True, save_strategy="no",
                     per_device_train_batch_size=batch, **config)
    trainer = SFTTrainer(model=model, args=args, processing_class=tok,
                         train_dataset=datasets.Dataset.from_list(records))
    rows = [trainer.train_dataset[i] for i in range(len(trainer.train_dataset))]
    collated = [trainer.data_collator(rows[i:i + batch]) for i in range(0, len(rows), batch)]
    return [{k: np.asarray(v).tolist() for k, v in b.items() if k in FIELDS} for b in collated]


def maskcli_batches(directory, records, **options):
    tok = load_tokenizer(str(directory))
    sft = SFTOptions(per_device_train_batch_size=options.pop("per_device_train_batch_size", 2), **options)
    sources = [(Source("data.jsonl", line=i + 1), record) for i, record in enumerate(records)]
    out = []
    for rows in training_batches(sources, tok, sft, Dropped()):
        batch = {"input_ids": [r.input_ids.tolist() for r in rows], "labels": [r.labels.tolist() for r in rows]}
        if rows[0].attention_mask is not None:
            batch["attention_mask"] = [r.attention_mask.tolist() for r in rows]
        if rows[0].position_ids is not None:
            batch["position_ids"] = [r.position_ids.tolist() for r in rows]
        out.append(batch)
    return out


def same(directory, records, tmp_path, trl_config=None, **options):
    theirs = trl_batches(directory, records, tmp_path, **{**options, **(trl_config or {})})
    ours = maskcli_batches(directory, records, **{k: v for k, v in options.items()})
    assert ours == theirs
    return ours


CASES = {
    "text": ("gpt2_like", TEXTS, {}),
    "text-bos-keep_end": ("llama_like", TEXTS, {"max_length": 6, "truncation_mode": "keep_end"}),
    "text-keep_start": ("gpt2_like", TEXTS, {"max_length": 5}),
    "prompt-completion": ("llama_like", PROMPT_COMPLETION, {}),
    "prompt-completion-full-loss": ("gpt2_like", PROMPT_COMPLETION, {"completion_only_loss": False}),
    "prompt-completion-drops-fully-masked": ("gpt2_like", PROMPT_COMPLETION, {"max_length": 3}),
    "conversational-pc-chatml": ("chatml", CONVERSATIONAL_PC, {}),
    "conversational-pc-llama3": ("llama3", CONVERSATIONAL_PC, {"pad_to_multiple_of": 8}),
    "messages-gemma": ("gemma", MULTI_TURN[:2], {}),
    "packing-bfd": ("chatml", MULTI_TURN * 2, {"packing": True, "max_length": 40}),
    "packing-bfd-prompt-completion": ("gpt2_like", PROMPT_COMPLETION * 3, {"packing": True, "max_length": 12}),
    "packing-wrapped": ("gpt2_like", TEXTS * 2,
                        {"packing": True, "packing_strategy": "wrapped", "max_length": 9}),
    "padding-free": ("llama_like", PROMPT_COMPLETION, {"padding_free": True, "max_length": None,
                                                         "per_device_train_batch_size": 3}),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_batches_match_trl(case, families, tmp_path):
    family, records, options = CASES[case]
    ours = same(families[family], records, tmp_path, **dict(options))
    assert any(label != -100 for batch in ours for row in batch["labels"] for label in row)


@pytest.mark.parametrize("family, template", [("chatml", None), ("llama3", "llama3_training.jinja"),
                                              ("gemma", "gemma_training.jinja")])
def test_assistant_only_loss_on_training_templates_matches_trl(family, template, families, tmp_path):
    path = tokenizer_factory.CHATML_TRAINING_TEMPLATE if template is None else (SHIPPED / template).read_text()
    template_file = tmp_path / "training.jinja"
    template_file.write_text(path)
    records = MULTI_TURN[:2] if family == "gemma" else MULTI_TURN
    ours = same(families[family], records, tmp_path, assistant_only_loss=True,
                chat_template_path=str(template_file))
    trained = sum(label != -100 for batch in ours for row in batch["labels"] for label in row)
    assert 0 < trained < sum(len(row) for batch in ours for row in batch["labels"])


EMPTY_GENERATION = tokenizer_factory.CHATML_TEMPLATE.replace("{% endfor %}", "{% generation %}{% endgeneration %}{% endfor %}")


def test_assistant_only_loss_with_no_assistant_token_fails_like_trl(families, tmp_path):
    """Generation tags around nothing: TRL stops before training; maskcli names the record."""
    from maskcli.sft.prepare import NoAssistantTokens

    template = str(_write(tmp_path / "empty.jinja", EMPTY_GENERATION))
    with pytest.raises(RuntimeError, match="no assistant tokens"):
        trl_batches(families["chatml"], MULTI_TURN, tmp_path, assistant_only_loss=True, chat_template_path=template)
    with pytest.raises(NoAssistantTokens, match="data.jsonl:1: --assistant-only-loss"):
        maskcli_batches(families["chatml"], MULTI_TURN, assistant_only_loss=True, chat_template_path=template)


def test_assistant_only_loss_without_generation_tags_is_refused_by_both(families, tmp_path):
    """No tags at all: TRL refuses an unknown template when the trainer is built; maskcli too,
    before it reads a single record (one MC017 for the template in ``check``)."""
    from maskcli.sft.prepare import NoGenerationTags

    template = str(_write(tmp_path / "plain.jinja", tokenizer_factory.CHATML_TEMPLATE))
    with pytest.raises(ValueError, match="not training-compatible"):
        trl_batches(families["chatml"], MULTI_TURN, tmp_path, assistant_only_loss=True, chat_template_path=template)

    def records():
        raise AssertionError("a record was read")
        yield

    tok = load_tokenizer(str(families["chatml"]))
    options = SFTOptions(assistant_only_loss=True, chat_template_path=template)
    with pytest.raises(NoGenerationTags, match="plain.jinja has no {% generation %} tags"):
        next(training_batches(records(), tok, options, Dropped()))


def test_an_eos_token_outside_the_vocabulary_is_refused_by_both(families, tmp_path):
    """SFTTrainer's __init__ refuses an ``eos_token`` its tokenizer does not have; maskcli says so too,
    before reading a record; one it has is used by both (the batches above agree)."""
    from maskcli.errors import InputError

    with pytest.raises(ValueError, match="is not found in the vocabulary"):
        trl_batches(families["gpt2_like"], TEXTS, tmp_path, eos_token="<|im_end|>")
    with pytest.raises(InputError, match=re.escape("--eos-token '<|im_end|>' is not in the vocabulary of")):
        maskcli_batches(families["gpt2_like"], TEXTS, eos_token="<|im_end|>")
    same(families["chatml"], TEXTS, tmp_path, eos_token="<|im_end|>")


GIVEN_FAMILIES = [("chatml", None), ("llama3", "llama3_training.jinja"), ("gemma", "gemma_training.jinja")]


def _given_records(directory, template, records, planted):
    """Records with input_ids and labels as TRL would derive them (assistant-only), kept beside their
    messages; ``planted`` rows train every token instead."""
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(directory))
    out = []
    for i, record in enumerate(records):
        rendered = hf.apply_chat_template(record["messages"], tokenize=True, return_dict=True,
                                          return_assistant_tokens_mask=True, chat_template=template)
        ids = list(rendered["input_ids"])
        labels = ids if i in planted else [t if m else -100 for t, m in zip(ids, rendered["assistant_masks"])]
        out.append({"input_ids": ids, "labels": labels, "messages": record["messages"]})
    return out


@pytest.mark.parametrize("family, template", GIVEN_FAMILIES, ids=[f for f, _ in GIVEN_FAMILIES])
def test_given_labels_are_trained_as_given_and_mc023_is_where_trl_would_not_train(family, template, families,
                                                                                  tmp_path):
    """TRL keeps a ``labels`` column as it is, even with ``assistant_only_loss`` and a ``messages``
    column beside it; the positions maskcli flags (MC023) are exactly the given trained labels that
    TRL's own preparation of the messages alone sets to -100."""
    from maskcli.sft.prepare import prepared

    text = tokenizer_factory.CHATML_TRAINING_TEMPLATE if template is None else (SHIPPED / template).read_text()
    path = str(_write(tmp_path / "training.jinja", text))
    conversations = MULTI_TURN[:2] if family == "gemma" else MULTI_TURN
    given = _given_records(families[family], text, conversations, planted={0})
    options = {"assistant_only_loss": True, "chat_template_path": path, "per_device_train_batch_size": 1}
    ours = same(families[family], given, tmp_path, **options)
    assert [batch["labels"][0] for batch in ours] == [record["labels"] for record in given]

    derived = trl_batches(families[family], conversations, tmp_path, **options)
    tok = load_tokenizer(str(families[family]))
    sources = [(Source("data.jsonl", line=i + 1), r) for i, r in enumerate(given)]
    examples = list(prepared(sources, tok, SFTOptions(**options), Dropped()))
    for example, record, theirs in zip(examples, given, derived):
        expected = [i for i, (mine, trl_label) in enumerate(zip(record["labels"], theirs["labels"][0]))
                    if mine != -100 and trl_label == -100]
        flagged = example.comparison.non_assistant
        assert (list(flagged.positions) if flagged else []) == expected
        assert example.comparison.mismatch is None and example.comparison.prompt is None
    assert expected == [] and examples[0].comparison.non_assistant is not None


def test_given_labels_beside_a_prompt_are_trained_as_given_and_mc022_is_trls_prompt(families, tmp_path):
    """Prompt/completion records with given labels: TRL's completion-only loss does not touch them;
    MC022's positions are the given trained labels TRL's own completion mask would drop."""
    from maskcli.sft.prepare import prepared

    derived = trl_batches(families["llama_like"], PROMPT_COMPLETION, tmp_path, per_device_train_batch_size=1)
    given = [{**record, "input_ids": batch["input_ids"][0], "labels": batch["input_ids"][0]}
             for record, batch in zip(PROMPT_COMPLETION, derived)]
    ours = same(families["llama_like"], given, tmp_path, per_device_train_batch_size=1)
    assert [batch["labels"][0] for batch in ours] == [record["labels"] for record in given]
    tok = load_tokenizer(str(families["llama_like"]))
    sources = [(Source("data.jsonl", line=i + 1), r) for i, r in enumerate(given)]
    for example, theirs in zip(prepared(sources, tok, SFTOptions(), Dropped()), derived):
        assert list(example.comparison.prompt.positions) == [i for i, label in enumerate(theirs["labels"][0])
                                                             if label == -100]


def test_turn_end_marks_are_how_transformers_renders_a_turn(families):
    """``--require-eos`` accepts what transformers' apply_chat_template ends an assistant turn with."""
    from transformers import AutoTokenizer

    from maskcli.check.turn_end import end_marks

    turns = [{"role": "user", "content": "Hello world"}, {"role": "assistant", "content": "The cat sat."}]
    for family in ("chatml", "llama3", "gemma"):
        hf = AutoTokenizer.from_pretrained(str(families[family]))
        ids = hf.apply_chat_template(turns, tokenize=True, return_dict=True)["input_ids"]
        tok = load_tokenizer(str(families[family]))
        marks = end_marks(tok, tok.chat_template)
        assert ids[-1] == hf.eos_token_id or any(tuple(ids[-len(m):]) == m for m in marks), family


def _write(path, text):
    path.write_text(text)
    return path
