"""Whatever a record holds, ``show``, ``check`` and ``check --sft`` end with a report (exit 0 or 1) or one
``Error:`` line naming the record (exit 2), never an ``internal error``.

Records are JSON objects drawn by hypothesis from the keys maskcli reads (text, ids, masks, chat
messages, prompt/completion, tools) with values of any JSON type: integers past 64 bits, floats,
ragged and nested lists, nulls, lone surrogates (``"\\ud800"``, which ``json.loads`` accepts). The
bugs this found first: a ragged id list, a lone surrogate, ``input_ids: null`` under ``--sft``,
``tools`` that is not JSON, a ``chat_template_kwargs`` that is not an object, a message role that
is not a string. ``FUZZ_EXAMPLES=3000`` digs deeper (about 2 minutes).
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tokenizer_factory

KEYS = ("text", "input_ids", "attention_mask", "labels", "position_ids", "token_type_ids", "messages", "prompt",
        "completion", "conversations", "tools", "chat_template_kwargs", "tokens", "mask", "instruction", "output")
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # surrogates included
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.integers(0, 400),
                   st.floats(allow_nan=True), TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=12)
MESSAGE = st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant", "tool", "x"]) | JSON,
                                 "content": TEXT | JSON})
VALUE = {"input_ids": st.lists(st.integers(0, 400), max_size=8) | JSON,
         "messages": st.lists(MESSAGE, max_size=3) | JSON,
         "prompt": TEXT | st.lists(MESSAGE, max_size=2) | JSON,
         "completion": TEXT | st.lists(MESSAGE, max_size=2) | JSON}
RECORD = st.lists(st.sampled_from(KEYS), unique=True, min_size=1, max_size=4).flatmap(
    lambda keys: st.fixed_dictionaries({key: VALUE.get(key, JSON) for key in keys}))
COMMANDS = (["show", "-f"], ["show", "--sft", "-f"], ["check"], ["check", "--sft"])


@pytest.fixture(scope="module")
def chat_tokenizer(tmp_path_factory):
    return str(tokenizer_factory.chat_like(tmp_path_factory.mktemp("fuzz") / "chatml", "chatml"))


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(records=st.lists(RECORD, min_size=1, max_size=3))
@example(records=[{"input_ids": None}])
@example(records=[{"input_ids": [1, [2, 3]]}])
@example(records=[{"text": "a \ud800"}])
@example(records=[{"messages": [{"role": "user", "content": "hi"}], "tools": "{not json"}])
@example(records=[{"messages": [{"role": "user", "content": "hi"}], "chat_template_kwargs": 5}])
@example(records=[{"messages": [{"content": "", "role": [None]}], "prompt": ""}])
def test_any_record_is_a_report_or_one_error_line(cli, tmp_path, chat_tokenizer, records):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    for command in COMMANDS:
        result = cli(*command, str(path), "-t", chat_tokenizer, "--pad-token", "<|endoftext|>")
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr, (command, records,
                                                                                               result.stderr)
        assert result.exit_code in (0, 1, 2), (command, result.exit_code, result.stderr)
        if result.exit_code == 2:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("Error: "), (command, records, result.stderr)
