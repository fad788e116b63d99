"""Benchmark: the block view of a 32k-token combined (causal AND padding) mask.

Run: ``PYTHONPATH=. python benchmarks/bench_blocks.py [--length 32768] [--block-size 128]``.
Prints wall time and peak traced memory (tracemalloc) of building the block summary from the
span form and rendering it; the dense boolean matrix would take length^2 bytes (1 GiB at 32k).
Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import io
import time
import tracemalloc

import numpy as np
from rich.console import Console

from maskcli.blocks import counts_from_spans
from maskcli.render.blocks import block_lines
from maskcli.spans import combined_spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=32768)
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--left-pad", type=int, default=1000)
    args = parser.parse_args()
    attention_mask = np.ones(args.length, dtype=np.int8)
    attention_mask[: args.left_pad] = 0
    console = Console(file=io.StringIO(), width=120, force_terminal=False)
    tracemalloc.start()
    start = time.perf_counter()
    summary = counts_from_spans(combined_spans(attention_mask), args.block_size)
    for line in block_lines("combined", summary, console.width, ascii_only=False):
        console.print(line, no_wrap=True, overflow="crop", crop=True)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tally = summary.tally()
    print(
        f"{args.length} tokens, block {args.block_size}: {elapsed * 1000:.0f} ms, peak {peak / 2**20:.1f} MiB "
        f"(dense bool would be {args.length**2 / 2**20:.0f} MiB); tiles {tally}, sparsity {summary.sparsity:.1%}"
    )


if __name__ == "__main__":
    main()
