"""The ``--sft`` options of ``show`` and ``check``, named as TRL's ``SFTConfig`` names them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from maskcli.cli.options import choices
from maskcli.sft.choices import PACKING_STRATEGIES, TRUNCATION_MODES

from maskcli.cli.help import SFT


TruncationMode = choices("TruncationMode", TRUNCATION_MODES)
PackingStrategy = choices("PackingStrategy", PACKING_STRATEGIES)


SftOpt = Annotated[bool, typer.Option("--sft", help="Prepare records as TRL's SFTTrainer and its collator do: "
                                      "labels, roles, packing.", rich_help_panel=SFT)]
TruncationModeOpt = Annotated[Optional[TruncationMode], typer.Option(
    help="--sft: keep the start or the end of long examples [default: keep_start].", rich_help_panel=SFT)]
PackingOpt = Annotated[Optional[bool], typer.Option("--packing/--no-packing", help="--sft: pack examples into "
                                                    "rows of --max-length.", rich_help_panel=SFT)]
PackingStrategyOpt = Annotated[Optional[PackingStrategy], typer.Option(
    help="--sft: bfd (documents kept whole) or wrapped [default: bfd].", rich_help_panel=SFT)]
PaddingFreeOpt = Annotated[Optional[bool], typer.Option("--padding-free/--no-padding-free", help="--sft: flatten "
                                                        "each batch into one row with position_ids.", rich_help_panel=SFT)]
CompletionOnlyLossOpt = Annotated[Optional[bool], typer.Option(
    "--completion-only-loss/--no-completion-only-loss",
    help="--sft: train only the completion of prompt/completion records [default: on].", rich_help_panel=SFT)]
AssistantOnlyLossOpt = Annotated[Optional[bool], typer.Option(
    "--assistant-only-loss/--no-assistant-only-loss",
    help="--sft: train only assistant tokens (the template's {% generation %} tags).", rich_help_panel=SFT)]
EosTokenOpt = Annotated[Optional[str], typer.Option(help="--sft: the EOS appended to texts and completions "
                                                    "[default: the tokenizer's].", rich_help_panel=SFT)]
ChatTemplateOpt = Annotated[Optional[Path], typer.Option(
    help="--sft: a .jinja chat template replacing the tokenizer's (chat_template_path).", rich_help_panel=SFT)]


def sft_settings(*, max_length, truncation_mode, packing, packing_strategy, padding_free, pad_to_multiple_of,
                 completion_only_loss, assistant_only_loss, dataset_text_field, eos_token, chat_template,
                 batch_size):
    """The :class:`~maskcli.sft.SFTOptions` of the flags (``None`` = TRL's default; enums or their values)."""
    from maskcli.sft.options import SFTOptions, default_max_length

    truncation_mode = getattr(truncation_mode, "value", truncation_mode)
    packing_strategy = getattr(packing_strategy, "value", packing_strategy)
    return SFTOptions(
        max_length=default_max_length(max_length, bool(packing), bool(padding_free)), truncation_mode=truncation_mode or "keep_start", packing=bool(packing),
        packing_strategy=packing_strategy or "bfd", padding_free=bool(padding_free),
        pad_to_multiple_of=pad_to_multiple_of, completion_only_loss=completion_only_loss,
        assistant_only_loss=bool(assistant_only_loss), dataset_text_field=dataset_text_field, eos_token=eos_token,
        chat_template_path=str(chat_template) if chat_template else None, per_device_train_batch_size=batch_size,
    )
