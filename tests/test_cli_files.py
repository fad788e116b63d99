"""`maskcli show --file`: every format and record shape, pre-tokenized round trips, bad input."""

import json
import tracemalloc

import pytest

from conftest import SAMPLES
from maskcli.data.batches import SkipLog, read_batches
from maskcli.data.encoding import EncodeSettings
from maskcli.data.tokenizer import load_tokenizer


def documents(result):
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def sequences(result):
    return [s for doc in documents(result) for s in doc["sequences"]]


@pytest.mark.parametrize(
    "name, shape",
    [
        ("prompts.txt", "text"),
        ("texts.jsonl", "field:text"),
        ("texts.csv", "field:text"),
        ("texts.tsv", "field:text"),
        ("texts.parquet", "field:text"),
        ("hf_dataset", "field:text"),
        ("prompt_completion.jsonl", "prompt+completion"),
        ("alpaca.jsonl", "alpaca"),
    ],
)
def test_text_formats_and_shapes(cli, name, shape):
    seqs = sequences(cli("show", "--file", SAMPLES / name, "--pad-token", "eos", "--json", "--no-matrices"))
    assert seqs and all(s["shape"] == shape for s in seqs)
    assert all(s["source"]["path"] == str(SAMPLES / name) for s in seqs)
    tok = load_tokenizer("gpt2")
    for s in seqs:  # each text tokenized exactly as the inline path does
        assert s["input_ids"][: s["num_tokens"]] == tok.backend.encode(s["text"]).ids


def test_line_numbers_and_csv_quoting(cli):
    seqs = sequences(cli("show", "-f", SAMPLES / "texts.csv", "--pad-token", "eos", "--json", "--no-matrices"))
    assert [s["source"]["line"] for s in seqs] == [2, 3, 4]
    assert seqs[2]["text"] == 'A "quoted" field, with a comma'


def test_chat_messages_use_the_chat_template(cli):
    tokenizer = SAMPLES / "tiny-chat-tokenizer"
    seqs = sequences(cli("show", "-f", SAMPLES / "chat.jsonl", "-t", tokenizer, "--pad-token", "eos", "--json"))
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(tokenizer))
    record = json.loads((SAMPLES / "chat.jsonl").read_text().splitlines()[0])
    expected = hf.apply_chat_template(record["messages"], tokenize=True)
    expected = expected["input_ids"] if isinstance(expected, dict) or hasattr(expected, "keys") else expected
    assert seqs[0]["shape"] == "messages"
    assert seqs[0]["input_ids"][: seqs[0]["num_tokens"]] == list(expected)


def test_sharegpt_conversations(cli):
    seqs = sequences(cli("show", "-f", SAMPLES / "sharegpt.jsonl", "-t", SAMPLES / "tiny-chat-tokenizer", "--json"))
    assert seqs[0]["shape"] == "conversations"
    assert seqs[0]["text"].startswith("<|user|>Say hi.")


def test_chat_without_template_is_a_clear_error(cli):
    result = cli("show", "-f", SAMPLES / "chat.jsonl")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {SAMPLES / 'chat.jsonl'}:1: messages records need a chat template")


def test_pretokenized_round_trip_unchanged(cli):
    given = [json.loads(line) for line in (SAMPLES / "pretokenized.jsonl").read_text().splitlines()]
    seqs = sequences(cli("show", "-f", SAMPLES / "pretokenized.jsonl", "--json", "--pad-token", "eos"))
    for record, seq in zip(given, seqs, strict=True):
        assert seq["shape"] == "pretokenized"
        for field in ("input_ids", "attention_mask", "labels"):
            assert seq[field] == record[field]
    assert [s.get("final_eos_trained") for s in seqs] == [True, False, True]


