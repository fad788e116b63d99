"""From a merged :class:`~maskcli.check.audit.Audit` to the report every format prints.

The JSON form (``--format json``) is versioned by ``report_schema_version`` and documented in
docs/json.md: ``summary`` holds the statistics, ``findings`` one entry per check that fired, with
the first rows (``{"path", "line"}`` or ``{"path", "row"}``, plus a ``detail`` and, from schema 2, a
``sample`` of the row: :mod:`maskcli.check.samples`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from maskcli import __version__
from maskcli.check.audit import Audit, Hits, make_context
from maskcli.check.config import CheckConfig
from maskcli.check.registry import CHECKS, Severity
from maskcli.check.samples import RowSample
from maskcli.data.records import Source
from maskcli.data.tokenizer import TokenizerHandle
from maskcli.wording import counted

REPORT_SCHEMA_VERSION = 2  # 2: findings[].rows[].sample


@dataclass(frozen=True)
class Finding:
    id: str
    name: str
    severity: Severity
    message: str
    count: int  # rows flagged (1 for a dataset-wide finding such as MC010)
    rows: list[tuple[Source, str]]  # the first rows, each with what exactly is wrong
    samples: list[RowSample | None] = field(default_factory=list)  # one per row (None: no tokens to show)

    def __post_init__(self) -> None:
        if len(self.samples) != len(self.rows):
            raise ValueError(f"{self.id}: {len(self.rows)} rows but {len(self.samples)} samples")

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "severity": self.severity.value, "message": self.message,
                "count": self.count,
                "rows": [source.describe() | {"detail": detail, "sample": sample.to_dict() if sample else None}
                         for (source, detail), sample in zip(self.rows, self.samples, strict=True)]}


@dataclass(frozen=True)
class Report:
    inputs: list[str]
    config_file: str | None
    tokenizer: dict
    settings: dict
    summary: dict
    findings: list[Finding]

    def counts(self) -> dict[str, int]:
        return {s.value: sum(f.severity is s for f in self.findings) for s in (Severity.error, Severity.warning)}

    def failed(self, fail_on: str) -> bool:
        """Any finding at or above ``fail_on`` (``error`` or ``warning``)?"""
        return any(self.fails(f, fail_on) for f in self.findings)

    def fails(self, finding: Finding, fail_on: str | None = None) -> bool:
        """Does ``finding`` fail the check (under ``fail_on``, by default the report's own)?"""
        return finding.severity.rank >= Severity(fail_on or self.settings["fail_on"]).rank

    def to_dict(self) -> dict:
        return {
            "report_schema_version": REPORT_SCHEMA_VERSION,
            "tool": f"maskcli {__version__}",
            "inputs": self.inputs,
            "config_file": self.config_file,
            "tokenizer": self.tokenizer,
            "settings": self.settings,
            "summary": self.summary | {"findings": self.counts()},
            "findings": [f.to_dict() for f in self.findings],
        }


TOKEN_REF = re.compile(r"\{token:(-?\d+(?:,-?\d+)*)\}")


def named_tokens(detail: str, tok: TokenizerHandle) -> str:
    """Token references in a detail (``{token:ID,...}``, :func:`maskcli.check.rows.token_ref`) as text and ids:
    ``ends with {token:201}`` -> ``ends with '\\n' (id 201)``; ``{token:2,201}`` -> ``'<|im_end|>\\n' (ids 2 201)``."""
    def name(match: re.Match) -> str:
        ids = [int(t) for t in match.group(1).split(",")]
        known = all(0 <= t < tok.full_vocab_size for t in ids)
        text = tok.backend.decode(ids, skip_special_tokens=False) if known else "?"
        return f"{text!r} (id{'s' if len(ids) > 1 else ''} {' '.join(map(str, ids))})"

    return TOKEN_REF.sub(name, detail)


def build_report(audit: Audit, tok: TokenizerHandle, config: CheckConfig, inputs: Sequence[str]) -> Report:
    """Finish the audit: dataset-wide checks, thresholds, statistics."""
    audit.flush()
    ctx, resolved = make_context(tok, config)
    stats = audit.stats
    summary = stats.summary(ctx.limit) | {"skipped_rows": audit.skipped, "skipped_first": audit.skipped_first}
    if audit.sft is not None:
        summary["sft"] = audit.sft
    hits = {code: Hits(h.count, list(h.first), list(h.samples), list(h.at)) for code, h in audit.hits.items()}
    left, right = audit.sides.get("left", Hits()), audit.sides.get("right", Hits())
    if left.count and right.count and "MC007" in audit.enabled:
        hits.setdefault("MC007", Hits()).merge(min(left, right, key=lambda h: h.count), audit.keep)
    cut = audit.full_without_eos
    if cut.count and audit.short_rows and audit.short_rows_with_eos == audit.short_rows and "MC008" in audit.enabled:
        hits.setdefault("MC008", Hits()).merge(cut, audit.keep)
    findings = []
    for code in sorted(hits):
        h = hits[code]
        check = CHECKS[code]
        severity, message = check.severity, f"{check.description} ({h.count} of {counted(stats.rows, 'row')})"
        if code == "MC007" and left.count and right.count:
            message += (f"; {counted(left.count, 'row')} {'is' if left.count == 1 else 'are'} padded on the left, "
                        f"{right.count} on the right")
        if code == "MC008":
            rate = h.count / max(stats.rows, 1)
            over = rate > config.max_truncation_rate
            severity = Severity.error if over else Severity.warning
            message += f"; {rate:.2%} is {'above' if over else 'within'} max_truncation_rate " \
                       f"{config.max_truncation_rate:.2%}"
        findings.append(Finding(code, check.name, severity, message, h.count,
                                [(source, named_tokens(detail, tok)) for source, detail in h.first],
                                [sample.named(tok) if sample is not None else None for sample in h.samples]))
    for code, message in audit.setup.items():
        findings.append(Finding(code, CHECKS[code].name, CHECKS[code].severity, message, 1, []))
    configured = summary["padding"]["as_configured"]
    if configured["waste"] > config.max_padding_ratio and "MC010" in audit.enabled:
        padding = summary["padding"]
        packing = padding["greedy_packing"]["efficiency"]
        findings.append(Finding(
            "MC010", CHECKS["MC010"].name, CHECKS["MC010"].severity,
            f"padding is {configured['waste']:.1%} of all tokens (max_padding_ratio {config.max_padding_ratio:.0%}); "
            f"length-grouped batches would waste {padding['length_grouped_batches']['waste']:.1%}"
            + (f", packing would be {packing:.1%} efficient" if packing is not None else ""),
            1, [],
        ))
    findings.sort(key=lambda f: f.id)
    settings = resolved.describe() | {
        "mode": config.mode, "batch_size": config.batch_size, "max_padding_ratio": config.max_padding_ratio,
        "max_truncation_rate": config.max_truncation_rate, "require_eos": config.require_eos,
        "fail_on": config.fail_on, "checks": sorted(audit.enabled),
    }
    return Report(list(inputs), config.source, tok.describe(), settings, summary, findings)
