import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

pytest_plugins = ("pytester",)

sys.path.insert(0, str(Path(__file__).parent))
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import tokenizer_factory  # noqa: E402

# CI machines are shared and slow to import torch: never fail a property on time.
settings.register_profile("maskcli", deadline=None, max_examples=60)
settings.load_profile("maskcli")

SAMPLES = Path(__file__).parent.parent / "samples"


@pytest.fixture(scope="session")
def tokenizer_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tokenizers")
    return {
        "gpt2_like": tokenizer_factory.gpt2_like(root / "gpt2_like"),
        "bert_like": tokenizer_factory.bert_like(root / "bert_like"),
        "llama_like": tokenizer_factory.llama_like(root / "llama_like"),
    }


@pytest.fixture(scope="session")
def chat_tokenizer_dir(tmp_path_factory):
    return tokenizer_factory.gpt2_like(tmp_path_factory.mktemp("chat") / "chat", chat_template=True)


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium under playwright (tests/browser.py), checked to be the system's, not a download."""
    import subprocess

    import browser

    with browser.chromium() as launched:
        system = subprocess.run([browser.CHROMIUM, "--version"], capture_output=True, text=True).stdout
        assert launched.version in system  # the system's chromium, not a downloaded one
        yield launched


@pytest.fixture
def cli(monkeypatch):
    """Run the CLI in-process with a fixed width and no colour; stdout and stderr apart."""
    from typer.testing import CliRunner

    from maskcli.cli import app

    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("MASKCLI_DEBUG", raising=False)
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return run
