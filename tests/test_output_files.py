"""Output files lose nothing: no input replaced, FIFOs written into, umask modes, no temp files left."""

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import SAMPLES

SAME_INPUT = "is also an input"


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_bytes((SAMPLES / "texts.jsonl").read_bytes())
    return path


def fifo_with_reader(path):
    """A FIFO at ``path`` and a thread reading it to the end: join the thread, then ``received[0]``."""
    os.mkfifo(path)
    received = []
    reader = threading.Thread(target=lambda: received.append(path.read_bytes()), daemon=True)
    reader.start()
    return reader, received


def one_error_line(result, *needles):
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("option", ["-o", "--svg", "--html", "--png"])
def test_show_refuses_to_write_over_its_input(cli, data, option):
    before = data.read_bytes()
    one_error_line(cli("show", "-f", data, "--pad-token", "eos", option, data), f"{option} {data}", SAME_INPUT)
    assert data.read_bytes() == before


def test_check_refuses_to_write_over_its_input(cli, data):
    before = data.read_bytes()
    one_error_line(cli("check", data, "--pad-token", "eos", "--output-file", data), f"--output-file {data}", SAME_INPUT)
    assert data.read_bytes() == before


def test_links_to_an_input_are_the_input(cli, data, tmp_path):
    symlink, hardlink = tmp_path / "sym.jsonl", tmp_path / "hard.jsonl"
    symlink.symlink_to(data)
    os.link(data, hardlink)
    before = data.read_bytes()
    for link in (symlink, hardlink):
        one_error_line(cli("show", "-f", data, "--pad-token", "eos", "-o", link), f"({data})")
    assert data.read_bytes() == before and symlink.is_symlink()


def test_two_outputs_on_one_file_are_refused(cli, data, tmp_path):
    page = tmp_path / "grids.html"
    one_error_line(cli("show", "-f", data, "--pad-token", "eos", "--html", page, "--svg", page),
                   f"--svg {page} and --html {page} are one file")
    (tmp_path / "link.html").symlink_to(page)
    one_error_line(cli("show", "-f", data, "--pad-token", "eos", "--html", page, "--png", tmp_path / "link.html"),
                   "are one file")
    assert not page.exists()


def test_tokenizer_and_config_files_count_as_inputs(cli, data, tmp_path, tokenizer_dirs):
    tokenizer_json = tokenizer_dirs["gpt2_like"] / "tokenizer.json"
    before = tokenizer_json.read_bytes()
    one_error_line(cli("show", "-f", data, "-t", tokenizer_dirs["gpt2_like"], "-o", tokenizer_json), SAME_INPUT)
    assert tokenizer_json.read_bytes() == before
    config = tmp_path / "maskcli.toml"
    config.write_text('pad_token = "eos"\n')
    one_error_line(cli("check", data, "--config", config, "--output-file", config), SAME_INPUT)
    assert config.read_text() == 'pad_token = "eos"\n'


def test_output_into_a_fifo_is_written_into_not_replaced(cli, data, tmp_path):
    fifo = tmp_path / "out.fifo"
    reader, received = fifo_with_reader(fifo)
    result = cli("show", "-f", data, "--pad-token", "eos", "-o", fifo, "--no-matrices")
    reader.join(timeout=60)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    documents = [json.loads(line) for line in received[0].decode().splitlines()]
    assert [s["text"] for d in documents for s in d["sequences"]] == [
        json.loads(line)["text"] for line in data.read_text().splitlines()
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl", "out.fifo"]


def test_check_report_into_a_fifo(cli, data, tmp_path):
    fifo = tmp_path / "report.fifo"
    reader, received = fifo_with_reader(fifo)
    result = cli("check", data, "--pad-token", "eos", "--format", "json", "--output-file", fifo)
    reader.join(timeout=60)
    assert result.exit_code == 0, result.stderr
    assert json.loads(received[0])["summary"]["rows"] == 4
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(cli, data, tmp_path):
    new = tmp_path / "new.jsonl"
    old_umask = os.umask(0o027)
    try:
        assert cli("show", "-f", data, "--pad-token", "eos", "-o", new).exit_code == 0
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    new.chmod(0o604)
    assert cli("show", "-f", data, "--pad-token", "eos", "-o", new).exit_code == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o604
    assert new.read_text().count("\n") == 1


def test_writing_through_a_symlink_keeps_the_link(cli, data, tmp_path):
    real, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    real.write_text("old\n")
    link.symlink_to(real)
    assert cli("show", "-f", data, "--pad-token", "eos", "-o", link).exit_code == 0
    assert link.is_symlink() and json.loads(real.read_text())["schema_version"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_during_output_removes_the_temporary_file(tmp_path, signum):
    """stdin kept open: the output's temporary file exists while maskcli waits for more records."""
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "maskcli", "show", "-o", str(out), "--pad-token", "eos", "--batch-size", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    try:
        process.stdin.write(b'{"text": "one"}\n')
        process.stdin.flush()
        for _ in range(1200):  # a hang guard, not a timing assertion
            if list(tmp_path.glob(".out.jsonl.*.tmp")):
                break
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.05)
        assert list(tmp_path.glob(".out.jsonl.*.tmp")), "maskcli never started writing"
        process.send_signal(signum)
        assert process.wait(timeout=60) == -signum
    finally:
        process.kill()
        process.wait()
    assert list(tmp_path.iterdir()) == []
