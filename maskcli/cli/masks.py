"""``maskcli masks``: every mask kind with its predicate, parameter and reference."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from maskcli.cli.common import handles_input_errors, stdout_console

MASKS_HELP = """List every mask kind `--mask` accepts: its parameter, its predicate (FlexAttention
mask_mod syntax, ANDed with the row's key padding) and the reference it follows.

\b
Examples:
  maskcli masks
  maskcli masks --json | jq '.kinds[] | .name'
"""


def kinds_document() -> dict:
    from maskcli.kinds import KINDS, PACKED

    kinds = [
        {"name": k.name, "param": k.param, "predicate": k.predicate, "reading": k.reading, "can_pack": k.can_pack}
        for k in KINDS.values()
    ]
    kinds.append({
        "name": PACKED, "param": None, "predicate": "(doc[q_idx] == doc[kv_idx]) & (pos[kv_idx] <= pos[q_idx])",
        "reading": "causal+packed: block-diagonal causal over documents (position_ids resets, --doc-lengths, or EOS)",
        "can_pack": False,
    })
    return {"schema_version": 1, "padding": "every kind is ANDed with attention_mask[b, kv_idx]", "modifier": "+packed", "kinds": kinds}


@handles_input_errors
def masks(as_json: Annotated[bool, typer.Option("--json", help="Print the kinds as JSON.")] = False) -> None:
    document = kinds_document()
    if as_json:
        sys.stdout.write(json.dumps(document) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("spec", "predicate", "reading"):
        table.add_column(column, overflow="fold")
    for kind in document["kinds"]:
        spec = f"{kind['name']}:{kind['param']}" if kind["param"] else kind["name"]
        table.add_row(Text(spec), Text(kind["predicate"]), Text(kind["reading"]))
    console = stdout_console()
    console.print(table)
    console.print(Text("Every kind is ANDed with the row's key padding; add +packed (e.g. window:3+packed) to stay inside documents."))
