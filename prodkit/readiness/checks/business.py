"""Business check: a declared business case (KPI, target, owner, latency budget) that benchmarks meet."""

from __future__ import annotations

import re

from prodkit.readiness.checks._state import latest_versions, version_details
from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import Outcome, register_check
from prodkit.records import ModelStatus

BUSINESS_SECTION = "prodkit.business"
FIELDS = {"kpi": "KPI", "target": "target", "owner": "owner", "latency_budget_ms": "latency budget"}
_P95 = re.compile(r"(?i)p95")
_BATCH1 = re.compile(r"(?i)(?:batch_?|bs_?|b)1(?!\d)")
_LATENCY_MS = re.compile(r"(?i)(?:latency|p50|p95|p99)")


def served_latency(ctx: CheckContext, name: str, record: ModelStatus) -> tuple[int, str, float] | None:
    """The p95 measured by `prodkit models loadtest` on the served version (@champion, else the newest)."""
    from prodkit.errors import ProdkitError
    from prodkit.models.loadtest import served_p95

    version = record.aliases.get("champion") or record.latest_version
    try:
        details = version_details(ctx, name, version)
    except ProdkitError:  # the version or the store went away: fall back to the registration benchmark
        return None
    measured = served_p95(details.tags or {})
    if measured is None:
        return None
    concurrency, p95 = measured
    return -1, f"{name} v{version} served p95 (load test, concurrency {concurrency})", p95


def recorded_latency_ms(ctx: CheckContext) -> tuple[str, float] | None:
    """The latency to hold against the budget: the served p95 from a load test when there is one,
    else the registration benchmark's p95 at batch 1 (best device)."""
    candidates: list[tuple[int, str, float]] = []
    for name, record in latest_versions(ctx).items():
        served = served_latency(ctx, name, record)
        if served is not None:
            candidates.append(served)
        metrics: dict = {}
        bench = None
        if record.benchmark:
            details = version_details(ctx, name, record.latest_version)
            metrics.update(details.metrics or {})
            bench = details.benchmark
        for device, res in (bench or {}).items() if isinstance(bench, dict) else ():
            row = ((res or {}).get("batches") or {}).get("1") or {}
            if isinstance(row.get("p95_ms"), int | float):
                candidates.append((0, f"{name} v{record.latest_version} p95 latency at batch 1 on {device}",
                                   float(row["p95_ms"])))
        for key, value in metrics.items():
            if isinstance(value, int | float) and _LATENCY_MS.search(key):
                ms = float(value) * (1000 if re.search(r"(?i)(?:_s|_sec|seconds)$", key) else 1)
                rank = 1 + (0 if _P95.search(key) else 1) + (0 if _BATCH1.search(key) else 2)
                candidates.append((rank, f"{name} {key}", ms))
    if not candidates:
        return None
    best = min(candidates, key=lambda c: (c[0], c[2]))
    return best[1], best[2]


@register_check("BIZ-01", section="Business", scope="project", title="Business case declared",
                fix='declare it: %prodkit business --kpi "churn rate" --target "-2 pts" --owner "jane@corp" '
                    "--latency-ms 50 (or settings.ini [prodkit.business])")
def business_case(ctx: CheckContext) -> Outcome:
    declared = ctx.project.section(BUSINESS_SECTION)
    missing = [label for key, label in FIELDS.items() if not declared.get(key, "").strip()]
    if missing:
        return Outcome.problem(f"business case incomplete: no {', '.join(missing)} in settings.ini "
                               f"[{BUSINESS_SECTION}]")
    try:
        budget = float(declared["latency_budget_ms"])
    except ValueError:
        return Outcome.problem(f"latency_budget_ms is not a number: {declared['latency_budget_ms']!r}",
                               fix="set latency_budget_ms to milliseconds, e.g. 50")
    summary = f"{declared['kpi']} → {declared['target']} (owner {declared['owner']}, budget {budget:g} ms)"
    measured = recorded_latency_ms(ctx)
    if measured is None:
        return Outcome.ok(f"{summary}; no latency benchmark recorded yet")
    what, ms = measured
    if ms > budget:
        return Outcome.problem(f"{what} = {ms:.1f} ms exceeds the {budget:g} ms budget",
                               fix="make the model faster (smaller, exported, batched, on GPU) or revisit the budget")
    return Outcome.ok(f"{summary}; {what} = {ms:.1f} ms within budget")
