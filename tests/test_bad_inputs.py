"""Every bad input is one ``Error:`` line on stderr and exit 2; an unexpected exception is one
``internal error:`` line; a full disk is one line. Exit 1 stays "check found problems"."""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLES

ROOT = Path(__file__).parent.parent
BIG = 2**70
ENV = {**{k: v for k, v in os.environ.items() if k != "MASKCLI_DEBUG"}, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}


def one_line(result, message):
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def jsonl(tmp_path, *records):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.parametrize(
    "record, message",
    [
        ({"input_ids": [1, BIG]}, f"rows.jsonl:1: field 'input_ids'[1] = {BIG} does not fit in 64 bits"),
        ({"input_ids": [1, 2], "labels": [-BIG, 2]}, f"field 'labels'[0] = {-BIG} does not fit in 64 bits"),
        ({"input_ids": [1, 2], "attention_mask": [1, BIG]}, "field 'attention_mask'[1]"),
        ({"tokens": [1, 2], "mask": [True, BIG]}, f"field 'mask'[1] = {BIG} does not fit in 64 bits"),
        ({"input_ids": [1, 2], "attention_mask": [1, -1]}, "field 'attention_mask'[1] = -1: expected 0 or 1"),
        ({"input_ids": [1, 2], "attention_mask": [2, 1]}, "field 'attention_mask'[0] = 2: expected 0 or 1"),
        ({"input_ids": None}, "rows.jsonl:1: field 'input_ids': expected a list of integers, got null"),
        ({"input_ids": [1, 2], "labels": "x"}, "field 'labels': expected a list of integers, got str"),
        ({"tokens": [1, 2.5]}, "field 'tokens'[1]: expected an integer, got float 2.5"),
        ({"input_ids": [1, "a"]}, "field 'input_ids'[1]: expected an integer, got str 'a'"),
        ({"input_ids": [1, [2, 3]]}, "field 'input_ids'[1]: expected an integer, got list [2, 3]"),
        ({"input_ids": [1, 2], "labels": [1, None]}, "field 'labels'[1]: expected an integer, got null"),
    ],
)
def test_bad_pretokenized_fields(cli, tmp_path, record, message):
    one_line(cli("show", "-f", jsonl(tmp_path, record), "--pad-token", "eos"), message)


@pytest.mark.parametrize(
    "record, message",
    [
        ({"input_ids": None}, "rows.jsonl:1: field 'input_ids': expected a list of integers, got null"),
        ({"input_ids": [1, BIG]}, f"rows.jsonl:1: field 'input_ids'[1] = {BIG} does not fit in 64 bits"),
        ({"input_ids": [1, [2, 3]]}, "field 'input_ids'[1]: expected an integer, got list [2, 3]"),
        ({"input_ids": [1, 2], "labels": [1, 2.5]}, "field 'labels'[1]: expected an integer, got float 2.5"),
        ({"text": 5}, "rows.jsonl:1: field 'text': expected a string, got int"),
        ({"text": None}, "rows.jsonl:1: field 'text': expected a string, got null"),
        ({"content": "hi"}, "rows.jsonl:1: missing field 'text' (keys present: content)"),
    ],
)
def test_bad_records_of_check_sft(cli, tmp_path, record, message):
    """What TRL's tokenize step would choke on, as the row path says it (``check --sft`` reads records its own way)."""
    one_line(cli("check", "--sft", jsonl(tmp_path, record)), message)


def test_bad_option_files_and_values(cli, tmp_path):
    template = tmp_path / "t.jinja"
    template.write_bytes(b"\xff{{ messages }}")
    rows = jsonl(tmp_path, {"messages": [{"role": "user", "content": "hi"}]})
    one_line(cli("check", "--sft", rows, "--chat-template", str(template)),
             f"--chat-template {template}: not UTF-8 text (invalid byte at offset 0)")
    one_line(cli("show", "hi", "--pad-token", ""), "--pad-token '': '' is not in the vocabulary of gpt2")


