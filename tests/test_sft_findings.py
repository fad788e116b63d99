"""Planted loss-mask bugs, each found by its check (MC017-MC024), ``--require-eos`` on chat rows (MC014),
and ``show --sft``'s view."""

from __future__ import annotations

import json

import pytest

import tokenizer_factory
from check_fixtures import findings, lines, run, write_jsonl

CHAT = {"messages": [{"role": "system", "content": "Attention masks."}, {"role": "user", "content": "こんにちは"},
                     {"role": "assistant", "content": "👋 Hello"}]}


@pytest.fixture(scope="module")
def chatml(tmp_path_factory):
    root = tmp_path_factory.mktemp("chatml")
    directory = tokenizer_factory.chat_like(root / "tok", "chatml")
    training = root / "training.jinja"
    training.write_text(tokenizer_factory.CHATML_TRAINING_TEMPLATE)
    return str(directory), str(training)


def test_mc017_assistant_only_loss_with_a_template_without_generation_tags(tmp_path, chatml):
    """Once, for the template, before any record (TRL refuses it when the trainer is built)."""
    data = write_jsonl(tmp_path / "d.jsonl", [CHAT, CHAT])
    result = run(str(data), "-t", chatml[0], "--sft", "--assistant-only-loss", "--format", "json")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    (finding,) = report["findings"]
    assert finding["id"] == "MC017" and finding["severity"] == "error"
    assert finding["count"] == 1 and finding["rows"] == []
    assert f"the chat template of {chatml[0]} has no {{% generation %}} tags" in finding["message"]
    assert report["summary"]["rows"] == 0
    assert "MC017" not in findings(str(data), "-t", chatml[0], "--sft", "--assistant-only-loss",
                                   "--chat-template", chatml[1])


def test_mc017_per_row_when_the_tags_mark_nothing_in_a_record(tmp_path, chatml):
    """A training template, but a conversation with no assistant turn: TRL stops on that row."""
    no_assistant = {"messages": CHAT["messages"][:2]}
    data = write_jsonl(tmp_path / "d.jsonl", [CHAT, no_assistant, CHAT])
    found = findings(str(data), "-t", chatml[0], "--sft", "--assistant-only-loss", "--chat-template", chatml[1])
    assert lines(found["MC017"]) == [2]
    assert found["MC017"]["rows"][0]["sample"] is None  # TRL refuses the record: no tokens to show


def test_show_refuses_a_template_without_generation_tags_in_one_line(tmp_path, chatml, cli):
    data = write_jsonl(tmp_path / "d.jsonl", [CHAT])
    result = cli("show", "-f", data, "-t", chatml[0], "--sft", "--assistant-only-loss")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "has no {% generation %} tags" in result.stderr


def test_mc018_prompt_that_is_not_a_prefix_shows_the_divergence(tmp_path, chatml):
    # "Hello" + " world" merge across the boundary: the prompt's last token is not kept
    data = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "Hello wor", "completion": "ld, this is a test."},
                                              {"prompt": "Hello", "completion": " world"}])
    found = findings(str(data), "-t", chatml[0], "--sft")
    assert found["MC018"]["severity"] == "warning"
    assert lines(found["MC018"]) == [1]
    assert "' wor'" in found["MC018"]["rows"][0]["detail"]
    sample = found["MC018"]["rows"][0]["sample"]  # the prepared example: prompt + completion, prompt untrained
    assert "".join(sample["tokens"]).startswith("Hello world, this is a test.")
    assert sample["labels"][0] == -100 and sample["labels"][-1] != -100


def test_mc019_labels_shifted_by_hand(tmp_path):
    ids = [10, 11, 12, 13, 14]
    data = write_jsonl(tmp_path / "d.jsonl", [{"input_ids": ids, "labels": ids[1:] + [-100]},
                                              {"input_ids": ids, "labels": ids}])
    found = findings(str(data))
    assert found["MC019"]["severity"] == "error" and lines(found["MC019"]) == [1]
    assert "4 of 4 trained labels" in found["MC019"]["rows"][0]["detail"]


