"""Bad files in a tokenizer directory the native loader reads: one line, exit 2, naming the file."""

import json
import shutil

import pytest
from cli_helpers import run


def broken(tokenizer_dirs, tmp_path, family="gpt2_like", config=None, tokenizer_json=None):
    directory = tmp_path / "tok"
    shutil.copytree(tokenizer_dirs[family], directory)
    if config is not None:
        (directory / "tokenizer_config.json").write_text(config if isinstance(config, str) else json.dumps(config))
    if tokenizer_json is not None:
        (directory / "tokenizer.json").write_text(tokenizer_json)
    return directory


def assert_one_line_error(directory, *expected):
    result = run("show", "Hello", "-t", str(directory))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    for text in expected:
        assert text in lines[0]


def native_config(tokenizer_dirs, **changes):
    config = json.loads((tokenizer_dirs["gpt2_like"] / "tokenizer_config.json").read_text())
    return {**config, **changes}


def test_config_that_is_a_list(tokenizer_dirs, tmp_path):
    directory = broken(tokenizer_dirs, tmp_path, config="[1, 2]")
    assert_one_line_error(directory, f"{directory / 'tokenizer_config.json'}: expected a JSON object, got a list")


def test_config_that_is_not_json(tokenizer_dirs, tmp_path):
    directory = broken(tokenizer_dirs, tmp_path, config='{"model_max_length": 5,\n oops}')
    assert_one_line_error(directory, f"{directory / 'tokenizer_config.json'}: not valid JSON (line 2, column 2")


def test_model_max_length_that_is_not_a_number(tokenizer_dirs, tmp_path):
    directory = broken(tokenizer_dirs, tmp_path, config=native_config(tokenizer_dirs, model_max_length="abc"))
    assert_one_line_error(directory, "tokenizer_config.json: model_max_length must be a non-negative integer, not 'abc'")


@pytest.mark.parametrize("side", ["middle", 3])
def test_padding_side_that_is_not_left_or_right(tokenizer_dirs, tmp_path, side):
    directory = broken(tokenizer_dirs, tmp_path, config=native_config(tokenizer_dirs, padding_side=side))
    assert_one_line_error(directory, f"tokenizer_config.json: padding_side must be \"left\" or \"right\", not {side!r}")


def test_added_token_id_of_two_to_the_32(tokenizer_dirs, tmp_path):
    token = {"content": "<big>", "special": True}
    directory = broken(tokenizer_dirs, tmp_path,
                       config=native_config(tokenizer_dirs, added_tokens_decoder={str(2**32): token}))
    assert_one_line_error(directory, "tokenizer_config.json: added token id '4294967296' is not a token id (0 to 2^32-1)")


def test_added_token_id_of_two_to_the_32_in_tokenizer_json(tokenizer_dirs, tmp_path):
    data = json.loads((tokenizer_dirs["gpt2_like"] / "tokenizer.json").read_text())
    data["added_tokens"][0]["id"] = 2**32
    directory = broken(tokenizer_dirs, tmp_path, tokenizer_json=json.dumps(data))
    assert_one_line_error(directory, "tokenizer.json: added token id 4294967296 is not a token id (0 to 2^32-1)")


def test_added_token_that_is_not_an_object(tokenizer_dirs, tmp_path):
    directory = broken(tokenizer_dirs, tmp_path, config=native_config(tokenizer_dirs, added_tokens_decoder={"5": "x"}))
    assert_one_line_error(directory, "tokenizer_config.json: added_tokens_decoder['5']: expected an added token object")


def test_merges_naming_unknown_tokens(tokenizer_dirs, tmp_path):
    data = json.loads((tokenizer_dirs["gpt2_like"] / "tokenizer.json").read_text())
    data["model"]["merges"].append(["nosuchtoken", "another"])
    directory = broken(tokenizer_dirs, tmp_path, tokenizer_json=json.dumps(data))
    assert_one_line_error(directory, f"{directory / 'tokenizer.json'}: not a tokenizers JSON file (", "nosuchtoken")


def test_tokenizer_json_that_is_not_json(tokenizer_dirs, tmp_path):
    directory = broken(tokenizer_dirs, tmp_path, tokenizer_json="{ not json")
    assert_one_line_error(directory, f"{directory / 'tokenizer.json'}: not valid JSON (line 1, column 3")


def test_tokenizer_json_that_is_not_json_with_added_tokens_in_the_config(tokenizer_dirs, tmp_path):
    """Then the Rust tokenizer reads it first: the error still names the file, in one line."""
    directory = broken(tokenizer_dirs, tmp_path, tokenizer_json="{ not json",
                       config=native_config(tokenizer_dirs, added_tokens_decoder={}))
    assert_one_line_error(directory, f"{directory / 'tokenizer.json'}: not a tokenizers JSON file (")


def test_special_tokens_map_that_is_a_list(tokenizer_dirs, tmp_path):
    directory = broken(tokenizer_dirs, tmp_path)
    (directory / "special_tokens_map.json").write_text("[]")
    assert_one_line_error(directory, "special_tokens_map.json: expected a JSON object, got a list")


def test_chat_template_file_that_is_not_utf8(tokenizer_dirs, tmp_path):
    directory = broken(tokenizer_dirs, tmp_path)
    (directory / "chat_template.jinja").write_bytes(b"\xff\xfe{{ messages }}")
    assert_one_line_error(directory, f"{directory / 'chat_template.jinja'}: cannot read (", "can't decode byte 0xff")


def test_a_directory_without_tokenizer_files_fails_before_transformers_loads(tmp_path):
    (tmp_path / "notes.txt").write_text("not a tokenizer")
    assert_one_line_error(tmp_path, f"directory {tmp_path} holds no tokenizer files (tokenizer.json, ")
