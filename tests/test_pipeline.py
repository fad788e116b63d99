"""check's threaded pipeline gives the same rows as show's plain batching, and stops cleanly."""

import json
import threading

import numpy as np

from maskcli.data.batches import Selection, SkipLog, interpreted, make_batch, prefetched, rows_of, selected_records, tokenized
from maskcli.data.encoding import EncodeSettings
from maskcli.data.tokenizer import load_tokenizer


def test_pipeline_rows_match_make_batch(tmp_path):
    path = tmp_path / "mixed.jsonl"
    records = [{"text": "Hello world"}, {"input_ids": [1, 2, 3], "attention_mask": [1, 1, 0]},
               {"text": "<|endoftext|><|endoftext|> a long text that gets cut " * 3}, {"text": ""}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    tok = load_tokenizer("gpt2", pad_token="eos")
    settings = EncodeSettings(padding="none", max_length=8, truncation=True)

    def groups():
        return interpreted(selected_records([str(path)], None, Selection(), SkipLog()), tok, field_name="text",
                           batch_size=3, log=SkipLog(), strict=False)

    expected = [make_batch(tok, settings, items) for items in groups()]
    piped = [rows_of(tok, encoded, special_tokens_mask=False)
             for encoded in prefetched(tokenized(tok, settings, items) for items in prefetched(groups()))]
    assert [len(b.rows) for b in piped] == [3, 1]
    for want_batch, got_batch in zip(expected, piped):
        assert got_batch.shapes == want_batch.shapes and got_batch.resolved == want_batch.resolved
        for want, got in zip(want_batch.rows, got_batch.rows):
            assert got.source == want.source and got.text == want.text and got.pretokenized == want.pretokenized
            assert np.array_equal(got.input_ids, want.input_ids)
            assert np.array_equal(got.attention_mask, want.attention_mask)
            assert (got.truncated, got.length_before_truncation) == (want.truncated, want.length_before_truncation)
            if not want.pretokenized:
                assert want.special_tokens_mask is not None and got.special_tokens_mask is None
    assert piped[0].rows[2].truncated and piped[0].rows[2].length_before_truncation > 8


def test_chained_prefetched_stops_every_stage_early():
    produced = []

    def endless():
        for i in range(10_000):
            produced.append(i)
            yield i

    got = []
    for item in prefetched(x * 10 for x in prefetched(endless(), depth=2)):
        got.append(item)
        if item == 30:
            break
    assert got == [0, 10, 20, 30]
    assert len(produced) < 15  # the first stage stopped too, soon after the consumer left
    assert not [t for t in threading.enumerate() if t.name == "maskcli-prefetch"]  # both threads are gone
