"""`maskcli show` with inline texts, through the CLI."""

import json

import pytest

GPT2_IDS = [15496, 995, 11, 428, 318, 257, 1332, 13]


def test_show_hello_world_grids(cli):
    result = cli("show", "Hello world")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Hello" in out and "Ġworld" in out and "15496" in out and "995" in out
    for title in ("padding", "causal", "combined"):
        assert title in out
    assert "■ attend" in out and "· blocked by causality" in out and "× blocked by padding" in out
    assert result.stderr == ""


def test_json_document_schema_and_ids(cli):
    result = cli("show", "Hello world, this is a test.", "Hi", "--pad-token", "eos", "--json")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    assert doc["schema_version"] == 1
    assert doc["convention"].startswith("rows are queries, columns are keys")
    assert set(doc["tokenizer"]) >= {"name", "class", "vocab_size", "pad_token", "pad_token_id", "bos_token_id",
                                     "eos_token_id", "padding_side", "model_max_length"}
    assert set(doc["settings"]) == {"padding", "max_length", "truncation", "padding_side", "pad_to_multiple_of",
                                    "add_special_tokens"}
    first, second = doc["sequences"]
    assert first["input_ids"] == GPT2_IDS
    assert first["tokens"][:2] == ["Hello", "Ġworld"]
    assert second["input_ids"] == [17250] + [50256] * 7
    assert second["attention_mask"] == [1] + [0] * 7
    assert second["special_tokens_mask"] == [0] + [1] * 7
    assert second["num_tokens"] == 1 and second["truncated"] is False
    combined = second["masks"]["combined"]
    assert combined[0] == [1, 0, 0, 0, 0, 0, 0, 0]
    assert combined[5] == [1, 0, 0, 0, 0, 0, 0, 0]  # pad query rows still see the real key
    assert second["masks"]["padding"][3] == [1] + [0] * 7
    assert second["masks"]["causal"][1] == [1, 1, 0, 0, 0, 0, 0, 0]


def test_left_padding_reports_fully_masked_rows(cli):
    result = cli("show", "Hello world, this is", "Hi", "--pad-token", "eos", "--padding-side", "left", "--json")
    doc = json.loads(result.stdout)
    assert doc["sequences"][1]["fully_masked_rows"] == [0, 1, 2, 3]
    text = cli("show", "Hello world, this is", "Hi", "--pad-token", "eos", "--padding-side", "left")
    assert "query rows [0, 1, 2, 3] attend to nothing" in text.stdout
    assert "0!" in text.stdout and "0P" in text.stdout


def test_output_file_is_written(cli, tmp_path):
    target = tmp_path / "batch.json"
    result = cli("show", "Hello world", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # the file is the output, as with -o FILE.npz (no grids on stdout)
    assert json.loads(target.read_text())["sequences"][0]["input_ids"] == [15496, 995]
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_stdin_dash_reads_one_text_per_line(cli):
    result = cli("show", "-", "--pad-token", "eos", "--json", "--no-matrices", input="Hello world\nHi\n")
    doc = json.loads(result.stdout)
    assert [s["text"] for s in doc["sequences"]] == ["Hello world", "Hi"]
    assert "masks" not in doc["sequences"][0]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "🎉🎉 emoji", "漢字とかな", "e\u0301\u0301 combining", "literal <|endoftext|> token", "[MASK] here",
     "x" * 10_000],
)
def test_edge_case_texts(cli, text):
    result = cli("show", text, "--json", "--no-matrices")
    assert result.exit_code == 0, result.stderr
    seq = json.loads(result.stdout)["sequences"][0]
    assert seq["text"] == text
    assert len(seq["input_ids"]) == len(seq["tokens"]) == len(seq["attention_mask"])


def test_literal_endoftext_is_the_special_token(cli):
    seq = json.loads(cli("show", "a<|endoftext|>", "--json").stdout)["sequences"][0]
    # one token, as transformers gives; special_tokens_mask marks only tokens the tokenizer added
    assert seq["input_ids"] == [64, 50256] and seq["special_tokens_mask"] == [0, 0]
    table = cli("show", "a<|endoftext|>").stdout
    assert "50256  special" in table


def test_long_sequence_is_windowed_not_wrapped(cli):
    result = cli("show", "word " * 200)
    assert result.exit_code == 0
    assert "showing tokens 0:" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    zoom = cli("show", "word " * 200, "--range", "100:120")
    assert "showing tokens 100:120 of 201" in zoom.stdout
    assert max(len(line) for line in zoom.stdout.splitlines()) <= 100


def test_no_color_output_has_no_escape_codes(cli):
    result = cli("show", "Hello world")
    assert "\x1b[" not in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["Hello world", "Hi"], "no pad token; choose one with --pad-token (e.g. --pad-token eos)"),
        (["Hi", "-t", "./does/not/exist"], "tokenizer path './does/not/exist' does not exist"),
        (["Hi", "--max-length", "0"], "--max-length must be between 1 and 2147483647, not 0"),
        (["Hi", "--pad-token", "<nope>"], "'<nope>' is not in the vocabulary"),
        (["Hi", "--range", "9:3"], "--range 9:3: need 0 <= A < B"),
        (["Hi", "--range", "abc"], "--range must look like A:B"),
        (["Hi", "-o", "/nonexistent-dir/x.json"], "directory /nonexistent-dir does not exist"),
        (["Hi", "--pad-token", "eos", "--padding", "max_length", "--max-length", "6", "--truncation",
          "--pad-to-multiple-of", "4"], "not a multiple of --pad-to-multiple-of 4"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, args, message):
    result = cli("show", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0]


