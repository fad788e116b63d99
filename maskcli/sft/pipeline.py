"""Records -> training batches: prepare, pack (if asked), collate; what ``--sft`` shows and checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from maskcli.errors import InputError
from maskcli.data.records import Source
from maskcli.sft.collate import Collated, batches, collate
from maskcli.sft.options import SFTOptions
from maskcli.sft.pack import packed
from maskcli.sft.prepare import Dropped, Example, prepared
from maskcli.data.tokenizer import TokenizerHandle


def training_batches(
    records: Iterable[tuple[Source, Any]], tok: TokenizerHandle, options: SFTOptions, dropped: Dropped,
    on_error=None,
) -> Iterator[list[Collated]]:
    """The collator's batches, ``per_device_train_batch_size`` examples each, in dataset order."""
    return collated_batches(prepared(records, tok, options, dropped, on_error), tok, options)


def collated_batches(examples: Iterable[Example], tok: TokenizerHandle, options: SFTOptions) -> Iterator[list[Collated]]:
    """Prepared examples packed (if asked) and collated, in order."""
    pad_id = pad_token_id(tok, options)
    if options.packing:
        examples = packed(examples, options.max_length, options.packing_strategy)
    for group in batches(examples, options.per_device_train_batch_size):
        yield collate(group, pad_id, options)


def pad_token_id(tok: TokenizerHandle, options: SFTOptions) -> int:
    """``pad_token`` or the tokenizer's pad token or its EOS, as ``SFTTrainer`` chooses."""
    token = options.pad_token or tok.pad_token or tok.eos_token
    token_id = tok.backend.token_to_id(token) if token is not None else None
    if token_id is None:
        raise InputError(f"--pad-token {token!r} is not in the vocabulary of {tok.name}" if token
                         else f"tokenizer {tok.name} has neither a pad nor an EOS token; pass --pad-token")
    return token_id
