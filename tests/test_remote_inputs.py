"""fsspec URLs as inputs of check, show and view, on fsspec's in-memory filesystem (no network):
every report equals the one of the same file read locally, names aside."""

from __future__ import annotations

import io
import json
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from tests.check_fixtures import CLEAN_TEXTS, PLANTED_ROWS, CLEAN_ROWS, run, write_jsonl, write_parquet
from maskcli.cli import app
from tests import cli_helpers

fsspec = pytest.importorskip("fsspec")
COMMON = ["--pad-token", "eos", "--batch-size", "4", "--format", "json", "--exit-zero"]
ROWS = (CLEAN_ROWS + [row for _, row, _ in PLANTED_ROWS]) * 2


@pytest.fixture
def memory():
    """A fresh ``memory://`` folder: ``(url of a name, the filesystem)``; removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"/test-{uuid.uuid4().hex[:8]}"
    yield (lambda name: f"memory://{root}/{name}"), fs
    if fs.exists(root):
        fs.rm(root, recursive=True)


def upload(fs, local: Path, url: str) -> str:
    fs.pipe(url.removeprefix("memory://"), local.read_bytes())
    return url


def check_json(*args: str) -> dict:
    result = run(*args, *COMMON)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def renamed(report: dict, names: dict[str, str]) -> str:
    text = json.dumps(report)
    for old, new in names.items():
        text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
    return text


def write_csv(path: Path, texts: list[str]) -> Path:
    path.write_text("text,id\n" + "".join(f'"{t}",{i}\n' for i, t in enumerate(texts)))
    return path


def write_text(path: Path, texts: list[str]) -> Path:
    path.write_text("".join(t + "\n" for t in texts))
    return path


def write_arrow_stream(path: Path) -> Path:
    """An Arrow IPC stream of clean pre-tokenized rows, in batches of 50."""
    import pyarrow as pa

    ids = [r["input_ids"] for r in CLEAN_ROWS] * 200
    table = pa.table({"input_ids": ids, "attention_mask": [[1] * len(i) for i in ids]})
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=50):
            writer.write_batch(batch)
    return path


def write_ids_parquet(path: Path) -> Path:
    """Complete pre-tokenized columns: the columnar engine's input."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = [r["input_ids"] for r in ROWS]
    pq.write_table(pa.table({"input_ids": ids, "attention_mask": [[1] * len(i) for i in ids]}), path, row_group_size=7)
    return path


