"""``maskcli masks``: every mask kind with its parameters, predicate, reading, reference and convention."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from maskcli.cli.common import handles_input_errors, stdout_console

SYNTAX = (
    "SPEC syntax: KIND, KIND:VALUE (the first parameter: window:3), KIND:KEY=VALUE,... "
    "(longformer:window=4,global=0+5); list values join items with +; add +packed to stay inside documents "
    "(window:3+packed). Every kind is ANDed with the row's key padding."
)
MASKS_HELP = f"""List every mask kind `show --mask` accepts: its parameters, its predicate (FlexAttention
mask_mod syntax, ANDed with the row's key padding), what it means, the reference it follows and
the convention that reference stores it in.

{SYNTAX}

\b
Examples:
  maskcli masks
  maskcli masks --json | jq '.kinds[] | .name'
  maskcli show "The cat sat on the mat" --mask longformer:window=4,global=0
"""


def kinds_document() -> dict:
    from maskcli.masks.kinds import KINDS, packed_description

    kinds = [*(kind.describe() for kind in KINDS.values()), packed_description()]
    return {"schema_version": 1, "syntax": SYNTAX, "padding": "every kind is ANDed with attention_mask[b, kv_idx]",
            "modifier": "+packed", "kinds": kinds}


def params_text(kind: dict) -> str:
    """``window (W): keys in the window`` per parameter; optional ones say so, with their default."""
    lines = []
    for p in kind["params"]:
        letter = f" ({p['letter']})" if p["letter"] else ""
        optional = "" if p["required"] else f" [optional{', default ' + str(p['default']) if p['default'] else ''}]"
        lines.append(f"{p['name']}{letter}: {p['help']}{optional}")
    return "\n".join(lines)


@handles_input_errors
def masks(as_json: Annotated[bool, typer.Option("--json", help="Print the kinds as JSON.")] = False) -> None:
    document = kinds_document()
    if as_json:
        sys.stdout.write(json.dumps(document) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    from maskcli.masks.specs import ATTEND_CONVENTION

    table = Table(box=None, pad_edge=False, header_style="bold", show_lines=True)
    for column in ("spec", "parameters", "predicate", "reading · reference"):
        table.add_column(column, overflow="fold")
    for kind in document["kinds"]:
        about = f"{kind['reading']}\nreference: {kind['reference']}"
        if kind["convention"] != ATTEND_CONVENTION:
            about += f"\nreference's own form (also shown): {kind['convention']}"
        if kind["shown_by"] != "maskcli show --mask":
            about += f"\nshown by: {kind['shown_by']}"
        table.add_row(Text(kind["example"]), Text(params_text(kind)), Text(kind["predicate"]), Text(about))
    console = stdout_console()
    console.print(table)
    console.print(Text(SYNTAX))
    console.print(Text(f"Convention of every grid and of the JSON's masks[SPEC]: {ATTEND_CONVENTION} (--as converts); "
                       "where a reference stores its mask differently, that form is printed under the grids and put "
                       "in the JSON under native[SPEC]."))
