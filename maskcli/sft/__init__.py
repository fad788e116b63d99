"""Records prepared for training the way TRL's ``SFTTrainer`` prepares them (TRL 1.16).

``_prepare_dataset`` (EOS, chat templates, completion and assistant masks, labels, truncation,
dropping fully masked examples, packing) is :mod:`maskcli.sft.prepare` and
:mod:`maskcli.sft.pack`; its collator ``DataCollatorForLanguageModeling`` is
:mod:`maskcli.sft.collate`. Options carry ``SFTConfig``'s names (:class:`SFTOptions`). Neither
TRL nor torch is needed: tests compare the results with TRL itself.
"""

__all__ = ["SFTOptions"]


def __getattr__(name: str):
    """``SFTOptions``, imported on first use: ``maskcli.sft.choices`` alone loads no dataclass."""
    if name == "SFTOptions":
        from maskcli.sft.options import SFTOptions

        return SFTOptions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
