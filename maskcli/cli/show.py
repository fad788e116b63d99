"""``maskcli show``: tokenize texts and show ids beside the padding, causal and combined masks."""

# No `from __future__ import annotations` here: typer reads the command's parameter annotations on
# every run, and as strings it would compile and eval each of them twice (3-4 ms of `show`).

import contextlib
import itertools
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple, Optional

import typer

from maskcli.cli.common import handles_input_errors, parse_range, progress_on_stderr, stdout_console
from maskcli.cli.help import INPUT, OUTPUT, VIEW
from maskcli.cli.options import (
    BatchSizeOpt,
    FilesOpt,
    LoaderOpt,
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
    Side,
    TextsArg,
    TokenizerOpt,
    TruncationOpt,
)
from maskcli.cli.mask_options import (
    AsOpt,
    BlockIdsOpt,
    DocLengthsOpt,
    Dtype,
    DtypeOpt,
    LayersOpt,
    MaskOpt,
    MlmPositionsOpt,
    MlmProbabilityOpt,
    MlmRngOpt,
    ModelConfigOpt,
    PageOpt,
    PngOpt,
    QOffsetOpt,
    Rng,
    SeedOpt,
    SvgOpt,
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

if TYPE_CHECKING:
    from maskcli.data.batches import Batch, Selection, SkipLog
    from maskcli.data.encoding import EncodeSettings
    from maskcli.render.pictures import Pictures
    from maskcli.show.request import MaskRequest
    from maskcli.data.tokenizer import TokenizerHandle

SHOW_HELP = """Tokenize TEXT and show tokens and ids beside the padding, causal and combined masks.

Several TEXT arguments form one padded batch; `-` reads one text per line from stdin.

\b
Examples:
  maskcli show "The cat sat"
  maskcli show "Hi" "The cat sat on the mat" --pad-token eos --padding-side left
  maskcli show "Hello world" --json | jq .sequences[0].input_ids
  maskcli show "a b c" -t ./my-tokenizer-dir --padding max_length --max-length 8
  cat prompts.txt | maskcli show - --pad-token eos --compact
  maskcli show -f long.txt --block-size 128

\b
Mask kinds (--mask; all of them: maskcli masks):
  maskcli show "a b c d e f" --mask window:3 --mask chunk:2
  maskcli show "The cat sat on the mat by the door" --mask longformer:window=4,global=0 --png lf.png
  maskcli show "The cat sat on" --mask xlnet:perm=2+1+3+0 --mask xlnet:perm=2+1+3+0,stream=query
  maskcli show "x1 x2 [SEP] y1 y2" -t bert-dir --mask unilm:source=4
  maskcli show "the cat sat" -t bert-dir --mask bert-mlm --mlm-probability 0.3 --seed 1
  maskcli show -f long.txt --mask bigbird:block=64 --block-size 64
  maskcli show "a b c d e f g h i j k l m n o p" --mask dilated:window=2,dilation=3 --layers 3 --svg reach.svg
"""


def read_texts(texts: list[str]) -> list[str]:
    """TEXT arguments, with ``-`` replaced by stdin's lines."""
    result: list[str] = []
    for text in texts:
        if text == "-":
            data = sys.stdin.buffer.read()
            try:
                decoded = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"<stdin>: invalid UTF-8 at byte offset {exc.start}") from None
            result.extend(decoded.splitlines())
        else:
            result.append(text)
    return result


class GridOptions(NamedTuple):
    """How ``show`` draws: ``--range``, ``--compact``, ``--block-size``, ``--layers``."""

    token_range: tuple[int, int | None] | None
    compact: bool
    block_size: int | None
    layers: int | None = None


