"""``show``'s core: what to compute for a batch (``request``), the JSON document of a batch
(``document``), the notes on it (``lints``) and the grids' panels (``panels``). Rendering lives in
:mod:`maskcli.render`, the command line in :mod:`maskcli.cli`.
"""