LONE = "\ud800"  # a JSON "\\ud800" escape without its low half: no UTF-8 for the tokenizer
NOT_UNICODE = "the text is not valid Unicode: a lone surrogate '\\ud800' at character"


@pytest.mark.parametrize("command", [["show", "-f"], ["check"], ["check", "--sft"]])
@pytest.mark.parametrize("record", [{"text": f"a {LONE}"}, {"prompt": "a", "completion": LONE}])
def test_a_lone_surrogate_is_one_line(cli, tmp_path, command, record):
    """json.loads accepts a lone surrogate escape; the Rust tokenizer refused it with a TypeError."""
    one_line(cli(*command, jsonl(tmp_path, record), "--pad-token", "eos"), f"rows.jsonl:1: {NOT_UNICODE}")


def test_a_lone_surrogate_in_a_chat_or_an_argument_is_one_line(cli, tmp_path):
    import tokenizer_factory

    chat = str(tokenizer_factory.chat_like(tmp_path / "chatml", "chatml"))
    rows = jsonl(tmp_path, {"messages": [{"role": "user", "content": LONE}, {"role": "assistant", "content": "b"}]})
    for command in (["show", "-f", rows, "-t", chat], ["check", rows, "-t", chat, "--sft"]):
        one_line(cli(*command), f"rows.jsonl:1: {NOT_UNICODE}")
    one_line(cli("show", f"x{LONE}"), f"<text>[0]: {NOT_UNICODE} 1")  # bytes not UTF-8 in argv arrive so


@pytest.mark.parametrize("record, message", [
    ({"tools": "{not json"}, "field 'tools': a string that is not JSON (Expecting property name"),
    ({"chat_template_kwargs": 5}, "field 'chat_template_kwargs': expected an object, got int"),
])
def test_bad_chat_extras_of_check_sft(cli, tmp_path, record, message):
    import tokenizer_factory

    chat = str(tokenizer_factory.chat_like(tmp_path / "chatml", "chatml"))
    rows = jsonl(tmp_path, {"messages": [{"role": "user", "content": "hi"}], **record})
    one_line(cli("check", rows, "-t", chat, "--sft"), f"rows.jsonl:1: {message}")


@pytest.mark.parametrize("change, message", [
    (lambda doc: doc.update(schema_version=99), "schema_version 99; this maskcli reads show's exports of schema_version 1"),
    (lambda doc: doc.pop("sequences"), "field sequences is missing"),
    (lambda doc: doc["sequences"][0].update(masks={}), "the document has no mask matrices (written with --no-matrices?)"),
])
def test_a_changed_show_export_is_one_line_in_view_and_diff(cli, tmp_path, change, message):
    exported = cli("show", "a b c", "--json")
    document = json.loads(exported.stdout)
    change(document)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    good = tmp_path / "good.json"
    good.write_text(exported.stdout)
    for args in (["view", path], ["diff", good, path]):
        one_line(cli(*args), f"{path}: {message}")


def test_view_and_diff_of_stdin_say_they_read_paths(cli, tmp_path):
    for args in (["view", "-"], ["diff", "-", "-"]):
        one_line(cli(*args), "mask files are read by path (.npy, .npz, .json), not from stdin")


