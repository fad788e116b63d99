"""``check --sft``: audit the batches TRL's SFTTrainer would train on, not the raw records.

Records go through :mod:`maskcli.sft` (labels, truncation, packing, the collator); every
collated row is then checked as a given row, and the preparation adds its own findings:
MC017 (no assistant token: TRL stops) and MC018 (prompt not a prefix). The summary gains
``sft``: trained tokens by role and the examples dropped as fully masked.
"""

from __future__ import annotations

from collections.abc import Iterable

from maskcli.data.batches import SkipLog
from maskcli.check.audit import Audit
from maskcli.check.config import CheckConfig
from maskcli.check.rows import Context
from maskcli.check.sft_findings import divergence_issue
from maskcli.data.readers import RowError
from maskcli.data.records import Source
from maskcli.sft.options import SFTOptions, default_max_length
from maskcli.sft.pipeline import training_batches
from maskcli.sft.prepare import Dropped, NoAssistantTokens
from maskcli.sft.rows import to_row, trained_by_role
from maskcli.data.tokenizer import TokenizerHandle


def sft_options(config: CheckConfig) -> SFTOptions:
    return SFTOptions(
        max_length=default_max_length(config.max_length, config.packing, config.padding_free), truncation_mode=config.truncation_mode, packing=config.packing,
        packing_strategy=config.packing_strategy, padding_free=config.padding_free,
        pad_to_multiple_of=config.pad_to_multiple_of, completion_only_loss=config.completion_only_loss,
        assistant_only_loss=config.assistant_only_loss, dataset_text_field=config.field, eos_token=config.eos_token,
        chat_template_path=config.chat_template, per_device_train_batch_size=config.batch_size,
    )


def audit_sft(records: Iterable[tuple[Source, object]], tok: TokenizerHandle, config: CheckConfig, ctx: Context,
              log: SkipLog) -> Audit:
    audit = Audit.start(ctx, config)
    dropped = Dropped(keep=config.rows_per_finding)
    roles: dict[str, dict[str, int]] = {}

    def bad(error: RowError) -> None:
        if isinstance(error, NoAssistantTokens):
            audit.hit("MC017", error.source, str(error).split(": ", 1)[1])
        else:
            log.handle(error)

    for collated in training_batches(records, tok, sft_options(config), dropped, on_error=bad):
        for example in (e for c in collated for e in c.examples if e.prompt_divergence is not None):
            code, detail = divergence_issue(example.prompt_divergence)
            audit.hit(code, example.source, detail)
        rows = [to_row(c) for c in collated]
        audit.update(rows)
        for role, counts in trained_by_role(rows).items():
            entry = roles.setdefault(role, {"tokens": 0, "trained": 0})
            entry["tokens"] += counts["tokens"]
            entry["trained"] += counts["trained"]
    audit.skip_log(log)
    audit.sft = {"trained_by_role": roles, "dropped_fully_masked": dropped.count,
                 "dropped_first": [str(s) for s in dropped.first]}
    return audit
