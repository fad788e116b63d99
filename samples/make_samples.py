"""Regenerate the derived samples: python samples/make_samples.py (run from the repo root).

Hand-written samples (*.txt, *.jsonl, *.csv, *.tsv) are committed as they are; this script makes
the binary ones and the pre-tokenized ones from the built-in gpt2 tokenizer, so their ids are real.
"""

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT.parent / "tests"))

from maskcli.data.tokenizer import load_tokenizer  # noqa: E402

TEXTS = [line for line in (ROOT / "prompts.txt").read_text(encoding="utf-8").splitlines()]


def write_jsonl(name, records):
    (ROOT / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def pretokenized():
    """A collator's output: right padding with pad = eos; prompt and padding labelled -100.

    Row 1 is the classic bug: the real final EOS gets label -100 because it equals the pad id.
    """
    tok = load_tokenizer("gpt2")
    eos = tok.eos_token_id
    pairs = [("Q: What is 2+2?\nA:", " 4"), ("Q: Name a colour.\nA:", " Blue"), ("Q: Capital of France?\nA:", " Paris")]
    encoded = []
    for prompt, answer in pairs:
        p = tok.backend.encode(prompt).ids
        a = tok.backend.encode(answer).ids + [eos]
        encoded.append((p, a))
    width = max(len(p) + len(a) for p, a in encoded)
    records = []
    for i, (p, a) in enumerate(encoded):
        ids = p + a
        pad = width - len(ids)
        labels = [-100] * len(p) + a
        if i == 1:
            labels[-1] = -100  # pad = eos collator masked the real EOS too
        records.append({
            "input_ids": ids + [eos] * pad,
            "attention_mask": [1] * len(ids) + [0] * pad,
            "labels": labels + [-100] * pad,
        })
    write_jsonl("pretokenized.jsonl", records)


def packed():
    """Two packed rows of three documents each; position ids restart, the mask is all ones."""
    tok = load_tokenizer("gpt2")
    eos = tok.eos_token_id
    rows = []
    for texts in (TEXTS[:3], TEXTS[3:6]):
        ids, positions = [], []
        for text in texts:
            doc = tok.backend.encode(text).ids[:6] + [eos]
            ids += doc
            positions += list(range(len(doc)))
        rows.append({"input_ids": ids, "attention_mask": [1] * len(ids), "position_ids": positions, "labels": ids})
    write_jsonl("packed.jsonl", rows)


def flattened():
    """One row as transformers' DataCollatorWithFlattening returns it: position_ids restart, the first
    label of each document is -100, and no attention_mask (transformers keeps documents apart)."""
    from transformers import DataCollatorWithFlattening

    tok = load_tokenizer("gpt2")
    docs = [tok.backend.encode(text).ids[:5] + [tok.eos_token_id] for text in TEXTS[:3]]
    batch = DataCollatorWithFlattening(return_tensors="np")([{"input_ids": doc} for doc in docs])
    write_jsonl("flattened.jsonl", [{key: batch[key][0].tolist() for key in ("input_ids", "labels", "position_ids")}])


def torchtune():
    tok = load_tokenizer("gpt2")
    eos = tok.eos_token_id
    prompt = tok.backend.encode("Translate to French: cat\n").ids
    answer = tok.backend.encode("chat").ids + [eos]
    write_jsonl("torchtune.jsonl", [{"tokens": prompt + answer, "mask": [True] * len(prompt) + [False] * len(answer)}])


def tables():
    table = pa.table({"text": TEXTS, "id": list(range(len(TEXTS)))})
    pq.write_table(table, ROOT / "texts.parquet")
    directory = ROOT / "hf_dataset"
    directory.mkdir(exist_ok=True)
    with pa.OSFile(str(directory / "data-00000-of-00001.arrow"), "wb") as sink:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    (directory / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
    (directory / "dataset_info.json").write_text(json.dumps({"features": {"text": {"dtype": "string"}}}))


def chat_tokenizer():
    import tokenizer_factory

    tokenizer_factory.gpt2_like(ROOT / "tiny-chat-tokenizer", chat_template=True)


if __name__ == "__main__":
    pretokenized()
    packed()
    flattened()
    torchtune()
    tables()
    chat_tokenizer()
