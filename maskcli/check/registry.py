"""The findings ``maskcli check`` reports: stable ids, like a linter's rule codes.

An id never changes meaning; new checks get new ids. ``--select``/``--ignore`` take ids or
id prefixes (``MC01`` = MC010..MC019), as ruff does::

    >>> [c.id for c in select_checks(["MC01"], ["MC012"])][:3]
    ['MC010', 'MC011', 'MC013']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from maskcli.errors import InputError


class Severity(str, Enum):
    warning = "warning"
    error = "error"

    @property
    def rank(self) -> int:
        return 0 if self is Severity.warning else 1


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    severity: Severity  # the default; MC008 becomes an error above max_truncation_rate
    description: str


E, W = Severity.error, Severity.warning
CHECKS: dict[str, Check] = {
    check.id: check
    for check in (
        Check("MC001", "inconsistent-lengths", E,
              "fields of one row differ in length (input_ids, attention_mask, labels, position_ids, token_type_ids)"),
        Check("MC002", "padding-in-middle", E, "the attention mask goes 1 -> 0 -> 1 within a row"),
        Check("MC003", "mask-pad-disagreement", E,
              "masked real tokens, or an attended run of pad tokens at the padded edge"),
        Check("MC004", "trained-padding", E, "labels trained (not -100) where the attention mask is 0"),
        Check("MC005", "untrained-final-eos", E,
              "pad = eos and the final EOS has label -100: the model never learns to stop"),
        Check("MC006", "no-trained-labels", W, "a row with labels but no trained (not -100) label at all"),
        Check("MC007", "padding-side", E,
              "right padding in --mode generate, or rows padded on different (or both) sides"),
        Check("MC008", "truncation", W,
              "rows longer than max_length, or cut without their EOS"),
        Check("MC009", "double-bos", E, "two or more BOS tokens at the start of a row"),
        Check("MC010", "padding-waste", W, "pad tokens above max_padding_ratio of all tokens"),
        Check("MC011", "position-ids-mismatch", E,
              "position_ids of real tokens differ from cumsum(attention_mask) - 1"),
        Check("MC012", "packed-rows-with-mask", E,
              "packed rows (position_ids restart) with an attention_mask: documents attend across each other"),
        Check("MC013", "no-pad-token", E, "the tokenizer has no pad token but the data needs or has padding"),
        Check("MC014", "missing-eos", E,
              "the last real token is not EOS, nor the chat template's turn end (require_eos)"),
        Check("MC015", "id-out-of-vocabulary", E, "token ids outside the tokenizer's vocabulary"),
        Check("MC016", "empty-row", W, "a row with no real (attended) token"),
        Check("MC017", "no-assistant-tokens", E,
              "--assistant-only-loss, but the chat template marks no assistant token (TRL stops before training)"),
        Check("MC018", "prompt-not-prefix", W,
              "the tokenized prompt is not a prefix of the tokenized prompt+completion"),
        Check("MC019", "labels-already-shifted", E,
              "labels[t] == input_ids[t+1] on most trained positions: the model shifts labels itself"),
        Check("MC020", "trained-document-start", E,
              "in a packed row, the first token of a document is trained: its label predicts across the boundary"),
        Check("MC021", "left-padding-without-position-ids", W,
              "left-padded training rows without position_ids: the forward pass uses plain positions"),
        Check("MC022", "trained-prompt", E,
              "given labels train prompt tokens, where completion-only loss would not (the record's prompt says)"),
        Check("MC023", "trained-non-assistant", E,
              "given labels train non-assistant tokens, where assistant-only loss would not (the template says)"),
        Check("MC024", "ids-not-from-template", W,
              "given input_ids are not the record's messages or prompt as tokenized: its labels cannot be compared"),
    )
}


def parse_ids(values: Iterable[str], option: str) -> list[str]:
    """``["MC001,MC002", "mc01"]`` -> ``["MC001", "MC002", "MC01"]``, each a known id or prefix."""
    ids = [part.strip().upper() for value in values for part in value.split(",") if part.strip()]
    for code in ids:
        if code != "ALL" and not any(check_id.startswith(code) for check_id in CHECKS):
            raise InputError(f"{option}: unknown check {code!r} (known: MC001..{max(CHECKS)})")
    return ids


def select_checks(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Check]:
    """The checks that run: all, or those matching ``select``, minus those matching ``ignore``."""
    chosen = parse_ids(select, "--select") or ["ALL"]
    dropped = parse_ids(ignore, "--ignore")

    def matches(check_id: str, codes: list[str]) -> bool:
        return any(code == "ALL" or check_id.startswith(code) for code in codes)

    return [c for c in CHECKS.values() if matches(c.id, chosen) and not matches(c.id, dropped)]