@handles_input_errors
def show(
    texts: TextsArg = None,
    files: FilesOpt = None,
    input_format: InputFormatOpt = None,
    field: Annotated[str, typer.Option("--field", "--dataset-text-field",
                                       help="Record field holding the text.", rich_help_panel=INPUT)] = "text",
    rows: RowsOpt = None,
    limit: LimitOpt = None,
    batch_size: BatchSizeOpt = 8,
    on_error: OnErrorOpt = OnError.fail,
    tokenizer: TokenizerOpt = "gpt2",
    loader: LoaderOpt = None,
    padding: PaddingOpt = Padding.longest,
    max_length: MaxLengthOpt = None,
    truncation: TruncationOpt = None,
    padding_side: PaddingSideOpt = None,
    pad_to_multiple_of: PadToMultipleOpt = None,
    no_special_tokens: NoSpecialTokensOpt = False,
    pad_token: PadTokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document per batch (JSON Lines).", rich_help_panel=OUTPUT)] = False,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write the JSON documents to FILE (atomically); FILE.npz: NumPy arrays.", rich_help_panel=OUTPUT),
    ] = None,
    no_matrices: Annotated[bool, typer.Option("--no-matrices", help="Leave the L x L masks out of the JSON.", rich_help_panel=OUTPUT)] = False,
    token_range: Annotated[
        Optional[str], typer.Option("--range", help="Zoom the grids to tokens A:B (e.g. 100:160).", rich_help_panel=VIEW)
    ] = None,
    compact: Annotated[
        bool, typer.Option("--compact", help="One character per cell: twice as many tokens per line.", rich_help_panel=VIEW)
    ] = False,
    block_size: Annotated[
        Optional[int], typer.Option(help="Block view of the combined mask: tiles of N tokens, full/partial/empty.", rich_help_panel=VIEW)
    ] = None,
    mask: MaskOpt = None,
    model_config: ModelConfigOpt = None,
    as_convention: AsOpt = None,
    dtype: DtypeOpt = Dtype.float32,
    q_offset: QOffsetOpt = 0,
    doc_lengths: DocLengthsOpt = None,
    block_ids: BlockIdsOpt = None,
    layers: LayersOpt = None,
    seed: SeedOpt = 0,
    mlm_positions: MlmPositionsOpt = None,
    mlm_probability: MlmProbabilityOpt = None,
    mlm_rng: MlmRngOpt = Rng.numpy,
    svg: SvgOpt = None,
    html: PageOpt = None,
    png: PngOpt = None,
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
    from maskcli.cli.mask_options import mask_request, mlm_options
    from maskcli.output import refuse_inputs
    from maskcli.render.pictures import Pictures
    from maskcli.data.tokenizer import load_tokenizer

    files = input_files(texts, files)
    view_range = parse_range(token_range)
    selection = parse_selection(rows, limit, texts)
    refuse_inputs({"-o": output, "--svg": svg, "--html": html, "--png": png},
                  [*(f for f in files or [] if f != "-"), tokenizer, *([model_config] if model_config else [])])
    tok = load_tokenizer(tokenizer, pad_token=pad_token, loader=loader.value if loader else "auto")
    settings = encode_settings(padding, max_length, truncation, padding_side, pad_to_multiple_of, no_special_tokens)
    request = mask_request(tok, mask, model_config, as_convention, dtype, q_offset, doc_lengths, block_ids, seed)
    mlm = mlm_options(request, mlm_positions, mlm_probability, seed, mlm_rng)
    pictures = Pictures(svg, html, png)
    check_drawing(request, layers, block_size, pictures, as_json or output is not None)
    log = SkipLog(skip=on_error is OnError.skip)
    batches = record_batches(tok, settings, texts, files, input_format, field, selection, batch_size, log, sft=sft,
                             truncation_mode=truncation_mode, packing=packing, packing_strategy=packing_strategy,
                             padding_free=padding_free, completion_only_loss=completion_only_loss,
                             assistant_only_loss=assistant_only_loss, eos_token=eos_token, chat_template=chat_template)
    if mlm is not None:
        batches = masked_for_mlm(tok, batches, mlm)
    emit_batches(tok, batches, request, as_json=as_json, output=output, matrices=not no_matrices,
                 view=GridOptions(view_range, compact, block_size, layers), titled=bool(files), pictures=pictures)
    summary = log.summary()
    if summary:
        typer.echo(f"Warning: {summary}", err=True)


def input_files(texts: list[str] | None, files: list[str] | None) -> list[str] | None:
    """The files to read (stdin when neither TEXT nor --file is given and something is piped)."""
    if texts and files:
        raise InputError("give TEXT arguments or --file, not both")
    if not texts and not files:
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("no input: pass TEXT arguments, --file PATH, or pipe records into stdin")
        return ["-"]
    return files


def encode_settings(padding: Padding, max_length: int | None, truncation: bool | None, padding_side: Side | None,
                    pad_to_multiple_of: int | None, no_special_tokens: bool) -> "EncodeSettings":
    from maskcli.data.encoding import EncodeSettings

    return EncodeSettings(
        padding=padding.value,
        max_length=max_length,
        truncation=truncation,
        padding_side=padding_side.value if padding_side else None,
        pad_to_multiple_of=pad_to_multiple_of,
        add_special_tokens=not no_special_tokens,
    )


