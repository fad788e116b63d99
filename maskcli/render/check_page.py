"""``maskcli check --format html``: the report as one self-contained page.

The summary is drawn here, as inline SVG and CSS bars (length histogram, padding waste by
strategy, trained tokens by role for ``--sft``); the findings list their rows, and each listed
row expands into its tokens, attention mask and labels (``assets/check_page.js`` draws them on
demand from the report's JSON, embedded whole: the page holds the same data as ``--format json``).
"""

from __future__ import annotations

from maskcli.check.formats import skipped_note
from maskcli.check.report import Report
from maskcli.render.page import escape, page
from maskcli.wording import counted

PADDING_STRATEGIES = (("as configured", "as_configured"), ("pad to max_length", "pad_to_max_length"),
                      ("longest, file-order batches", "longest_in_file_order_batches"),
                      ("longest, length-grouped batches", "length_grouped_batches"))


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def to_html(report: Report) -> str:
    data = report.to_dict()
    body = _header(report) + _summary(report) + _findings(report)
    return page(f"maskcli check · {', '.join(report.inputs)}", body, data={"report": data},
                scripts=["check_page.js"])


def _header(report: Report) -> str:
    s, tok = report.summary, report.tokenizer
    counts = report.counts()
    failed = report.failed(report.settings["fail_on"])
    verdict = (f"{counts['error']} error(s), {counts['warning']} warning(s)" if report.findings else "no findings")
    badge = "error" if failed else "warning" if report.findings else "ok"
    meta = (f"{counted(s['rows'], 'row')} from {', '.join(report.inputs)} · tokenizer {tok['name']} "
            f"(pad {_token(tok['pad_token'])}, eos {_token(tok['eos_token'])})"
            + (f" · config {report.config_file}" if report.config_file else ""))
    out = (f'<header><h1>maskcli check <span class="badge {badge}" id="verdict">{escape(verdict)}: '
           f'{"failed" if failed else "passed"}</span></h1><p class="muted">{escape(meta)}</p>')
    if skipped_note(report):
        out += f'<p class="warning-note">{escape(skipped_note(report))}</p>'
    return out + "</header>"


def _token(token: str | None) -> str:
    return "none" if token is None else repr(token)


def _summary(report: Report) -> str:
    panels = [_statistics(report), _histogram(report), _padding(report)]
    sft = report.summary.get("sft")
    if sft and sft["trained_by_role"]:
        panels.append(_roles(sft))
    return '<h2>summary</h2><div class="panels">' + "".join(panels) + "</div>"


def _statistics(report: Report) -> str:
    s = report.summary
    lengths, trunc, padding = s["lengths"], s["truncation"], s["padding"]
    limit = "(no max length)" if trunc["max_length"] is None else trunc["max_length"]
    rows = [
        ("rows", s["rows"]), ("real tokens", s["real_tokens"]),
        (f"pad tokens (padding {padding['as_configured']['padding']}, batch {padding['batch_size']})", s["pad_tokens"]),
        ("length min / p50 / p90 / p95 / p99 / max",
         " / ".join(str(lengths[k]) for k in ("min", "p50", "p90", "p95", "p99", "max"))),
        (f"rows over max_length {limit}", trunc["rows_over_max_length"]),
        ("tokens lost to truncation", trunc["tokens_lost"]),
        ("trained-token share", _percent(s["trained_token_share"])),
    ]
    cells = "".join(f'<tr><th>{escape(k)}</th><td class="num">{escape(v)}</td></tr>' for k, v in rows)
    return f'<section class="panel" id="statistics"><h3>statistics</h3><table>{cells}</table></section>'


