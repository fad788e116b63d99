"""The choices of ``--sft``'s options, defined once: the CLI's enums, ``[tool.maskcli]``'s accepted
values and :class:`~maskcli.sft.options.SFTOptions`' checks use these tuples (a light module, so
that ``show`` and ``check`` without ``--sft`` import no SFT module)."""

TRUNCATION_MODES = ("keep_start", "keep_end")  # SFTConfig.truncation_mode
PACKING_STRATEGIES = ("bfd", "wrapped")  # SFTConfig.packing_strategy
