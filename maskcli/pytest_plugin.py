"""The pytest plugin (entry point ``maskcli``): a ``maskcli_tokenizer`` fixture.

Registered through ``[project.entry-points.pytest11]``; it imports nothing at pytest start-up,
a tokenizer is loaded when a test first asks for it.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def maskcli_tokenizer():
    """``maskcli_tokenizer("gpt2")`` (built in) or ``maskcli_tokenizer("./tok")`` (a local file or directory):
    the tokenizer handle ``assert_batch_ok`` takes, loaded once per spec."""
    loaded: dict[tuple[str, str | None], object] = {}

    def load(spec: str = "gpt2", pad_token: str | None = None):
        from maskcli.data.tokenizer import load_tokenizer

        if (spec, pad_token) not in loaded:
            loaded[spec, pad_token] = load_tokenizer(spec, pad_token=pad_token)
        return loaded[spec, pad_token]

    return load