def test_parquet_and_arrow_files_on_stdin_are_recognised_and_a_pipe_is_one_line(tmp_path):
    """Their magic numbers name the format; their footers need a seekable stdin (< FILE), not a pipe."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"input_ids": [[464, 3797], [15496]]})
    pq.write_table(table, tmp_path / "rows.bin")
    with pa.OSFile(str(tmp_path / "rows.arrow-file"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    with pa.OSFile(str(tmp_path / "rows.arrow-stream"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    command = [sys.executable, "-m", "maskcli", "check", "-", "--format", "json", "--exit-zero"]
    for name, piped in (("rows.bin", "a Parquet file cannot be read from a pipe"),
                        ("rows.arrow-file", "an Arrow IPC file cannot be read from a pipe"), ("rows.arrow-stream", None)):
        data = (tmp_path / name).read_bytes()
        with open(tmp_path / name, "rb") as redirected:
            seekable = subprocess.run(command, stdin=redirected, capture_output=True, text=True, env=ENV)
        assert seekable.returncode == 0 and json.loads(seekable.stdout)["summary"]["rows"] == 2, seekable.stderr
        through_pipe = subprocess.run(command, input=data, capture_output=True, env=ENV)
        if piped is None:
            assert through_pipe.returncode == 0, through_pipe.stderr
        else:
            assert through_pipe.returncode == 2 and through_pipe.stderr.decode().startswith(f"Error: <stdin>: {piped}")


def test_boolean_attention_mask_is_accepted(cli, tmp_path):
    result = cli("show", "-f", jsonl(tmp_path, {"input_ids": [1, 2], "attention_mask": [True, False]}),
                 "--pad-token", "eos", "--json", "--no-matrices")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sequences"][0]["attention_mask"] == [1, 0]


def test_out_of_range_rows_are_skipped_and_counted(cli, tmp_path):
    path = jsonl(tmp_path, {"input_ids": [1, 2]}, {"input_ids": [BIG]}, {"input_ids": [1], "attention_mask": [-1]},
                 {"input_ids": [3, 4]})
    result = cli("show", "-f", path, "--pad-token", "eos", "--on-error", "skip", "--json", "--no-matrices")
    assert result.exit_code == 0, result.stderr
    assert [s["input_ids"] for s in json.loads(result.stdout)["sequences"]] == [[1, 2], [3, 4]]
    assert result.stderr.startswith("Warning: skipped 2 bad row(s)")


def test_deep_json_line_names_file_and_line(cli, tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"text": "ok"}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    one_line(cli("show", "-f", path, "--pad-token", "eos"), f"{path}:2: JSON nested too deeply to read")


def test_deep_json_array_names_file_and_line(cli, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('[{"text": "ok"},\n' + "[" * 100_000 + "]" * 100_000 + "]\n")
    one_line(cli("show", "-f", path, "--pad-token", "eos"), f"{path}:2: JSON nested too deeply to read")


def test_csv_field_of_any_size(cli, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("text\n" + "ab " * 70_000 + "\n")
    result = cli("show", "-f", path, "--max-length", "8", "--truncation", "--padding", "none", "--json", "--no-matrices")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sequences"][0]["text"] == "ab " * 70_000


@pytest.mark.parametrize(
    "args, message",
    [
        (["show", "hi", "--max-length", "99999999999999999999"],
         "Error: --max-length must be between 1 and 2147483647, not 99999999999999999999"),
        (["show", "hi", "--pad-token", "eos", "--pad-to-multiple-of", str(BIG)], "--pad-to-multiple-of must be between 1"),
        (["show", "hi", "--mask", "window:99999999999999999999999"],
         "--mask 'window:99999999999999999999999': size must be between 1 and 2147483647"),
        (["show", "hi", "--mask", "causal", "--layers", "0"], "--layers must be a positive integer, not 0"),
        (["swin", "--image", "0", "0", "--window", "2", "--shift", "1"], "--image 0 0: H and W must be at least 1 patch"),
        (["swin", "--image", "4096", "4096", "--window", "4", "--shift", "1"], "the window masks would hold"),
        (["swin", "--image", "4", "4", "--window", "0", "--shift", "1"], "--window must be at least 1 patch, not 0"),
        (["swin", "--image", "4", "4", "--window", "2", "--shift", "1", "--svg", "same.x", "--png", "same.x"],
         "--svg same.x and --png same.x are one file"),
    ],
)
def test_integer_options_out_of_range(cli, args, message):
    one_line(cli(*args), message)


@pytest.mark.parametrize(
    "args, message",
    [
        (["show", "hi", "--mask", "xlnet", "--seed", "-1"], "Invalid value for '--seed': -1 is not in the range x>=0."),
        (["show", "hi", "--batch-size", "0"], "Invalid value for '--batch-size': 0 is not in the range x>=1."),
        (["swin", "--image", "4", "4", "--window", "2", "--shift", "1", "--windows", "0"],
         "Invalid value for '--windows': 0 is not in the range x>=1."),
    ],
)
def test_integer_options_below_their_minimum(args, message):
    """Checked by typer while parsing: the console script's one-line usage error."""
    done = subprocess.run([sys.executable, "-m", "maskcli", *args], capture_output=True, text=True, env=ENV)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"Error: {message} (see 'maskcli {args[0]} --help')\n"


