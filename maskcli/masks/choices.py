"""The choices of mask output, defined once: the CLI's enums are built from these tuples (a light
module: no numpy, so ``--help`` stays fast)."""

CONVENTIONS = ("hf", "sdpa", "eager", "mha", "flex-predicate", "flash")  # maskcli.masks.conventions
DTYPES = ("float32", "float16", "bfloat16", "float64")  # whose finfo.min blocks a cell with --as eager
RNGS = ("numpy", "torch")  # bert-mlm: replay DataCollatorForLanguageModeling's return_tensors="np" or "pt" draws