def test_mc020_packed_row_whose_document_start_is_trained(tmp_path):
    row = {"input_ids": [10, 11, 12, 13, 14], "position_ids": [0, 1, 2, 0, 1]}
    data = write_jsonl(tmp_path / "d.jsonl", [row | {"labels": [-100, 11, 12, 13, 14]},
                                              row | {"labels": [-100, 11, 12, -100, 14]}])
    found = findings(str(data))
    assert found["MC020"]["severity"] == "error" and lines(found["MC020"]) == [1]
    assert "start(s) at 3 trained" in found["MC020"]["rows"][0]["detail"]


def test_mc021_left_padding_without_position_ids(tmp_path):
    base = {"input_ids": [50256, 50256, 11, 12], "attention_mask": [0, 0, 1, 1], "labels": [-100, -100, 11, 12]}
    data = write_jsonl(tmp_path / "d.jsonl", [base, base | {"position_ids": [0, 0, 0, 1]}])
    found = findings(str(data), "--pad-token", "eos")
    assert found["MC021"]["severity"] == "warning" and lines(found["MC021"]) == [1]


def test_sft_report_counts_trained_tokens_by_role_and_dropped_examples(tmp_path, chatml):
    data = write_jsonl(tmp_path / "d.jsonl", [CHAT, {"prompt": "The cat sat on the mat.", "completion": " Yes."}])
    result = run(str(data), "-t", chatml[0], "--sft", "--assistant-only-loss", "--chat-template", chatml[1],
                 "--max-length", "4", "--format", "json", "--exit-zero")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    result = run(str(data.parent / "d.jsonl"), "-t", chatml[0], "--sft", "--max-length", "5", "--format", "json")
    sft = json.loads(result.stdout)["summary"]["sft"]
    assert sft["dropped_fully_masked"] == 1 and sft["dropped_first"] == [f"{data}:2"]
    assert sft["trained_by_role"] == {"system": {"tokens": 5, "trained": 5}}


def test_show_sft_json_has_roles_token_text_and_counts(tmp_path, chatml, cli):
    data = write_jsonl(tmp_path / "d.jsonl", [CHAT])
    result = cli("show", "-f", data, "-t", chatml[0], "--sft", "--assistant-only-loss", "--chat-template", chatml[1],
                 "--json", "--no-matrices")
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)["sequences"][0]
    assert row["labels_from"] == "assistant_masks"
    assert "".join(row["token_text"]) == "".join(
        f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in CHAT["messages"])
    assert [row["roles"][i] for i, t in enumerate(row["token_text"]) if t == "<|im_start|>"] == \
        ["system", "user", "assistant"]
    assert "こんにちは" in row["token_text"] and "👋" in row["token_text"]
    by_role = row["trained_by_role"]
    assert by_role["system"]["trained"] == by_role["user"]["trained"] == 0 < by_role["assistant"]["trained"]
    trained_roles = {role for role, label in zip(row["roles"], row["labels"]) if label != -100}
    assert trained_roles == {"assistant"}


# Given labels next to the messages or prompt they came from (MC022-MC024). The clean labels are
# what transformers' apply_chat_template(return_assistant_tokens_mask=True) marks, not maskcli.

SHIPPED_TRAINING = {"llama3": ("llama3.jinja", "llama3_training.jinja"), "gemma": ("gemma.jinja", "gemma_training.jinja")}
TWO_TURNS = [{"role": "user", "content": "Hello world"}, {"role": "assistant", "content": "The cat sat."}]


