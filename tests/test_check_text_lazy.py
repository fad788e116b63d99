"""Text rows checked from their encodings in bulk (EncodedRows) report what the rows checked one by one do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokenizer_factory
from maskcli.check import CheckConfig, build_report
from maskcli.check.audit import Audit, make_context, record_rows
from maskcli.data.batches import SkipLog
from maskcli.data.encoding import EncodedRows
from maskcli.data.records import Source
from maskcli.data.tokenizer import load_tokenizer

PIECES = ["The cat sat.", " ", "<|endoftext|>", "<s>", "</s>", "hello world " * 9, "", "é"]


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory):
    llama = tokenizer_factory.llama_like(tmp_path_factory.mktemp("llama") / "tok")  # adds BOS: double BOS is possible
    return {"gpt2": load_tokenizer("gpt2", "eos"), "llama": load_tokenizer(str(llama), "eos")}


def audits(tok, config, texts):
    """The audit of ``texts`` through check's own chunks (EncodedRows), and of the same rows made eagerly."""
    ctx, resolved = make_context(tok, config)
    records = [(Source("t.jsonl", line=i + 1), {"text": text}) for i, text in enumerate(texts)]
    lazy, eager = Audit.start(ctx, config), Audit.start(ctx, config)
    for rows in record_rows(records, tok, config, resolved, SkipLog()):
        assert isinstance(rows, EncodedRows)
        lazy.update(rows)
        eager.update_by_row([rows[i] for i in range(len(rows))])
    return lazy, eager


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map("".join), min_size=1, max_size=30),
       name=st.sampled_from(["gpt2", "llama"]), max_length=st.sampled_from([None, 8, 24]),
       truncation=st.booleans(), require_eos=st.booleans(), batch_size=st.sampled_from([1, 3, 8]))
def test_bulk_text_checks_agree_with_rows_one_by_one(tokenizers, texts, name, max_length, truncation, require_eos,
                                                     batch_size):
    tok = tokenizers[name]
    config = CheckConfig(pad_token="eos", max_length=max_length, truncation=truncation and max_length is not None,
                         require_eos=require_eos, batch_size=batch_size, rows_per_finding=3)
    lazy, eager = audits(tok, config, texts)
    paths = ["t.jsonl"]
    assert build_report(lazy, tok, config, paths).to_dict() == build_report(eager, tok, config, paths).to_dict()


def test_only_listed_rows_are_made(tokenizers):
    tok = tokenizers["llama"]
    config = CheckConfig(pad_token="eos", rows_per_finding=2)
    ctx, resolved = make_context(tok, config)
    records = [(Source("t.jsonl", line=i + 1), {"text": "<s> hi" if i % 3 == 0 else "hi"}) for i in range(300)]
    (rows,) = record_rows(records, tok, config, resolved, SkipLog())
    audit = Audit.start(ctx, config)
    audit.update(rows)
    assert audit.hits["MC009"].count == 100  # every third row starts with two BOS
    assert len(rows._made) == 2  # the two listed


def test_unpadded_text_is_encoded_as_it_asks_whatever_its_neighbours(tokenizers):
    """A rendered chat (no special tokens: its template has them) beside a text record (with them):
    unpadded, as check encodes, each is encoded as it would be alone; padded together, all alike."""
    from maskcli.data.batches import tokenized
    from maskcli.data.encoding import EncodeSettings
    from maskcli.data.shapes import TextRecord

    tok = tokenizers["llama"]
    chat = TextRecord(Source("d.jsonl", line=1), "<s>[INST] hi [/INST]", "chat", add_special_tokens=False)
    text = TextRecord(Source("d.jsonl", line=2), "The cat sat.", "text")
    alone = {record.text: tokenized(tok, EncodeSettings(padding="none"), [record]).encodings[0].ids
             for record in (chat, text)}
    assert alone[text.text][0] == tok.bos_token_id and alone[chat.text].count(tok.bos_token_id) == 1
    mixed = tokenized(tok, EncodeSettings(padding="none"), [chat, text, chat])
    assert [e.ids for e in mixed.encodings] == [alone[chat.text], alone[text.text], alone[chat.text]]
    padded = tokenized(tok, EncodeSettings(padding="longest"), [chat, text])
    real = [i for i, m in zip(padded.encodings[1].ids, padded.encodings[1].attention_mask) if m]
    assert real == alone[text.text][1:]  # padded together: none get special tokens
