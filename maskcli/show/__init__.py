"""``show``'s core: what to compute for a batch (``request``), the JSON document of a batch
(``document``), the notes on it (``lints``) and the grids' panels (``panels``). Rendering lives in
:mod:`maskcli.render`, the command line in :mod:`maskcli.cli`.
"""

SCHEMA_VERSION = 1  # of show's JSON export (docs/json.md): written by show.export, read back by masks.io
