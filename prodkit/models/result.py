"""Result objects shared by the notebook, the CLI and the REST API.

Each has `to_dict()` (JSON) and one `view()` that the CLI prints and the notebook shows as HTML
(`prodkit._render`); model names, tags and check details are shown as text, never as markup.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from prodkit._render import Cell, Line, Rendered, Table, View

MARKS = {"pass": "✓", "fail": "✗", "warn": "!", "skip": "–"}
STYLES = {"pass": "green", "fail": "bold red", "warn": "yellow", "skip": "dim"}


def checks_table(checks: list[Check]) -> Table:
    """What was checked: a mark, the check's name and its detail, one row each."""
    return Table("", ("", "check", "detail"), [(Cell.of(MARKS[c.status], STYLES[c.status]), c.name, c.detail)
                                              for c in checks], header=False, fold=("detail",))


def benchmark_table(benchmark: dict[str, Any]) -> Table:
    """Latency per device and batch size, from a version's benchmark."""
    rows = [(device, size, f"{row['p50_ms']:.3g}", f"{row['p95_ms']:.3g}", f"{row.get('throughput_per_s', 0):,.0f}",
             str(res.get("peak_mem_mb")))
            for device, res in benchmark.items() for size, row in res.get("batches", {}).items()]
    return Table("benchmark", ("device", "batch", "p50 ms", "p95 ms", "rows/s", "peak MB"), rows)


@dataclass
class Check:
    """One thing prodkit verified about a model version."""

    name: str
    status: str  # pass | fail | warn | skip
    detail: str = ""


@dataclass
class RegisteredModel(Rendered):
    """A registered model version and what prodkit checked and recorded on it."""

    name: str
    version: str
    uri: str
    run_id: str
    tracking_uri: str
    checks: list[Check] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    parity: dict[str, Any] = field(default_factory=dict)
    benchmark: dict[str, Any] = field(default_factory=dict)  # device -> benchmark dict
    tags: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data

    def summary(self) -> str:
        failed = [c.name for c in self.checks if c.status == "fail"]
        state = "all checks passed" if not failed else "failed: " + ", ".join(failed)
        return f"registered {self.uri} ({state}) in {self.seconds:.1f} s"

    def view(self) -> View:
        blocks: list = [Line(self.summary(), "bold" if self.ok else "bold red"), checks_table(self.checks)]
        if self.benchmark:
            blocks.append(benchmark_table(self.benchmark))
        blocks.append(Line(f"next: prodkit models gate {self.name} {self.version} --alias champion", "dim"))
        return View(blocks)

    def __repr__(self) -> str:
        return str(self)


@dataclass
class VersionInfo(Rendered):
    """A model version as prodkit reads it back from the registry."""

    name: str
    version: str
    aliases: list[str]
    status: str
    run_id: str | None
    source: str | None
    created_at: str | None
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    parity: dict[str, Any] = field(default_factory=dict)
    benchmark: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["complete"] = self.complete
        return data

    def view(self) -> View:
        """The version's aliases and status, provenance, gate decision, metrics, parity and benchmark."""
        head = Cell.of(self.name, "bold").plus(f" v{self.version} {' '.join(f'@{a}' for a in self.aliases)}  "
                                                f"status {self.status}  registered {self.created_at}")
        rows = [*_provenance_rows(self.tags), *_decision_rows(self.tags),
                ("metrics", ", ".join(f"{k}={v:.4g}" for k, v in self.metrics.items()) or "-"),
                ("parity", _parity_text(self.parity))]
        blocks: list = [Line(head), Table("", ("field", "value"), rows, header=False, box="plain", fold=("value",))]
        if self.missing:
            blocks.append(Line(f"incomplete: missing {', '.join(self.missing)}", "yellow"))
        if self.benchmark:
            blocks.append(benchmark_table(self.benchmark))
        return View(blocks)


def _provenance_rows(tags: dict[str, str]) -> list[tuple[str, str]]:
    from prodkit.models import tags as T

    return [(label, tags.get(key, "-")) for label, key in (
        ("git sha", T.GIT_SHA), ("notebook", T.NOTEBOOK), ("cell", T.CELL), ("data hash", T.DATA_HASH),
        ("trained on", T.TRAINED_ON), ("torch", T.TORCH), ("cuda", T.CUDA), ("serialization", T.SERIALIZATION),
        ("card", T.CARD))]


