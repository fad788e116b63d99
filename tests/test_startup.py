"""Start-up cost: --help and the built-in tokenizer path never import transformers."""

import json
import os
import subprocess
import sys

PROBE = """
import sys, runpy
sys.argv = ["maskcli"] + {args!r}
try:
    runpy.run_module("maskcli", run_name="__main__")
except SystemExit:
    pass
print("MODULES=" + ",".join(sorted(sys.modules)), file=sys.stderr)
print("HEAVY=" + ",".join(m for m in ("transformers", "torch") if m in sys.modules), file=sys.stderr)
"""
OTHER_COMMANDS = {f"maskcli.cli.{name}" for name in ("check", "masks", "swin", "diff", "view", "verify")}


def probe(*args, cwd=None):
    """Run ``maskcli ARGS`` in a fresh interpreter: (result, the names in sys.modules at its end)."""
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args))], capture_output=True, text=True,
                            cwd=cwd)
    line = [l for l in result.stderr.splitlines() if l.startswith("MODULES=")][-1]
    return result, set(line.removeprefix("MODULES=").split(","))


def heavy_modules(*args):
    result, modules = probe(*args)
    return result, ",".join(m for m in ("transformers", "torch") if m in modules)


def test_help_does_not_import_transformers():
    result, heavy = heavy_modules("--help")
    assert "show" in result.stdout
    assert heavy == ""


def test_show_with_builtin_gpt2_does_not_import_transformers():
    result, heavy = heavy_modules("show", "Hello world", "--json")
    assert json.loads(result.stdout.splitlines()[0])["sequences"][0]["input_ids"] == [15496, 995]
    assert heavy == ""


def test_show_with_a_fast_tokenizer_directory_does_not_import_transformers(tokenizer_dirs):
    result, modules = probe("show", "the cat", "-t", str(tokenizer_dirs["bert_like"]), "--json")
    tokenizer = json.loads(result.stdout.splitlines()[0])["tokenizer"]
    assert (tokenizer["loader"], tokenizer["pad_token"]) == ("tokenizers", "[PAD]")
    assert not modules & {"transformers", "torch"}
    assert "maskcli.data.tokenizer_classes" not in modules  # its recipes are for classes like Qwen2Tokenizer


def test_show_imports_only_its_own_command():
    """A run builds only the command it runs; TEXT arguments need no JSON reader, no worker pool."""
    result, modules = probe("show", "Hello world")
    assert result.returncode == 0, result.stderr
    assert "maskcli.cli.show" in modules  # the probe sees the modules
    assert not modules & {*OTHER_COMMANDS, "orjson", "multiprocessing", "transformers", "torch"}
    assert not {m for m in modules if m.startswith("maskcli.masks.classic")}  # no --mask: no classic kind
    _, with_mask = probe("show", "a b c", "--mask", "longformer:window=2")
    assert "maskcli.masks.classic.kinds" in with_mask


# module -> a show that needs it; a plain `show TEXT` imports none of them.
OPTION_MODULES = {
    "maskcli.masks.blocks": ["a b c d", "--block-size", "2"],
    "maskcli.render.blocks": ["a b c d", "--block-size", "2"],
    "maskcli.masks.receptive": ["a b c d", "--mask", "window:1", "--layers", "2"],
    "maskcli.sft.options": ["a b c d", "--sft"],
    "csv": ["-f", "{dir}/texts.csv"],
    "maskcli.data.readers": ["-f", "{dir}/texts.csv"],  # TEXT arguments read no file
    "maskcli.data.remote": ["-f", "{dir}/texts.csv"],
    "maskcli.data.chat_template": ["-f", "{dir}/chat.jsonl", "-t", "{chat}"],
    "maskcli.masks.conventions": ["a b c d", "--json"],
    "maskcli.masks.model_config": ["a b c d", "--model-config", "{dir}/missing.json"],  # fails once imported
}


