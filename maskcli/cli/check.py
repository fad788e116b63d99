"""``maskcli check``: audit a whole dataset's padding, masks and labels, for CI."""

# No `from __future__ import annotations` here: typer reads the command's parameter annotations on
# every run, and as strings it would compile and eval each of them twice (3-4 ms of `show`).

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from maskcli.cli.common import EXIT_FAILED, EXIT_OK, check_progress_on_stderr, handles_input_errors
from maskcli.cli.help import CHECKS, ENCODING, INPUT, OUTPUT, RUN, SFT
from maskcli.check.config import ENGINES, MODES
from maskcli.check.formats import ReportFormat
from maskcli.check.registry import Severity
from maskcli.cli.options import LoaderOpt, OnError, PadTokenOpt, Padding, Side, TokenizerOpt, choices
from maskcli.cli.sft_options import (
    AssistantOnlyLossOpt,
    ChatTemplateOpt,
    CompletionOnlyLossOpt,
    EosTokenOpt,
    PackingOpt,
    PackingStrategyOpt,
    PaddingFreeOpt,
    TruncationModeOpt,
)
from maskcli.errors import InputError
from maskcli.wording import counted

if TYPE_CHECKING:
    from maskcli.check.report import Report

CHECK_HELP = """Audit the padding, attention masks and labels of a whole dataset; exit 1 on findings.

Reads the same inputs as `show --file` (text, chat and already-tokenized records) as a stream.
Settings come from [tool.maskcli] in the nearest pyproject.toml (or --config); flags win.
Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage, config or input error.

\b
Examples:
  maskcli check train.jsonl -t ./tokenizer --max-length 2048
  maskcli check data/*.parquet --pad-token eos --mode generate --padding-side left
  maskcli check tokenized.jsonl --select MC003,MC004,MC005 --format github
  maskcli check train.jsonl --format json --output-file report.json --exit-zero
  maskcli check train.jsonl --format html --output-file report.html
  maskcli check big.jsonl --num-proc 4 --ignore MC010
  maskcli check data/*.parquet --engine ray --ray-address auto
"""


Mode = choices("Mode", MODES)
Engine = choices("Engine", ENGINES)
FailOn = choices("FailOn", tuple(s.value for s in Severity))


def formatters() -> "dict[ReportFormat, Callable[[Report, bool], str]]":
    """``--format`` -> formatter (the text and html ones are imported only when used)."""
    from maskcli.check import formats

    def text(report: "Report", color: bool) -> str:
        from maskcli.render.check import render_report

        return render_report(report, color)

    def html(report: "Report", color: bool) -> str:
        from maskcli.render.check_page import to_html

        return to_html(report)

    return {
        formats.ReportFormat.text: text,
        formats.ReportFormat.json: lambda report, color: formats.to_json(report),
        formats.ReportFormat.github: lambda report, color: formats.to_github(report),
        formats.ReportFormat.junit: lambda report, color: formats.to_junit(report),
        formats.ReportFormat.markdown: lambda report, color: formats.to_markdown(report),
        formats.ReportFormat.html: html,
    }


