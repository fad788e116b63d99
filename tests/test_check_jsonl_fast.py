"""Pre-tokenized JSON Lines read a block at a time (maskcli.check.jsonl_input) against reading them line
by line: the same report (findings, rows listed, statistics, every format), the same errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tokenizer_factory
from check_fixtures import CLEAN_GENERATE_ROWS, CLEAN_ROWS, CLEAN_TEXTS, EOT, PLANTED_ROWS, planted_rows, run
from maskcli.check import build_report, jsonl_input
from maskcli.check.audit import audit_records, make_context
from maskcli.check.config import CheckConfig
from maskcli.check.formats import to_json
from maskcli.check.jsonl_input import audit_jsonl_pieces, jsonl_pieces, ragged_from_jsonl
from maskcli.data.batches import Selection, SkipLog, selected_records
from maskcli.data.tokenizer import load_tokenizer
from maskcli.errors import InputError

pytest.importorskip("pyarrow")

TOKENIZED = [row for row in planted_rows() if isinstance(row, dict)]
FIELDS = ("input_ids", "attention_mask", "labels")
CONFIGS = [
    CheckConfig(pad_token="eos", rows_per_finding=3),
    CheckConfig(pad_token="eos", mode="generate", require_eos=True, batch_size=3),
    CheckConfig(pad_token="eos", max_length=4, on_error="skip", batch_size=2),
    CheckConfig(on_error="skip"),  # gpt2 has no pad token
]
ODD_LINES = [  # each read line by line (a skipped row, an error, a finding, another shape), never laid out
    "", "   ", '{"input_ids": [1]} {"input_ids": [2]}', '{"input_ids": [1.0]}', '{"input_ids": [1e2]}',
    '{"input_ids": [true, 1]}', '{"input_ids": [false]}', '{"input_ids": null}', '{"input_ids": [null]}',
    '{"input_ids": [9223372036854775807]}', '{"input_ids": [123456789012345678901234]}', '{"input_ids": [01]}',
    '{"input_ids": [1], "input_ids": [2, 3]}', '{"input_ids": [-00]}', '{"input_ids": [00]}',
    '{"input_ids": [464], "attention_mask": [2]}', '{"input_ids": [464], "attention_mask": [-1]}',
    '{"input_ids": [[464]]}', '{"input_ids": ["464"]}', '{"input_ids": [464],"attention_mask":[1]}',
    '{"input_ids":\t[464]}', '{"input_ids": [464]} ', '{"input_ids": [,464]}', '{"input_ids": [464,]}',
    '{"input_ids": [464,,3797]}', '{"input_ids": [--464]}', '{"input_ids": [464-3797]}', '{"input_ids": [-]}',
    '\ufeff{"input_ids": [464]}', '{"input_\\u0069ds": [464]}', '{"input_ids": [464], "text": "hi"}',
    '{"input_ids": [464], "id": 7}', '{"text": "The cat sat."}', '"just a string"', "[464, 3797]", "{oops",
    '{"input_ids": [464]', '{"input_ids": [464], "labels": [464]}', "\xe9",
    '{"input_ids": [1000000000000000000]}',
]
LAID_OUT_LINES = ['{"input_ids": [-0]}', '{"input_ids": [-1, 464]}', '{"input_ids": [464]}\r',
                  '{"input_ids": [999999999999999999]}', '{"input_ids":[464]}']  # -0 is 0, for json too


def record_report(paths: list[str], config: CheckConfig) -> str:
    """The report of reading every record line by line (what ``check`` did before blocks)."""
    tok = load_tokenizer(config.tokenizer, pad_token=config.pad_token)
    ctx, resolved = make_context(tok, config)
    log = SkipLog(skip=config.on_error == "skip")
    audit = audit_records(selected_records(paths, config.input_format, Selection(), log), tok, config, ctx, resolved,
                          log)
    return to_json(build_report(audit, tok, config, paths))


def fast_report(paths: list[str], config: CheckConfig) -> str:
    tok = load_tokenizer(config.tokenizer, pad_token=config.pad_token)
    ctx, resolved = make_context(tok, config)
    pieces = jsonl_pieces(paths, config.input_format, config.field)
    assert pieces is not None
    audit = audit_jsonl_pieces(pieces, tok, config, ctx, resolved, SkipLog(skip=config.on_error == "skip"))
    return to_json(build_report(audit, tok, config, paths))


def outcome(report, *args) -> str:
    try:
        return report(*args)
    except InputError as error:
        return f"error: {error}"


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of ~200 bytes and no size floor, so that small files take the block reader."""
    monkeypatch.setattr(jsonl_input, "MIN_BYTES", 0)
    monkeypatch.setattr(jsonl_input, "BLOCK_BYTES", 200)


def laid_out(paths: list[str], field: str = "text") -> int:
    """How many rows the block reader lays out (the rest it reads line by line)."""
    return sum(len(piece.ragged) for piece in jsonl_pieces(paths, None, field) if piece.ragged is not None)


def with_fields(row: dict, names: tuple[str, ...]) -> dict:
    """``row`` with exactly the fields ``names`` (a missing mask is all ones, other fields the ids)."""
    ids = row["input_ids"]
    return {name: row.get(name, [1] * len(ids) if name == "attention_mask" else ids) for name in names}