def test_wrong_given_mask_is_shown_and_pointed_out(cli, tmp_path):
    path = tmp_path / "wrong.jsonl"
    path.write_text(json.dumps({"input_ids": [15496, 995, 50256, 50256], "attention_mask": [1, 0, 1, 1]}) + "\n")
    seq = sequences(cli("show", "-f", path, "--json", "--pad-token", "eos"))[0]
    assert seq["attention_mask"] == [1, 0, 1, 1]  # as given, never "fixed"
    assert seq["mask_disagrees_with_pad_tokens"] == {"masked_real_tokens": [1], "attended_pad_tokens": [3]}
    text = cli("show", "-f", path, "--pad-token", "eos").stdout
    assert "masked real token!" in text and "attended pad!" in text


def test_packed_rows_show_documents(cli):
    seqs = sequences(cli("show", "-f", SAMPLES / "packed.jsonl", "--json", "--no-matrices"))
    assert seqs[0]["documents"][:8] == [0] * 7 + [1]
    text = cli("show", "-f", SAMPLES / "packed.jsonl").stdout
    assert "← new document" in text and "packing-ignored: position_ids hold 3 packed documents" in text


def test_torchtune_tokens_and_mask(cli):
    seq = sequences(cli("show", "-f", SAMPLES / "torchtune.jsonl", "--json"))[0]
    record = json.loads((SAMPLES / "torchtune.jsonl").read_text())
    assert seq["shape"] == "torchtune" and seq["input_ids"] == record["tokens"]
    assert seq["labels"] == [-100 if m else t for t, m in zip(record["tokens"], record["mask"])]


def test_left_padding_derives_position_ids(cli):
    seqs = sequences(cli("show", "-f", SAMPLES / "texts.jsonl", "--pad-token", "eos", "--padding-side", "left",
                         "--json", "--no-matrices"))
    short = min(seqs, key=lambda s: s["num_tokens"])
    pads = len(short["input_ids"]) - short["num_tokens"]
    assert short["derived_position_ids"] == [0] * pads + list(range(short["num_tokens"]))


def test_rows_limit_and_batch_size(cli):
    docs = documents(cli("show", "-f", SAMPLES / "prompts.txt", "--rows", "1:5", "--limit", "3", "--batch-size", "2",
                         "--pad-token", "eos", "--json", "--no-matrices"))
    assert [len(d["sequences"]) for d in docs] == [2, 1]
    assert [s["source"]["line"] for d in docs for s in d["sequences"]] == [2, 3, 4]


def test_rows_that_select_nothing_are_an_error(cli):
    lines = len((SAMPLES / "prompts.txt").read_text().splitlines())
    for rows in (f"{lines}:", f"{lines + 3}:{lines + 9}"):
        result = cli("show", "-f", SAMPLES / "prompts.txt", "--rows", rows)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == f"Error: --rows {rows} starts past the last record: the input has {lines} records\n"
    assert cli("show", "-f", SAMPLES / "prompts.txt", "--rows", f"{lines - 1}:", "--json").exit_code == 0
    for option in (["--rows", "1:"], ["--limit", "1"]):
        result = cli("show", "a", "b", *option)
        assert result.exit_code == 2 and result.stderr.startswith("Error: --rows and --limit pick records of --file")


def test_stdin_is_read_when_piped(cli):
    data = (SAMPLES / "texts.jsonl").read_text()
    seqs = sequences(cli("show", "--pad-token", "eos", "--json", "--no-matrices", input=data))
    assert len(seqs) == 4 and seqs[0]["shape"] == "field:text"
    assert seqs[0]["source"]["path"] == "<stdin>"


def test_grids_name_source_and_shape(cli):
    result = cli("show", "-f", SAMPLES / "texts.jsonl", "--pad-token", "eos", "--batch-size", "2")
    assert f"batch 0 · {SAMPLES / 'texts.jsonl'} lines 1-2 · field:text" in result.stdout
    assert f"batch 1 · {SAMPLES / 'texts.jsonl'} lines 3-4" in result.stdout


