"""`show --png` of a batch: a grid (one row of panels per sequence), labels that never overlap,
and the terminal's P / ! markers."""

import itertools

import pytest

pytest.importorskip("matplotlib")

from maskcli.data.tokenizer import load_tokenizer  # noqa: E402
from maskcli.render.pictures import batch_panels  # noqa: E402
from maskcli.render.png import DPI, figure  # noqa: E402
from maskcli.show.analysis import analyse_batch  # noqa: E402
from maskcli.show.request import MaskRequest  # noqa: E402

TEXTS = ["Hello world, this is a longer one", "Hi", "a b c"]


def batch_figure(texts, **settings):
    from maskcli.data.batches import make_batch
    from maskcli.data.encoding import EncodeSettings
    from maskcli.data.records import Source
    from maskcli.data.shapes import TextRecord

    tok = load_tokenizer("gpt2", pad_token="eos")
    records = [TextRecord(Source("<text>", row=i), text, "text") for i, text in enumerate(texts)]
    batch = make_batch(tok, EncodeSettings(**settings), records)
    rows = analyse_batch(tok, batch, MaskRequest()).rows
    return rows, figure(batch_panels(rows), "a caption", None, None)


def visible_texts(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    from matplotlib.text import Text

    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts]


def overlapping(texts):
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(texts, 2)
            if min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0) > 0.5 and min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0) > 0.5]


def test_a_batch_of_three_is_a_grid_of_three_rows(tmp_path, cli):
    out = tmp_path / "b.png"
    result = cli("show", *TEXTS, "--pad-token", "eos", "--padding-side", "left", "--png", out)
    assert result.exit_code == 0, result.stderr
    from PIL import Image

    width, height = Image.open(out).size
    assert width <= 1600 and 0.8 <= height / width <= 1.3  # was 4656 x 624: nine panels in one row
    rows, fig = batch_figure(TEXTS, padding_side="left")
    axes = [ax for ax in fig.axes if ax.axison]
    titles = [ax.get_title() for ax in axes]
    assert titles == [f"sequence {i} · {m}" for i in range(3) for m in ("padding", "causal", "combined")]
    lefts = sorted({round(ax.get_position().x0, 3) for ax in axes})
    tops = sorted({round(ax.get_position().y1, 3) for ax in axes})
    assert len(lefts) == 3 and len(tops) == 3  # three columns, three rows
    assert round(fig.get_size_inches()[0] * DPI) == width


@pytest.mark.parametrize("words", [8, 60, 200, 400])
def test_labels_never_overlap(words):
    texts = [" ".join(["token"] * words), "Hi there", "x"]
    _, fig = batch_figure(texts, padding_side="left")
    assert overlapping(visible_texts(fig)) == []
    ticks = [t for ax in fig.axes if ax.axison for t in ax.get_xticklabels()]
    assert ticks and all(len(t.get_text()) <= len(str(words)) + 11 for t in ticks)  # index, space, <= 10 characters


def test_pad_queries_and_nan_rows_are_marked():
    rows, fig = batch_figure(TEXTS, padding_side="left")
    axes = [ax for ax in fig.axes if ax.axison]
    marks = {(i, gid): len(c.get_offsets()) for i, ax in enumerate(axes) for c in ax.collections
             if (gid := c.get_gid()) in ("pad-queries", "nan-rows")}
    pads = [int((~rows[i].row.attention_mask.astype(bool)).sum()) for i in range(3)]
    assert pads[0] == 0 and pads[1] > 0 and pads[2] > 0
    for i in (1, 2):
        padding, causal, combined = 3 * i, 3 * i + 1, 3 * i + 2
        assert marks[(padding, "pad-queries")] == pads[i] and marks[(causal, "pad-queries")] == pads[i]
        assert marks[(combined, "nan-rows")] == pads[i] and (combined, "pad-queries") not in marks  # ! wins over P
    assert not any(key[0] < 3 for key in marks)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "pad query" in legend and "sees no key (NaN)" in legend


def test_right_padding_has_no_nan_marker():
    _, fig = batch_figure(TEXTS, padding_side="right")
    gids = {c.get_gid() for ax in fig.axes for c in ax.collections}
    assert "pad-queries" in gids and "nan-rows" not in gids
    assert "sees no key (NaN)" not in [t.get_text() for t in fig.legends[0].get_texts()]


def test_a_file_pictures_its_first_sequences_and_says_so(cli, tmp_path, monkeypatch):
    import maskcli.render.pictures as pictures
    import maskcli.render.png as png

    drawn = {}
    monkeypatch.setattr(pictures, "MAX_PICTURED", 2)
    monkeypatch.setattr(png, "png_bytes", lambda rows, caption, *rest: drawn.update(rows=rows, caption=caption) or b"png")
    data = tmp_path / "t.txt"
    data.write_text("one\ntwo\nthree\nfour\n")
    result = cli("show", "-f", data, "--batch-size", "3", "--pad-token", "eos", "--png", tmp_path / "x.png")
    assert result.exit_code == 0, result.stderr
    assert [row.panels[0].title for row in drawn["rows"]] == ["batch 0 · sequence 0 · padding", "batch 0 · sequence 1 · padding"]
    assert drawn["caption"].endswith("\nthe first 2 of 4 sequences (pick others with --rows)")
