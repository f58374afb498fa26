"""Result objects shared by the notebook, the CLI and the REST API."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

MARKS = {"pass": "✓", "fail": "✗", "warn": "!", "skip": "–"}
COLORS = {"pass": "#1a7f37", "fail": "#cf222e", "warn": "#9a6700", "skip": "#6e7781"}


@dataclass
class Check:
    """One thing prodkit verified about a model version."""

    name: str
    status: str  # pass | fail | warn | skip
    detail: str = ""


@dataclass
class RegisteredModel:
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

    def __repr__(self) -> str:
        lines = [self.summary()]
        lines += [f"  {MARKS[c.status]} {c.name}: {c.detail}" for c in self.checks]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            f"<tr><td style='color:{COLORS[c.status]};font-weight:bold'>{MARKS[c.status]}</td>"
            f"<td style='text-align:left'>{esc(c.name)}</td><td style='text-align:left'>{esc(c.detail)}</td></tr>"
            for c in self.checks
        )
        bench = ""
        for device, res in self.benchmark.items():
            cells = "".join(f"<td>b{size}: {row['p50_ms']:.3g} ms p50 / {row['p95_ms']:.3g} ms p95</td>"
                            for size, row in res.get("batches", {}).items())
            bench += f"<tr><td><b>{esc(device)}</b></td>{cells}<td>{res.get('peak_mem_mb', 0):.3g} MB peak</td></tr>"
        bench_table = f"<table style='margin-top:4px'>{bench}</table>" if bench else ""
        hint = (f"<div style='color:#6e7781'>next: <code>prodkit models gate {esc(self.name)} {esc(self.version)} "
                f"--alias champion</code></div>")
        return (f"<div><b>{esc(self.name)}</b> version <b>{esc(self.version)}</b> — "
                f"<code>{esc(self.uri)}</code> <span style='color:#6e7781'>({self.seconds:.1f} s)</span>"
                f"<table>{rows}</table>{bench_table}{hint}</div>")


@dataclass
class VersionInfo:
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


@dataclass
class PromotionResult:
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

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<div>{html.escape(self.summary())}</div>"