def dumps(row: dict, compact: bool) -> str:
    return json.dumps(row, separators=(",", ":")) if compact else json.dumps(row)


def write(path: Path, lines: list[str], newline: str = "\n", end: bool = True) -> str:
    path.write_bytes((newline.join(lines) + (newline if end else "")).encode("utf-8", "surrogatepass"))
    return str(path)


@pytest.mark.parametrize("compact", [True, False])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_rows_are_laid_out_as_json_reads_them(compact, newline):
    for names in (("input_ids",), ("input_ids", "attention_mask"), ("labels", "input_ids", "position_ids"),
                  ("input_ids", "attention_mask", "labels", "position_ids", "token_type_ids")):
        rows = [with_fields(row, names) for row in CLEAN_ROWS + CLEAN_GENERATE_ROWS]
        rows += [{name: [] for name in names}, {name: [-100, 0, 1, 10**18 - 1, -(10**18) + 1][: 2 + i] for i, name in
                                                 enumerate(names)}]
        if "attention_mask" in names:
            rows[-1]["attention_mask"] = [0, 1, 1, 0, 1][: len(rows[-1]["attention_mask"])]
        data = (newline.join(dumps(row, compact) for row in rows) + newline).encode()
        for block in (data, data.rstrip(b"\r\n")):  # the last line may have no line end
            batch = ragged_from_jsonl(block, names)
            assert batch is not None, (names, block[:80])
            assert set(batch.columns) == set(names)
            for name, (values, offsets) in batch.columns.items():
                assert values.dtype == np.int64 and offsets.tolist() == np.cumsum([0] + [len(r[name]) for r in rows]).tolist()
                assert values.tolist() == [v for row in rows for v in row[name]]


@pytest.mark.parametrize("line", ODD_LINES)
def test_an_odd_line_is_not_laid_out(line):
    good = '{"input_ids": [464, 3797]}'
    assert ragged_from_jsonl(f"{good}\n{good}\n".encode(), ("input_ids",)) is not None
    assert ragged_from_jsonl(f"{good}\n{line}\n{good}\n".encode("utf-8", "surrogatepass"), ("input_ids",)) is None


def test_keys_in_another_order_are_not_laid_out():
    block = b'{"input_ids":[1],"labels":[1]}\n{"labels":[1],"input_ids":[1]}\n'
    assert ragged_from_jsonl(block, ("input_ids", "labels")) is None
    assert ragged_from_jsonl(block.splitlines(keepends=True)[0], ("input_ids", "labels")) is not None


@pytest.mark.parametrize("line", LAID_OUT_LINES)
def test_a_line_json_reads_as_integers_is_laid_out(line):
    good = '{"input_ids": [464, 3797]}'
    batch = ragged_from_jsonl(f"{good}\n{line}\n{good}\n".encode(), ("input_ids",))
    assert batch is not None and batch.columns["input_ids"][0].tolist() == [464, 3797, *json.loads(line)["input_ids"],
                                                                          464, 3797]


@pytest.mark.parametrize("line", ODD_LINES + LAID_OUT_LINES)
@pytest.mark.parametrize("config", [CONFIGS[0], CONFIGS[2]], ids=["fail", "skip"])
def test_an_odd_line_among_rows_reports_or_fails_as_line_by_line(tmp_path, line, config):
    rows = [json.dumps(with_fields(row, FIELDS)) for row in TOKENIZED]
    lines = rows[:9] + [line] + rows[9:]
    path = write(tmp_path / "d.jsonl", lines)
    assert outcome(fast_report, [path], config) == outcome(record_report, [path], config)
    assert laid_out([path]) >= 5  # the blocks without the odd line are laid out


def test_planted_bugs_report_as_line_by_line(tmp_path):
    """The golden dataset: every planted bug (in rows read in blocks), then texts (read line by line)."""
    compact = write(tmp_path / "compact.jsonl", [dumps(with_fields(row, FIELDS), True) for row in TOKENIZED])
    fields = write(tmp_path / "fields.jsonl", [json.dumps(row) for row in TOKENIZED])  # not all the same fields
    mixed = write(tmp_path / "planted.jsonl", [json.dumps(r if isinstance(r, dict) else {"text": r})
                                               for r in planted_rows()])
    assert laid_out([compact]) == len(TOKENIZED) and laid_out([mixed]) > 0
    for config in CONFIGS:
        for paths in ([compact], [fields], [mixed], [compact, mixed], [compact, compact], [fields, compact]):
            assert fast_report(paths, config) == record_report(paths, config)