def _decision_rows(tags: dict[str, str]) -> list[tuple[str, str]]:
    """The retrain run that made the version, the gate's decision on it, and its load test, when recorded."""
    from prodkit.models import tags as T

    rows = []
    retrain = T.load_json(tags, T.RETRAIN)
    if retrain:
        why = f", triggered by run {retrain['triggered_by']} ({retrain.get('trigger')})" if retrain.get("triggered_by") else ""
        rows.append(("retrained in", f"run {retrain.get('run')} of job {retrain.get('job')}{why}"))
    decision = T.load_json(tags, T.GATE_DECISION)
    if decision:
        verdict = (f"moved @{decision['alias']} here (was v{decision.get('previous') or '-'})" if decision.get("promoted")
                   else f"kept as candidate: {decision.get('reason') or 'auto-gate off'}")
        rows.append(("gate", f"{verdict} at {decision.get('at')}"))
    loadtest = T.load_json(tags, T.LOADTEST)
    if loadtest:
        levels = ", ".join(f"c={lv['concurrency']} p95 {lv['p95_ms']:.2f} ms" for lv in loadtest.get("levels", [])
                           if lv.get("p95_ms") is not None)
        rows.append(("load test", f"{levels} ({loadtest.get('at')})"))
    return rows


def _parity_text(parity: dict[str, Any]) -> str:
    p = parity or {"status": "-"}
    diff = f" (max abs diff {p['max_abs_diff']:.3g})" if p.get("max_abs_diff") is not None else ""
    return f"{p.get('status')}{diff}" + (f" — {p['reason']}" if p.get("reason") else "")


@dataclass
class PromotionResult(Rendered):
    """What `move_alias` or `rollback` did: the alias, from which version to which, and why."""

    name: str
    alias: str
    version: str
    previous: str | None
    action: str  # promote | rollback
    approved_by: str
    forced: bool = False
    reason: str | None = None
    checks: list[Check] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        prev = f" (was v{self.previous})" if self.previous else ""
        forced = f" — forced: {self.reason}" if self.forced else ""
        return f"{self.name}: moved @{self.alias} to v{self.version}{prev}, approved by {self.approved_by}{forced}"

    def view(self) -> View:
        return View([*([checks_table(self.checks)] if self.checks else []), Line(self.summary())])

    def __repr__(self) -> str:
        return str(self)


@dataclass
class ModelList(Rendered):
    """`prodkit models list`: one row per registered model (`rows` as `registry.list_models` gives them)."""

    rows: list[dict[str, Any]]

    def to_dict(self) -> list[dict[str, Any]]:
        return self.rows

    def view(self) -> View:
        if not self.rows:
            return View([Line("no registered models yet: prodkit.register_model(model, NAME, example=...) in the notebook")])
        table = Table("", ("name", "latest", "versions", "aliases", "parity", "complete", "registered"), [
            (r["name"], r["latest"], str(r["versions"]), ", ".join(f"@{a}=v{v}" for a, v in r["aliases"].items()) or "-",
             r["parity"], Cell.of("yes", "green") if r["complete"] else Cell.of(f"missing {', '.join(r['missing'])}", "yellow"),
             r["registered_at"]) for r in self.rows])
        return View([table])


@dataclass
class AliasMoves(Rendered):
    """`prodkit models history`: every move of one alias, oldest first (`moves` as `gate.history` gives them)."""

    name: str
    alias: str
    moves: list[dict[str, Any]]

    def to_dict(self) -> list[dict[str, Any]]:
        return self.moves

    def view(self) -> View:
        if not self.moves:
            return View([Line(f"{self.name}@{self.alias} has no recorded moves")])
        rows = [(str(m.get("seq")), str(m.get("at")), str(m.get("action")), f"v{m.get('to')}",
                 f"v{m['from']}" if m.get("from") else "-", str(m.get("by")),
                 Cell.of(f"forced: {m['reason']}", "yellow") if m.get("forced") else "")
                for m in self.moves]
        return View([Table(f"moves of {self.name}@{self.alias}", ("#", "at", "action", "to", "was", "by", "note"), rows)])
