"""``check``'s config file and report: no silent empty runs, skipped rows and the config file in
every format, JUnit warnings that pass, config paths relative to the config file, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
from xml.etree import ElementTree as ET

import pytest

from check_fixtures import CLEAN_TEXTS, run, write_jsonl
from conftest import SAMPLES
from maskcli.check.formats import ReportFormat

FORMATS = tuple(f.value for f in ReportFormat)


def one_error_line(result, *needles):
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def mixed(tmp_path):
    """Two good records and one without the text field (line 2)."""
    return str(write_jsonl(tmp_path / "mixed.jsonl", [CLEAN_TEXTS[0], {"x": 1}, CLEAN_TEXTS[1]]))


def test_a_run_that_checked_no_record_fails(tmp_path):
    all_bad = write_jsonl(tmp_path / "bad.jsonl", [{"x": 1}, {"y": 2}])
    for fmt in FORMATS:
        result = run(str(all_bad), "--pad-token", "eos", "--on-error", "skip", "--format", fmt)
        one_error_line(result, "no records checked: all 2 were bad and skipped", f"{all_bad}:1: missing field 'text'")
        assert result.stdout == ""


def test_a_header_only_csv_is_an_empty_input(tmp_path):
    header_only = tmp_path / "header.csv"
    header_only.write_text("text\n")
    one_error_line(run(str(header_only), "--pad-token", "eos"), f"{header_only}: file is empty (only a header)")


@pytest.mark.parametrize("fmt", FORMATS)
def test_skipped_rows_and_the_config_file_are_in_every_format(tmp_path, mixed, fmt):
    config = tmp_path / "maskcli.toml"
    config.write_text('pad_token = "eos"\n')
    result = run(mixed, "--config", str(config), "--on-error", "skip", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    if fmt == "json":
        report = json.loads(out)
        assert report["config_file"] == str(config)
        assert report["summary"]["skipped_rows"] == 1 and report["summary"]["rows"] == 2
    elif fmt == "junit":
        suite = ET.fromstring(out.split("\n", 1)[1]).find("testsuite")
        properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
        assert properties == {"config_file": str(config), "skipped_rows": "1"}
        assert suite.find("system-err").text.startswith(f"skipped 1 bad row(s): {mixed}:2: missing field 'text'")
    else:
        flat = out.replace("\n", " ")
        assert str(config) in flat
        assert "skipped 1 bad row(s)" in flat and f"{mixed}:2" in flat
    if fmt == "github":
        assert out.splitlines()[:2] == [
            f"::notice title=maskcli check::config file {config}",
            out.splitlines()[1],
        ] and out.splitlines()[1].startswith("::warning title=maskcli check::skipped 1 bad row(s)")


def test_junit_warnings_are_not_failures_unless_fail_on_warning(tmp_path):
    data = str(write_jsonl(tmp_path / "texts.jsonl", CLEAN_TEXTS))
    args = (data, "--pad-token", "eos", "--max-padding-ratio", "0", "--format", "junit")  # MC010, a warning

    def suite_of(*extra):
        result = run(*args, *extra)
        return result, ET.fromstring(result.stdout.split("\n", 1)[1]).find("testsuite")

    result, suite = suite_of()
    assert result.exit_code == 0
    case = next(c for c in suite.findall("testcase") if c.get("name").startswith("MC010"))
    assert suite.get("failures") == "0" and case.find("failure") is None
    assert case.find("system-out").text.startswith("warning: padding is ")
    result, suite = suite_of("--fail-on", "warning")
    assert result.exit_code == 1
    case = next(c for c in suite.findall("testcase") if c.get("name").startswith("MC010"))
    assert suite.get("failures") == "1" and case.find("failure").get("type") == "warning"


def test_relative_tokenizer_paths_resolve_against_the_config_file(tmp_path, monkeypatch, mixed):
    project = tmp_path / "project"
    shutil.copytree(SAMPLES / "tiny-chat-tokenizer", project / "tok")
    (project / "pyproject.toml").write_text('[tool.maskcli]\ntokenizer = "./tok"\npad_token = "eos"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run(mixed, "--config", str(project / "pyproject.toml"), "--on-error", "skip", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tokenizer"]["name"] == str(project / "tok")


def test_a_hub_id_in_a_config_file_stays_a_hub_id(tmp_path):
    from maskcli.check.config import file_settings

    config = tmp_path / "maskcli.toml"
    config.write_text('tokenizer = "someorg/model"\n')
    assert file_settings(config)["tokenizer"] == "someorg/model"


@pytest.mark.parametrize("content, message", [
    ("pad_token = 'caf\xe9'\n".encode("latin-1"), "not UTF-8 (byte offset 16)"),
    (b"tool = 5\n", "'tool' must be a table ([tool]), not 5"),
    (b"[tool]\nmaskcli = 3\n", "[tool.maskcli] must be a table, not 3"),
    (b"[tool.maskcli]\nmode = 'x'\n", "mode must be one of train, generate, not 'x'"),
    (b"[tool.maskcli]\nbatch_size = 0\n", "batch_size must be a positive integer, not 0"),
    (b"[tool.maskcli]\nmax_padding_ratio = 3\n", "max_padding_ratio must be between 0 and 1, not 3.0"),
    (b"[tool.maskcli]\nignore = ['MC999']\n", "setting 'ignore': unknown check 'MC999' (known: MC001.."),
])
def test_bad_config_files_are_one_line_naming_the_file(tmp_path, clean_data, content, message):
    config = tmp_path / "pyproject.toml"
    config.write_bytes(content)
    one_error_line(run(clean_data, "--config", str(config)), f"{config}: {message}")


def test_a_bad_pyproject_found_on_the_way_up_names_the_file(tmp_path, monkeypatch, clean_data):
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    monkeypatch.chdir(tmp_path)
    one_error_line(run(clean_data, "--pad-token", "eos"), f"{tmp_path / 'pyproject.toml'}: 'tool' must be a table")


def test_config_that_is_not_a_file_says_what_it_is(tmp_path, clean_data):
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    one_error_line(run(clean_data, "--config", str(tmp_path)), f"--config {tmp_path}: is a directory, not a TOML file")
    one_error_line(run(clean_data, "--config", str(fifo)), f"--config {fifo}: is a FIFO, not a TOML file")
    one_error_line(run(clean_data, "--config", str(tmp_path / "nope.toml")), "no such file")


@pytest.fixture
def clean_data(tmp_path):
    return str(write_jsonl(tmp_path / "clean.jsonl", CLEAN_TEXTS))


def test_each_choice_is_defined_once_and_the_cli_enums_are_built_from_it():
    import importlib

    from maskcli.check.config import CHOICES
    from maskcli.masks.choices import CONVENTIONS, DTYPES
    from maskcli.masks.conventions import FINFO_MIN

    options = importlib.import_module("maskcli.cli.options")
    masks = importlib.import_module("maskcli.cli.mask_options")
    sft = importlib.import_module("maskcli.cli.sft_options")
    check = importlib.import_module("maskcli.cli.check")
    assert tuple(FINFO_MIN) == DTYPES
    for enum, config_key in ((options.Padding, "padding"), (options.Side, "padding_side"), (options.Loader, "loader"),
                             (options.OnError, "on_error"), (sft.TruncationMode, "truncation_mode"),
                             (sft.PackingStrategy, "packing_strategy"), (check.Mode, "mode"), (check.FailOn, "fail_on")):
        assert tuple(e.value for e in enum) == CHOICES[config_key]
    assert tuple(e.value for e in masks.Convention) == CONVENTIONS
    assert tuple(e.value for e in masks.Dtype) == DTYPES
