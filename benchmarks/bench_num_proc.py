"""Does ``check --num-proc 2`` pay off? The same files checked with 1 and 2 processes, side by side.

Text records (JSONL, the generator of ``bench_check.py``) and pre-tokenized Parquet (row groups of
10,000 rows), each checked as a whole process, interleaved, best of ``--repeat``; the speed-up is
the one-process wall time over the two-process one (target on 2 cores: at least 1.6x), beside its
ceiling on this machine: N processes cannot beat min(N, CPUs) over the cores one process already
keeps busy (its CPU time over its wall time). Also prints the process's CPU time and peak memory (``ru_maxrss`` of the whole tree, ``RUSAGE_CHILDREN``
style: the largest process).

    python benchmarks/bench_num_proc.py --text-rows 100000 --parquet-rows 200000 --repeat 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_check import _best, _check, _generated, _table, generate, generate_parquet  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text-rows", type=int, nargs="*", default=[100_000])
    parser.add_argument("--parquet-rows", type=int, nargs="*", default=[200_000])
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None, help="where to keep the generated files")
    args = parser.parse_args()
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="maskcli-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, best of {args.repeat}; files in {workdir}")
    inputs = [(_generated(workdir / f"texts-{rows}.jsonl", rows, generate), f"{rows:,} text rows, JSONL")
              for rows in args.text_rows]
    inputs += [(_generated(workdir / f"tokenized-{rows}.parquet", rows, generate_parquet),
                f"{rows:,} pre-tokenized rows, Parquet") for rows in args.parquet_rows]
    for path, what in inputs:
        programs = {"--num-proc 1": _check(path), f"--num-proc {args.procs}": _check(path) + ["--num-proc", str(args.procs)]}
        best = _best(programs, args.repeat)
        print(f"\n{what} ({path.stat().st_size / 1e6:.0f} MB)")
        _table(best)
        one, many = (best[name]["wall"] for name in programs)
        cores_used = best["--num-proc 1"]["cpu"] / one  # one process's own threads (the tokenizer's, a reader)
        ceiling = min(args.procs, os.cpu_count() or 1) / cores_used
        print(f"  speed-up = {one / many:.2f}x (target >= 1.6 on 2 cores); one process already keeps "
              f"{cores_used:.2f} cores busy, so {args.procs} processes can be at most {ceiling:.2f}x faster here")


if __name__ == "__main__":
    main()
