"""``check --engine ray``: the report equals a local run's, on a real local Ray (2 CPUs).

Ray advertises the machine's network address even when told 127.0.0.1, so every Ray run here
happens in a network namespace of its own where only loopback exists (``unshare -n``; CI runs as
root). One Python process in that namespace starts Ray once, runs every scenario twice (local and
``--engine ray``) and writes the outcomes; the tests compare them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.check_fixtures import PLANTED_ROWS, CLEAN_ROWS, CLEAN_TEXTS, run, write_jsonl, write_parquet

ROOT = Path(__file__).resolve().parent.parent
PORT = 6391  # of the two-node cluster, inside the namespace (ray start refuses a port any Ray here uses)
COMMON = ["--pad-token", "eos", "--batch-size", "4", "--format", "json", "--exit-zero"]


def _namespace_works() -> bool:
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed (maskcli[ray])")
needs_namespace = pytest.mark.skipif(not _namespace_works(),
                                     reason="unshare -n does not work here (Ray tests need a loopback-only namespace)")


def tokenized_rows() -> list[dict]:
    """Clean rows and every planted pre-tokenized bug, three times: findings in every shard."""
    return (CLEAN_ROWS + [row for _, row, _ in PLANTED_ROWS]) * 3


def write_datasets(directory: Path) -> dict[str, list[str]]:
    """The scenarios: name -> check arguments (their files written into ``directory``)."""
    rows = tokenized_rows()
    write_parquet(directory / "rows.parquet", rows)  # row groups of 7, batches of 4: batches span row groups
    write_jsonl(directory / "a.jsonl", rows[:10])
    write_jsonl(directory / "b.jsonl", rows[10:25])
    (directory / "b.jsonl").write_text((directory / "b.jsonl").read_text().replace("\n", "\n\n", 3))  # blank lines
    write_jsonl(directory / "c.jsonl", rows[25:])
    texts = (CLEAN_TEXTS + ["", "<|endoftext|>" * 2 + "hi"]) * 4
    write_jsonl(directory / "t1.jsonl", texts[:13])
    write_jsonl(directory / "t2.jsonl", texts[13:])
    (directory / "bad.jsonl").write_text(write_jsonl(directory / "bad.jsonl", rows[:9]).read_text() + "{oops\n")
    from datasets import Dataset

    Dataset.from_list([{"input_ids": r["input_ids"], "attention_mask": r.get("attention_mask", [1] * len(r["input_ids"]))}
                       for r in rows]).save_to_disk(str(directory / "saved"), num_shards=3)
    from tests import tokenizer_factory
    from tests.test_sft_findings import CHAT, TWO_TURNS

    chat = tokenizer_factory.chat_like(directory / "chatml", "chatml")
    (directory / "training.jinja").write_text(tokenizer_factory.CHATML_TRAINING_TEMPLATE)
    no_assistant = {"messages": CHAT["messages"][:2]}
    write_jsonl(directory / "chat.jsonl", [CHAT if i % 5 else no_assistant for i in range(23)] + [{"messages": TWO_TURNS}] * 7)
    return {
        "sft": [str(directory / "chat.jsonl"), "-t", str(chat), "--sft", "--assistant-only-loss", "--chat-template",
                str(directory / "training.jinja"), "--packing", "--max-length", "48"],
        "parquet": [str(directory / "rows.parquet")],
        "jsonl": [str(directory / name) for name in ("a.jsonl", "b.jsonl", "c.jsonl")],
        "text": [str(directory / "t1.jsonl"), str(directory / "t2.jsonl")],
        "skip": [str(directory / "bad.jsonl"), str(directory / "c.jsonl"), "--on-error", "skip"],
        "save_to_disk": [str(directory / "saved"), "--max-length", "32"],
        "mixed": [str(directory / "rows.parquet"), str(directory / "saved"), str(directory / "t1.jsonl")],
        # fsspec's code path (memory:// does not cross processes): a pattern, Parquet row groups, Arrow files
        "file_urls": [f"file://{directory}/t*.jsonl", f"file://{directory}/rows.parquet", f"file://{directory}/saved"],
    }


def outcome(result) -> dict:
    return {"exit": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}


def scenarios(directory: str) -> None:
    """In the namespace: run every scenario locally and on Ray; write ``outcomes.json``."""
    import ray

    from maskcli.check.ray_engine import FAULT_ENV

    from maskcli.check import ray_engine, shards

    shards.MIN_SPAN_BYTES = ray_engine.SPAN_BYTES = 300  # JSONL files of a few spans each
    directory_path = Path(directory)
    cases = write_datasets(directory_path)
    out: dict = {"unreachable": outcome(run(*cases["parquet"], *COMMON, "--engine", "ray",
                                            "--ray-address", "127.0.0.1:9"))}
    died = directory_path / "died"
    os.environ[FAULT_ENV] = str(died)  # the workers inherit it; it acts once the directory exists
    # address="local": a new Ray, even if a `ray start` cluster runs on this machine (its address is in /tmp/ray)
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    for name, args in cases.items():
        out[name] = {"local": outcome(run(*args, *COMMON)), "ray": outcome(run(*args, *COMMON, "--engine", "ray"))}
    out["damaged"] = outcome(run(_damaged(directory_path), *COMMON, "--engine", "ray"))
    ray.shutdown()
    # The retries as a user meets them: a process of its own that starts its own Ray. (In this process, Ray's
    # driver threads print what they hear of dead workers whenever it arrives, into whatever sys.stdout is then.)
    died.mkdir()
    retried = subprocess.run([sys.executable, "-m", "maskcli", "check", *cases["parquet"], *COMMON, "--engine", "ray",
                              "--ray-address", "local"], capture_output=True, text=True, timeout=240)
    out["retried"] = {"exit": retried.returncode, "stdout": retried.stdout, "stderr": retried.stderr}
    out["deaths"] = len(list(died.iterdir()))
    out["two_nodes"] = _on_two_nodes(ray, cases["parquet"], directory_path)
    (directory_path / "outcomes.json").write_text(json.dumps(out))


def _on_two_nodes(ray, args: list[str], directory: Path) -> dict:
    """A head and a second node (``ray start``, 1 CPU each, without this tree on their path: the
    tasks get maskcli from the driver), the check run as a command from another directory."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    start = ["ray", "start", "--block", "--num-cpus", "1", "--disable-usage-stats"]
    nodes = [subprocess.Popen([*start, "--head", "--port", str(PORT), "--include-dashboard=false"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait_for_port(PORT)
        nodes.append(subprocess.Popen([*start, "--address", f"127.0.0.1:{PORT}"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ray.init(address=f"127.0.0.1:{PORT}", logging_level="ERROR")
        while sum(node["Alive"] for node in ray.nodes()) < 2:
            time.sleep(0.2)
        ray.shutdown()
        elsewhere = directory / "elsewhere"
        elsewhere.mkdir()
        done = subprocess.run([sys.executable, "-m", "maskcli", "check", *args, *COMMON, "--engine", "ray",
                               "--ray-address", f"127.0.0.1:{PORT}"], cwd=elsewhere, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        return {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
    finally:
        for node in reversed(nodes):  # ray start --block stops its Ray processes on SIGTERM
            node.terminate()
            node.wait(timeout=60)


def _wait_for_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


def _damaged(directory: Path) -> str:
    """A Parquet file whose second row group's data is overwritten (its footer intact)."""
    import pyarrow.parquet as pq

    path = directory / "damaged.parquet"
    path.write_bytes((directory / "rows.parquet").read_bytes())
    column = pq.ParquetFile(path).metadata.row_group(1).column(0)
    start = column.data_page_offset
    data = bytearray(path.read_bytes())
    data[start: start + column.total_compressed_size] = b"\xff" * column.total_compressed_size
    path.write_bytes(bytes(data))
    return str(path)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict:
    directory = tmp_path_factory.mktemp("ray")
    script = f"from tests.test_check_ray import scenarios; scenarios({str(directory)!r})"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
           "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}  # a loopback-only cluster: no token
    done = subprocess.run(["unshare", "-n", "bash", "-c", 'ip link set lo up && exec "$0" -c "$1"', sys.executable, script],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads((directory / "outcomes.json").read_text())


SCENARIOS = ["parquet", "jsonl", "text", "skip", "save_to_disk", "mixed", "file_urls", "sft"]


@needs_ray
@needs_namespace
@pytest.mark.parametrize("name", SCENARIOS)
def test_the_ray_report_is_the_local_one(outcomes, name):
    local, ray = outcomes[name]["local"], outcomes[name]["ray"]
    assert local["exit"] == 0, local["stderr"]
    assert ray["exit"] == 0, ray["stderr"]
    report = json.loads(ray["stdout"])
    assert report == json.loads(local["stdout"])
    if name == "sft":  # 5 records without an assistant turn, in several spans; packed into a few rows
        assert report["findings"][0]["id"] == "MC017" and report["findings"][0]["count"] == 5
        assert report["summary"]["sft"]["trained_by_role"]["assistant"]["trained"] > 0
    else:
        assert report["findings"] and report["summary"]["rows"] > 8  # findings in several shards


@needs_ray
@needs_namespace
def test_findings_come_from_several_shards(outcomes):
    rows = {row["row"] for finding in json.loads(outcomes["parquet"]["ray"]["stdout"])["findings"]
            for row in finding["rows"]}
    assert len({row // 7 for row in rows}) >= 3  # row groups of 7 rows


@needs_ray
@needs_namespace
def test_a_task_whose_worker_dies_is_retried(outcomes):
    assert outcomes["deaths"] >= 2  # every shard's first attempt died
    assert outcomes["retried"]["exit"] == 0, outcomes["retried"]["stderr"]
    assert json.loads(outcomes["retried"]["stdout"]) == json.loads(outcomes["parquet"]["local"]["stdout"])


@needs_ray
@needs_namespace
def test_a_two_node_cluster_gives_the_local_report(outcomes):
    result = outcomes["two_nodes"]
    assert result["exit"] == 0, result["stderr"]
    assert json.loads(result["stdout"]) == json.loads(outcomes["parquet"]["local"]["stdout"])


def test_an_unreachable_cluster_is_one_line(outcomes):
    result = outcomes["unreachable"]
    assert result["exit"] == 2
    assert result["stderr"].startswith("Error: cannot reach the Ray cluster at 127.0.0.1:9: ")
    assert result["stderr"].count("\n") == 1


@needs_ray
@needs_namespace
def test_a_damaged_shard_is_named(outcomes):
    result = outcomes["damaged"]
    assert result["exit"] == 2
    assert "damaged.parquet row group 1: damaged file" in result["stderr"], result["stderr"]
    assert result["stderr"].count("\n") == 1


def test_without_ray_one_line_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    result = run(str(write_jsonl(tmp_path / "a.jsonl", CLEAN_ROWS)), "--engine", "ray")
    assert result.exit_code == 2
    assert result.stderr == "Error: --engine ray needs Ray: pip install 'maskcli[ray]'\n"


def test_engine_and_ray_address_come_from_the_config_file(tmp_path):
    from maskcli.check import load_config

    (tmp_path / "pyproject.toml").write_text('[tool.maskcli]\nengine = "ray"\nray_address = "10.0.0.1:6379"\n')
    config = load_config({}, cwd=tmp_path)
    assert (config.engine, config.ray_address) == ("ray", "10.0.0.1:6379")
    assert load_config({"engine": "local"}, cwd=tmp_path).engine == "local"


@pytest.mark.parametrize("batch_size", [1, 3, 4, 16])
def test_shards_cut_where_batches_end_merge_into_the_local_audit(tmp_path, batch_size):
    """The engine's arithmetic without Ray: each shard's task run here, merged as the driver merges."""
    from maskcli.check import CheckConfig, build_report
    from maskcli.check.audit import Audit, make_context
    from maskcli.check.shards import audit_task, plan, ship_tokenizer
    from maskcli.check.run import run_check
    from maskcli.data.tokenizer import load_tokenizer

    paths = [str(write_parquet(tmp_path / "rows.parquet", tokenized_rows())),
             str(write_jsonl(tmp_path / "rows.jsonl", tokenized_rows()[:11] + CLEAN_TEXTS))]
    config = CheckConfig(pad_token="eos", batch_size=batch_size, padding="max_length", max_length=16)
    tok = load_tokenizer(config.tokenizer, config.pad_token)
    ctx, resolved = make_context(tok, config)
    setup = {"tokenizer": ship_tokenizer(tok), "config": config, "ctx": ctx, "resolved": resolved}
    total = Audit.start(ctx, config)
    for shard in plan(paths, None, 64):
        head, rest = audit_task(setup, shard, -total.stats.rows % batch_size)
        total.merge(head, continues=True).merge(rest, continues=True)
    local = run_check(paths, tok, config)
    assert build_report(total, tok, config, paths).to_dict() == build_report(local, tok, config, paths).to_dict()
