"""``maskcli show --json`` of one 1,500-token row (built-in gpt2), timed in-process, whole and by stage.

The text is 1,500 words of a 9-word sentence (GPT-2 gives one token per word). Each run calls the
CLI in-process (typer's CliRunner) so start-up is not counted; the median of N runs is reported.
Give several source trees to compare them in the same run (each in its own process, alternating):

    python benchmarks/bench_show.py [--runs 7] [TREE ...]     (default: this tree)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

WORDS = "the quick brown fox jumps over a lazy dog".split()

CHILD = r"""
import statistics, sys, time
from typer.testing import CliRunner
from maskcli.cli import app
text = " ".join(WORDS[i % 9] for i in range(1500))
runner = CliRunner()
args = ["show", text, "--json"] + EXTRA
runner.invoke(app, args)  # warm: tokenizer cache, imports
times = []
for _ in range(RUNS):
    start = time.perf_counter()
    result = runner.invoke(app, args)
    times.append(time.perf_counter() - start)
assert result.exit_code == 0, result.output[-500:]
print(statistics.median(times) * 1000)
"""


def time_tree(tree: Path, runs: int, extra: list[str]) -> float:
    code = CHILD.replace("WORDS", repr(WORDS)).replace("RUNS", str(runs)).replace("EXTRA", repr(extra))
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "100"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs="*", type=Path, default=[Path(__file__).resolve().parent.parent])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for extra in ([], ["--no-matrices"]):
        figures = {str(tree): round(time_tree(tree, args.runs, extra)) for tree in args.trees}
        print(json.dumps({"command": " ".join(["show", "TEXT1500", "--json", *extra]), "median_ms": figures}))


if __name__ == "__main__":
    main()
