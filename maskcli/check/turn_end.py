"""How a chat template ends a turn, so that ``--require-eos`` (MC014) accepts chat rows.

A chat row rarely ends with the tokenizer's EOS: ChatML ends a turn with ``<|im_end|>\\n``,
Gemma with ``<end_of_turn>\\n``, Llama-3 with ``<|eot_id|>``. The template is rendered on a
probe conversation (a user and an assistant turn) with maskcli's own renderer; the last special
token of the rendering is the end-of-turn token and what follows it (whitespace only) is the
template's trailing text. A row ends properly when its real tokens end with EOS, with the
end-of-turn token, or with the end-of-turn token and that trailing text::

    ChatML:  ...dummy<|im_end|>\\n   -> marks ((<|im_end|>,), (<|im_end|>, \\n))
    Llama-3: ...dummy<|eot_id|>      -> marks ((<|eot_id|>,),)

This mirrors the probe of TRL's ``is_chat_template_stop_token_trained`` (the last non-blank
token of the assistant turn must be an added token).
"""

from __future__ import annotations

from maskcli.data.chat_template import render_chat
from maskcli.data.tokenizer import TokenizerHandle

PROBE = [{"role": "user", "content": "dummy"}, {"role": "assistant", "content": "dummy"}]


def end_marks(tok: TokenizerHandle, template: str | dict | None) -> tuple[tuple[int, ...], ...]:
    """The id sequences besides EOS that end a row under ``template`` (none without a template,
    or when the template's rendering does not end on a special token and whitespace)."""
    if not template:
        return ()
    try:
        text = render_chat(template, PROBE, tok.special_tokens_map)
    except Exception:  # a template that refuses the probe (raise_exception, a required system turn)
        return ()
    ids = tok.backend.encode(text, add_special_tokens=False).ids
    special = {i for i, added in tok.backend.get_added_tokens_decoder().items() if added.special}
    last = next((i for i in range(len(ids) - 1, -1, -1) if ids[i] in special), None)
    if last is None:
        return ()
    trailing = tuple(ids[last + 1:])
    if tok.backend.decode(list(trailing), skip_special_tokens=False).strip():
        return ()
    marks = [(ids[last],)] + ([(ids[last], *trailing)] if trailing else [])
    return tuple(mark for mark in marks if mark != (tok.eos_token_id,))


def ends_with_mark(ids, marks: tuple[tuple[int, ...], ...]) -> bool:
    """``ids`` (the real tokens of a row) end with one of ``marks``."""
    return any(len(ids) >= len(m) and tuple(int(t) for t in ids[len(ids) - len(m):]) == m for m in marks)
