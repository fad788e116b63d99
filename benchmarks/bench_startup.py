"""Whole-process time of `maskcli show "Hello world"` (built-in gpt2) against its floor.

The baseline is `python -c "import typer, rich, tokenizers"`: the libraries maskcli cannot
start without. Both are run alternately in this one run; the median of N runs is reported.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "maskcli show 'Hello world'": [sys.executable, "-m", "maskcli", "show", "Hello world"],
    "maskcli --help": [sys.executable, "-m", "maskcli", "--help"],
    "baseline: import typer, rich, tokenizers": [sys.executable, "-c", "import typer, rich, tokenizers"],
}


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for name, command in COMMANDS.items():  # warm the file cache once
        timed(command)
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            samples[name].append(timed(command))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["baseline: import typer, rich, tokenizers"]
    for name, value in medians.items():
        print(f"{name:45s} {value * 1000:7.1f} ms   {value / base:4.2f}x baseline")


if __name__ == "__main__":
    main()