def test_other_inputs_after_the_first_read_as_before(tmp_path):
    rows = write(tmp_path / "rows.jsonl", [json.dumps(with_fields(row, FIELDS)) for row in TOKENIZED])
    texts = write(tmp_path / "texts.jsonl", [json.dumps({"text": t}) for t in CLEAN_TEXTS])
    parquet = tmp_path / "rows.parquet"
    from check_fixtures import write_parquet

    write_parquet(parquet, TOKENIZED)
    empty = write(tmp_path / "empty.jsonl", [], end=False)
    blank = write(tmp_path / "blank.jsonl", ["", "  "])
    bom = write(tmp_path / "bom.jsonl", ["\ufeff" + json.dumps(with_fields(r, FIELDS)) for r in TOKENIZED[:1]]
                + [json.dumps(with_fields(r, FIELDS)) for r in TOKENIZED])
    for others in ([texts], [str(parquet)], [empty], [blank], [str(tmp_path / "missing.jsonl")], [bom, rows],
                   [texts, rows]):
        for config in CONFIGS:
            assert outcome(fast_report, [rows, *others], config) == outcome(record_report, [rows, *others], config)
    assert laid_out([bom]) == len(TOKENIZED) + 1


def test_text_after_laid_out_rows_is_tokenized_in_the_chunks_of_line_by_line(tmp_path):
    """Chunks of text are tokenized together, with special tokens only if no chat record is among them:
    rows after laid-out blocks fall in the chunks reading every line would make."""
    directory = tokenizer_factory.chat_like(tmp_path / "llama3", "llama3", chat_template=tokenizer_factory.CHATML_TEMPLATE)
    config = CheckConfig(tokenizer=str(directory), on_error="skip")
    row = json.dumps({"input_ids": [5, 6, 7], "attention_mask": [1, 1, 1]})
    chat = json.dumps({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]})
    lines = [row] * 1010 + [chat] + [row] * 5 + [json.dumps({"text": "The cat sat."})] * 20  # chunk ends at 1024
    path = write(tmp_path / "d.jsonl", lines)
    assert laid_out([path]) >= 1000
    assert fast_report([path], config) == record_report([path], config)


@st.composite
def row_lines(draw) -> list[str]:
    """A dataset of pre-tokenized rows, some with a bug, written compact or spaced, with a few odd lines."""
    names = ("input_ids", *draw(st.lists(st.sampled_from(["attention_mask", "labels", "position_ids"]), unique=True)))
    lines = []
    for _ in range(draw(st.integers(1, 40))):
        _, planted, _ = draw(st.sampled_from(PLANTED_ROWS))
        base = draw(st.sampled_from([*CLEAN_ROWS, *CLEAN_GENERATE_ROWS, planted]))
        row = with_fields(base, names)
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(ODD_LINES)))
        else:
            lines.append(dumps(row, draw(st.booleans())))
    return lines


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=row_lines(), which=st.integers(0, len(CONFIGS) - 1), block=st.integers(1, 400),
       newline=st.sampled_from(["\n", "\r\n"]), end=st.booleans())
def test_random_datasets_report_as_line_by_line(tmp_path_factory, monkeypatch, lines, which, block, newline, end):
    monkeypatch.setattr(jsonl_input, "BLOCK_BYTES", block)
    path = write(tmp_path_factory.mktemp("d") / "d.jsonl", lines, newline, end)
    config = CONFIGS[which]
    if jsonl_pieces([path], None, config.field) is None:  # its first line is odd: not this reader
        return
    assert outcome(fast_report, [path], config) == outcome(record_report, [path], config)


def test_the_cli_reports_and_fails_alike_either_way(tmp_path, monkeypatch):
    rows = [json.dumps(with_fields(row, FIELDS)) for row in TOKENIZED] * 3
    clean = write(tmp_path / "clean.jsonl", rows)
    bad = write(tmp_path / "bad.jsonl", rows[:20] + ['{"input_ids": [464], "attention_mask": [3]}', "{oops"] + rows)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(Path(clean).read_bytes() + b'{"input_ids": [\xff]}\n')
    runs = []
    for floor in (0, 1 << 40):  # blocks, then line by line
        monkeypatch.setattr(jsonl_input, "MIN_BYTES", floor)
        results = [run(path, "--pad-token", "eos", *more) for path in (clean, bad, str(broken))
                   for more in ([], ["--format", "json"], ["--format", "github"], ["--on-error", "skip"])]
        runs.append([(r.exit_code, r.stdout, r.stderr) for r in results])
    assert runs[0] == runs[1]
    assert "bad.jsonl:21: field 'attention_mask'[0] = 3: expected 0 or 1" in runs[0][4][2]
    assert "broken.jsonl:" in runs[0][8][2] and "invalid UTF-8 at byte offset" in runs[0][8][2]


def test_stdin_a_small_file_and_text_take_the_line_reader(tmp_path, monkeypatch):
    row = json.dumps(TOKENIZED[0])
    texts = write(tmp_path / "t.jsonl", [json.dumps({"text": t}) for t in CLEAN_TEXTS])
    rows = write(tmp_path / "r.jsonl", [row] * 10)
    assert jsonl_pieces(["-"], None, "text") is None and jsonl_pieces([texts], None, "text") is None
    assert jsonl_pieces([rows], None, "input_ids") is None  # --field input_ids: a text field
    assert jsonl_pieces([rows], "text", "text") is None  # --input-format text
    monkeypatch.setattr(jsonl_input, "MIN_BYTES", 10**6)
    assert jsonl_pieces([rows], None, "text") is None