def test_unexpected_exception_is_one_internal_error_line(cli, monkeypatch):
    import maskcli.data.tokenizer

    def broken(*args, **kwargs):
        raise ZeroDivisionError("the bug")

    monkeypatch.setattr(maskcli.data.tokenizer, "load_tokenizer", broken)
    result = cli("show", "hi")
    assert result.exit_code == 2
    assert result.stderr == ("internal error: ZeroDivisionError: the bug "
                             "(rerun with MASKCLI_DEBUG=1 for the traceback)\n")
    monkeypatch.setenv("MASKCLI_DEBUG", "1")
    result = cli("show", "hi")
    assert isinstance(result.exception, ZeroDivisionError)


def test_keyboard_interrupt_passes_through(cli, monkeypatch):
    import maskcli.data.tokenizer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(maskcli.data.tokenizer, "load_tokenizer", interrupted)
    result = cli("show", "hi")
    assert result.exit_code == 130  # 128 + SIGINT, as typer exits on Ctrl-C: not an internal error
    assert "internal error" not in result.stderr


FULL_STDOUT = """
import errno, io, sys
class Full(io.TextIOBase):
    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")
sys.stdout = Full()
sys.argv = ["maskcli", *sys.argv[1:]]
from maskcli.cli import main
main()
"""


@pytest.mark.parametrize("args", [["show", "hi", "--json"], ["show", "hi"], ["masks", "--json"]])
def test_full_disk_on_stdout_is_one_line(args):
    done = subprocess.run([sys.executable, "-c", FULL_STDOUT, *args], capture_output=True, text=True, env=ENV)
    assert done.returncode == 2
    assert done.stderr == f"Error: no space left on device: the output is incomplete ({os.strerror(errno.ENOSPC)})\n"


def test_model_config_bad_sliding_window_names_file_and_field(cli, tmp_path):
    for value in ("abc", -4):
        (tmp_path / "config.json").write_text(json.dumps({"model_type": "mistral", "sliding_window": value}))
        one_line(cli("show", "hi", "--model-config", tmp_path),
                 f"--model-config {tmp_path / 'config.json'}: field 'sliding_window' must be a whole number 0 or more, "
                 f"not {value!r}")


def _edit_json(path, edit):
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda d: (d / "tokenizer_config.json").write_text("[1, 2]"), "a malformed file (AttributeError"),
        (lambda d: _edit_json(d / "tokenizer_config.json", lambda c: {**c, "model_max_length": "abc"}),
         "tokenizer_config.json has a value of the wrong type"),
        (lambda d: _edit_json(d / "tokenizer.json", lambda t: {**t, "added_tokens": [
            {**t["added_tokens"][0], "id": 2**32}]}), "expected u32"),
        (lambda d: _edit_json(d / "tokenizer.json", lambda t: {**t, "model": {
            **t["model"], "merges": t["model"]["merges"] + [["zzzq", "qqqz"]]}}), "Token `zzzq` out of vocabulary"),
        (lambda d: (d / "tokenizer.json").write_text("not json {"), "Expecting value: line 1 column 1"),
    ],
)
def test_malformed_tokenizer_directory_is_one_line(cli, tmp_path, break_it, message):
    """The transformers path (the native loader's own errors: tests/test_native_bad_inputs.py)."""
    import tokenizer_factory

    directory = tokenizer_factory.gpt2_like(tmp_path / "tok")
    break_it(directory)
    result = cli("show", "hi", "-t", directory, "--pad-token", "eos", "--loader", "transformers")
    one_line(result, message)
    assert str(directory) in result.stderr


