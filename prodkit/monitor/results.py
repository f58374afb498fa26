"""Result objects of monitoring: what the CLI, the notebook and the REST API render alike.

Plain dataclasses with `to_dict()` and a small HTML repr; no pandas or evidently here.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

_GREEN, _RED, _AMBER = "#1a7f37", "#cf222e", "#9a6700"


def _badge(text: str, color: str) -> str:
    return (f'<span style="color:white;background:{color};padding:1px 6px;border-radius:3px;'
            f'font-weight:600">{html.escape(text)}</span>')


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass
class Violation:
    """One way a batch breaks its contract, with how many values are concerned."""

    rule: str  # missing_column | extra_column | dtype_changed | out_of_range | unseen_categories | null_spike | empty
    column: str | None
    severity: str  # "error" | "warning"
    count: int
    share: float
    message: str
    examples: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ValidationResult:
    """A batch checked against a data contract."""

    rows: int
    columns: int
    violations: list[Violation]
    contract: str | None = None  # path of the contract file, when there is one

    @property
    def ok(self) -> bool:
        """No error-level violation (warnings are reported but do not fail)."""
        return not self.errors

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "error"]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "warning"]

    def summary(self) -> str:
        verdict = "meets the contract" if self.ok else "breaks the contract"
        return (f"{self.rows} rows x {self.columns} columns {verdict}: "
                f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "columns": self.columns, "contract": self.contract,
                "errors": len(self.errors), "warnings": len(self.warnings),
                "violations": [v.to_dict() for v in self.violations]}

    def _repr_html_(self) -> str:
        badge = _badge("VALID", _GREEN) if self.ok else _badge("INVALID", _RED)
        rows = [[_badge(v.severity, _RED if v.severity == "error" else _AMBER), html.escape(v.rule),
                 html.escape(v.column or "—"), f"{v.count}", f"{v.share:.1%}", html.escape(v.message)]
                for v in self.violations]
        table = _table(["severity", "rule", "column", "count", "share", "what"], rows) if rows else ""
        return f"<div><p>{badge} {html.escape(self.summary())}</p>{table}</div>"


@dataclass
class ColumnDrift:
    """Drift of one column: evidently's score, the method behind it and its verdict."""

    column: str
    kind: str  # numerical | categorical
    method: str
    score: float
    threshold: float
    drift: bool

    def to_dict(self) -> dict[str, Any]:
        return {"drift": self.drift, "score": self.score, "method": self.method,
                "threshold": self.threshold, "kind": self.kind}


@dataclass
class DriftResult:
    """Drift of a current batch against a reference: one verdict, per-column scores.

    `drift` is evidently's dataset verdict: the share of drifted columns reaches
    `drift_share` (its DriftedColumnsCount test). Columns that could not be compared are
    listed in `skipped` with the reason, never silently dropped.
    """

    drift: bool
    share: float
    drift_share: float
    columns: dict[str, ColumnDrift]
    reference_rows: int
    current_rows: int
    sample: dict[str, Any] = field(default_factory=dict)  # {"max_rows", "seed", "reference", "current"}
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it was not compared
    report: str | None = None  # HTML report path, when written

    @property
    def drifted(self) -> list[str]:
        return [name for name, c in self.columns.items() if c.drift]

    def summary(self) -> str:
        verdict = "DRIFT" if self.drift else "no drift"
        return (f"{verdict}: {len(self.drifted)} of {len(self.columns)} columns drifted "
                f"(share {self.share:.2f}, threshold {self.drift_share:.2f})")

    def to_dict(self) -> dict[str, Any]:
        return {"drift": self.drift, "share": self.share, "drift_share": self.drift_share,
                "columns": {name: c.to_dict() for name, c in self.columns.items()},
                "reference_rows": self.reference_rows, "current_rows": self.current_rows,
                "sample": self.sample, "skipped": self.skipped, "report": self.report}

    def _repr_html_(self) -> str:
        badge = _badge("DRIFT", _RED) if self.drift else _badge("NO DRIFT", _GREEN)
        rows = [[html.escape(c.column), c.kind, html.escape(c.method), f"{c.score:.4g}", f"{c.threshold:.4g}",
                 _badge("drift", _RED) if c.drift else "ok"] for c in self.columns.values()]
        rows += [[html.escape(name), "—", "not compared", "", "", html.escape(why)] for name, why in self.skipped.items()]
        note = f"<p>HTML report: <code>{html.escape(self.report)}</code></p>" if self.report else ""
        return (f"<div><p>{badge} {html.escape(self.summary())}</p>"
                f"{_table(['column', 'kind', 'method', 'score', 'threshold', 'verdict'], rows)}{note}</div>")


@dataclass
class WatchResult:
    """What `prodkit.monitor.watch` found for one batch: contract check, and drift in scheduled runs."""

    model: str
    validation: ValidationResult
    drift: DriftResult | None = None
    run_id: str | None = None
    contract: str | None = None
    reference: str | None = None  # where the reference came from
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.validation.ok and not (self.drift and self.drift.drift)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "ok": self.ok, "run_id": self.run_id, "contract": self.contract,
                "reference": self.reference, "validation": self.validation.to_dict(),
                "drift": self.drift.to_dict() if self.drift else None, "notes": self.notes}

    def _repr_html_(self) -> str:
        parts = [f"<h4>prodkit.monitor: {html.escape(self.model)}</h4>", self.validation._repr_html_()]
        if self.drift is not None:
            parts.append(self.drift._repr_html_())
        parts += [f"<p><i>{html.escape(n)}</i></p>" for n in self.notes]
        return "<div>" + "".join(parts) + "</div>"

    def __repr__(self) -> str:
        lines = [f"prodkit.monitor {self.model}: {self.validation.summary()}"]
        if self.drift is not None:
            lines.append(f"  {self.drift.summary()}")
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)
