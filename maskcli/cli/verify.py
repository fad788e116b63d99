"""``maskcli verify``: run each row of a batch on a model, against the row alone; exit 1 when any differs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from maskcli.cli.common import EXIT_FAILED, handles_input_errors, progress_on_stderr, stdout_console
from maskcli.cli.help import MODEL, OUTPUT, TOKENIZER
from maskcli.cli.mask_options import Dtype
from maskcli.cli.options import (
    choices,
    BatchSizeOpt,
    FieldOpt,
    FilesOpt,
    InputFormatOpt,
    LimitOpt,
    MaxLengthOpt,
    NoSpecialTokensOpt,
    OnError,
    OnErrorOpt,
    Padding,
    PaddingOpt,
    PaddingSideOpt,
    PadToMultipleOpt,
    PadTokenOpt,
    RowsOpt,
    TextsArg,
    TruncationOpt,
)
from maskcli.cli.sft_options import (
    AssistantOnlyLossOpt,
    ChatTemplateOpt,
    CompletionOnlyLossOpt,
    EosTokenOpt,
    PackingOpt,
    PackingStrategyOpt,
    PaddingFreeOpt,
    SftOpt,
    TruncationModeOpt,
)
from maskcli.errors import InputError
from maskcli.verify.model import ATTN_IMPLEMENTATIONS

VERIFY_HELP = """Run each row of a batch on a model and compare it with the row alone; exit 1 when any differs.

For every row (every document of a packed row) the batch runs as given, and the row's real
tokens run alone at positions 0..n-1; the logits at the real tokens must agree within --atol.
Where a row differs, the batch is re-run with each known fix (position ids for left padding, no
mask or no cache for packed rows, another attention implementation) and the one that agrees is
named. Needs torch: pip install 'maskcli[verify]'. Exit 0 all agree, 1 a row differs, 2 bad input.

\b
Examples:
  maskcli verify -f batch.jsonl --model ./my-model
  maskcli verify -f data.jsonl --model-config config.json --random-init --padding-side left --pad-token eos
  maskcli verify -f packed.jsonl --model ./my-model --no-use-cache --json
  maskcli verify -f chat.jsonl --model ./my-model --sft --padding-free
