"""``maskcli check`` on many small files, one process each (a pre-commit hook's pattern).

For each of N small JSON Lines files (20 text records each, generated once under --dir) this
runs, interleaved: the baseline (a process that imports typer, rich and numpy, loads the same
tokenizer with `tokenizers` and encodes the file's texts: the work a CLI of this design cannot
skip), then ``maskcli check -t DIR FILE --exit-zero`` from each --tree (e.g. a `git archive`
of the commit before a change, and this tree), so before and after are measured in the same
run. The tokenizer directory is bench_startup.py's (a Qwen-like fast tokenizer that maskcli
loads natively). ``--transformers K`` also times K files with ``--loader transformers`` (the
path every directory took before the native loader) and scales its per-file cost to N files.

It prints, per command, the per-file median and mean wall time, the mean CPU time (user +
system of the child), the total for N files, and the ratio of the mean to the baseline's.
Children cache bytecode under --dir, as an installed package has its .pyc files.

    python benchmarks/bench_check_files.py [--files 1000] [--tree OLD --tree .] [--transformers 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import build_directory, child_env, timed  # noqa: E402

BASELINE = """import typer, rich, numpy
import json, sys
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as f:
    texts = [json.loads(line)["text"] for line in f if line.strip()]
print(sum(len(e.ids) for e in tok.encode_batch(texts)))
"""


def small_files(root: Path, count: int) -> list[Path]:
    """``count`` JSONL files of 20 short text records (made once; the same seed every run)."""
    folder = root / "small-files"
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    words = ["the", "cat", "sat", "on", "a", "mat", "model", "token", "mask", "pad", "left", "right", "batch"]
    files = []
    for i in range(count):
        path = folder / f"part-{i:04d}.jsonl"
        if not path.is_file():
            lines = [json.dumps({"text": " ".join(rng.choice(words) for _ in range(rng.randint(3, 40)))})
                     for _ in range(20)]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/maskcli-bench"))
    parser.add_argument("--tree", type=Path, action="append",
                        help="a maskcli source tree to time (repeatable); default: the installed/PYTHONPATH one")
    parser.add_argument("--transformers", type=int, default=0, metavar="K",
                        help="also time K files with --loader transformers (from the first tree)")
    args = parser.parse_args()
    directory = build_directory(args.dir)["native"]
    files = small_files(args.dir, args.files)
    bytecode = args.dir / "pycache"
    trees = args.tree or [None]
    rows: dict[str, tuple[list[str], dict[str, str]]] = {
        "baseline: typer, rich, numpy + Tokenizer.from_file + encode_batch":
            ([sys.executable, "-c", BASELINE, str(directory / "tokenizer.json")], child_env(None, bytecode)),
    }
    for tree in trees:
        rows[f"maskcli check -t DIR FILE (native) [{tree or 'installed'}]"] = (
            [sys.executable, "-m", "maskcli", "check", "-t", str(directory), "--exit-zero"], child_env(tree, bytecode))
    slow = f"maskcli check -t DIR FILE --loader transformers [{trees[0] or 'installed'}]"
    for command, env in rows.values():  # warm the file and bytecode caches
        timed([*command, str(files[0])], env, args.dir)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in [*rows, slow]}
    load = os.getloadavg()[0]
    for index, path in enumerate(files):
        for name, (command, env) in rows.items():
            samples[name].append(timed([*command, str(path)], env, args.dir))
        if index < args.transformers:
            command, env = rows[f"maskcli check -t DIR FILE (native) [{trees[0] or 'installed'}]"]
            samples[slow].append(timed([*command, str(path), "--loader", "transformers"], env, args.dir))
    print(f"{args.files} files, one process each; bytecode cached; load average {load:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end ({os.cpu_count()} cores)")
    base_mean = statistics.mean(wall for wall, _ in samples[next(iter(rows))])
    for name, values in samples.items():
        if not values:
            continue
        walls, cpus = [wall for wall, _ in values], [cpu for _, cpu in values]
        mean = statistics.mean(walls)
        scaled = "" if len(values) == args.files else f" (from {len(values)} files)"
        print(f"{name:70s} median {statistics.median(walls) * 1000:6.1f} ms  mean {mean * 1000:6.1f} ms  "
              f"CPU {statistics.mean(cpus) * 1000:6.1f} ms  {args.files} files: {mean * args.files / 60:5.1f} min"
              f"{scaled}  {mean / base_mean:5.2f}x baseline")


if __name__ == "__main__":
    main()
