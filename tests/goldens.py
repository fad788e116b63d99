"""Golden outputs of the CLI: what a broad set of ``show``/``check``/``diff``/``view``/``masks``/``swin``
invocations print (text, ``--json``, ``-o FILE.npz``), recorded once and compared byte for byte.

They pin behaviour across refactors: ``python tests/goldens.py --record`` rewrites
``tests/golden/cli/`` (review the diff: only intended changes), and ``tests/test_cli_golden.py``
compares every case. Each case runs in-process with typer's CliRunner from the repository root
(``samples/`` paths), at 100 columns without colour. Placeholders such as ``{bert}`` name the test
tokenizers of ``tokenizer_factory``; ``{out}`` is a scratch directory; every path is relative
(see :class:`Runner`), so the files do not depend on where the tests ran.

A golden file is::

    $ maskcli show Hi --json
    exit 0
    --- stdout
    {...}
    --- stderr
    --- file out.npz          (one section per file the case wrote into {out})
    input_ids int64 (1, 1) sha256:...
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "cli"
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "HF_HUB_OFFLINE": "1"}


@dataclass(frozen=True)
class Case:
    name: str
    command: str  # after `maskcli`, with {placeholders}
    stdin: str | None = None


README_SHOW = [
    Case("readme-hero", 'show "Hello world, this is" "Hi" --pad-token eos --padding-side left'),
    Case("readme-jsonl", "show -f samples/texts.jsonl --pad-token eos"),
    Case("readme-csv", "show -f samples/texts.csv --field text --rows 0:2 --pad-token eos"),
    Case("readme-chat", "show -f samples/chat.jsonl -t samples/tiny-chat-tokenizer --pad-token eos"),
    Case("readme-pretokenized", "show -f samples/pretokenized.jsonl --pad-token eos"),
    Case("readme-packed", "show -f samples/packed.jsonl"),
    Case("readme-window-chunk", 'show "a b c d e f" --mask window:3 --mask chunk:2'),
    Case("readme-window-npz", 'show "a b c d" --mask window:2 -o {out}/expected.npz'),
    Case("readme-longformer", 'show "The cat sat on the mat by the door" --mask longformer:window=4,global=0'),
    Case("readme-swin", "swin --image 4 4 --window 2 --shift 1"),
    Case("readme-dilated-layers", 'show "a b c d e f g h i j k l m n o p" --mask dilated:window=2,dilation=3 --layers 3'),
    Case("readme-the-cat", 'show "The cat sat"'),
    Case("readme-left-pad", 'show "Hi" "The cat sat on the mat" --pad-token eos --padding-side left'),
    Case("readme-json", 'show "Hello world" --json'),
    Case("readme-max-length", 'show "a b c" -t {gpt2dir} --padding max_length --max-length 8 --pad-token eos'),
    Case("readme-stdin-compact", "show - --pad-token eos --compact", "first line\nsecond, longer line\n"),
    Case("readme-xlnet", 'show "The cat sat on" --mask xlnet:perm=2+1+3+0 --mask xlnet:perm=2+1+3+0,stream=query'),
    Case("readme-unilm", 'show "x1 x2 [SEP] y1 y2" -t {bert} --mask unilm:source=4'),
    Case("readme-bert-mlm", 'show "the cat sat" -t {bert} --mask bert-mlm --mlm-probability 0.3 --seed 1'),
    Case("readme-masks", "masks"),
    Case("readme-masks-json", "masks --json"),
    Case("readme-swin-json", "swin --image 4 4 --window 2 --shift 1 --json"),
    Case("readme-swin-windows", "swin --image 8 8 --window 4 --shift 2 --windows 2"),
]

SHOW = [
    Case("show-json-left", 'show "Hi" "The cat sat on the mat" --pad-token eos --padding-side left --json'),
    Case("show-json-no-matrices", 'show "Hi" "The cat sat" --pad-token eos --json --no-matrices'),
    Case("show-npz-left", 'show "Hi" "The cat sat" --pad-token eos --padding-side left -o {out}/batch.npz'),
    Case("show-json-file", 'show "Hi" "The cat sat" --pad-token eos -o {out}/batch.json'),
    Case("show-as-eager", 'show "Hi there" "A" --pad-token eos --as eager --json'),
    Case("show-as-sdpa-fp16", 'show "Hi there" "A" --pad-token eos --as sdpa --dtype float16 --json'),
    Case("show-as-mha", 'show "Hi there" "A" --pad-token eos --as mha --json'),
    Case("show-as-flex", 'show "a b c" --mask window:2 --as flex-predicate --json'),
    Case("show-as-flash", 'show "Hi there" "A" --pad-token eos --as flash --json'),
    Case("show-range", 'show "one two three four five six seven eight nine ten" --range 2:6'),
    Case("show-compact", 'show "one two three four five six" "x" --pad-token eos --compact'),
    Case("show-blocks", 'show "one two three four five six seven eight nine ten eleven" --block-size 4'),
    Case("show-blocks-window", 'show "one two three four five six seven eight nine ten eleven" --mask window:3 --block-size 4'),
    Case("show-q-offset", 'show "a b c d e f" --q-offset 3'),
    Case("show-q-offset-json", 'show "a b c d e f" --q-offset 3 --mask window:2 --json'),
    Case("show-packed-mask", 'show "a b c d e f" --mask packed --doc-lengths 2,3,1'),
    Case("show-window-packed", 'show "a b c d e f" --mask window:2+packed --doc-lengths 3,3 --json'),
    Case("show-blocks-ids", 'show "a b c d e f" --mask blocks --block-ids -1,0,0,0,-1,-1'),
    Case("show-bigbird", 'show "a b c d e f g h" --mask bigbird:block=2 --seed 3'),
    Case("show-logsparse", 'show "a b c d e f g h" --mask logsparse'),
    Case("show-prefix", 'show "a b c d e f" --mask prefix:3'),
    Case("show-bidirectional", 'show "a b c" "d" --pad-token eos --mask bidirectional'),
    Case("show-bert-mlm-positions", 'show "the cat sat" -t {bert} --mask bert-mlm --mlm-positions 1,3 --json'),
    Case("show-bert-pair", 'show "the cat" "sat on the mat" -t {bert}'),
    Case("show-bert-json", 'show "the cat" "sat on the mat" -t {bert} --json --no-matrices'),
    Case("show-llama", 'show "Hello there" "Hi" -t {llama} --pad-token eos'),
    Case("show-llama-right", 'show "Hello there" "Hi" -t {llama} --pad-token eos --padding-side right --json --no-matrices'),
    Case("show-multiple-of", 'show "a b c" --pad-token eos --pad-to-multiple-of 8 --json --no-matrices'),
    Case("show-truncation", 'show "a b c d e f g h" --pad-token eos --max-length 4 --truncation --json --no-matrices'),
    Case("show-no-special", 'show "a b" -t {bert} --no-special-tokens --json --no-matrices'),
    Case("show-no-pad-token", 'show "Hi" "The cat sat"'),
    Case("show-padding-none", 'show "Hi" "The cat sat" --padding none --json --no-matrices'),
    Case("show-jsonl-limit", "show -f samples/texts.jsonl --limit 2 --pad-token eos --json --no-matrices"),
    Case("show-tsv", "show -f samples/texts.tsv --field text --pad-token eos --batch-size 2"),
    Case("show-parquet", "show -f samples/texts.parquet --pad-token eos --json --no-matrices"),
    Case("show-dataset", "show -f samples/hf_dataset --pad-token eos --rows 0:2"),
    Case("show-alpaca", "show -f samples/alpaca.jsonl -t samples/tiny-chat-tokenizer --pad-token eos --json --no-matrices"),
    Case("show-sharegpt", "show -f samples/sharegpt.jsonl -t samples/tiny-chat-tokenizer --pad-token eos"),
    Case("show-prompt-completion", "show -f samples/prompt_completion.jsonl -t samples/tiny-chat-tokenizer --pad-token eos --json --no-matrices"),
    Case("show-torchtune", "show -f samples/torchtune.jsonl"),
    Case("show-packed-json", "show -f samples/packed.jsonl --json"),
    Case("show-flattened", "show -f samples/flattened.jsonl"),
    Case("show-flattened-json", "show -f samples/flattened.jsonl --json --no-matrices"),
    Case("show-packed-npz", "show -f samples/packed.jsonl -o {out}/packed.npz"),
    Case("show-pretokenized-npz", "show -f samples/pretokenized.jsonl --pad-token eos -o {out}/pre.npz"),
    Case("show-prompts-txt", "show -f samples/prompts.txt --pad-token eos --padding-side left --compact"),
    Case("show-broken-skip", "show -f samples/broken.jsonl --on-error skip --pad-token eos"),
    Case("show-broken-fail", "show -f samples/broken.jsonl --pad-token eos"),
    Case("show-layers-window", 'show "a b c d e f g h" --mask window:2 --layers 2 --json'),
    Case("show-sft-chat", "show -f samples/chat.jsonl -t samples/tiny-chat-tokenizer --sft --json --no-matrices"),
    Case("show-bad-mask", 'show "a" --mask nosuchkind'),
    Case("show-bad-file", "show -f samples/does-not-exist.jsonl"),
]

CHECK = [
    Case("check-texts", "check samples/texts.jsonl --pad-token eos"),
    Case("check-texts-json", "check samples/texts.jsonl --pad-token eos --format json"),
    Case("check-pretokenized-github", "check samples/pretokenized.jsonl --pad-token eos --format github"),
    Case("check-packed-markdown", "check samples/packed.jsonl --format markdown"),
    Case("check-chat-junit", "check samples/chat.jsonl -t samples/tiny-chat-tokenizer --pad-token eos --format junit"),
    Case("check-generate", "check samples/prompts.txt --pad-token eos --mode generate --padding-side right"),
    Case("check-select", "check samples/pretokenized.jsonl --pad-token eos --select MC003,MC004,MC005"),
    Case("check-parquet", "check samples/texts.parquet --pad-token eos --max-length 4 --exit-zero"),
    Case("check-output-file", "check samples/texts.jsonl --pad-token eos --format json --output-file {out}/report.json --exit-zero"),
    Case("check-missing", "check samples/does-not-exist.jsonl"),
]

ARRAYS = [
    Case("view-npz", 'view {out}/window.npz --name window:2', None),
    Case("view-npz-mha", 'view {out}/window.npz --name window:2 --convention mha', None),
    Case("diff-same", "diff {out}/window.npz {out}/window.npz --name window:2", None),
    Case("diff-other", "diff {out}/window.npz {out}/window.npz --name window:2 --convention mha", None),
    Case("diff-json", "diff {out}/batch.json {out}/other.json --json", None),
]

CASES = README_SHOW + SHOW + CHECK + ARRAYS


def build_tokenizers(scratch: Path) -> dict[str, str]:
    """Build the test tokenizers under ``scratch/tok``; placeholder -> path relative to ``scratch``."""
    sys.path.insert(0, str(ROOT / "tests"))
    import tokenizer_factory

    builders = {"gpt2dir": tokenizer_factory.gpt2_like, "bert": tokenizer_factory.bert_like,
                "llama": tokenizer_factory.llama_like}
    for name, build in builders.items():
        build(scratch / "tok" / name)
    return {name: f"tok/{name}" for name in builders}


def prepare_arrays(run) -> None:
    """The files ``view``/``diff`` cases read: written by maskcli itself (its own export formats)."""
    run(["show", "a b c d", "--mask", "window:2", "-o", "out/window.npz"])
    run(["show", "Hi", "The cat sat", "--pad-token", "eos", "-o", "out/batch.json"])
    run(["show", "Hi", "The cat sat", "--pad-token", "eos", "--padding-side", "left", "-o", "out/other.json"])


def describe_file(path: Path) -> str:
    """A file the case wrote, as text: JSON/text as is; ``.npz``/``.npy`` as name, dtype, shape, hash."""
    import numpy as np

    if path.suffix in (".npz", ".npy"):
        loaded = np.load(path, allow_pickle=False)
        arrays = dict(loaded) if path.suffix == ".npz" else {"": loaded}
        if path.suffix == ".npz":
            with zipfile.ZipFile(path) as archive:  # archive order is part of the format
                order = [n[:-4] for n in archive.namelist()]
            arrays = {name: arrays[name] for name in order}
        lines = []
        for name, array in arrays.items():
            digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]
            lines.append(f"{name} {array.dtype} {tuple(array.shape)} sha256:{digest}")
        return "\n".join(lines) + "\n"
    return path.read_text(encoding="utf-8")


class Runner:
    """Run cases in a scratch directory laid out as the placeholders say: ``samples`` (a link to the
    repository's), ``tok/NAME`` (tokenizers built once) and ``out/``, with relative paths only, so
    that no output depends on where the scratch directory is."""

    def __init__(self, scratch: Path):
        from typer.testing import CliRunner

        from maskcli.cli import app

        self.scratch = scratch
        (scratch / "samples").symlink_to(ROOT / "samples")
        (scratch / "out").mkdir()
        self.places = {**build_tokenizers(scratch), "out": "out"}
        self.invoke = lambda argv, stdin=None: CliRunner().invoke(app, argv, input=stdin, env=ENV)
        with self.inside():
            prepare_arrays(self.invoke)

    @contextlib.contextmanager
    def inside(self):
        cwd = os.getcwd()
        os.chdir(self.scratch)
        try:
            yield
        finally:
            os.chdir(cwd)

    def __call__(self, case: Case) -> str:
        """Run one case and return its golden text."""
        out = self.scratch / "out"
        argv = [part.format(**self.places) for part in shlex.split(case.command)]
        before = {p.name for p in out.iterdir()}
        with self.inside():
            result = self.invoke(argv, case.stdin)
        parts = [f"$ maskcli {case.command}\n", f"exit {result.exit_code}\n",
                 "--- stdout\n", result.stdout, "--- stderr\n", result.stderr]
        for name in sorted({p.name for p in out.iterdir()} - before):
            parts += [f"--- file {name}\n", describe_file(out / name)]
            (out / name).unlink()
        return "".join(parts)


def record() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for stale in GOLDEN.glob("*.out"):
        stale.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        runner = Runner(Path(scratch))
        for case in CASES:
            (GOLDEN / f"{case.name}.out").write_text(runner(case), encoding="utf-8")
    print(f"recorded {len(CASES)} cases in {GOLDEN.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python tests/goldens.py --record")
    os.environ.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"})
    record()