def _histogram(report: Report, width: int = 420, height: int = 170) -> str:
    """The length histogram as an SVG bar chart (each bar's tooltip: its lengths and rows)."""
    bins = report.summary["lengths"]["histogram"]
    most = max((b["count"] for b in bins), default=0)
    left, bottom, top = 40, 22, 8
    plot_w, plot_h = width - left - 4, height - bottom - top
    bars = []
    step = plot_w / max(len(bins), 1)
    for i, b in enumerate(bins):
        h = plot_h * b["count"] / most if most else 0
        span = f"{b['lo']}" if b["lo"] == b["hi"] else f"{b['lo']}-{b['hi']}"
        bars.append(f'<rect class="bin" x="{left + i * step + 1:.1f}" y="{top + plot_h - h:.1f}" '
                    f'width="{max(step - 2, 1):.1f}" height="{h:.1f}"><title>{escape(span)} tokens: '
                    f'{counted(b["count"], "row")}</title></rect>')
    labels = []
    if bins:
        labels.append(f'<text x="{left}" y="{height - 6}">{bins[0]["lo"]}</text>')
        labels.append(f'<text x="{width - 4}" y="{height - 6}" text-anchor="end">{bins[-1]["hi"]}</text>')
    axis = (f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}"/>'
            f'<text x="{left - 4}" y="{top + 10}" text-anchor="end">{most}</text>'
            f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>'
            f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle">real tokens per row</text>')
    return (f'<section class="panel" id="lengths"><h3>lengths (real tokens), rows per bin</h3>'
            f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="length histogram">'
            f'{axis}{"".join(bars)}{"".join(labels)}</svg></section>')


def _bar_row(label: str, share: float | None, value: str) -> str:
    width = 0 if share is None else max(0.0, min(share, 1.0)) * 100
    return (f'<tr><th>{escape(label)}</th><td class="bar"><div class="bar-track"><div class="bar-fill" '
            f'style="width:{width:.1f}%"></div></div></td><td class="num">{escape(value)}</td></tr>')


def _padding(report: Report) -> str:
    p = report.summary["padding"]
    context = p["context_length"]
    if report.summary["truncation"]["max_length"] is None:
        context = f"{context}, the longest row: the tokenizer has no max length"
    rows = [_bar_row(label, p[key]["waste"], f"{_percent(p[key]['waste'])} · {p[key]['pad_tokens']} pad tokens")
            for label, key in PADDING_STRATEGIES]
    packing = p["greedy_packing"]
    efficiency = packing["efficiency"]
    rows.append(_bar_row("greedy packing", None if efficiency is None else 1 - efficiency,
                         f"{_percent(None if efficiency is None else 1 - efficiency)} · {packing['packs']} pack(s), "
                         f"{_percent(efficiency)} efficient"))
    return (f'<section class="panel wide" id="padding"><h3>padding waste (batch size {p["batch_size"]}, context '
            f'{escape(context)})</h3><table class="bars">{"".join(rows)}</table></section>')


def _roles(sft: dict) -> str:
    rows = [_bar_row(role, counts["trained"] / counts["tokens"] if counts["tokens"] else None,
                     f"{counts['trained']} of {counts['tokens']} trained")
            for role, counts in sft["trained_by_role"].items()]
    dropped = sft["dropped_fully_masked"]
    note = f'<p class="muted">{dropped} example(s) dropped as fully masked</p>' if dropped else ""
    return (f'<section class="panel wide" id="roles"><h3>trained tokens by role (--sft)</h3>'
            f'<table class="bars">{"".join(rows)}</table>{note}</section>')


def _findings(report: Report) -> str:
    if not report.findings:
        return '<h2>findings</h2><p id="findings">No findings.</p>'
    out = ['<h2>findings</h2><div id="findings">']
    for index, f in enumerate(report.findings):
        severity = f.severity.value
        out.append(f'<section class="finding {severity}" id="finding-{escape(f.id)}"><h3>'
                   f'<span class="badge {severity}">{severity}</span> <code>{escape(f.id)}</code> '
                   f'{escape(f.name)} <span class="muted">· {f.count} row{"s" if f.count != 1 else ""}</span></h3>'
                   f'<p>{escape(f.message)}</p>')
        if f.rows:
            out.append('<table class="rows"><thead><tr><th>row</th><th>detail</th><th></th></tr></thead><tbody>')
            for row_index, ((source, detail), sample) in enumerate(zip(f.rows, f.samples, strict=True)):
                button = (f'<button class="expand" type="button" aria-expanded="false" data-finding="{index}" '
                          f'data-row="{row_index}">tokens</button>' if sample is not None else
                          '<span class="muted">no tokens</span>')
                out.append(f'<tr class="listed"><td class="mono">{escape(source)}</td><td>{escape(detail)}</td>'
                           f'<td>{button}</td></tr>')
            out.append("</tbody></table>")
            if f.count > len(f.rows):
                out.append(f'<p class="muted">{f.count - len(f.rows)} more row(s): the report lists the first '
                           f'{len(f.rows)} (rows_per_finding)</p>')
        out.append("</section>")
    return "".join(out) + "</div>"
