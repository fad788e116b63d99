"""Given labels held against what the record's own messages or prompt say should be trained.

A pre-tokenized record may keep what it was made from next to ``input_ids`` and ``labels``:
``messages``, or ``prompt`` and ``completion``. TRL trains on given labels as they are (it
builds labels only for a dataset without a ``labels`` column), so neither
``completion_only_loss`` nor ``assistant_only_loss`` touches them. maskcli prepares the same
record from its messages or prompt as TRL would, finds the given ids in that rendering, and
lists the positions trained there that the derivation would not train::

    prompt "The cat", completion " sat."  -> derived labels  -100 -100  sat  .  <eos>
    given labels                                              The  cat  sat  .  <eos>
    -> prompt positions 0, 1 trained ('The cat')

A record whose given ids are not the rendering (another template, a second BOS) cannot be
compared; ``mismatch`` says where they part. Records without such fields, or a loss with no
mask to compare (``--no-completion-only-loss``, messages without ``--assistant-only-loss``),
get no comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from maskcli.data.facts import IGNORE_INDEX
from maskcli.data.tokenizer import TokenizerHandle

SOURCE_FIELDS = ("messages", "conversations", "prompt", "completion")
PRETOKENIZED_FIELDS = ("input_ids", "labels", "attention_mask", "position_ids", "token_type_ids")


@dataclass(frozen=True)
class Trained:
    """Given positions trained where the derivation says not: where, the first run's text, roles."""

    positions: tuple[int, ...]
    text: str
    roles: tuple[str, ...]

    def describe(self, what: str) -> str:
        """``3 non-assistant token(s) trained at 4, 5, 6 (roles user): 'Hello'`` (positions in the given row;
        the text is the first run of them)."""
        shown = ", ".join(map(str, self.positions[:5])) + (" ..." if len(self.positions) > 5 else "")
        roles = f" (roles {', '.join(self.roles)})" if self.roles else ""
        return f"{len(self.positions)} {what} token(s) trained at {shown}{roles}: {self.text!r}"


@dataclass(frozen=True)
class Comparison:
    """What the given labels train that the record's messages or prompt would not."""

    derived_from: str  # the masks of the derivation: "completion_mask", "assistant_masks" or both
    prompt: Trained | None  # prompt tokens trained (completion-only loss)
    non_assistant: Trained | None  # tokens outside the assistant mask trained (assistant-only loss), not prompt
    mismatch: str | None = None  # the given ids are not the rendering: nothing else is known
    roles: tuple[str | None, ...] | None = None  # per given token, when the ids line up


def wants_comparison(record: dict, completion_only_loss: bool | None, assistant_only_loss: bool) -> bool:
    """Does the record carry a source, and does the loss have a mask to compare with?"""
    if "labels" not in record:
        return False
    if "prompt" in record and "completion" in record:
        return completion_only_loss is not False or assistant_only_loss
    return assistant_only_loss and ("messages" in record or "conversations" in record)


def source_record(record: dict) -> dict:
    """The record without its pre-tokenized fields: what TRL would tokenize."""
    return {k: v for k, v in record.items() if k not in PRETOKENIZED_FIELDS}


def compare(tok: TokenizerHandle, given_ids: Sequence[int], given_labels: Sequence[int], derived_ids: Sequence[int],
            derived_labels: Sequence[int], derived_from: str, completion_start: int | None,
            derived_roles: Sequence[str | None] | None) -> Comparison:
    """Line the given ids up with the derived ones (equal, or a cut of them) and compare labels."""
    offset = alignment(list(given_ids), list(derived_ids))
    if offset is None:
        return Comparison(derived_from, None, None, mismatch=_mismatch(tok, given_ids, derived_ids))
    n = len(given_ids)
    expected = [label != IGNORE_INDEX for label in derived_labels[offset:offset + n]]
    roles = tuple(derived_roles[offset:offset + n]) if derived_roles is not None else None
    wrong = [i for i in range(n) if given_labels[i] != IGNORE_INDEX and not expected[i]]
    in_prompt = completion_start is not None and "completion_mask" in derived_from
    prompt = [i for i in wrong if in_prompt and i + offset < completion_start]
    others = [i for i in wrong if i not in set(prompt)]
    return Comparison(derived_from, _trained(tok, given_ids, prompt, roles), _trained(tok, given_ids, others, roles),
                      roles=roles)


def alignment(given: list[int], derived: list[int]) -> int | None:
    """Where ``given`` sits in ``derived``: 0 when equal or a ``keep_start`` cut, the rest for a
    ``keep_end`` cut; ``None`` when it is neither.

    >>> alignment([1, 2], [1, 2, 3]), alignment([2, 3], [1, 2, 3]), alignment([9], [1, 2])
    (0, 1, None)
    """
    if not given or len(given) > len(derived):
        return None
    if derived[: len(given)] == given:
        return 0
    if derived[len(derived) - len(given):] == given:
        return len(derived) - len(given)
    return None


def _trained(tok: TokenizerHandle, ids: Sequence[int], positions: list[int],
             roles: tuple[str | None, ...] | None) -> Trained | None:
    if not positions:
        return None
    run = [positions[0]]
    for p in positions[1:]:
        if p != run[-1] + 1:
            break
        run.append(p)
    text = tok.backend.decode([int(ids[p]) for p in run], skip_special_tokens=False)
    kinds = tuple(dict.fromkeys(roles[p] for p in positions if roles[p])) if roles is not None else ()
    return Trained(tuple(positions), text, kinds)


def _mismatch(tok: TokenizerHandle, given: Sequence[int], derived: Sequence[int]) -> str:
    at = next((i for i, (a, b) in enumerate(zip(given, derived)) if a != b), min(len(given), len(derived)))

    def piece(ids: Sequence[int]) -> str:
        return repr(tok.backend.decode([int(t) for t in ids[at:at + 3]], skip_special_tokens=False)) \
            if at < len(ids) else "the end"

    return (f"the given input_ids ({len(given)}) are not the record's messages or prompt as tokenized "
            f"({len(derived)}): at token {at}, given {piece(given)}, tokenized {piece(derived)}")
