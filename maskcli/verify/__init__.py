"""``maskcli verify``: each row of a batch, run on a model, against the same row alone (pure core, no CLI).

A static check says a batch looks wrong; a forward pass proves it. For every row (every document
of a packed row) the batch is run as given and the row's real tokens are run alone with positions
``0..n-1``; the logits at the real tokens must agree within a tolerance set by the dtype. Where a
row differs, :mod:`maskcli.verify.causes` re-runs the batch with each known fix and names the one
that makes it agree.

torch and transformers are imported inside the functions that need them.
"""