def test_mlm_rng_torch_without_torch_names_the_real_option(cli, monkeypatch, tokenizer_dirs):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails as on a plain install
    result = cli("show", "the cat", "-t", tokenizer_dirs["bert_like"], "--mask", "bert-mlm", "--mlm-rng", "torch")
    one_line(result, "Error: --mlm-rng torch needs PyTorch installed (pip install torch); --mlm-rng numpy does not")


def test_pad_token_hint_for_a_bare_tokenizer_json_works(cli, tokenizer_dirs):
    bare = tokenizer_dirs["gpt2_like"] / "tokenizer.json"
    refused = cli("show", "hi there", "a", "-t", bare)
    one_line(refused, "has no pad token; choose one with --pad-token (e.g. --pad-token '<|endoftext|>')")
    assert "pad = eos" not in refused.stderr
    hint = refused.stderr.split("e.g. ")[1].split(")")[0].split(" ", 1)
    assert cli("show", "hi there", "a", "-t", bare, hint[0], hint[1].strip("'"), "--json").exit_code == 0
    one_line(cli("show", "hi", "-t", bare, "--pad-token", "eos"),
             f"--pad-token eos: tokenizer {bare} has no eos token; name a token of its vocabulary instead, "
             "e.g. --pad-token '<|endoftext|>'")


def test_no_max_length_and_no_eos_read_plainly(cli, tokenizer_dirs):
    bare = tokenizer_dirs["gpt2_like"] / "tokenizer.json"  # transformers: no model_max_length, no eos
    result = cli("check", SAMPLES / "texts.jsonl", "-t", bare, "--pad-token", "<|endoftext|>")
    assert result.exit_code in (0, 1), result.stderr
    assert "None" not in result.stdout
    assert "eos none" in result.stdout
    assert "rows over max_length (no max length)" in result.stdout
    assert "the longest row: the tokenizer has no max length" in " ".join(result.stdout.split())
    shown = cli("show", "hi", "-t", bare)
    assert shown.exit_code == 0, shown.stderr
    assert " ".join(shown.stdout.split()).startswith(f"tokenizer {bare} (TokenizersBackend, loaded by tokenizers) · pad none · eos none ")


@pytest.mark.parametrize("fmt", ["markdown", "github", "junit"])
def test_no_max_length_reads_plainly_in_every_report_format(cli, tokenizer_dirs, fmt):
    bare = tokenizer_dirs["gpt2_like"] / "tokenizer.json"
    result = cli("check", SAMPLES / "texts.jsonl", "-t", bare, "--pad-token", "<|endoftext|>", "--format", fmt)
    assert result.exit_code in (0, 1), result.stderr
    assert "None" not in result.stdout
    if fmt == "markdown":
        assert "| rows over max_length (no max length) |" in result.stdout
        assert "context 10, the longest row: the tokenizer has no max length)" in result.stdout


@pytest.mark.parametrize("tokenizer_class", ["BertTokenizer", "PreTrainedTokenizerFast"])
def test_token_type_ids_in_the_json_exactly_when_transformers_returns_them(cli, tmp_path, tokenizer_class):
    import tokenizer_factory
    from transformers import AutoTokenizer

    directory = tokenizer_factory.bert_like(tmp_path / "bert")
    _edit_json(directory / "tokenizer_config.json", lambda c: {**c, "tokenizer_class": tokenizer_class})
    texts = ["the cat sat", "a"]
    expected = AutoTokenizer.from_pretrained(str(directory))(texts, padding=True)
    result = cli("show", *texts, "-t", directory, "--json", "--no-matrices")
    assert result.exit_code == 0, result.stderr
    sequences = json.loads(result.stdout)["sequences"]
    assert [s["input_ids"] for s in sequences] == expected["input_ids"]
    if "token_type_ids" in expected:
        assert [s["token_type_ids"] for s in sequences] == expected["token_type_ids"]
    else:
        assert all("token_type_ids" not in s for s in sequences)