def input_batches(tok: "TokenizerHandle", settings: "EncodeSettings", texts: list[str] | None, files: list[str] | None,
                  input_format: str | None, field: str, selection: "Selection", batch_size: int,
                  log: "SkipLog") -> "Iterable[Batch]":
    """TEXT arguments as one batch, or the records of ``files`` in batches of ``batch_size``."""
    from maskcli.data.batches import make_batch, read_batches

    if texts:
        from maskcli.data.records import Source
        from maskcli.data.shapes import interpret

        records = [interpret(Source("<text>", row=i), text, tok) for i, text in enumerate(read_texts(texts))]
        if not records:
            raise InputError("no text given: stdin was empty")
        return [make_batch(tok, settings, records)]
    return read_batches(files, tok, settings, fmt=input_format, field_name=field, selection=selection,
                        batch_size=batch_size, log=log)


def record_batches(tok: "TokenizerHandle", settings: "EncodeSettings", texts: list[str] | None,
                   files: list[str] | None, input_format: str | None, field: str, selection: "Selection",
                   batch_size: int, log: "SkipLog", *, sft: bool, **sft_flags) -> "Iterable[Batch]":
    """The batches ``show`` and ``verify`` read: with ``sft`` the collator's rows (``sft_flags`` are
    the SFTConfig-named options), else the encoded records."""
    if not sft:
        return input_batches(tok, settings, texts, files, input_format, field, selection, batch_size, log)
    from maskcli.cli.sft_options import sft_settings

    options = sft_settings(max_length=settings.max_length, pad_to_multiple_of=settings.pad_to_multiple_of,
                           dataset_text_field=field, batch_size=batch_size, **sft_flags)
    return sft_batches(tok, texts, files, input_format, selection, options, log)


def sft_batches(tok: "TokenizerHandle", texts, files, input_format, selection: "Selection", options,
                log) -> "Iterator[Batch]":
    """``--sft``: the collator's batches, as rows; dropped examples are reported on stderr at the end."""
    from maskcli.data.batches import Batch, selected_records
    from maskcli.data.records import Source
    from maskcli.sft.pipeline import training_batches
    from maskcli.sft.prepare import Dropped
    from maskcli.sft.rows import to_row

    if texts:
        records = [(Source("<text>", row=i), text) for i, text in enumerate(read_texts(texts))]
    else:
        records = selected_records(files, input_format, selection, log)
    dropped = Dropped()
    for collated in training_batches(records, tok, options, dropped, on_error=log.handle):
        rows = [to_row(c) for c in collated]
        yield Batch(rows, None, tuple(dict.fromkeys(row.shape for row in rows)))
    if dropped.count:
        where = ", ".join(str(source) for source in dropped.first)
        typer.echo(f"Warning: dropped {dropped.count} example(s) left with no trained token by --max-length "
                   f"(as SFTTrainer does): {where}", err=True)


def check_drawing(request: "MaskRequest", layers: int | None, block_size: int | None, pictures: "Pictures",
                  data_out: bool) -> None:
    """Options that only make sense for the grids, checked before anything is read (the checks'
    modules are imported only with their option)."""
    from maskcli.cli.mask_options import wants_grids

    if layers is not None and not wants_grids(request):
        raise InputError("--layers applies to --mask kinds; add one, e.g. --mask window:3")
    if layers is not None:
        from maskcli.masks.receptive import check_layers

        check_layers(layers)
    if layers is not None and block_size is not None:
        raise InputError("--layers draws token grids; not with --block-size")
    if block_size is not None:
        from maskcli.masks.blocks import check_block_size

        check_block_size(block_size)
        if request.q_offset:
            raise InputError("--block-size tiles square masks; not with --q-offset")
    if pictures and data_out:
        raise InputError("--svg / --html / --png draw the grids; not with --json or -o")
    pictures.check()


def masked_for_mlm(tok: "TokenizerHandle", batches: "Iterable[Batch]", mlm) -> "Iterator[Batch]":
    """Each batch as ``DataCollatorForLanguageModeling`` returns it (``--mask bert-mlm``)."""
    import dataclasses

    from maskcli.masks.classic.bert import mlm_rows
    from maskcli.cli.mask_options import mask_token_id

    token_id = mask_token_id(tok)
    for batch in batches:
        rows = mlm_rows(batch.rows, mlm, token_id, tok.full_vocab_size, tok.special_ids)
        yield dataclasses.replace(batch, rows=rows)


