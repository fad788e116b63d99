"""Make docs/img/show-html.png and docs/img/show-html-packed.png: ``maskcli show ... --html`` opened in
Debian's chromium (tests/browser.py), the mouse over a blocked cell.

    python docs/show_html_screenshots.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import browser  # noqa: E402


def show_page(folder: Path, name: str, *args: str) -> Path:
    page_path = folder / name
    subprocess.run([sys.executable, "-m", "maskcli", "show", *args, "--html", str(page_path)], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1"))
    return page_path


def hover(page, mask: str, query: int, key: int) -> None:
    grid = page.locator(f'canvas.grid[data-mask="{mask}"]')
    cell, left, top = (float(grid.get_attribute(f"data-{a}")) for a in ("cell", "left", "top"))
    grid.hover(position={"x": left + (key + 0.5) * cell, "y": top + (query + 0.5) * cell})


def main() -> None:
    if browser.missing():
        sys.exit(browser.missing())
    images = REPO / "docs" / "img"
    with tempfile.TemporaryDirectory() as scratch:
        padded = show_page(Path(scratch), "padded.html", "Hi", "The cat sat on the mat", "--pad-token", "eos",
                           "--padding-side", "left")
        packed = show_page(Path(scratch), "packed.html", "The cat sat on the mat", "--mask", "packed",
                           "--doc-lengths", "2,4", "--mask", "window:2+packed")
        with browser.chromium() as chromium:
            page = chromium.new_page(viewport={"width": 1000, "height": 1000}, color_scheme="light")
            page.goto(padded.as_uri())
            hover(page, "combined", 5, 2)
            page.screenshot(path=str(images / "show-html.png"))
            page = chromium.new_page(viewport={"width": 1000, "height": 820}, color_scheme="light")
            page.goto(packed.as_uri())
            page.locator("details.token-table").evaluate("node => node.open = false")
            hover(page, "window:2+packed", 3, 1)
            page.screenshot(path=str(images / "show-html-packed.png"))
    print(f"wrote {images / 'show-html.png'} and {images / 'show-html-packed.png'}")


if __name__ == "__main__":
    main()
