"""Report formats for machines and CI: JSON, GitHub annotations, JUnit XML, Markdown.

Each formatter turns a :class:`~maskcli.check.report.Report` into a string; the CLI maps
``--format`` (a :class:`ReportFormat`) to one of them, ``text`` being the rich view in
:mod:`maskcli.render.check` and ``html`` the page of :mod:`maskcli.render.check_page`.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import TYPE_CHECKING

from maskcli.check.registry import CHECKS
from maskcli.wording import counted

if TYPE_CHECKING:
    from maskcli.check.report import Finding, Report
    from maskcli.data.records import Source


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"
    markdown = "markdown"
    html = "html"


def to_json(report: "Report") -> str:
    return indented_json(report.to_dict()) + "\n"


def indented_json(value: object, indent: str = "") -> str:
    """``json.dumps(value, indent=2)``, except that a list of numbers, strings or nulls stays on one line
    (a row sample's ids, mask and labels)::

        {
          "checks": ["MC001", "MC002"],
          "rows": [
            {"a": 1}
          ]
        }
    """
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = (f"{inner}{json.dumps(key, ensure_ascii=False)}: {indented_json(item, inner)}"
                 for key, item in value.items())
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        return "[\n" + ",\n".join(inner + indented_json(item, inner) for item in value) + f"\n{indent}]"
    return json.dumps(value, ensure_ascii=False)


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _where(source: "Source") -> str:
    where = f"file={_escape_property(source.path)}"
    return where + (f",line={source.line}" if source.line is not None else "")


def skipped_note(report: "Report") -> str | None:
    """``skipped N bad row(s): first; ...`` when ``--on-error skip`` skipped any, else None."""
    s = report.summary
    return f"skipped {s['skipped_rows']} bad row(s): " + "; ".join(s["skipped_first"]) if s["skipped_rows"] else None


def to_github(report: "Report") -> str:
    """GitHub workflow commands: ``::error file=PATH,line=N,title=MC004::message``, one per listed row;
    a notice names the config file, a warning counts skipped rows."""
    lines = []
    if report.config_file:
        lines.append(f"::notice title=maskcli check::{_escape_data(f'config file {report.config_file}')}")
    if skipped_note(report):
        lines.append(f"::warning title=maskcli check::{_escape_data(skipped_note(report))}")
    for finding in report.findings:
        level = "error" if finding.severity.value == "error" else "warning"
        title = f"title={finding.id}"
        for source, detail in finding.rows:
            spot = "" if source.line is not None else f" (row {source.row})"
            lines.append(f"::{level} {_where(source)},{title}::{_escape_data(f'{detail}{spot}: {finding.message}')}")
        if finding.count > len(finding.rows):
            more = f"{finding.count - len(finding.rows)} more row(s): " if finding.rows else ""
            lines.append(f"::{level} {title}::{_escape_data(more + finding.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def to_junit(report: "Report") -> str:
    """JUnit XML: one testcase per check that ran. A finding that fails the check (``--fail-on``)
    is a ``<failure>``; one below it (a warning, by default) passes, its rows in ``<system-out>``,
    as JUnit has no warnings. Properties name the config file and count skipped rows."""
    from xml.etree import ElementTree as ET  # only this format needs it: keeps `maskcli --help` fast

    by_id = {f.id: f for f in report.findings}
    checks = report.settings["checks"]
    failing = {f.id for f in report.findings if report.fails(f)}
    suite = ET.Element("testsuite", name="maskcli check", tests=str(len(checks)),
                       failures=str(sum(c in failing for c in checks)), errors="0")
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="config_file", value=report.config_file or "")
    ET.SubElement(properties, "property", name="skipped_rows", value=str(report.summary["skipped_rows"]))
    for check_id in checks:
        case = ET.SubElement(suite, "testcase", classname="maskcli.check", name=f"{check_id} {CHECKS[check_id].name}")
        finding = by_id.get(check_id)
        if finding is None:
            continue
        rows = "\n".join(f"{source}: {detail}" for source, detail in finding.rows)
        if check_id in failing:
            ET.SubElement(case, "failure", message=finding.message, type=finding.severity.value).text = rows
        else:
            ET.SubElement(case, "system-out").text = f"{finding.severity.value}: {finding.message}\n{rows}".rstrip()
    if skipped_note(report):
        ET.SubElement(suite, "system-err").text = skipped_note(report)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def to_markdown(report: "Report") -> str:
    """The summary and the findings as Markdown tables (also the GitHub step summary)."""
    s = report.summary
    lengths, padding, trunc = s["lengths"], s["padding"], s["truncation"]
    counts = report.counts()
    out = [
        "## maskcli check",
        "",
        f"{counted(s['rows'], 'row')} from {', '.join(report.inputs)} · tokenizer `{report.tokenizer['name']}` · "
        f"**{counts['error']} error(s), {counts['warning']} warning(s)**",
        "",
        *([f"config file `{report.config_file}`", ""] if report.config_file else []),
        *([_cell(skipped_note(report)), ""] if skipped_note(report) else []),
        "| statistic | value |",
        "|---|---|",
        f"| real tokens | {s['real_tokens']} |",
        f"| pad tokens (as configured) | {s['pad_tokens']} |",
        "| length min / p50 / p90 / p95 / p99 / max | "
        + " / ".join(str(lengths[k]) for k in ("min", "p50", "p90", "p95", "p99", "max")) + " |",
        f"| rows over max_length ({trunc['max_length'] or 'no max length'}) | {trunc['rows_over_max_length']} |",
        f"| tokens lost to truncation | {trunc['tokens_lost']} |",
        f"| trained-token share | {_percent(s['trained_token_share'])} |",
        "",
        f"| padding strategy (batch size {padding['batch_size']}, context {padding['context_length']}{'' if trunc['max_length'] else ', the longest row: the tokenizer has no max length'}) | waste |",
        "|---|---|",
        f"| as configured (`{padding['as_configured']['padding']}`) | {_percent(padding['as_configured']['waste'])} |",
        f"| pad to max_length | {_percent(padding['pad_to_max_length']['waste'])} |",
        f"| longest in batches, file order | {_percent(padding['longest_in_file_order_batches']['waste'])} |",
        f"| longest in length-grouped batches | {_percent(padding['length_grouped_batches']['waste'])} |",
        f"| greedy packing | {padding['greedy_packing']['packs']} packs, "
        f"{_percent(padding['greedy_packing']['efficiency'])} efficient |",
        "",
    ]
    if report.findings:
        out += ["| id | name | severity | rows | message | first rows |", "|---|---|---|---|---|---|"]
        out += [_finding_row(f) for f in report.findings]
    else:
        out.append("No findings.")
    return "\n".join(out) + "\n"


def _finding_row(finding: "Finding") -> str:
    first = ", ".join(str(source) for source, _ in finding.rows[:3])
    return (f"| {finding.id} | {finding.name} | {finding.severity.value} | {finding.count} | "
            f"{_cell(finding.message)} | {_cell(first)} |")