def parse_selection(rows: str | None, limit: int | None, texts: list[str] | None) -> "Selection":
    """``--rows`` and ``--limit``, which pick records of files (not TEXT arguments)."""
    from maskcli.data.batches import Selection

    if texts and (rows is not None or limit is not None):
        raise InputError("--rows and --limit pick records of --file (-f - reads stdin as a file); "
                         "TEXT arguments are shown as given")

    span = parse_range(rows, "--rows") or (0, None)
    return Selection(start=span[0], stop=span[1], limit=limit)


def emit_batches(
    tok: "TokenizerHandle",
    batches: "Iterable[Batch]",
    request: "MaskRequest",
    *,
    as_json: bool,
    output: Path | None,
    matrices: bool,
    view: GridOptions,
    titled: bool,
    pictures: "Pictures",
) -> None:
    """Stream batches out: JSON Lines to stdout and/or FILE (``.npz``: arrays), or grids (and
    pictures of them); each batch is analysed once (:mod:`maskcli.show.analysis`) and only formatted here."""
    from maskcli.cli.mask_options import wants_grids, write_npz
    from maskcli.output import atomic_writer
    from maskcli.show.analysis import analyse_batch

    analyses = (analyse_batch(tok, batch, request) for batch in batches)
    if output is not None and output.suffix.lower() == ".npz":
        analyses = write_npz(output, analyses)
        output = None
        if not as_json:
            return
    if as_json or output:
        from maskcli.show.export import document_json

        with contextlib.ExitStack() as stack:
            sink = stack.enter_context(atomic_writer(output)) if output else None
            for analysis in with_progress(analyses, show=sink is not None or not sys.stdout.isatty()):
                line = document_json(analysis, matrices=matrices)
                if sink is not None:
                    sink.write(line + "\n")
                if as_json:
                    sys.stdout.write(line + "\n")
            sys.stdout.flush()
        return  # -o FILE is data like --json: no grids on stdout (as with -o FILE.npz)
    from maskcli.render.batch import View, render_batch, render_header
    from maskcli.render.pictures import MAX_PICTURED, batch_panels, mask_caption

    if view.block_size is not None:
        from maskcli.render.blocks import render_rows_blocks

    page, pictures = pictures.html, pictures._replace(html=None)  # --html: the interactive page, not the recording
    if page:
        from maskcli.render.show_page import MAX_PAGE_SEQUENCES, to_html
    shown: list = []
    console = stdout_console()
    pictures.record(console)
    stream = iter(analyses)
    first = next(stream, None)  # read before printing anything: a bad first record prints nothing
    render_header(console, tok)
    grid_view = View(token_range=view.token_range, compact=view.compact, masks=request if wants_grids(request) else None,
                     layers=view.layers)
    panels, kept, read = [], 0, 0
    for number, analysis in enumerate(itertools.chain([first] if first else [], stream)):
        batch = analysis.batch
        title = f"batch {number} · {batch.location} · {', '.join(batch.shapes)}" if titled else ""
        if view.block_size is not None:
            render_rows_blocks(console, analysis.rows, view.block_size, view.token_range, view.compact, title)
        else:
            render_batch(console, tok, analysis.rows, grid_view, title=title)
        if pictures.png:  # only the first MAX_PICTURED sequences are kept (and drawn)
            panels += batch_panels(analysis.rows[:max(0, MAX_PICTURED - len(panels))], f"batch {number} · " if titled else "")
        if page and kept < MAX_PAGE_SEQUENCES:  # whole batches, up to the cap
            shown.append(analysis)
            kept += len(analysis.rows)
        read += len(analysis.rows)
    if page:
        from maskcli.output import write_atomic

        write_atomic(page, to_html(tok, shown, titled, read))
    caption = mask_caption(request)
    if pictures.png and read > len(panels):
        caption += f"\nthe first {len(panels)} of {read} sequences (pick others with --rows)"
    pictures.write(console, "maskcli show", lambda: panels, caption, view.token_range, view.block_size)


def with_progress(batches: Iterable, show: bool) -> Iterator:
    """Count rows on stderr while batches (anything with ``rows``) stream (only when stderr is a terminal)."""
    if not show:
        yield from batches
        return
    with progress_on_stderr() as report:
        done = 0
        for batch in batches:
            yield batch
            done += len(batch.rows)
            if report:
                report(done)
