"""``maskcli check`` as CI sees it: exit codes, report formats parsed back, config precedence, --num-proc."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import pytest

from check_fixtures import CLEAN_ROWS, CLEAN_TEXTS, EOT, run, write_jsonl

BAD = {"input_ids": [464, 3797, EOT, EOT], "attention_mask": [1, 1, 1, 0], "labels": [464, 3797, EOT, EOT]}  # MC004


@pytest.fixture
def clean(tmp_path):
    return str(write_jsonl(tmp_path / "clean.jsonl", CLEAN_TEXTS))


@pytest.fixture
def bad(tmp_path):
    return str(write_jsonl(tmp_path / "bad.jsonl", CLEAN_ROWS + [BAD]))


def test_exit_codes(clean, bad, tmp_path):
    assert run(clean, "--pad-token", "eos").exit_code == 0
    failed = run(bad, "--pad-token", "eos", "--batch-size", "1")
    assert failed.exit_code == 1
    assert "1 error(s)" in failed.stderr and "failed" in failed.stderr
    assert run(bad, "--pad-token", "eos", "--batch-size", "1", "--exit-zero").exit_code == 0
    assert run(bad, "--pad-token", "eos", "--batch-size", "1", "--ignore", "MC004").exit_code == 0
    missing = run(str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and missing.stderr.startswith("Error: ") and "no such file" in missing.stderr
    assert run(clean, "--select", "MC999").exit_code == 2
    assert run(clean, "--max-padding-ratio", "2").exit_code == 2
    broken = write_jsonl(tmp_path / "broken.jsonl", ["ok"])
    broken.write_text(broken.read_text() + "{not json\n")
    assert run(str(broken), "--pad-token", "eos").exit_code == 2
    assert run(str(broken), "--pad-token", "eos", "--on-error", "skip").exit_code == 0


def test_fail_on_warning(tmp_path):
    path = str(write_jsonl(tmp_path / "t.jsonl", ["fine", ""]))  # MC016 is a warning
    assert run(path, "--pad-token", "eos").exit_code == 0
    assert run(path, "--pad-token", "eos", "--fail-on", "warning").exit_code == 1


def test_json_report(bad):
    result = run(bad, "--pad-token", "eos", "--batch-size", "1", "--format", "json")
    report = json.loads(result.stdout)
    assert report["report_schema_version"] == 2
    assert report["summary"]["rows"] == 7 and report["summary"]["findings"] == {"error": 1, "warning": 0}
    (finding,) = report["findings"]
    assert {k: finding[k] for k in ("id", "name", "severity", "count")} == {
        "id": "MC004", "name": "trained-padding", "severity": "error", "count": 1}
    assert finding["rows"][0]["path"] == bad and finding["rows"][0]["line"] == 7
    assert finding["rows"][0]["sample"] == {  # schema 2: the listed row itself, as checked
        "length": 4, "omitted": None, "tokens": ["The", " cat", "<|endoftext|>", "<|endoftext|>"],
        "input_ids": BAD["input_ids"], "attention_mask": BAD["attention_mask"], "labels": BAD["labels"],
        "position_ids": None}
    lengths = report["summary"]["lengths"]
    assert lengths["min"] == 1 and lengths["max"] == 6 and sum(b["count"] for b in lengths["histogram"]) == 7


def test_github_annotations_and_step_summary(bad, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = run(bad, "--pad-token", "eos", "--batch-size", "1", "--format", "github",
                 env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1
    annotation = re.compile(r"^::(error|warning) file=([^,]+),line=(\d+),title=(MC\d{3})::(.+)$")
    lines = result.stdout.splitlines()
    assert lines and all(annotation.match(line) for line in lines)
    assert annotation.match(lines[0]).group(2, 3, 4) == (bad, "7", "MC004")
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "| MC004 | trained-padding | error | 1 |" in text


def test_junit_is_valid_xml_with_one_testcase_per_check(bad):
    result = run(bad, "--pad-token", "eos", "--batch-size", "1", "--format", "junit")
    suite = ET.fromstring(result.stdout.split("\n", 1)[1]).find("testsuite")
    cases = suite.findall("testcase")
    from maskcli.check.registry import CHECKS

    assert len(cases) == len(CHECKS) == int(suite.get("tests"))
    failed = [case.get("name") for case in cases if case.find("failure") is not None]
    assert failed == ["MC004 trained-padding"] and suite.get("failures") == "1"


def test_markdown_and_text_reports(bad):
    markdown = run(bad, "--pad-token", "eos", "--batch-size", "1", "--format", "markdown").stdout
    assert markdown.startswith("## maskcli check") and "| MC004 | trained-padding | error | 1 |" in markdown
    text = run(bad, "--pad-token", "eos", "--batch-size", "1").stdout
    assert "MC004" in text and "1 error(s), 0 warning(s)" in text and "\x1b[" not in text


def test_one_row_is_one_row_in_every_format(tmp_path):
    one = str(write_jsonl(tmp_path / "one.jsonl", [BAD]))
    for fmt in ("text", "markdown", "html"):
        result = run(one, "--pad-token", "eos", "--format", fmt)
        assert result.exit_code == 1 and "1 row from" in result.stdout and "1 rows" not in result.stdout, fmt
    assert result.stderr.startswith("maskcli check: 1 row, 1 error(s)")
    assert "(1 of 1 row)" in run(one, "--pad-token", "eos", "--format", "json").stdout


def test_every_format_has_a_formatter():
    from maskcli.check.formats import ReportFormat
    from maskcli.cli.check import formatters

    assert set(formatters()) == set(ReportFormat)


def test_output_file_is_written_and_stdout_stays_empty(bad, tmp_path):
    target = tmp_path / "report.json"
    result = run(bad, "--pad-token", "eos", "--format", "json", "--output-file", str(target))
    assert result.stdout == "" and json.loads(target.read_text())["findings"]
    assert run(bad, "--output-file", str(tmp_path / "no" / "dir.json")).exit_code == 2


def test_config_precedence(tmp_path, monkeypatch, bad):
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.maskcli]\npad_token = "eos"\nbatch-size = 1\nignore = ["MC004"]\n')
    monkeypatch.chdir(project / "sub")  # the nearest pyproject.toml is found upwards
    assert run(bad).exit_code == 0  # pad token, batch size and ignore from pyproject
    assert run(bad, "--ignore", "MC010").exit_code == 1  # a flag overrides the file's list
    other = tmp_path / "strict.toml"
    other.write_text('pad_token = "eos"\nbatch_size = 1\nfail_on = "warning"\n')
    result = run(bad, "--config", str(other), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["config_file"] == str(other)  # --config replaces pyproject
    assert report["settings"]["fail_on"] == "warning"
    (project / "pyproject.toml").write_text("[tool.maskcli]\nmax_lenght = 5\n")
    typo = run(bad)
    assert typo.exit_code == 2 and "unknown setting 'max_lenght'" in typo.stderr


def test_num_proc_gives_the_same_report(tmp_path):
    rows = (CLEAN_ROWS + [BAD] + CLEAN_TEXTS) * 400  # several chunks of 1,024 rows
    path = str(write_jsonl(tmp_path / "many.jsonl", rows))
    one = json.loads(run(path, "--pad-token", "eos", "--format", "json", "--batch-size", "4").stdout)
    two = json.loads(run(path, "--pad-token", "eos", "--format", "json", "--batch-size", "4", "--num-proc", "2").stdout)
    assert one == two and one["summary"]["rows"] == len(rows)


def test_stdin(tmp_path):
    data = "".join(json.dumps({"text": t}) + "\n" for t in CLEAN_TEXTS)
    result = run("-", "--pad-token", "eos", "--format", "json", input=data)
    assert result.exit_code == 0 and json.loads(result.stdout)["summary"]["rows"] == len(CLEAN_TEXTS)


def test_audit_shard_api_merges_like_the_cli(tmp_path):
    from maskcli.check import CheckConfig, audit_shard, build_report
    from maskcli.data.tokenizer import load_tokenizer

    records = (CLEAN_ROWS + [BAD]) * 3
    config = CheckConfig(pad_token="eos", batch_size=7)
    tok = load_tokenizer("gpt2", pad_token="eos")
    total = audit_shard(records[:7], tok, config, path="train", first_index=0)
    total.merge(audit_shard(records[7:], tok, config, path="train", first_index=7))
    report = build_report(total, tok, config, ["train"]).to_dict()
    path = str(write_jsonl(tmp_path / "train.jsonl", records))
    cli = json.loads(run(path, "--pad-token", "eos", "--batch-size", "7", "--format", "json").stdout)
    assert report["summary"] == cli["summary"]
    assert [r["row"] for r in report["findings"][0]["rows"]] == [6, 13, 20]
    assert [r["line"] for r in cli["findings"][0]["rows"]] == [7, 14, 21]


def test_check_with_gpt2_does_not_import_transformers(tmp_path):
    import subprocess
    import sys

    path = str(write_jsonl(tmp_path / "t.jsonl", CLEAN_TEXTS))
    code = ("import sys; from maskcli.cli import app\n"
            "try:\n    app(['check', sys.argv[1], '--pad-token', 'eos'])\nexcept SystemExit:\n    pass\n"
            "assert 'transformers' not in sys.modules and 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code, path], check=True, capture_output=True)
