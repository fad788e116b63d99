"""``--help`` a person can scan: a command's options grouped in panels (Input, Tokenizer, ...).

Each option names its panel with ``rich_help_panel=``; typer draws panels only in its rich help,
which this app turns off (``rich_markup_mode=None``: plain, fast help). :class:`PanelCommand`
groups the plain help the same way, as typer's rich help does: the options without a panel
(``--help`` at least) under ``Options``, then one section per panel, in the same order on every
command (:data:`ORDER`).
The definition columns of all sections line up, as they do in one list.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand

OPTIONS = "Options"
TERM_WIDTH = 30  # click's write_dl col_max: longer terms get a line of their own


class PanelCommand(TyperCommand):
    """A typer command whose plain ``--help`` lists its options panel by panel."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        panels: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append(record)
            else:
                panels.setdefault(getattr(param, "rich_help_panel", None) or OPTIONS, []).append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        rank = {title: index for index, title in enumerate((OPTIONS, *ORDER))}
        panels = dict(sorted(panels.items(), key=lambda item: rank.get(item[0], len(rank))))
        width = min(TERM_WIDTH, max((len(term) for records in panels.values() for term, _ in records), default=0))
        for title, records in panels.items():
            with formatter.section(title):
                formatter.write_dl([(term.ljust(width) if text else term, text) for term, text in records],
                                   col_max=TERM_WIDTH)


# The panels, in the words of the help pages.
INPUT = "Input"
TOKENIZER = "Tokenizer"
ENCODING = "Encoding"
MASKS = "Masks"
OUTPUT = "Output"
VIEW = "Terminal view"
PICTURES = "Pictures"
SFT = "SFT (--sft)"
CHECKS = "Checks"
RUN = "Run"
MODEL = "Model"
ORDER = (INPUT, TOKENIZER, ENCODING, MODEL, MASKS, CHECKS, OUTPUT, VIEW, PICTURES, SFT, RUN)