@pytest.fixture(scope="module")
def families(tmp_path_factory, chatml):
    """family -> (tokenizer directory, training template file): ChatML, Llama-3, Gemma."""
    out = {"chatml": chatml}
    trl = pytest.importorskip("trl")
    from importlib.resources import files

    shipped = files(trl.__name__) / "chat_templates"
    root = tmp_path_factory.mktemp("families")
    for family, (plain, training) in SHIPPED_TRAINING.items():
        directory = tokenizer_factory.chat_like(root / family, family, (shipped / plain).read_text())
        template = root / f"{family}_training.jinja"
        template.write_text((shipped / training).read_text())
        out[family] = (str(directory), str(template))
    return out


def assistant_labels(directory, template_path, messages):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(directory)
    out = hf.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True,
                                 chat_template=open(template_path).read())
    ids = list(out["input_ids"])
    return ids, [t if m else -100 for t, m in zip(ids, out["assistant_masks"])]


@pytest.mark.parametrize("family", ["chatml", "llama3", "gemma"])
def test_mc023_given_labels_train_the_user_turn(tmp_path, families, family):
    directory, template = families[family]
    ids, clean = assistant_labels(directory, template, TWO_TURNS)
    data = write_jsonl(tmp_path / "d.jsonl", [{"input_ids": ids, "labels": ids, "messages": TWO_TURNS},
                                              {"input_ids": ids, "labels": clean, "messages": TWO_TURNS}])
    found = findings(str(data), "-t", directory, "--sft", "--assistant-only-loss", "--chat-template", template)
    assert found["MC023"]["severity"] == "error" and lines(found["MC023"]) == [1]
    detail = found["MC023"]["rows"][0]["detail"]
    assert "user" in detail and "Hello world" in detail and "TRL trains given labels as they are" in detail
    assert "MC024" not in found and "MC022" not in found
    # without --assistant-only-loss, training every token is what was asked
    assert "MC023" not in findings(str(data), "-t", directory, "--sft", "--chat-template", template)


def test_mc022_given_labels_train_the_prompt(tmp_path, chatml):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(chatml[0])
    prompt, completion = "The cat sat", " on the mat."
    n = len(hf(prompt)["input_ids"])
    ids = hf(prompt + completion + "<|im_end|>")["input_ids"]
    record = {"prompt": prompt, "completion": completion, "input_ids": ids}
    data = write_jsonl(tmp_path / "d.jsonl", [record | {"labels": ids},
                                              record | {"labels": [-100] * n + ids[n:]}])
    found = findings(str(data), "-t", chatml[0], "--sft")
    assert found["MC022"]["severity"] == "error" and lines(found["MC022"]) == [1]
    assert f"{n} prompt token(s) trained at 0" in found["MC022"]["rows"][0]["detail"]
    assert "'The cat sat'" in found["MC022"]["rows"][0]["detail"]
    assert found["MC022"]["rows"][0]["sample"]["input_ids"] == found["MC022"]["rows"][0]["sample"]["labels"] == ids
    assert "MC022" not in findings(str(data), "-t", chatml[0], "--sft", "--no-completion-only-loss")


def test_mc022_keep_end_cut_rows_line_up_with_their_prompt(tmp_path, chatml):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(chatml[0])
    ids = hf("The cat sat on the mat.<|im_end|>")["input_ids"]
    n = len(hf("The cat sat")["input_ids"])
    cut = ids[1:]  # the first token cut off (keep_end): still lines up, one prompt token fewer
    data = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "The cat sat", "completion": " on the mat.",
                                               "input_ids": cut, "labels": cut}])
    found = findings(str(data), "-t", chatml[0], "--sft")
    assert f"{n - 1} prompt token(s) trained at 0" in found["MC022"]["rows"][0]["detail"]


def test_mc024_given_ids_that_are_not_the_rendering(tmp_path, families):
    directory, template = families["llama3"]
    ids, clean = assistant_labels(directory, template, TWO_TURNS)
    doubled = ids[:1] + ids  # a second <|begin_of_text|>
    data = write_jsonl(tmp_path / "d.jsonl", [{"input_ids": doubled, "labels": [-100] + clean, "messages": TWO_TURNS},
                                              {"input_ids": ids, "labels": clean, "messages": TWO_TURNS}])
    found = findings(str(data), "-t", directory, "--sft", "--assistant-only-loss", "--chat-template", template)
    assert found["MC024"]["severity"] == "warning" and lines(found["MC024"]) == [1]
    assert "at token 1" in found["MC024"]["rows"][0]["detail"]
    assert "MC023" not in found


