"""What a person reads for each token: ``こんにちは 👋``, not ``ãģĵãĤĵ`` or ``<0xF0>``.

Byte-level and byte-fallback tokens that hold only part of a character decode to U+FFFD on
their own; they are merged with the tokens that follow until the character is whole, and the
text sits on the first token of the group (the others get ``""``). Each group is decoded after
the group before it, so decoders that strip a leading space (Metaspace) keep it mid-text.
"""

from __future__ import annotations

from collections.abc import Sequence

from maskcli.data.tokenizer import TokenizerHandle

REPLACEMENT = "\ufffd"
MAX_PIECES = 4  # a UTF-8 character has at most 4 bytes


def token_texts(tok: TokenizerHandle, ids: Sequence[int]) -> list[str]:
    """The text each token adds, e.g. gpt2's ``[46036, 22174]`` -> ``["こ", "ん"]``."""
    ids = [int(i) for i in ids]
    singles = tok.backend.decode_batch([[i] for i in ids], skip_special_tokens=False)
    if not any(REPLACEMENT in piece for piece in singles):
        # every token is whole on its own, so each group is one token: the text it adds after the
        # previous token, decoded for the whole row in two batched calls (as :func:`_after` does one by one)
        pairs = tok.backend.decode_batch([ids[k - 1:k + 1] for k in range(1, len(ids))], skip_special_tokens=False)
        return singles[:1] + [both[len(before):] if both.startswith(before) else single
                              for before, both, single in zip(singles, pairs, singles[1:])]
    return _grouped(tok.backend.decode, ids)


def _grouped(decode, ids: list[int]) -> list[str]:
    """Tokens merged into groups until each decodes to whole characters (byte pieces)."""
    texts: list[str] = []
    previous: list[int] = []
    start = 0
    while start < len(ids):
        stop = start + 1
        piece = _after(decode, previous, list(ids[start:stop]))
        while piece.endswith(REPLACEMENT) and stop < len(ids) and stop - start < MAX_PIECES:
            stop += 1
            piece = _after(decode, previous, list(ids[start:stop]))
        if piece.endswith(REPLACEMENT) and stop - start > 1:  # never completed: one token at a time
            stop = start + 1
            piece = _after(decode, previous, [int(ids[start])])
        texts.append(piece)
        texts.extend([""] * (stop - start - 1))
        previous = [int(i) for i in ids[start:stop]]
        start = stop
    return texts


def _after(decode, previous: list[int], group: list[int]) -> str:
    """The text ``group`` adds after ``previous``."""
    group = [int(i) for i in group]
    if not previous:
        return decode(group, skip_special_tokens=False)
    before = decode(previous, skip_special_tokens=False)
    both = decode(previous + group, skip_special_tokens=False)
    return both[len(before):] if both.startswith(before) else decode(group, skip_special_tokens=False)
