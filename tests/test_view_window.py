"""`maskcli view` / `diff` draw only what the terminal shows: `--range A:B` zooms, `--row N` picks a sequence."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

from maskcli.render.grids import GridStyle, fit_width, grid_width


def lines_of(result):
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout.splitlines()


@pytest.fixture
def batch(tmp_path):
    """Three causal 12 x 12 masks; row 1's queries 0-1 see nothing, row 2's query 7 sees only key 0."""
    masks = np.tril(np.ones((3, 12, 12), dtype=bool))
    masks[1, :2] = False
    masks[2, 7] = False
    masks[2, 7, 0] = True
    path = tmp_path / "batch.npy"
    np.save(path, masks)
    return path


def test_range_draws_only_the_window(cli, batch):
    out = lines_of(cli("view", batch, "--row", "2", "--range", "5:9"))
    assert "mask · sequence 0" not in "\n".join(out) and "mask · sequence 1" not in "\n".join(out)
    assert "showing tokens 5:9 of 12; zoom with --range A:B" in out
    grid = out[out.index("showing tokens 5:9 of 12; zoom with --range A:B") + 1:]
    assert grid[1].split() == ["5", "6", "7", "8"]
    assert [line.split()[0] for line in grid[2:]] == ["5", "6", "7", "8"]
    # query 7 attends to key 0 only: blocked across the window, yet not '!' (it sees a key outside it)
    assert grid[2:][2].split() == ["7", "·", "·", "·", "·"]


def test_row_picks_one_sequence_and_its_empty_rows(cli, batch):
    out = "\n".join(lines_of(cli("view", batch, "--row", "1")))
    assert "mask · sequence 1" in out and "sequence 0" not in out and "sequence 2" not in out
    assert "query rows [0, 1] attend to nothing" in out and "! sees no key (NaN)" in out
    assert "showing tokens" not in out  # 12 tokens fit 100 columns


def test_the_window_fits_the_terminal(cli, tmp_path):
    np.save(tmp_path / "long.npy", np.tril(np.ones((300, 300), dtype=bool)))
    out = lines_of(cli("view", tmp_path / "long.npy"))
    assert "showing tokens 0:48 of 300; zoom with --range A:B" in out
    assert max(len(line.rstrip()) for line in out[3:]) <= 100
    assert len(out) < 60
    zoomed = lines_of(cli("view", tmp_path / "long.npy", "--range", "250:"))
    assert "showing tokens 250:297 of 300; zoom with --range A:B" in zoomed  # 3-digit labels: one column fewer


@pytest.mark.parametrize(
    "args, message",
    [
        (["--range", "x"], "Error: --range must look like A:B (e.g. 100:160), not 'x'"),
        (["--range", "9:3"], "Error: --range 9:3: need 0 <= A < B"),
        (["--range", "12:20"], "Error: --range 12:20: the mask has 12 tokens (0:12)"),
        (["--row", "3"], "Error: --row 3: {path} holds 3 sequences (rows 0 to 2)"),
        (["--row", "-1"], "Error: --row -1: {path} holds 3 sequences (rows 0 to 2)"),
    ],
)
def test_bad_range_or_row_is_one_line(cli, batch, args, message):
    result = cli("view", batch, *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [message.format(path=batch)]
    assert result.stdout == ""


def test_diff_zooms_and_picks_a_row(cli, batch, tmp_path):
    other = np.load(batch)
    other[2, 8, 6] = False
    np.save(tmp_path / "other.npy", other)
    result = cli("diff", batch, tmp_path / "other.npy", "--row", "2", "--range", "5:9")
    out = lines_of(result)
    assert result.exit_code == 1
    assert "mask · sequence 2: 1 of 144 cells differ in rows [8] (only A attends: 1, only B attends: 0)" in out
    assert not any("sequence 0" in line or "sequence 1" in line for line in out)
    grid = out[out.index("showing tokens 5:9 of 12; zoom with --range A:B") + 1:]
    assert [line.split()[0] for line in grid[2:-1]] == ["5", "6", "7", "8*"]
    assert grid[2:][3].split() == ["8*", "■", "a", "■", "■"]
    assert cli("diff", batch, tmp_path / "other.npy", "--row", "0").exit_code == 0
    bad = cli("diff", batch, tmp_path / "other.npy", "--row", "5")
    assert bad.exit_code == 2 and bad.stderr.splitlines() == [
        f"Error: --row 5: {batch} and {tmp_path / 'other.npy'} hold 3 sequences (rows 0 to 2)"]


@given(st.integers(0, 5000), st.integers(1, 5000), st.integers(1, 400), st.booleans())
def test_fit_width_is_the_widest_window_that_fits(start, length, width, compact):
    style = GridStyle(compact=compact)
    stop = start + length
    got = fit_width(start, stop, width, style)
    assert got[0] == start and start < got[1] <= stop
    assert got[1] == start + 1 or grid_width(*got, style) <= width
    assert got[1] == stop or grid_width(start, got[1] + 1, style) > width


def test_view_of_a_big_mask_builds_only_the_window_under_a_memory_limit(tmp_path):
    """8000 x 8000 (64 MB of cells, within the read budget): drawn as one screen within 800 MB of
    address space (drawing every cell took 1.2 GB and printed 8000 rows)."""
    path = tmp_path / "big.npy"
    np.save(path, np.tril(np.ones((8000, 8000), dtype=bool)))
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "COLUMNS": "100", "NO_COLOR": "1"}
    for command in (f'view "{path}"', f'view "{path}" --range 7990:', f'diff "{path}" "{path}"'):
        done = subprocess.run(["bash", "-c", f'ulimit -v 800000; exec "{sys.executable}" -m maskcli {command}'],
                              capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) < 60
    done = subprocess.run(["bash", "-c", f'ulimit -v 800000; exec "{sys.executable}" -m maskcli view "{path}"'],
                          capture_output=True, text=True, env=env)
    assert "showing tokens 0:48 of 8000; zoom with --range A:B" in done.stdout.splitlines()


def test_a_kv_cache_mask_shows_its_queries_by_default(cli, tmp_path):
    """(2, 300): the two queries are keys 298 and 299 (bottom-right aligned); the window ends there."""
    np.save(tmp_path / "kv.npy", np.ones((2, 300), dtype=bool))
    out = lines_of(cli("view", tmp_path / "kv.npy"))
    assert "showing tokens 253:300 of 300; zoom with --range A:B" in out
    assert [line.split()[0] for line in out[-2:]] == ["298", "299"]
    zoomed = lines_of(cli("view", tmp_path / "kv.npy", "--range", "0:10"))
    assert zoomed[-1].split() == [str(k) for k in range(10)]  # a --range is kept as asked: no query row in it
