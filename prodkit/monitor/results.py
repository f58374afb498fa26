"""Result objects of monitoring: what the CLI, the notebook and the REST API render alike.

Plain dataclasses with `to_dict()` and one `view()` that the CLI prints (text or Rich) and the notebook
shows as HTML (`prodkit._render`); no pandas or evidently here. Column names and messages come from
the data and are shown as text, never as markup.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from prodkit._render import Cell, Line, Rendered, Table, View

_NO_VALUE = "—"


def _verdict(bad: bool, summary: str) -> Cell:
    return Cell.of(summary, "bold red" if bad else "bold green")


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
class ValidationResult(Rendered):
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

    def view(self) -> View:
        """The verdict, then one row per violation."""
        blocks: list = [Line(_verdict(not self.ok, self.summary()))]
        if self.violations:
            rows = [(Cell.of(v.severity, "red" if v.severity == "error" else "yellow"), v.rule, v.column or _NO_VALUE,
                     str(v.count), f"{v.share:.1%}", v.message) for v in self.violations]
            blocks.append(Table("", ("severity", "rule", "column", "count", "share", "what"), rows, fold=("what",)))
        return View(blocks)


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
class DriftResult(Rendered):
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

    def view(self) -> View:
        """The verdict, the columns (drifted first, then those not compared), the sample and the report."""
        ordered = sorted(self.columns.values(), key=lambda c: (not c.drift, c.column))
        rows = [(c.column, c.kind, c.method, f"{c.score:.4g}", f"{c.threshold:.4g}",
                 Cell.of("drift", "bold red") if c.drift else Cell.of("ok", "green")) for c in ordered]
        rows += [(name, _NO_VALUE, "not compared", "", "", why) for name, why in self.skipped.items()]
        notes = []
        sample = self.sample
        if self.reference_rows > sample.get("reference", 0) or self.current_rows > sample.get("current", 0):
            notes.append(f"sampled {sample['reference']} of {self.reference_rows} reference rows and "
                         f"{sample['current']} of {self.current_rows} current rows (seed {sample['seed']})")
        if self.report:
            notes.append(f"report: {self.report}")
        return View([Line(_verdict(self.drift, self.summary())),
                     Table("", ("column", "kind", "method", "score", "threshold", "drift"), rows, notes=notes)])


@dataclass
class WatchResult(Rendered):
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

    def view(self) -> View:
        blocks: list = [Line(f"prodkit.monitor {self.model}", "bold"), *self.validation.view().blocks]
        if self.drift is not None:
            blocks += self.drift.view().blocks
        blocks += [Line(n, "dim") for n in self.notes]
        return View(blocks)

    def __repr__(self) -> str:
        return str(self)
