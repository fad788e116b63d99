"""maskcli's own directory loader (no transformers) against transformers' AutoTokenizer.

Each case is a tokenizer directory the factory builds, or a config variant of one: the loaded
Rust tokenizer must serialize identically, the special-token facts must agree, encoding must
agree for every option of the tokenizer's __call__, and chat templates must render the same text.
"""

import json
import shutil

import pytest
from test_encoding_oracle import TEXTS, assert_same

from maskcli.data.chat_template import render_chat, render_chat_with_generation
from maskcli.data.tokenizer import handle_from_transformers, load_tokenizer

transformers = pytest.importorskip("transformers")

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
LLAMA3 = (
    "{{ bos_token }}{% for message in messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
GEMMA_LIKE = """{{ bos_token }}
{%- set ns = namespace(turns=0) -%}
{%- for message in messages -%}
    {%- if message['role'] == 'system' -%}{{ raise_exception('System role not supported') }}{%- endif -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif -%}
    {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
    {%- set ns.turns = ns.turns + 1 -%}
    {{ '<start_of_turn>' + role + '\n' }}
    {%- if role == 'model' -%}{% generation %}{{ message['content'] | trim }}{% endgeneration %}
    {%- else -%}{{ message['content'] | trim }}{%- endif -%}
    {{ '<end_of_turn>\n' }}
    {%- if ns.turns > 9 -%}{% break %}{%- endif -%}
{%- endfor -%}
{{ dict(turns=ns.turns) | tojson }}
{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"""
CHATS = [
    [{"role": "user", "content": "Hello <b>world</b> & \"quotes\""}, {"role": "assistant", "content": " Hi there "}],
    [{"role": "user", "content": "émoji 🎉"}, {"role": "assistant", "content": "ok", "tool_calls": None},
     {"role": "user", "content": "again"}],
]


def added(content, special=True, **flags):
    return {"content": content, "single_word": False, "lstrip": False, "rstrip": False, "normalized": not special,
            "special": special, **flags}


def variant(base, tmp_path, name, config=None, drop=(), files=None):
    """A copy of ``base`` with tokenizer_config.json keys replaced or dropped and extra files written."""
    directory = tmp_path / name
    shutil.copytree(base, directory)
    path = directory / "tokenizer_config.json"
    data = json.loads(path.read_text())
    data = {k: v for k, v in data.items() if k not in drop} | (config or {})
    path.write_text(json.dumps(data))
    for file_name, content in (files or {}).items():
        (directory / file_name).write_text(content if isinstance(content, str) else json.dumps(content))
    return directory


def assert_native_matches(directory, texts=TEXTS):
    tok = load_tokenizer(str(directory))
    assert tok.loader == "tokenizers" and tok.hf_tokenizer is None
    hf = transformers.AutoTokenizer.from_pretrained(str(directory))
    oracle = handle_from_transformers(hf, name=str(directory))
    mine, theirs = json.loads(tok.backend.to_str()), json.loads(hf.backend_tokenizer.to_str())
    for state in ("padding", "truncation"):  # set per call, by maskcli and transformers alike
        mine.pop(state), theirs.pop(state)
    assert mine == theirs
    facts = ("class", "vocab_size", "pad_token", "pad_token_id", "bos_token", "bos_token_id", "eos_token", "eos_token_id",
             "unk_token", "unk_token_id", "padding_side", "model_max_length")
    assert {k: tok.describe()[k] for k in facts} == {k: oracle.describe()[k] for k in facts}
    assert (tok.truncation_side, tok.pad_token_type_id, tok.split_special_tokens, tok.special_tokens_map) == (
        oracle.truncation_side, oracle.pad_token_type_id, oracle.split_special_tokens, oracle.special_tokens_map)
    assert tok.full_vocab_size == len(hf) and tok.special_ids == oracle.special_ids
    if tok.pad_token_id is None and tok.eos_token is not None:
        tok, hf.pad_token = load_tokenizer(str(directory), pad_token="eos"), hf.eos_token
    assert_same(tok, hf, texts)
    if tok.chat_template:
        assert tok.chat_template == hf.chat_template
        for chat in CHATS:
            for prompt in (False, True):
                expected = hf.apply_chat_template(chat, tokenize=False, add_generation_prompt=prompt)
                assert render_chat(tok.chat_template, chat, tok.special_tokens_map, prompt) == expected
    return tok


@pytest.mark.parametrize("family", ["gpt2_like", "bert_like", "llama_like"])
def test_factory_tokenizers_load_natively_as_transformers_loads_them(tokenizer_dirs, family):
    assert_native_matches(tokenizer_dirs[family])


def test_chat_tokenizer_loads_natively(chat_tokenizer_dir):
    assert_native_matches(chat_tokenizer_dir)


@pytest.mark.parametrize("template", [CHATML, LLAMA3, GEMMA_LIKE], ids=["chatml", "llama3", "gemma"])
def test_chat_templates_render_as_transformers_renders_them(tokenizer_dirs, tmp_path, template):
    directory = variant(tokenizer_dirs["llama_like"], tmp_path, "chat", {"chat_template": template})
    tok = assert_native_matches(directory)
    hf = transformers.AutoTokenizer.from_pretrained(str(directory))
    from transformers.utils.chat_template_utils import render_jinja_template

    for chat in CHATS[:1]:
        _, spans = render_chat_with_generation(tok.chat_template, chat, tok.special_tokens_map)
        _, (expected,) = render_jinja_template([chat], chat_template=template, return_assistant_tokens_mask=True,
                                               **hf.special_tokens_map)
        assert spans == expected
    assert bool(spans) == ("{% generation %}" in template)


def test_chat_template_jinja_file_wins_over_the_config(tokenizer_dirs, tmp_path):
    directory = variant(tokenizer_dirs["gpt2_like"], tmp_path, "jinja", {"chat_template": LLAMA3},
                        files={"chat_template.jinja": CHATML})
    assert assert_native_matches(directory).chat_template == CHATML


def test_template_errors_are_the_templates_own(tokenizer_dirs, tmp_path):
    directory = variant(tokenizer_dirs["llama_like"], tmp_path, "gemma", {"chat_template": GEMMA_LIKE})
    tok = load_tokenizer(str(directory))
    import jinja2

    with pytest.raises(jinja2.TemplateError, match="System role not supported"):
        render_chat(tok.chat_template, [{"role": "system", "content": "x"}], tok.special_tokens_map)


@pytest.mark.parametrize("bos,eos", [(True, False), (False, True), (True, True), (False, False)])
@pytest.mark.parametrize("family", ["gpt2_like", "llama_like"])
def test_add_bos_add_eos_combinations(tokenizer_dirs, tmp_path, family, bos, eos):
    """With a tokenizer.json, transformers 5 ignores add_bos_token/add_eos_token: checked, not assumed."""
    assert_native_matches(variant(tokenizer_dirs[family], tmp_path, family, {"add_bos_token": bos, "add_eos_token": eos}))


def test_legacy_llama_config(tokenizer_dirs, tmp_path):
    config = {"legacy": True, "add_bos_token": True, "add_eos_token": False, "clean_up_tokenization_spaces": False,
              "padding_side": "left", "model_max_length": 1e30, "tokenizer_class": "PreTrainedTokenizerFast",
              "added_tokens_decoder": {"0": added("<unk>"), "1": added("<s>"), "2": added("</s>")}}
    assert_native_matches(variant(tokenizer_dirs["llama_like"], tmp_path, "legacy", config, drop=("pad_token",)))


def test_added_and_special_tokens_from_the_config(tokenizer_dirs, tmp_path):
    config = {
        "pad_token": "<|pad|>",
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "added_tokens_decoder": {
            "396": added("<|tool|>", special=False, lstrip=True),
            "397": added("<|im_start|>"),
            "398": added("<|im_end|>", rstrip=True),
        },
        "split_special_tokens": False,
        "truncation_side": "left",
    }
    directory = variant(tokenizer_dirs["gpt2_like"], tmp_path, "added", config)
    tok = assert_native_matches(directory, TEXTS + ["<|im_start|>user hi<|im_end|> <|tool|>x <|pad|>"])
    assert tok.pad_token == "<|pad|>" and tok.pad_token_id is not None


def test_split_special_tokens(tokenizer_dirs, tmp_path):
    assert assert_native_matches(
        variant(tokenizer_dirs["bert_like"], tmp_path, "split", {"split_special_tokens": True})).split_special_tokens


def test_special_tokens_map_and_added_tokens_files(tokenizer_dirs, tmp_path):
    files = {
        "special_tokens_map.json": {"pad_token": {"content": "<pad2>", "lstrip": False, "normalized": False,
                                                  "rstrip": False, "single_word": False},
                                    "eos_token": "</s>", "extra_special_tokens": ["<x1>"]},
        "added_tokens.json": {"<pad2>": 185, "<y>": 186},
    }
    directory = variant(tokenizer_dirs["llama_like"], tmp_path, "maps", drop=("pad_token",), files=files)
    assert assert_native_matches(directory, TEXTS + ["<x1> <y> <pad2>"]).pad_token == "<pad2>"


def test_padding_declared_in_tokenizer_json(tokenizer_dirs, tmp_path):
    directory = variant(tokenizer_dirs["bert_like"], tmp_path, "padded", drop=("pad_token",))
    from tokenizers import Tokenizer

    backend = Tokenizer.from_file(str(directory / "tokenizer.json"))
    backend.enable_padding(direction="left", pad_id=0, pad_token="[PAD]", pad_type_id=1)
    backend.enable_truncation(max_length=8, direction="left")
    backend.save(str(directory / "tokenizer.json"))
    tok = assert_native_matches(directory)
    assert (tok.padding_side, tok.truncation_side, tok.pad_token) == ("left", "left", "[PAD]")


@pytest.mark.parametrize("config,files", [
    ({"tokenizer_class": "LlamaTokenizer"}, {}),
    ({"tokenizer_class": "GPT2Tokenizer"}, {}),
    ({"auto_map": {"AutoTokenizer": ["x.Tok", None]}}, {}),
    ({"unknown_setting": 1}, {}),
    ({}, {"config.json": {"model_type": "llama"}}),
], ids=["llama-class", "gpt2-class", "remote-code", "unknown-key", "config-json"])
def test_what_it_cannot_reproduce_goes_to_transformers(tokenizer_dirs, tmp_path, config, files):
    directory = variant(tokenizer_dirs["gpt2_like"], tmp_path, "other", config, files=files)
    from maskcli.data.tokenizer_native import load_native

    assert load_native(directory, "x") is None


def test_loader_transformers_forces_the_old_path(tokenizer_dirs):
    tok = load_tokenizer(str(tokenizer_dirs["bert_like"]), loader="transformers")
    assert tok.loader == "transformers" and tok.hf_tokenizer is not None
    assert tok.describe()["loader"] == "transformers"


@pytest.mark.parametrize("loader", ["auto", "transformers"])
def test_check_reports_the_loader_it_used(tokenizer_dirs, tmp_path, loader):
    from cli_helpers import run

    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "the cat sat"}\n')
    result = run("check", str(data), "-t", str(tokenizer_dirs["bert_like"]), "--loader", loader, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["tokenizer"]["loader"] == {"auto": "tokenizers", "transformers": "transformers"}[loader]


@pytest.mark.parametrize("config", [
    {},
    {"eos_token": "<|im_end|>", "pad_token": None, "unk_token": None, "bos_token": None},
    {"pad_token": "<|endoftext|>", "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
     "added_tokens_decoder": {"396": added("<|im_start|>"), "397": added("<|im_end|>")}, "chat_template": CHATML,
     "add_prefix_space": True, "model_max_length": 32768},
], ids=["defaults", "explicit-none", "qwen-chat"])
@pytest.mark.parametrize("class_name", ["Qwen2Tokenizer", "Qwen2TokenizerFast"])
def test_qwen2_class_is_rebuilt_as_its_init_does(tokenizer_dirs, tmp_path, config, class_name):
    directory = variant(tokenizer_dirs["gpt2_like"], tmp_path, "qwen", {"tokenizer_class": class_name, **config},
                        drop=("bos_token", "eos_token", "unk_token"))
    tok = assert_native_matches(directory, TEXTS + ["<|im_start|>user\nhi<|im_end|>\n", "Ångström ﬁ 12345"])
    assert tok.class_name == "Qwen2Tokenizer"
