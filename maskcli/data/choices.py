"""The choices of tokenizing and reading, defined once: the CLI's enums and ``[tool.maskcli]``'s
accepted values are built from these tuples (a light module: no numpy, so ``--help`` stays fast)."""

PADDINGS = ("longest", "max_length", "none")  # transformers' padding strategies ("none": do_not_pad)
SIDES = ("left", "right")  # padding_side / truncation_side
LOADERS = ("auto", "transformers")  # maskcli's own tokenizer-directory loader when it is exact, else transformers
ON_ERRORS = ("fail", "skip")  # --on-error: stop at the first bad record, or skip and count it
