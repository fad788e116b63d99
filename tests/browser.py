"""Debian's chromium driven by playwright, for the HTML pages' browser tests, the screenshots in
docs/img/ and benchmarks/bench_check_html.py: never a browser download, nothing from the network.
``MASKCLI_CHROMIUM`` names another chromium binary (default /usr/bin/chromium, Debian's)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

CHROMIUM = os.environ.get("MASKCLI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"no chromium at {CHROMIUM} (apt-get install -y chromium; .ci/run installs it)"
    return None


class WatchedPage:
    """A new page of ``browser`` that records its console errors, page errors and every request."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.page = browser.new_page(**options)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A playwright ``Browser`` on the system's chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
