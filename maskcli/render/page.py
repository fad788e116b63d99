"""The self-contained HTML page shell shared by maskcli's pages: inline CSS and JS, no network.

:func:`page` wraps a body in the shell with the shared style (``assets/page.css``) and script
(``assets/page.js``) plus the page's own scripts, and embeds the page's data with
:func:`json_script`, which a script reads with ``maskcli.data(id)``. Everything a page shows
from the data is text: :func:`escape` in Python, ``textContent`` in the scripts.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from importlib import resources


def escape(value: object) -> str:
    """Text (and attribute values) for HTML: ``&``, ``<``, ``>`` and both quotes escaped."""
    return html.escape(str(value), quote=True)


def asset(name: str) -> str:
    """A file of ``maskcli/render/assets`` (package data: shipped by ``pip install .``)."""
    return resources.files("maskcli").joinpath("render", "assets", name).read_text(encoding="utf-8")


def json_script(data: object, element_id: str) -> str:
    """``data`` in a ``<script type="application/json">``: every ``<`` is written ``\\u003c``, so no
    string in it can end the script (``</script>``) or open a comment (``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="{escape(element_id)}">{text}</script>'


def page(title: str, body: str, *, data: dict[str, object] | None = None, scripts: Sequence[str] = ()) -> str:
    """A whole page: ``body`` (HTML), ``data`` (id -> JSON-able value) and ``scripts`` (asset names)."""
    embedded = "".join(json_script(value, key) for key, value in (data or {}).items())
    code = "".join(f"<script>{asset(name)}</script>" for name in ("page.js", *scripts))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{asset('page.css')}</style></head>\n"
        f"<body>{body}{embedded}{code}</body></html>\n"
    )