def _arrow_copy(tmp_path):
    import shutil

    copy = tmp_path / "ds"
    shutil.copytree(SAMPLES / "hf_dataset", copy)
    return copy, next(copy.glob("*.arrow"))


def test_save_to_disk_with_a_missing_arrow_file(cli, tmp_path):
    directory, arrow = _arrow_copy(tmp_path)
    arrow.unlink()
    one_line(cli("show", "-f", directory, "--pad-token", "eos"), f"Error: {arrow}: missing (listed in state.json)")


def test_save_to_disk_with_a_truncated_arrow_file(cli, tmp_path):
    directory, arrow = _arrow_copy(tmp_path)
    data = arrow.read_bytes()
    arrow.write_bytes(data[: len(data) // 2])
    one_line(cli("show", "-f", directory, "--pad-token", "eos"), f"Error: {arrow}: damaged file (")


def test_corrupted_parquet_names_the_file(cli, tmp_path):
    data = bytearray((SAMPLES / "texts.parquet").read_bytes())
    middle = len(data) // 2
    data[middle - 20: middle + 20] = bytes(b ^ 0xFF for b in data[middle - 20: middle + 20])
    path = tmp_path / "texts.parquet"
    path.write_bytes(bytes(data))
    one_line(cli("show", "-f", path, "--pad-token", "eos"), f"Error: {path}: ")


@pytest.mark.parametrize("name", ["out.json", "out.npz"])
def test_output_file_prints_no_grids_whatever_its_format(cli, tmp_path, name):
    result = cli("show", "a b c", "--mask", "window:2", "-o", tmp_path / name)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert (tmp_path / name).stat().st_size > 0
    with_json = cli("show", "a b c", "--mask", "window:2", "-o", tmp_path / name, "--json")
    assert json.loads(with_json.stdout)["sequences"][0]["input_ids"] == [64, 275, 269]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--padding", "max_length", "--max-length", "200000000"],
         "Error: --padding max_length (max_length 200000000) pads 1 row to 200,000,000 tokens each, more than the "
         "4,194,304 tokens maskcli pads one batch to; use a smaller --max-length or --padding longest"),
        (["--pad-to-multiple-of", "100000000"],
         "Error: --pad-to-multiple-of 100000000 pads 1 row to 100,000,000 tokens each, more than the "
         "4,194,304 tokens maskcli pads one batch to; use a smaller --pad-to-multiple-of"),
    ],
)
def test_padding_beyond_the_budget_is_refused_before_encoding_under_a_memory_limit(args, message):
    """The Rust tokenizer allocates every pad token: --max-length 200000000 took 18 GB and minutes."""
    command = " ".join(["show", "hi", "--pad-token", "eos", "--json", "--no-matrices", *args])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["bash", "-c", f'ulimit -v 2000000; exec "{sys.executable}" -m maskcli {command}'],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [message]


def test_the_padding_budget_counts_every_row(cli, monkeypatch):
    import maskcli.data.encoding as encoding

    monkeypatch.setattr(encoding, "MAX_BATCH_TOKENS", 64)
    args = ("show", "hi", "a", "--pad-token", "eos", "--json", "--no-matrices", "--padding", "max_length", "--max-length")
    result = cli(*args, "32")
    assert result.exit_code == 0, result.stderr
    assert [len(s["input_ids"]) for s in json.loads(result.stdout)["sequences"]] == [32, 32]
    one_line(cli(*args, "33"), "Error: --padding max_length (max_length 33) pads 2 rows to 33 tokens each, more than the 64 tokens")