def test_show_imports_the_modules_of_its_options_only_with_them(tmp_path, chat_tokenizer_dir):
    (tmp_path / "texts.csv").write_text("text\nHello world\n")
    (tmp_path / "chat.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": "Hi"}]}) + "\n")
    result, modules = probe("show", "Hello world")
    assert "sequence 0" in result.stdout
    assert not modules & set(OPTION_MODULES)
    for module, args in OPTION_MODULES.items():
        result, modules = probe("show", *(a.format(dir=tmp_path, chat=chat_tokenizer_dir) for a in args))
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert bool(errors) == ("--model-config" in args), (args, errors)
        assert module in modules, args  # the probe can tell: the assertion above is not vacuous


def test_check_with_a_fast_tokenizer_directory_does_not_import_transformers(tokenizer_dirs, tmp_path):
    """The pre-commit pattern (one small file, one process): native loading, one process, no worker pool."""
    data = tmp_path / "part.jsonl"
    data.write_text('{"text": "the cat sat"}\n{"text": "on the mat"}\n', encoding="utf-8")
    result, modules = probe("check", str(data), "-t", str(tokenizer_dirs["bert_like"]), "--exit-zero", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "maskcli.check.audit" in modules
    assert not modules & {"transformers", "torch", "multiprocessing", "maskcli.cli.show", "maskcli.sft.options", "csv",
                          "maskcli.data.tokenizer_classes"}


def test_loader_transformers_does_import_transformers(tokenizer_dirs):
    result, heavy = heavy_modules("show", "Hello", "-t", str(tokenizer_dirs["bert_like"]), "--json",
                                  "--loader", "transformers")
    assert json.loads(result.stdout.splitlines()[0])["tokenizer"]["loader"] == "transformers"
    assert "transformers" in heavy  # the probe can tell: the tests above are not vacuous


def test_reader_leaving_early_is_not_an_error(tmp_path):
    """`maskcli show ... | head`: exit 0 and no traceback, for grids and for JSON."""
    data = tmp_path / "many.txt"
    data.write_text("".join(f"line {i} of text\n" for i in range(400)))
    for extra in ([], ["--json"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "maskcli", "show", "-f", str(data), "--pad-token", "eos", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        process.stdout.read(200)
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait() == 0, stderr
        assert "Traceback" not in stderr


def test_usage_errors_are_one_line_from_the_console_script():
    for args, message in (
        (["show", "Hi", "--padding", "foo"], "Invalid value for '--padding'"),
        (["show", "Hi", "--bogus"], "No such option: --bogus"),
        (["nosuch"], "No such command 'nosuch'"),
    ):
        result = subprocess.run([sys.executable, "-m", "maskcli", *args], capture_output=True, text=True)
        assert result.returncode == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]


def test_hub_id_out_of_reach_fails_before_importing_transformers():
    probe = PROBE.format(args=["show", "Hi", "-t", "someorg/not-cached"])
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert "Error: cannot load tokenizer 'someorg/not-cached'" in result.stderr
    assert "HF_HUB_OFFLINE is set" in result.stderr and "local directory" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "HEAVY="


def test_hub_id_in_the_local_cache_is_used_offline(tmp_path, tokenizer_dirs):
    """The Hugging Face cache layout: models--ORG--NAME/refs/main, snapshots/HASH/, .no_exist/HASH/."""
    import shutil

    repo = tmp_path / "hub" / "models--someorg--tiny-bert"
    commit = "0" * 40
    shutil.copytree(tokenizer_dirs["bert_like"], repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    (repo / ".no_exist" / commit).mkdir(parents=True)
    (repo / ".no_exist" / commit / "config.json").touch()  # a tokenizer-only repo: the cache records the miss
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    result = subprocess.run([sys.executable, "-m", "maskcli", "show", "the cat", "-t", "someorg/tiny-bert", "--json"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    seq = document["sequences"][0]
    assert seq["tokens"][0] == "[CLS]" and seq["tokens"][-1] == "[SEP]"
    assert document["tokenizer"]["loader"] == "tokenizers"  # a cached fast-tokenizer snapshot loads natively