WRITERS = {
    "rows.jsonl": lambda p: write_jsonl(p, ROWS + CLEAN_TEXTS),
    "rows.parquet": lambda p: write_parquet(p, ROWS),
    "ids.parquet": write_ids_parquet,
    "texts.txt": lambda p: write_text(p, CLEAN_TEXTS * 2),
    "texts.csv": lambda p: write_csv(p, CLEAN_TEXTS * 2),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_url_gives_the_local_files_report(tmp_path, memory, name):
    url_of, fs = memory
    local = WRITERS[name](tmp_path / name)
    url = upload(fs, local, url_of(name))
    assert renamed(check_json(url), {url: str(local)}) == json.dumps(check_json(str(local)))


def test_a_save_to_disk_directory_at_a_url(tmp_path, memory):
    from datasets import Dataset

    url_of, _ = memory
    columns = {"input_ids": [r["input_ids"] for r in ROWS], "attention_mask": [r.get("attention_mask") for r in ROWS]}
    Dataset.from_dict(columns).save_to_disk(str(tmp_path / "saved"), num_shards=3)
    Dataset.from_dict(columns).save_to_disk(url_of("saved"), num_shards=3)
    local = check_json(str(tmp_path / "saved"))
    assert local["summary"]["rows"] == len(ROWS) and local["findings"]
    assert renamed(check_json(url_of("saved")), {url_of("saved"): str(tmp_path / "saved")}) == json.dumps(local)


def test_a_url_pattern_stands_for_the_shards_it_matches_in_order(tmp_path, memory):
    url_of, fs = memory
    names = ["train-00.jsonl", "train-01.jsonl", "train-02.jsonl"]
    locals_ = [write_jsonl(tmp_path / n, ROWS[i::3] + CLEAN_TEXTS[i::3]) for i, n in enumerate(names)]
    for local, name in zip(locals_, names):
        upload(fs, local, url_of(name))
    upload(fs, write_jsonl(tmp_path / "other.jsonl", CLEAN_TEXTS), url_of("other.jsonl"))
    from maskcli.data import remote

    matched = remote.expand([url_of("train-*.jsonl")])
    assert [m.rpartition("/")[2] for m in matched] == names
    report = check_json(url_of("train-*.jsonl"))
    expected = check_json(*map(str, locals_))
    assert report["summary"] == expected["summary"]
    assert renamed(report["findings"], {m: str(p) for m, p in zip(matched, locals_)}) == json.dumps(expected["findings"])
    nothing = run(url_of("valid-*.jsonl"), *COMMON)
    assert (nothing.exit_code, nothing.stderr) == (2, f"Error: {url_of('valid-*.jsonl')}: no such file (the pattern matches nothing)\n")


def test_show_and_view_read_urls(tmp_path, memory):
    url_of, fs = memory
    local = write_jsonl(tmp_path / "rows.jsonl", CLEAN_ROWS)
    url = upload(fs, local, url_of("rows.jsonl"))
    shown = cli_helpers.show_json("--file", url, "--pad-token", "eos")
    assert renamed(shown, {url: str(local)}) == json.dumps(cli_helpers.show_json("--file", str(local), "--pad-token", "eos"))
    mask = tmp_path / "mask.npy"
    np.save(mask, np.tril(np.ones((4, 4), dtype=bool)))
    wide = {**cli_helpers.ENV, "COLUMNS": "300"}  # names of different lengths wrap alike
    viewed, expected = (cli_helpers.runner.invoke(app, ["view", where], env=wide)
                        for where in (upload(fs, mask, url_of("mask.npy")), str(mask)))
    assert viewed.exit_code == 0, viewed.stderr
    assert viewed.stdout.replace(url_of("mask.npy"), str(mask)) == expected.stdout


def test_a_missing_url_is_one_line(memory):
    url_of, _ = memory
    for args in ([url_of("nope.jsonl")], [url_of("nope.jsonl"), "--engine", "ray"]):
        result = run(*args, *COMMON)
        assert (result.exit_code, result.stderr) == (2, f"Error: {url_of('nope.jsonl')}: no such file\n")
    result = cli_helpers.run("view", url_of("nope.npy"))
    assert (result.exit_code, result.stderr) == (2, f"Error: {url_of('nope.npy')}: no such file\n")


@pytest.mark.parametrize("error, said", [(TimeoutError("read timed out after 60 s"), "read timed out after 60 s"),
                                         (RuntimeError("HTTP 403\nbody"), "RuntimeError: HTTP 403")])
def test_a_failing_filesystem_is_one_line_naming_the_url(monkeypatch, memory, error, said):
    from fsspec.implementations.memory import MemoryFileSystem

    url_of, fs = memory
    fs.pipe(url_of("a.jsonl").removeprefix("memory://"), b'{"text": "hi"}\n')

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(MemoryFileSystem, "_open", failing)
    result = run(url_of("a.jsonl"), *COMMON)
    assert (result.exit_code, result.stderr) == (2, f"Error: {url_of('a.jsonl')}: cannot read ({said})\n")


@pytest.mark.parametrize("name", ["big.jsonl", "big.parquet", "big.txt", "big.arrow"])
@pytest.mark.parametrize("error, said", [
    (ConnectionResetError(104, "Connection reset by peer"), "ConnectionResetError: [Errno 104] Connection reset by peer"),
    (RuntimeError("Response payload is not completed\nmore"), "RuntimeError: Response payload is not completed")])
def test_a_read_failing_mid_file_is_one_line_naming_the_url(tmp_path, monkeypatch, memory, name, error, said):
    """The connection breaks after the file opened and its first bytes came: one line, exit 2."""
    from fsspec.implementations.memory import MemoryFile

    url_of, fs = memory
    texts = [f"line {i} of a file big enough to need several reads" for i in range(3000)]
    writers = {"big.jsonl": lambda p: write_jsonl(p, texts), "big.txt": lambda p: write_text(p, texts),
               "big.parquet": lambda p: write_parquet(p, ROWS * 50), "big.arrow": write_arrow_stream}
    url = upload(fs, writers[name](tmp_path / name), url_of(name))
    reads = []

    def breaking(self, *args):
        reads.append(args)
        if len(reads) > 2:
            raise error
        return io.BytesIO.read(self, *args)

    monkeypatch.setattr(MemoryFile, "read", breaking, raising=False)
    for command in (run, lambda *a: cli_helpers.run("show", "-f", url, "--json")):
        reads.clear()
        result = command(url, *COMMON)
        assert (result.exit_code, result.stderr) == (2, f"Error: {url}: cannot read ({said})\n")


def test_without_fsspec_one_line_says_how_to_install_it(monkeypatch, memory):
    url_of, _ = memory
    monkeypatch.setitem(sys.modules, "fsspec", None)  # import fsspec raises ImportError
    result = run(url_of("a.jsonl"), *COMMON)
    assert result.exit_code == 2
    assert result.stderr == f"Error: reading {url_of('a.jsonl')} needs fsspec: pip install 'maskcli[remote]'\n"


@pytest.mark.skipif(any(sys.modules.get(m) or __import__("importlib").util.find_spec(m) for m in ("s3fs",)),
                    reason="s3fs is installed")
def test_a_protocol_without_its_package_is_one_line_naming_it():
    result = run("s3://bucket/train.jsonl", *COMMON)
    assert (result.exit_code, result.stderr) == (2, "Error: reading s3://bucket/train.jsonl: Install s3fs to access S3\n")
    result = run("nosuch://bucket/train.jsonl", *COMMON)
    assert (result.exit_code, result.stderr) == (2, "Error: reading nosuch://bucket/train.jsonl: Protocol not known: nosuch\n")


def test_network_calls_get_timeouts_unless_fsspec_config_sets_them(monkeypatch):
    from maskcli.data import remote

    given = []
    monkeypatch.setattr(fsspec.core, "url_to_fs", lambda url, **options: given.append(options) or (None, url))
    remote.filesystem("s3://bucket/x.jsonl")
    remote.filesystem("gs://bucket/x.jsonl")
    remote.filesystem("simplecache::s3://bucket/x.jsonl")
    monkeypatch.setitem(fsspec.config.conf, "s3", {"config_kwargs": {"read_timeout": 5}})
    remote.filesystem("s3://bucket/x.jsonl")
    assert given == [{"config_kwargs": {"connect_timeout": remote.CONNECT_TIMEOUT_S, "read_timeout": remote.READ_TIMEOUT_S}},
                     {"requests_timeout": remote.READ_TIMEOUT_S}, {}, {"config_kwargs": {"read_timeout": 5}}]


def test_local_paths_and_urls_are_told_apart():
    from maskcli.data.remote import is_url, join, normalized

    assert [is_url(p) for p in ("s3://b/x", "hf://datasets/o/n/x.parquet", "file:///tmp/x", "data/x.jsonl", "C:\\x",
                                "-", "simplecache::s3://b/x")] == [True, True, True, False, False, False, True]
    assert join("s3://b/saved/", "state.json") == "s3://b/saved/state.json"
    assert (normalized("s3://b/saved/"), normalized("data/saved/")) == ("s3://b/saved", "data/saved")


def test_the_local_readers_are_unchanged_by_the_url_layer():
    """open_binary on a local path is open(); stdin stays stdin (peekable)."""
    from maskcli.data import remote

    with remote.open_binary(__file__) as stream:
        assert isinstance(stream, io.BufferedReader) and stream.name == __file__


def test_num_proc_workers_read_file_urls_themselves(tmp_path):
    """--num-proc plans shards that spawned workers read: file:// goes through fsspec there too
    (memory:// is one process's: not for workers)."""
    names = ["part-0.jsonl", "part-1.jsonl"]
    locals_ = [write_jsonl(tmp_path / n, ROWS[i::2] + CLEAN_TEXTS) for i, n in enumerate(names)]
    parquet = write_parquet(tmp_path / "rows.parquet", ROWS)
    urls = [f"file://{tmp_path}/part-*.jsonl", f"file://{parquet}"]
    report = check_json(*urls, "--num-proc", "2")
    expected = check_json(*map(str, [*locals_, parquet]))
    assert report["summary"] == expected["summary"]
    names_of = {f"file://{p}": str(p) for p in [*locals_, parquet]}
    assert renamed(report["findings"], names_of) == json.dumps(expected["findings"])
