"""``maskcli check`` on one machine: local, ``--num-proc 2``, and ``--engine ray`` on 2 CPUs.

Generates (once, in ``--dir``) pre-tokenized rows as Parquet (row groups of ``--row-group`` rows:
Ray's shards) and text records as ``--files`` JSONL files (a JSONL file is one shard), then runs,
each as a whole process, ``--repeat`` times:

  local      maskcli check FILES --pad-token eos
  num-proc   ... --num-proc 2
  ray        ... --engine ray --ray-address local   (starts its own local Ray: start-up included)
  cluster    ... --engine ray --ray-address 127.0.0.1:6399
             (a Ray started beforehand with ``ray start --head --num-cpus 2``: no start-up)

and prints the best wall time, CPU time of the check process and its peak memory (workers are
other processes: their CPU and memory are not in these figures), and whether every report
(``--format json``) equals the local one. Ray runs in a network namespace of its own where only
loopback exists (``unshare -n``, as root), where it uses 127.0.0.1: the script re-runs itself there, with
``RAY_AUTH_MODE=disabled``.

    python benchmarks/bench_ray.py                          # 1,000,000 rows of each
    python benchmarks/bench_ray.py --rows 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_check import generate, measure  # noqa: E402

PORT = 6399


def generate_parquet(path: Path, rows: int, row_group: int, seed: int = 0) -> None:
    """Pre-tokenized rows, right-padded to a multiple of 8 with EOS (= pad), lengths log-normal (median ~55)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, rows, row_group):
        n = min(row_group, rows - start)
        real = np.minimum(rng.lognormal(4.0, 0.6, n).astype(np.int64) + 2, 1023)
        given = (real + 7) // 8 * 8
        offsets = np.concatenate(([0], np.cumsum(given)))
        local = np.arange(offsets[-1]) - np.repeat(offsets[:-1], given)
        length = np.repeat(real, given)
        ids = rng.integers(0, 50000, offsets[-1]).astype(np.int32)
        ids[local >= length - 1] = 50256
        mask = (local < length).astype(np.int8)
        to_list = lambda values: pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(values))  # noqa: E731
        table = pa.table({"input_ids": to_list(ids), "attention_mask": to_list(mask)})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=row_group)
    writer.close()


def in_child(function, *args) -> None:
    """Run ``function(*args)`` in a child process: the checks, forked from this one, would otherwise
    start with its memory (``ru_maxrss`` counts what a process held before its exec)."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=function, args=args)
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit(f"generating the data failed (exit code {child.exitcode})")


def text_files(workdir: Path, rows: int, files: int) -> list[Path]:
    paths = [workdir / f"texts-{rows}-{i}-of-{files}.jsonl" for i in range(files)]
    for i, path in enumerate(paths):
        if not path.exists():
            in_child(generate, path, rows // files + (i < rows % files), i)
    return paths


def start_head(port: int, cpus: int) -> subprocess.Popen:
    """``ray start --head --block`` (stopped by :func:`stop`, not by ``ray stop``, which would end every
    Ray on the machine), once the cluster answers."""
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", PYTHONPATH=str(REPO))
    head = subprocess.Popen(["ray", "start", "--head", "--block", "--port", str(port), "--num-cpus", str(cpus),
                             "--include-dashboard=false", "--disable-usage-stats"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(120):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return head
        except OSError:
            time.sleep(0.5)
    stop(head)
    raise SystemExit("ray start --head did not come up")


def stop(process: subprocess.Popen) -> None:
    """End a ``ray start --block`` we started: on SIGTERM it stops the Ray processes it started."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measured(argv: list[str], report: Path) -> tuple[dict, dict]:
    """:func:`bench_check.measure` of a check writing its JSON report to ``report``; and the report."""
    result = measure(argv + ["--format", "json", "--output-file", str(report), "--exit-zero"])
    return result, json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--row-group", type=int, default=50_000)
    parser.add_argument("--files", type=int, default=8, help="JSONL files of text records")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="where to keep the generated files")
    parser.add_argument("--only", choices=("parquet", "text"), default=None)
    args = parser.parse_args()
    if os.environ.get("MASKCLI_BENCH_NAMESPACE") != "1":
        os.environ["MASKCLI_BENCH_NAMESPACE"] = "1"
        os.execvp("unshare", ["unshare", "-n", "bash", "-c", 'ip link set lo up && exec "$@"', "bash",
                              sys.executable, *sys.argv])
    os.environ["RAY_AUTH_MODE"] = "disabled"  # a cluster of this machine's loopback only: no token
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="maskcli-bench-ray-"))
    workdir.mkdir(parents=True, exist_ok=True)
    parquet = workdir / f"tokenized-{args.rows}.parquet"
    inputs = {}
    if args.only in (None, "parquet"):
        if not parquet.exists():
            in_child(generate_parquet, parquet, args.rows, args.row_group)
        inputs["parquet"] = [str(parquet)]
    if args.only in (None, "text"):
        inputs["text"] = [str(p) for p in text_files(workdir, args.rows, args.files)]
    import ray

    print(f"python {sys.version.split()[0]}, ray {ray.__version__}, {os.cpu_count()} CPUs, best of {args.repeat}; "
          f"files in {workdir}")
    head = start_head(PORT, cpus=2)
    try:
        for name, files in inputs.items():
            check = [sys.executable, "-m", "maskcli", "check", *files, "--pad-token", "eos"]
            runs = {"local": check, "num-proc 2": check + ["--num-proc", "2"],
                    "ray (own local Ray)": check + ["--engine", "ray", "--ray-address", "local"],
                    "ray (running cluster)": check + ["--engine", "ray", "--ray-address", f"127.0.0.1:{PORT}"]}
            best: dict[str, dict] = {}
            reports: dict[str, dict] = {}
            for _ in range(args.repeat):
                for label, argv in runs.items():
                    result, reports[label] = measured(argv, workdir / "report.json")
                    if label not in best or result["wall"] < best[label]["wall"]:
                        best[label] = result
            same = {label: reports[label] == reports["local"] for label in runs if label != "local"}
            print(f"\n{name}: {args.rows:,} rows in {len(files)} file(s)")
            print("| run | wall s | check process CPU s | peak MB (check process) | report = local |")
            print("|---|---|---|---|---|")
            for label, result in best.items():
                print(f"| {label} | {result['wall']:.2f} | {result['cpu']:.2f} | {result['rss_mb']:.0f} | "
                      f"{same.get(label, '-')} |")
    finally:
        stop(head)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - start:.0f} s in all)")