def test_output_file_holds_json_lines(cli, tmp_path):
    target = tmp_path / "out.jsonl"
    result = cli("show", "-f", SAMPLES / "prompts.txt", "--pad-token", "eos", "--batch-size", "4", "-o", target)
    assert result.exit_code == 0
    lines = target.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(l)["schema_version"] == 1 for l in lines)


def bad(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("a.jsonl", b'{"text": "ok"}\n{"text": "no close"\n', "a.jsonl:2: malformed JSON"),
        ("b.jsonl", b'{"txt": "x", "id": 1}\n', "b.jsonl:1: missing field 'text' (keys present: id, txt)"),
        ("c.jsonl", b'{"text": 42}\n', "c.jsonl:1: field 'text': expected a string, got int"),
        ("d.txt", b"fine\nbad \xff byte\n", "d.txt:2: invalid UTF-8 at byte offset 9"),
        ("e.jsonl", b"", "e.jsonl: file is empty"),
        ("f.csv", b"id,body\n1,hello\n", "f.csv:2: missing field 'text' (keys present: body, id)"),
        ("g.jsonl", b'{"input_ids": [1, 2, 3], "attention_mask": [1, 1]}\n',
         "g.jsonl:1: field 'attention_mask' has 2 values but 'input_ids' has 3"),
        ("h.jsonl", b'{"input_ids": [1, 99999999]}\n', "h.jsonl:1: field 'input_ids'[1] = 99999999 is outside the vocabulary"),
        ("i.parquet", b"this is not parquet at all", "i.parquet: not a Parquet file"),
        ("j.jsonl", b'{"input_ids": "1 2 3"}\n', "j.jsonl:1: field 'input_ids': expected a list of integers"),
    ],
)
def test_bad_input_names_file_line_and_field(cli, tmp_path, name, content, message):
    path = bad(tmp_path, name, content)
    out = tmp_path / "out.jsonl"
    result = cli("show", "-f", path, "--pad-token", "eos", "-o", out)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0]
    assert not out.exists() and list(tmp_path.iterdir()) == [path]  # nothing written half-way


def test_missing_file(cli):
    result = cli("show", "-f", "nope.jsonl")
    assert result.exit_code == 2 and "Error: nope.jsonl: no such file" in result.stderr


def test_on_error_skip_counts_and_reports(cli):
    result = cli("show", "-f", SAMPLES / "broken.jsonl", "--on-error", "skip", "--json", "--no-matrices",
                 "--pad-token", "eos")
    seqs = sequences(result)
    assert [s["source"]["line"] for s in seqs] == [1, 2, 6]
    assert "skipped 3 bad row(s)" in result.stderr
    assert "broken.jsonl:3: malformed JSON" in result.stderr and "broken.jsonl:5: field 'text'" in result.stderr


def test_streaming_memory_is_bounded(tmp_path):
    """Reading a file 10x larger must not need 10x the memory: rows are streamed batch by batch."""
    tok = load_tokenizer("gpt2", pad_token="eos")

    def peak(n):
        path = tmp_path / f"big{n}.jsonl"
        with path.open("w") as handle:
            for i in range(n):
                handle.write(json.dumps({"text": f"row {i} " + "lorem ipsum dolor sit amet " * 8}) + "\n")
        tracemalloc.start()
        count = sum(len(b.rows) for b in read_batches([str(path)], tok, EncodeSettings(), batch_size=64, log=SkipLog()))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == n
        return top

    small, large = peak(2_000), peak(20_000)
    assert large < 2 * small


def test_prefetched_keeps_order_reraises_and_stops_early():
    from maskcli.data.batches import prefetched

    assert list(prefetched(iter(range(50)))) == list(range(50))

    def failing():
        yield 1
        raise ValueError("boom at 2")

    got = []
    with pytest.raises(ValueError, match="boom at 2"):
        for item in prefetched(failing()):
            got.append(item)
    assert got == [1]

    produced = []

    def endless():
        for i in range(10_000):
            produced.append(i)
            yield i

    for item in prefetched(endless(), depth=2):
        if item == 3:
            break
    assert len(produced) < 10  # the producer stopped soon after the consumer left


