"""The ``SFTConfig`` fields that decide what a trainer trains on, with TRL 1.16's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from maskcli.errors import InputError
from maskcli.sft.choices import PACKING_STRATEGIES, TRUNCATION_MODES

TRL_MAX_LENGTH = 1024  # SFTConfig's default max_length


@dataclass(frozen=True)
class SFTOptions:
    """Named as in ``trl.SFTConfig``; ``per_device_train_batch_size`` is the collator's batch.

    ``completion_only_loss=None`` is TRL's default: on for prompt/completion records.
    ``chat_template_path`` is a ``.jinja`` file that replaces the tokenizer's template.
    """

    max_length: int | None = 1024
    truncation_mode: str = "keep_start"
    packing: bool = False
    packing_strategy: str = "bfd"
    padding_free: bool = False
    pad_to_multiple_of: int | None = None
    completion_only_loss: bool | None = None
    assistant_only_loss: bool = False
    dataset_text_field: str = "text"
    eos_token: str | None = None
    pad_token: str | None = None
    chat_template_path: str | None = None
    per_device_train_batch_size: int = 8

    def __post_init__(self) -> None:
        if self.truncation_mode not in TRUNCATION_MODES:
            raise InputError(f"--truncation-mode must be keep_start or keep_end, not {self.truncation_mode!r}")
        if self.packing_strategy not in PACKING_STRATEGIES:
            raise InputError(f"--packing-strategy must be bfd or wrapped, not {self.packing_strategy!r}")
        for name, value in (("--max-length", self.max_length), ("--pad-to-multiple-of", self.pad_to_multiple_of),
                            ("--batch-size", self.per_device_train_batch_size)):
            if value is not None and value < 1:
                raise InputError(f"{name} must be a positive integer, not {value}")
        if self.packing and self.max_length is None:
            raise InputError("--packing needs --max-length")
        if self.padding_free and not self.packing and self.max_length is not None:
            raise InputError("--padding-free without --packing does not enforce --max-length (TRL refuses it): "
                             "add --packing, or drop --max-length")

    @property
    def flattened(self) -> bool:
        """The collator's padding-free mode: asked for, or implied by bfd packing (as in TRL)."""
        return self.padding_free or (self.packing and self.packing_strategy == "bfd")


def default_max_length(max_length: int | None, packing: bool, padding_free: bool) -> int | None:
    """``max_length`` when given, else TRL's 1024, except padding-free without packing (TRL wants it unset)."""
    if max_length is not None or (padding_free and not packing):
        return max_length
    return TRL_MAX_LENGTH
