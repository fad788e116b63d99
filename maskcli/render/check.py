"""``maskcli check --format text``: the report for people, as rich tables and a length histogram."""

from __future__ import annotations

import io
import shutil

from rich.console import Console
from rich.table import Table
from rich.text import Text

from maskcli.check.formats import skipped_note
from maskcli.check.report import Report
from maskcli.wording import counted

BAR_WIDTH = 40


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def render_report(report: Report, color: bool = False) -> str:
    """The whole text report as a string (ANSI colours only when ``color``)."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color, highlight=False, emoji=False,
                      width=shutil.get_terminal_size().columns)
    s = report.summary
    tok = report.tokenizer
    console.print(Text("maskcli check", style="bold") + Text(
        f" · {counted(s['rows'], 'row')} from {', '.join(report.inputs)} · tokenizer {tok['name']} "
        f"(pad {_token(tok['pad_token'])}, eos {_token(tok['eos_token'])})"
        + (f" · config {report.config_file}" if report.config_file else ""), style="bright_black"))
    console.print(_statistics(report))
    console.print(_histogram(report))
    console.print(_padding(report))
    if skipped_note(report):
        console.print(Text(skipped_note(report), style="yellow"))
    if report.findings:
        console.print(_findings(report))
    counts = report.counts()
    verdict = (f"{counts['error']} error(s), {counts['warning']} warning(s)" if report.findings else "No findings.")
    console.print(Text(verdict, style="bold red" if counts["error"] else "bold yellow" if counts["warning"]
                       else "bold green"))
    return out.getvalue()


def _statistics(report: Report) -> Table:
    s = report.summary
    lengths, trunc = s["lengths"], s["truncation"]
    table = Table(title="statistics", title_justify="left", box=None, show_header=False, pad_edge=False)
    table.add_column(style="bright_black")
    table.add_column(justify="right")
    table.add_row("rows", str(s["rows"]))
    table.add_row("real tokens", str(s["real_tokens"]))
    table.add_row(f"pad tokens (padding {s['padding']['as_configured']['padding']}, batch {s['padding']['batch_size']})",
                  str(s["pad_tokens"]))
    table.add_row("length min / p50 / p90 / p95 / p99 / max",
                  " / ".join(str(lengths[k]) for k in ("min", "p50", "p90", "p95", "p99", "max")))
    limit = "(no max length)" if trunc["max_length"] is None else trunc["max_length"]
    table.add_row(f"rows over max_length {limit}", str(trunc["rows_over_max_length"]))
    table.add_row("tokens lost to truncation", str(trunc["tokens_lost"]))
    table.add_row("trained-token share", _percent(s["trained_token_share"]))
    return table


def _histogram(report: Report) -> Table:
    bins = report.summary["lengths"]["histogram"]
    table = Table(title="lengths (real tokens)", title_justify="left", box=None, show_header=False, pad_edge=False)
    table.add_column(justify="right", style="bright_black")
    table.add_column()
    table.add_column(justify="right")
    most = max((b["count"] for b in bins), default=0)
    for b in bins:
        bar = "█" * (round(BAR_WIDTH * b["count"] / most) if most else 0)
        table.add_row(f"{b['lo']}-{b['hi']}", Text(bar, style="cyan"), str(b["count"]))
    return table


def _token(token: str | None) -> str:
    return "none" if token is None else repr(token)


def _padding(report: Report) -> Table:
    p = report.summary["padding"]
    context = p["context_length"]
    if report.summary["truncation"]["max_length"] is None:
        context = f"{context}, the longest row: the tokenizer has no max length"
    table = Table(title=f"padding waste (batch size {p['batch_size']}, context {context})",
                  title_justify="left", box=None, pad_edge=False)
    table.add_column("strategy", style="bright_black")
    table.add_column("pad tokens", justify="right")
    table.add_column("waste", justify="right")
    for label, key in (("as configured", "as_configured"), ("pad to max_length", "pad_to_max_length"),
                       ("longest, file-order batches", "longest_in_file_order_batches"),
                       ("longest, length-grouped batches", "length_grouped_batches")):
        table.add_row(label, str(p[key]["pad_tokens"]), _percent(p[key]["waste"]))
    packing = p["greedy_packing"]
    table.add_row("greedy packing", f"{packing['packs']} packs", f"{_percent(packing['efficiency'])} efficient")
    return table


def _findings(report: Report) -> Table:
    table = Table(title="findings", title_justify="left", show_lines=True)
    table.add_column("id", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("rows", justify="right")
    table.add_column("finding")
    for f in report.findings:
        text = Text(f.name, style="bold") + Text(f": {f.message}")
        for source, detail in f.rows[:3]:
            text.append(f"\n  {source}: {detail}", style="bright_black")
        if f.rows and f.count > min(len(f.rows), 3):
            text.append(f"\n  ... {f.count - min(len(f.rows), 3)} more", style="bright_black")
        table.add_row(f.id, Text(f.severity.value, style="red" if f.severity.value == "error" else "yellow"),
                      str(f.count), text)
    return table