"""


AttnImplementation = choices("AttnImplementation", ATTN_IMPLEMENTATIONS)


@handles_input_errors
def verify(
    texts: TextsArg = None,
    files: FilesOpt = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="A local model directory (never remote code).", rich_help_panel=MODEL)] = None,
    model_config: Annotated[
        Optional[Path], typer.Option(help="A model's config.json: with --random-init, a random model of it, offline.", rich_help_panel=MODEL)
    ] = None,
    random_init: Annotated[bool, typer.Option("--random-init", help="Random weights for --model-config.", rich_help_panel=MODEL)] = False,
    seed: Annotated[int, typer.Option(help="Seed of --random-init's weights.", rich_help_panel=MODEL)] = 0,
    dtype: Annotated[Dtype, typer.Option(help="dtype the model runs in; sets the default --atol.", rich_help_panel=MODEL)] = Dtype.float32,
    atol: Annotated[
        Optional[float],
        typer.Option(help="Largest |logit difference| that agrees [default: float64 1e-8, float32 1e-4, "
                          "float16 1e-2, bfloat16 5e-2].", rich_help_panel=MODEL),
    ] = None,
    no_use_cache: Annotated[
        bool, typer.Option("--no-use-cache", help="Run with use_cache=False [default: as the model's config says].", rich_help_panel=MODEL)
    ] = False,
    attn_implementation: Annotated[
        AttnImplementation, typer.Option(help="Attention implementation the model runs with.", rich_help_panel=MODEL)
    ] = AttnImplementation.sdpa,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document with every row's result.", rich_help_panel=OUTPUT)] = False,
    input_format: InputFormatOpt = None,
    field: FieldOpt = "text",
    rows: RowsOpt = None,
    limit: LimitOpt = None,
    batch_size: BatchSizeOpt = 8,
    on_error: OnErrorOpt = OnError.fail,
    tokenizer: Annotated[
        Optional[str],
        typer.Option("--tokenizer", "-t", help="Tokenizer for text records [default: the --model directory, else gpt2].", rich_help_panel=TOKENIZER),
    ] = None,
    padding: PaddingOpt = Padding.longest,
    max_length: MaxLengthOpt = None,
    truncation: TruncationOpt = None,
    padding_side: PaddingSideOpt = None,
    pad_to_multiple_of: PadToMultipleOpt = None,
    no_special_tokens: NoSpecialTokensOpt = False,
    pad_token: PadTokenOpt = None,
    sft: SftOpt = False,
    truncation_mode: TruncationModeOpt = None,
    packing: PackingOpt = None,
    packing_strategy: PackingStrategyOpt = None,
    padding_free: PaddingFreeOpt = None,
    completion_only_loss: CompletionOnlyLossOpt = None,
    assistant_only_loss: AssistantOnlyLossOpt = None,
    eos_token: EosTokenOpt = None,
    chat_template: ChatTemplateOpt = None,
) -> None:
    from maskcli.data.batches import SkipLog
    from maskcli.cli.show import encode_settings, input_files, parse_selection, record_batches
    from maskcli.data.tokenizer import load_tokenizer
    from maskcli.verify.model import ModelSource, load_model, require_torch
    from maskcli.verify.run import VerifySettings, verify_batch
    from maskcli.verify.runs import check_fits, check_vocabulary

    if model_config is not None and not random_init:
        raise InputError("--model-config builds a random model: add --random-init (or give --model DIR)")
    if random_init and model_config is None:
        raise InputError("--random-init needs --model-config config.json")
    source = ModelSource(directory=str(model) if model else None, config=str(model_config) if model_config else None,
                         seed=seed)
    files = input_files(texts, files)
    require_torch()
    settings = VerifySettings(dtype=dtype.value, atol=atol, use_cache=False if no_use_cache else None,
                              attn_implementation=attn_implementation.value)
    tolerance = settings.tolerance
    tok = load_tokenizer(tokenizer or (str(model) if model else "gpt2"), pad_token=pad_token)
    encoding = encode_settings(padding, max_length, truncation, padding_side, pad_to_multiple_of, no_special_tokens)
    log = SkipLog(skip=on_error is OnError.skip)
    selection = parse_selection(rows, limit, texts)
    batches = record_batches(tok, encoding, texts, files, input_format, field, selection, batch_size, log, sft=sft,
                             truncation_mode=truncation_mode, packing=packing, packing_strategy=packing_strategy,
                             padding_free=padding_free, completion_only_loss=completion_only_loss,
                             assistant_only_loss=assistant_only_loss, eos_token=eos_token, chat_template=chat_template)
    lm = load_model(source, settings.dtype, settings.attn_implementation)
    results = []
    with progress_on_stderr("rows verified") as report:
        for batch in batches:
            check_vocabulary(batch.rows, lm.get_input_embeddings().num_embeddings)
            check_fits(batch.rows, lm.config)
            results += verify_batch(lm, batch.rows, settings)
            if report:
                report(len(results))
    if not results:
        raise InputError("no rows to verify")
    use_cache = bool(lm.config.use_cache) if settings.use_cache is None else settings.use_cache
    if as_json:
        document = {"schema_version": 1, "dtype": settings.dtype, "atol": tolerance, "use_cache": use_cache,
                    "attn_implementation": settings.attn_implementation,
                    "agrees": all(r.agrees for r in results), "rows": [r.describe() for r in results]}
        sys.stdout.write(json.dumps(document) + "\n")
    else:
        render(results, use_cache, settings)
    summary = log.summary()
    if summary:
        typer.echo(f"Warning: {summary}", err=True)
    if not all(r.agrees for r in results):
        raise typer.Exit(EXIT_FAILED)


def render(results: list, use_cache: bool, settings) -> None:
    from rich.text import Text

    console = stdout_console()
    console.print(Text(f"{settings.dtype}, atol {settings.tolerance:g}, use_cache={use_cache}, "
                       f"attn_implementation={settings.attn_implementation}", style="bright_black"))
    for r in results:
        where = f"{r.source}" + (f" doc {r.document}" if r.documents > 1 else "")
        verdict = "agrees " if r.agrees else "DIFFERS"
        console.print(Text(f"{verdict} {where}: {r.tokens} tokens, max |diff| {r.max_diff:.2e}",
                           style="green" if r.agrees else "bold red"), soft_wrap=True)
        if r.cause is not None:
            shown = "" if r.cause.fixed_diff is None else f" -> max |diff| {r.cause.fixed_diff:.2e}"
            console.print(Text(f"  cause: {r.cause.message}"), soft_wrap=True)
            console.print(Text(f"  fix: {r.cause.fix}{shown}"), soft_wrap=True)
    differing = sum(not r.agrees for r in results)
    total = len(results)
    console.print(Text(f"all {total} agree" if not differing else f"{differing} of {total} differ", style="bold"))
