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

from maskcli.masks.blocks import counts_from_spans
from maskcli.render.blocks import block_lines
from maskcli.masks.spans import combined_spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=32768)
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--left-pad", type=int, default=1000)
    parser.add_argument("--no-baseline", action="store_true", help="skip the dense baseline (needs ~2 GiB at 32k)")
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
        f"maskcli block view: {args.length} tokens, block {args.block_size}: {elapsed * 1000:.0f} ms, "
        f"peak {peak / 2**20:.1f} MiB; tiles {tally}, sparsity {summary.sparsity:.1%}"
    )
    if args.no_baseline:
        return
    dense_time, dense_peak, dense_tally = dense_baseline(attention_mask, args.block_size)
    assert dense_tally == tally, (dense_tally, tally)  # same answer, the obvious way
    print(
        f"baseline (dense L x L mask, numpy block reduce): {dense_time * 1000:.0f} ms, peak {dense_peak / 2**20:.0f} MiB"
    )
    print(f"ratio: {elapsed / dense_time:.3f}x the time, {peak / dense_peak:.4f}x the memory of the baseline")


def dense_baseline(attention_mask: np.ndarray, block: int) -> tuple[float, int, dict]:
    """The obvious way: materialise causal AND padding, then reduce each tile with numpy."""
    length = len(attention_mask)
    tracemalloc.start()
    start = time.perf_counter()
    mask = np.tri(length, length, dtype=bool)
    mask &= attention_mask.astype(bool)[None, :]
    tiles = -(-length // block)
    padded = np.zeros((tiles * block, tiles * block), dtype=bool)
    padded[:length, :length] = mask
    del mask
    view = padded.reshape(tiles, block, tiles, block)
    counts = view.sum(axis=(1, 3), dtype=np.int64)
    sizes = np.minimum(block, length - np.arange(tiles) * block)
    cells = sizes[:, None] * sizes[None, :]
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tally = {"empty": int((counts == 0).sum()), "partial": int(((counts > 0) & (counts < cells)).sum()),
             "full": int((counts == cells).sum())}
    return elapsed, peak, tally


if __name__ == "__main__":
    main()