def test_missing_pyarrow_names_the_package(cli, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now raises ImportError
    result = cli("show", "-f", SAMPLES / "texts.parquet", "--pad-token", "eos")
    assert result.exit_code == 2
    assert "pip install 'maskcli[parquet]'" in result.stderr and "pyarrow" in result.stderr


def test_view_legend_names_only_the_glyphs_drawn(tmp_path):
    """A plain causal .npy has no padding and no empty row: the legend says attend and blocked only."""
    import numpy as np
    from typer.testing import CliRunner

    from maskcli.cli import app

    np.save(tmp_path / "c.npy", np.tril(np.ones((3, 3), dtype=bool)))
    result = CliRunner().invoke(app, ["view", str(tmp_path / "c.npy")], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "■ attend  · blocked\n" in result.output  # a raw file does not say why
    assert "blocked by padding" not in result.output and "pad query" not in result.output and "NaN" not in result.output
    help_text = CliRunner().invoke(app, ["view", "--help"], env={"COLUMNS": "100"}).output
    assert "Convention of A" not in help_text and "raw matrices" in help_text


@pytest.mark.parametrize(
    "document, message",
    [
        ({"sequences": 5}, "field sequences must be a JSON list, not int"),
        ({"sequences": [{"masks": {"causal": [[1]]}}]}, "field sequences[0].attention_mask is missing"),
        ({"sequences": [5]}, "sequences[0] must be an object, not int"),
        ({"sequences": [{"attention_mask": [1], "masks": 3}]}, "field sequences[0].masks must be a JSON object, not int"),
        ({"sequences": [], "mask_convention": "hf"}, "field mask_convention must be a JSON object, not str"),
    ],
)
def test_view_of_a_malformed_maskcli_document_names_the_field(tmp_path, document, message):
    import json

    from typer.testing import CliRunner

    from maskcli.cli import app

    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(app, ["view", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"Error: {path}: {message}"]


def test_view_and_diff_read_a_multi_batch_json_lines_export(tmp_path):
    """`show -f FILE --batch-size 1 -o out.json` writes one document per batch; view draws every row."""
    from typer.testing import CliRunner

    from maskcli.cli import app

    out = tmp_path / "multi.json"
    runner = CliRunner()
    made = runner.invoke(app, ["show", "-f", "samples/texts.jsonl", "--batch-size", "1", "--pad-token", "eos", "-o", str(out)])
    assert made.exit_code == 0, made.output
    batches = len(out.read_text().splitlines())
    assert batches > 1
    viewed = runner.invoke(app, ["view", str(out), "--name", "combined"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert viewed.exit_code == 0, viewed.output
    assert [f"combined · sequence {i}" in viewed.output for i in range(batches)] == [True] * batches
    same = runner.invoke(app, ["diff", str(out), str(out)])
    assert same.exit_code == 0, same.output


def test_view_refuses_a_huge_npz_by_its_header_under_a_memory_limit(tmp_path):
    """A 32 kB .npz declaring a 40000 x 40000 mask: refused from the member header, within 2 GB of address space."""
    import os
    import subprocess
    import sys
    import zipfile

    import numpy.lib.format as npformat

    path = tmp_path / "big.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("mask.npy", "w", force_zip64=True) as stream:
            npformat.write_array_header_1_0(stream, {"descr": "|b1", "fortran_order": False, "shape": (40000, 40000)})
            stream.write(b"\0" * (1 << 20))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    done = subprocess.run(["bash", "-c", f'ulimit -v 2000000; exec "{sys.executable}" -m maskcli view "{path}"'],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Error: {path}: its arrays hold 1,600,000,000 cells, more than the 67,108,864 maskcli reads; "
        "cut the mask to the tokens you need (e.g. mask[100:160, 100:160]) before viewing it"]
