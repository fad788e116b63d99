"""How big is a ``show --html`` page of a long row, and how fast does chromium open it?

Writes one pre-tokenized row of ``--tokens`` ids (default 2,000; gpt2 ids, no padding), then:

  - runs ``maskcli show -f ROW.jsonl [--mask ...] --html PAGE`` as a whole process and times it
    (the terminal grids are printed too, to /dev/null), and the same with ``--json`` for comparison:
    the JSON holds the masks as ``L x L`` 0/1 matrices, the page as run lengths of reason codes;
  - opens the page ``--repeat`` times in Debian's chromium via playwright (tests/browser.py): the time
    from ``page.goto`` until the last grid is painted (wall) and the browser's own ``load`` event, then
    the time to drill into a tile of the first mask's block view until the next frame is drawn.

    python benchmarks/bench_show_html.py                          # 2,000 tokens, the default masks
    python benchmarks/bench_show_html.py --tokens 8192 --mask window:256
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

DRILL = """async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const canvas = document.querySelector("canvas.blocks"), tile = +canvas.dataset.tile, rect = canvas.getBoundingClientRect();
  const start = performance.now();
  canvas.dispatchEvent(new MouseEvent("click", {clientX: rect.left + tile * 20.5, clientY: rect.top + tile * 30.5}));
  await frame();
  return performance.now() - start;
}"""


def show(row: Path, masks: list[str], out: str, target: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    flags = [flag for mask in masks for flag in ("--mask", mask)]
    command = [sys.executable, "-m", "maskcli", "show", "-f", str(row), *flags]
    command += ["--html", str(target)] if out == "html" else ["-o", str(target)]
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def load_times(page_path: Path, repeat: int) -> dict[str, float]:
    sys.path.insert(0, str(REPO / "tests"))
    import browser

    if browser.missing():
        sys.exit(browser.missing())
    walls, loads, drills = [], [], []
    with browser.chromium() as chromium:
        for _ in range(repeat):
            page = chromium.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            start = time.perf_counter()
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            page.locator("canvas.grid").last.wait_for()
            walls.append(time.perf_counter() - start)
            loads.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
            if page.locator("canvas.blocks").count():
                drills.append(page.evaluate(DRILL) / 1000)
            assert not errors, errors
            page.close()
    return {"wall": statistics.median(walls), "load_event": statistics.median(loads),
            "drill": statistics.median(drills) if drills else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--mask", action="append", default=[])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        row = folder / "row.jsonl"
        row.write_text(json.dumps({"input_ids": [464 + i % 5000 for i in range(args.tokens)]}) + "\n")
        page, as_json = folder / "show.html", folder / "show.json"
        page_s = show(row, args.mask, "html", page)
        json_s = show(row, args.mask, "json", as_json)
        data = json.loads(page.read_text().split('id="show">', 1)[1].split("</script>", 1)[0])
        masks = data["batches"][0]["sequences"][0]["masks"]
        runs = sum(len(r) for m in masks for r in m["runs"])
        print(f"{args.tokens:,} tokens, masks {', '.join(m['name'] for m in masks)}: show --html {page_s:.2f} s wall, "
              f"page {page.stat().st_size / 1e3:.0f} kB ({runs:,} run-length numbers); -o FILE.json {json_s:.2f} s, "
              f"{as_json.stat().st_size / 1e6:.1f} MB")
        times = load_times(page, args.repeat)
        print(f"chromium, median of {args.repeat}: goto -> grids painted {times['wall'] * 1000:.0f} ms wall "
              f"(load event at {times['load_event'] * 1000:.0f} ms); a tile of the block view drilled into until "
              f"drawn: {times['drill'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
