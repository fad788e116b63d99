"""How big is a ``check --format html`` page of a large dataset, and how fast does chromium open it?

Generates a Parquet file of pre-tokenized rows (default 100,000; lengths 8-700 tokens, right
padded with gpt2's pad = eos, labels) with planted bugs spread over the file (MC002, MC004,
MC005 in 0.2-0.5% of the rows each, MC008: 1% of the rows longer than --max-length 512), then:

  - runs ``maskcli check FILE --pad-token eos --max-length 512 --format html --output-file``
    (and ``--format json``) as a whole process and times it;
  - reports the page's size, the JSON report's size and the share of it that is row samples;
  - opens the page ``--repeat`` times in Debian's chromium via playwright (tests/browser.py): the
    time until the ``load`` event (wall, from ``page.goto``, and the browser's own navigation
    timing), then the time to expand each listed row (click, scroll into view, next frame drawn).

    python benchmarks/bench_check_html.py                      # 100,000 rows, 5 loads
    python benchmarks/bench_check_html.py --rows 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EOT = 50256


def generate(path: Path, rows: int, seed: int = 0) -> dict[str, int]:
    """Pre-tokenized rows as Parquet (int32 lists), with planted bugs; returns how many of each."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    over = rng.random(rows) < 0.01
    lengths = np.where(over, rng.integers(520, 700, rows), rng.integers(8, 500, rows))
    pads = np.where(rng.random(rows) < 0.3, rng.integers(1, 40, rows), 0)
    total = lengths + pads
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(total, out=offsets[1:])
    ids = rng.integers(0, 50000, int(offsets[-1]), dtype=np.int32)
    row_of = np.repeat(np.arange(rows), total)
    position = np.arange(ids.size) - offsets[row_of]
    real = position < lengths[row_of]
    ids[~real] = EOT
    last_real = offsets[:-1] + lengths - 1
    ids[last_real] = EOT  # every row ends with its real EOS (pad = eos: the first pad-id token is it)
    mask = real.astype(np.int32)
    labels = np.where(real, ids, -100).astype(np.int32)
    kind = rng.random(rows)
    planted = {"MC004": (kind < 0.005) & (pads > 0), "MC005": (kind >= 0.005) & (kind < 0.01),
               "MC002": (kind >= 0.01) & (kind < 0.012) & (lengths > 4)}
    labels[offsets[:-1][planted["MC004"]] + lengths[planted["MC004"]]] = EOT  # a trained pad
    labels[last_real[planted["MC005"]]] = -100  # the final EOS untrained
    mask[offsets[:-1][planted["MC002"]] + 2] = 0  # a hole in the mask
    column = lambda values: pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values))  # noqa: E731
    table = pa.table({"input_ids": column(ids), "attention_mask": column(mask), "labels": column(labels)})
    pq.write_table(table, path, row_group_size=8192)
    return {code: int(flags.sum()) for code, flags in planted.items()} | {"MC008": int(over.sum()),
                                                                         "tokens": int(offsets[-1])}


def check(data: Path, fmt: str, out: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "maskcli", "check", str(data), "--pad-token", "eos", "--max-length", "512",
                    "--format", fmt, "--output-file", str(out), "--exit-zero"], env=env, check=True,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


EXPAND_EACH = """async () => {
  // expand each listed row in turn and bring it into view: the time until the next frame is drawn
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const times = [];
  let tokens = 0;
  for (const button of document.querySelectorAll("button.expand")) {
    const start = performance.now();
    button.click();
    const shown = button.closest("tr").nextElementSibling;
    shown.scrollIntoView();
    await frame();
    times.push(performance.now() - start);
    tokens += shown.querySelectorAll(".tokens .tok").length;
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length / 2)], times[times.length - 1], times.length, tokens];
}"""


def load_times(page_path: Path, repeat: int) -> dict[str, float]:
    """Median times over ``repeat`` fresh pages: goto -> load (wall), the load event (navigation
    timing), then expanding each listed row in turn until it is drawn (median and slowest row)."""
    sys.path.insert(0, str(REPO / "tests"))
    import browser

    if browser.missing():
        sys.exit(browser.missing())
    walls, loads, medians, slowest = [], [], [], []
    with browser.chromium() as chromium:
        for _ in range(repeat):
            page = chromium.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            start = time.perf_counter()
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            walls.append(time.perf_counter() - start)
            loads.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
            median, worst, rows, tokens = page.evaluate(EXPAND_EACH)
            medians.append(median / 1000)
            slowest.append(worst / 1000)
            assert not errors, errors
            page.close()
    return {"wall": statistics.median(walls), "load_event": statistics.median(loads),
            "expand": statistics.median(medians), "slowest": statistics.median(slowest), "rows": rows,
            "tokens": tokens}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        data = folder / "big.parquet"
        start = time.perf_counter()
        planted = generate(data, args.rows)
        print(f"generated {args.rows:,} rows, {planted.pop('tokens'):,} tokens, {data.stat().st_size / 1e6:.1f} MB "
              f"Parquet in {time.perf_counter() - start:.1f} s; planted rows: {planted}")
        html, as_json = folder / "report.html", folder / "report.json"
        html_s, json_s = check(data, "html", html), check(data, "json", as_json)
        report = json.loads(as_json.read_text())
        listed = sum(len(f["rows"]) for f in report["findings"])
        without = {**report, "findings": [{**f, "rows": [{k: v for k, v in r.items() if k != "sample"} for r in f["rows"]]}
                                          for f in report["findings"]]}
        compact = len(json.dumps(report, separators=(",", ":")))
        bare = len(json.dumps(without, separators=(",", ":")))
        print(f"check --format html: {html_s:.2f} s wall, page {html.stat().st_size / 1e3:.0f} kB; "
              f"--format json: {json_s:.2f} s, {as_json.stat().st_size / 1e3:.0f} kB")
        print(f"{len(report['findings'])} findings, {listed} listed rows with samples; compact JSON "
              f"{compact / 1e3:.0f} kB, of which samples {(compact - bare) / 1e3:.0f} kB")
        times = load_times(html, args.repeat)
        print(f"chromium, median of {args.repeat}: goto -> load {times['wall'] * 1000:.0f} ms wall "
              f"(load event at {times['load_event'] * 1000:.0f} ms); expanding a listed row until it is drawn: "
              f"{times['expand'] * 1000:.0f} ms median, {times['slowest'] * 1000:.0f} ms slowest "
              f"({times['rows']} rows, {times['tokens']:,} tokens)")


if __name__ == "__main__":
    main()
