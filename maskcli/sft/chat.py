"""Chat templates as the trainer applies them, and which message each token came from.

:func:`render_chat` is the one place that runs a template (today through transformers'
``apply_chat_template``; a native renderer can replace it here). Roles come from the message
boundaries: the template renders the first ``i`` messages, and the tokens up to where that
text ends belong to message ``i``. Tokens past the last boundary (a generation prompt), or
after a boundary the template does not keep as a prefix, have no role (``None``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import re
from dataclasses import dataclass
from typing import Any

from maskcli.errors import InputError
from maskcli.data.tokenizer import TokenizerHandle

GENERATION_TAG = re.compile(r"\{%-?\s*generation\s*-?%\}")


@dataclass(frozen=True)
class Rendered:
    input_ids: list[int]
    assistant_masks: list[int] | None  # only when asked for
    roles: list[str | None]


def has_generation_tags(template: str) -> bool:
    """TRL's ``has_generation_markers``: ``{% generation %}`` in any whitespace-trim form."""
    return GENERATION_TAG.search(template) is not None


def render_chat(
    tok: TokenizerHandle,
    messages: list[dict],
    *,
    chat_template: str | None,
    add_generation_prompt: bool = False,
    assistant_masks: bool = False,
    template_kwargs: dict[str, Any] | None = None,
) -> Rendered:
    """``apply_chat_template(messages, tokenize=True, return_dict=True, ...)`` plus per-token roles."""
    hf = transformers_tokenizer(tok)
    kwargs = {"chat_template": chat_template, **(template_kwargs or {})}
    output = hf.apply_chat_template(messages, tokenize=True, return_dict=True, add_generation_prompt=add_generation_prompt,
                                    return_assistant_tokens_mask=assistant_masks, **kwargs)
    ids = list(output["input_ids"])
    masks = list(output["assistant_masks"]) if assistant_masks else None
    return Rendered(ids, masks, _roles(tok, messages, ids, kwargs))


def transformers_tokenizer(tok: TokenizerHandle) -> Any:
    """The transformers tokenizer behind ``tok``; a directory the native loader read is loaded
    again by transformers (once), since assistant masks come from its ``apply_chat_template``."""
    if tok.hf_tokenizer is not None:
        return tok.hf_tokenizer
    if tok.loader == "tokenizers" and Path(tok.name).is_dir():
        return _transformers_for(str(tok.name))
    raise InputError(f"chat records need a tokenizer directory with transformers files; {tok.name} has none")


@functools.lru_cache(maxsize=4)
def _transformers_for(directory: str) -> Any:
    from maskcli.data.tokenizer import _from_transformers

    return _from_transformers(directory, where=f"directory {directory}").hf_tokenizer


def _roles(tok: TokenizerHandle, messages: list[dict], ids: list[int], kwargs: dict) -> list[str | None]:
    hf = transformers_tokenizer(tok)
    full = hf.apply_chat_template(messages, tokenize=False, **kwargs)
    encoding = tok.backend.encode(full, add_special_tokens=False)
    if encoding.ids != ids:
        return [None] * len(ids)
    boundaries = []
    for count in range(1, len(messages) + 1):
        try:
            prefix = hf.apply_chat_template(messages[:count], tokenize=False, **kwargs)
        except Exception:  # a template that refuses a partial conversation (e.g. one ending on a user turn)
            break
        if not full.startswith(prefix):
            break
        boundaries.append((len(prefix), messages[count - 1].get("role")))
    roles: list[str | None] = []
    for start, _ in encoding.offsets:
        roles.append(next((role for end, role in boundaries if start < end), None))
    return roles
