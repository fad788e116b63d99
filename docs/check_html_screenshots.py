"""Make docs/img/check-html.png and docs/img/check-html-row.png: ``maskcli check --format html`` on the
planted dataset of the tests (tests/check_fixtures.py), opened in Debian's chromium (tests/browser.py).

    python docs/check_html_screenshots.py
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
from check_fixtures import planted_rows, write_jsonl  # noqa: E402


def main() -> None:
    if browser.missing():
        sys.exit(browser.missing())
    images = REPO / "docs" / "img"
    with tempfile.TemporaryDirectory() as scratch:
        data = write_jsonl(Path(scratch) / "planted.jsonl", planted_rows())
        page_path = Path(scratch) / "report.html"
        subprocess.run([sys.executable, "-m", "maskcli", "check", data.name, "--pad-token", "eos", "--batch-size", "4",
                        "--format", "html", "--output-file", page_path.name, "--exit-zero"], cwd=scratch, check=True,
                       env=dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1"))
        with browser.chromium() as chromium:
            page = chromium.new_page(viewport={"width": 1100, "height": 1000}, color_scheme="light")
            page.goto(page_path.as_uri())
            page.screenshot(path=str(images / "check-html.png"))
            finding = page.locator("#finding-MC004")
            finding.locator("button.expand").first.click()
            finding.screenshot(path=str(images / "check-html-row.png"))
    print(f"wrote {images / 'check-html.png'} and {images / 'check-html-row.png'}")


if __name__ == "__main__":
    main()