def test_given_rows_get_roles_from_their_messages(tmp_path, chatml):
    ids, clean = assistant_labels(chatml[0], chatml[1], TWO_TURNS)
    data = write_jsonl(tmp_path / "d.jsonl", [{"input_ids": ids, "labels": clean, "messages": TWO_TURNS}])
    result = run(str(data), "-t", chatml[0], "--sft", "--assistant-only-loss", "--chat-template", chatml[1],
                 "--format", "json")
    by_role = json.loads(result.stdout)["summary"]["sft"]["trained_by_role"]
    assert by_role["user"]["trained"] == 0 < by_role["assistant"]["trained"] == sum(label != -100 for label in clean)


# --require-eos with chat templates: a turn end (and the template's trailing newline) ends a row.

@pytest.mark.parametrize("family", ["chatml", "llama3", "gemma"])
def test_mc014_accepts_the_template_turn_end_and_names_tokens_as_text(tmp_path, families, family):
    from transformers import AutoTokenizer

    directory, _ = families[family]
    hf = AutoTokenizer.from_pretrained(directory)
    ids = hf.apply_chat_template(TWO_TURNS, tokenize=True, return_dict=True)["input_ids"]
    data = write_jsonl(tmp_path / "d.jsonl", [{"messages": TWO_TURNS}, {"input_ids": ids}, {"input_ids": ids[:-3]}])
    found = findings(str(data), "-t", directory, "--require-eos")
    assert lines(found["MC014"]) == [3]
    detail = found["MC014"]["rows"][0]["detail"]
    last = ids[-4]
    assert f"{hf.decode([last])!r} (id {last})" in detail
    assert ("turn end" in detail) == (family != "llama3")  # Llama-3's turn end <|eot_id|> is its EOS
    assert f"{hf.eos_token!r} (id {hf.eos_token_id})" in detail


def test_sft_with_num_proc_gives_the_report_of_one_process(tmp_path, chatml):
    """Workers prepare chunks of records; packing, collating and checking stay in record order."""
    from maskcli.check import sft as check_sft

    no_assistant = {"messages": CHAT["messages"][:2]}
    records = [CHAT if i % 5 else no_assistant for i in range(23)] + [{"messages": TWO_TURNS}] * 7
    data = write_jsonl(tmp_path / "d.jsonl", records)
    args = (str(data), "-t", chatml[0], "--sft", "--assistant-only-loss", "--chat-template", chatml[1],
            "--packing", "--max-length", "48", "--batch-size", "3", "--format", "json", "--exit-zero")
    chunk = check_sft.CHUNK_RECORDS
    check_sft.CHUNK_RECORDS = 4  # several chunks (the workers are spawned: they keep their own value)
    try:
        one, two = run(*args), run(*args, "--num-proc", "2")
    finally:
        check_sft.CHUNK_RECORDS = chunk
    assert one.exit_code == two.exit_code == 0, two.stderr
    reports = [json.loads(r.stdout) for r in (one, two)]
    for report in reports:
        report.pop("settings")
    assert reports[0] == reports[1]
    assert reports[0]["findings"][0]["id"] == "MC017" and reports[0]["findings"][0]["count"] == 5


def test_padding_free_rows_are_not_longer_than_max_length(tmp_path, chatml):
    """A flattened (bfd-packed) row holds a whole batch; max_length bounds its documents (no MC008)."""
    data = write_jsonl(tmp_path / "d.jsonl", [{"messages": TWO_TURNS}] * 12)
    found = findings(str(data), "-t", chatml[0], "--sft", "--packing", "--max-length", "24")
    assert "MC008" not in found