def test_pad_eos_warning_mentions_collators(cli):
    result = cli("show", "Hello world", "Hi")
    assert "collators" in result.stderr and "never learns to stop" in result.stderr


def test_max_length_below_special_tokens(cli, tokenizer_dirs):
    result = cli("show", "the cat", "-t", tokenizer_dirs["bert_like"], "--max-length", "1", "--truncation")
    assert result.exit_code == 2
    assert "smaller than the 2 special tokens" in result.stderr


def test_unreachable_hub_id_fails_fast_with_hint(cli):
    result = cli("show", "Hi", "-t", "nobody-here/no-such-tokenizer")
    assert result.exit_code == 2
    assert "cannot load tokenizer 'nobody-here/no-such-tokenizer'" in result.stderr
    assert "local directory" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_tokenizer_directory_with_bos_and_left_padding(cli, tokenizer_dirs):
    result = cli("show", "The cat sat on the mat.", "The", "-t", tokenizer_dirs["llama_like"], "--json")
    doc = json.loads(result.stdout)
    assert doc["tokenizer"]["padding_side"] == "left"
    short = doc["sequences"][1]
    assert short["attention_mask"][0] == 0 and short["tokens"][0] == "<pad>"
    assert "<s>" in short["tokens"]


def test_debug_shows_traceback(cli, monkeypatch):
    monkeypatch.setenv("MASKCLI_DEBUG", "1")
    result = cli("show", "Hello world", "Hi")
    assert result.exit_code != 0
    assert result.exception is not None and "no pad token" in str(result.exception)


def test_help_has_examples(cli):
    result = cli("show", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and 'maskcli show "The cat sat"' in result.stdout


def test_range_wider_than_the_terminal_names_the_keys_it_draws():
    """--range 100:160 at 100 columns draws keys 100-146; the note says so instead of 100:160."""
    from typer.testing import CliRunner

    from maskcli.cli import app

    text = " ".join(["a"] * 200)
    result = CliRunner().invoke(app, ["show", text, "--range", "100:160"], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "showing tokens 100:147 of 200; zoom with --range A:B or fit more with --compact" in result.output
    assert all(len(line) <= 100 for line in result.output.splitlines())


def test_the_token_table_reads_byte_pieces_as_text(cli):
    result = cli("show", "こんにちは 👋")
    assert result.exit_code == 0, result.stderr
    header, first = result.stdout.split("\n#", 1)[1].splitlines()[:2]
    assert header.split() == ["token", "text", "id"]
    assert first.split() == ["0", "ãģĵ", "こ", "46036"]
    assert "␠👋" in result.stdout
    plain = cli("show", "The cat sat")
    assert plain.stdout.split("\n#", 1)[1].splitlines()[0].split() == ["token", "id"]  # Ġ alone is no reason


def test_prompt_completion_rows_show_roles_and_where_the_completion_starts(cli):
    result = cli("show", "-f", "samples/prompt_completion.jsonl", "--sft", "--rows", "0:1")
    assert result.exit_code == 0, result.stderr
    table = result.stdout.split("\n #", 1)[1].splitlines()
    assert table[0].split() == ["token", "id", "role", "label"]
    assert table[1].split() == ["0", "Q", "48", "prompt", "-100"]
    assert table[13].split() == ["12", "ĠParis", "6342", "completion", "6342"]
    text = " ".join(result.stdout.split())
    assert "trained by role (completion_mask): prompt 0/12 trained · completion 2/2; the completion starts at token 12" in text
    doc = json.loads(cli("show", "-f", "samples/prompt_completion.jsonl", "--sft", "--rows", "0:1", "--json",
                         "--no-matrices").stdout)
    assert doc["sequences"][0]["trained_by_role"] == {"prompt": {"tokens": 12, "trained": 0},
                                                     "completion": {"tokens": 2, "trained": 2}}


def test_range_past_a_rows_end_says_so_instead_of_drawing_an_empty_grid(cli):
    """--range 5:9 on a 2-token row: a note naming the row's tokens, no table, no grid; other rows are drawn."""
    result = cli("show", "Hello world", "--range", "5:9")
    assert result.exit_code == 0, result.stderr
    assert "--range 5:9 starts after this row's last token (0:2)" in result.stdout
    assert "causal" not in result.stdout.split("sequence 0", 1)[1]  # no grid after the row's headline
    both = cli("show", "Hello world", "word " * 12, "--range", "5:9", "--padding", "none")
    assert both.exit_code == 0, both.stderr
    assert both.stdout.count("starts after this row's last token") == 1
    assert "showing tokens 5:9 of 13" in both.stdout  # "word " * 12: 12 words and the trailing space