@handles_input_errors
def check(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Files or fsspec URLs to check (s3://, hf://datasets/..., patterns too; - is stdin).", show_default=False)] = None,
    tokenizer: TokenizerOpt = None,
    loader: LoaderOpt = None,
    pad_token: PadTokenOpt = None,
    max_length: Annotated[Optional[int], typer.Option(help="max_length for truncation and padding [default: the tokenizer's model_max_length for the checks].", rich_help_panel=ENCODING)] = None,
    padding: Annotated[Optional[Padding], typer.Option(help="Padding of text records, as in the tokenizer's __call__ [default: longest].", rich_help_panel=ENCODING)] = None,
    truncation: Annotated[Optional[bool], typer.Option("--truncation/--no-truncation", help="Truncate text records to --max-length.", rich_help_panel=ENCODING)] = None,
    padding_side: Annotated[Optional[Side], typer.Option(help="Padding side [default: the tokenizer's own].", rich_help_panel=ENCODING)] = None,
    pad_to_multiple_of: Annotated[Optional[int], typer.Option(help="Pad lengths up to a multiple of N.", rich_help_panel=ENCODING)] = None,
    no_special_tokens: Annotated[bool, typer.Option("--no-special-tokens", help="Do not add BOS/EOS/CLS/SEP to text records.", rich_help_panel=ENCODING)] = False,
    mode: Annotated[Optional[Mode], typer.Option(help="train, or generate (needs left padding) [default: train].", rich_help_panel=CHECKS)] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Rows per training batch, for padding [default: 8].", rich_help_panel=ENCODING)] = None,
    field: Annotated[Optional[str], typer.Option(help="Record field holding the text [default: text].", rich_help_panel=INPUT)] = None,
    input_format: Annotated[Optional[str], typer.Option(help="text, jsonl, json, csv, tsv, parquet or arrow [default: from the extension].", rich_help_panel=INPUT)] = None,
    on_error: Annotated[Optional[OnError], typer.Option(help="fail on a bad record, or skip and count it [default: fail].", rich_help_panel=INPUT)] = None,
    select: Annotated[Optional[list[str]], typer.Option(help="Only these checks: ids or prefixes, comma-separated (MC003,MC01).", rich_help_panel=CHECKS)] = None,
    ignore: Annotated[Optional[list[str]], typer.Option(help="Skip these checks: ids or prefixes, comma-separated.", rich_help_panel=CHECKS)] = None,
    fail_on: Annotated[Optional[FailOn], typer.Option(help="Lowest severity that fails the check [default: error].", rich_help_panel=CHECKS)] = None,
    require_eos: Annotated[Optional[bool], typer.Option("--require-eos/--no-require-eos", help="Every row must end with EOS or the chat template's turn end (MC014).", rich_help_panel=CHECKS)] = None,
    max_padding_ratio: Annotated[Optional[float], typer.Option(help="MC010 above this share of pad tokens [default: 0.5].", rich_help_panel=CHECKS)] = None,
    max_truncation_rate: Annotated[Optional[float], typer.Option(help="MC008 is an error above this share of rows [default: 0.01].", rich_help_panel=CHECKS)] = None,
    output_format: Annotated[Optional[ReportFormat], typer.Option("--format", help="Report format [default: text].", rich_help_panel=OUTPUT)] = None,
    output_file: Annotated[Optional[Path], typer.Option(help="Write the report to FILE (atomically) instead of stdout.", rich_help_panel=OUTPUT)] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.", rich_help_panel=OUTPUT)] = False,
    config: Annotated[Optional[Path], typer.Option(help="Settings file (TOML) instead of the nearest pyproject.toml.", rich_help_panel=RUN)] = None,
    num_proc: Annotated[Optional[int], typer.Option(help="Check in N processes, each reading its own shards of the files (--sft: preparing records) [default: 1].", rich_help_panel=RUN)] = None,
    engine: Annotated[Optional[Engine], typer.Option(help="local (this machine), or ray: shards audited on a Ray "
                                                     "cluster, see docs/ray.md [default: local].", rich_help_panel=RUN)] = None,
    ray_address: Annotated[Optional[str], typer.Option(help="With --engine ray: auto or HOST:PORT of a cluster, "
                                                       "local: a new local Ray [default: RAY_ADDRESS, else the Ray "
                                                       "started on this machine, else a new one].",
                                                       rich_help_panel=RUN)] = None,
    sft: Annotated[Optional[bool], typer.Option("--sft/--no-sft", help="Check the batches TRL's SFTTrainer would "
                                                "train on (labels, roles, packing) [default: off].", rich_help_panel=SFT)] = None,
    truncation_mode: TruncationModeOpt = None,
    packing: PackingOpt = None,
    packing_strategy: PackingStrategyOpt = None,
    padding_free: PaddingFreeOpt = None,
    completion_only_loss: CompletionOnlyLossOpt = None,
    assistant_only_loss: AssistantOnlyLossOpt = None,
    eos_token: EosTokenOpt = None,
    chat_template: ChatTemplateOpt = None,
) -> None:
    from maskcli.check import build_report, load_config
    from maskcli.check.run import run_check
    from maskcli.output import refuse_inputs, write_atomic
    from maskcli.data.tokenizer import load_tokenizer

    flags = {
        "tokenizer": tokenizer, "loader": loader.value if loader else None, "pad_token": pad_token, "max_length": max_length,
        "padding": padding.value if padding else None, "truncation": truncation,
        "padding_side": padding_side.value if padding_side else None, "pad_to_multiple_of": pad_to_multiple_of,
        "add_special_tokens": False if no_special_tokens else None, "mode": mode.value if mode else None,
        "batch_size": batch_size, "field": field, "input_format": input_format,
        "on_error": on_error.value if on_error else None, "select": select, "ignore": ignore,
        "fail_on": fail_on.value if fail_on else None, "require_eos": require_eos,
        "max_padding_ratio": max_padding_ratio, "max_truncation_rate": max_truncation_rate,
        "format": output_format.value if output_format else None, "num_proc": num_proc,
        "engine": engine.value if engine else None, "ray_address": ray_address,
        "sft": sft, "truncation_mode": truncation_mode.value if truncation_mode else None, "packing": packing,
        "packing_strategy": packing_strategy.value if packing_strategy else None, "padding_free": padding_free,
        "completion_only_loss": completion_only_loss, "assistant_only_loss": assistant_only_loss,
        "eos_token": eos_token, "chat_template": str(chat_template) if chat_template else None,
    }
    settings = load_config(flags, str(config) if config else None)
    if not paths:
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("no input: pass PATH arguments or pipe records into stdin")
        paths = ["-"]
    refuse_inputs({"--output-file": output_file},
                  [*(p for p in paths if p != "-"), settings.tokenizer, *([settings.source] if settings.source else [])])
    tok = load_tokenizer(settings.tokenizer, pad_token=settings.pad_token, loader=settings.loader)
    with check_progress_on_stderr() as progress:
        audit = run_check(paths, tok, settings, progress)
    report = build_report(audit, tok, settings, paths)
    if not report.summary["rows"] and not report.findings:  # MC017 can drop every row and is the finding
        skipped = report.summary["skipped_rows"]
        raise InputError("no records checked" + (f": all {skipped} were bad and skipped (first: "
                                                 f"{report.summary['skipped_first'][0]})" if skipped else ""))
    formatter = formatters()[ReportFormat(settings.format)]
    if output_file is not None:
        write_atomic(output_file, formatter(report, False))
    else:
        sys.stdout.write(formatter(report, settings.format == "text" and sys.stdout.isatty()
                                   and not os.environ.get("NO_COLOR")))
        sys.stdout.flush()
    if settings.format == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        from maskcli.check.formats import to_markdown

        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(to_markdown(report))
    failed = report.failed(settings.fail_on)
    counts = report.counts()
    typer.echo(f"maskcli check: {counted(report.summary['rows'], 'row')}, {counts['error']} error(s), "
               f"{counts['warning']} warning(s): " + ("failed" if failed else "passed")
               + (" (--exit-zero)" if failed and exit_zero else ""), err=True)
    raise typer.Exit(EXIT_FAILED if failed and not exit_zero else EXIT_OK)
