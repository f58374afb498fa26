"""Model checks: baseline, metrics beyond accuracy, slices, registry record, model card."""

from __future__ import annotations

import ast
import re

from prodkit.readiness.checks._state import latest_versions, parity_failed
from prodkit.readiness.checks.data import _training_cells
from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import Outcome, listed, register_check

_BASELINE_NAMES = re.compile(r"(?i)baseline|naive|dummy|majority_class|persistence")
_LATENCY_NAMES = re.compile(r"(?i)latency|inference_time|elapsed|duration|throughput|p50|p95|timeit")
_MEMORY_NAMES = re.compile(r"(?i)memory|mem_mb|peak_mem|rss|nbytes|model_size|max_memory")
_SLICE_NAMES = re.compile(r"(?i)slice|segment|subgroup|per_group|by_group|cohort|MetricFrame")
_METRIC_CALLS = re.compile(r"(?i)(?:^|\.)(?:accuracy|roc_auc|auc|f1|precision|recall|log_loss|mean_\w+_error|"
                           r"r2|score|balanced_accuracy|average_precision)\w*$")


def _no_training(ctx: CheckContext) -> bool:
    return not _training_cells(ctx) and not latest_versions(ctx)


@register_check("MOD-01", section="Model", reads_code=True, title="Beats a baseline", severity="warn",
                fix="compare against sklearn.dummy.DummyClassifier/DummyRegressor (or a rule) and record both")
def beats_baseline(ctx: CheckContext) -> Outcome:
    if _no_training(ctx):
        return Outcome.not_applicable("no model trained in this notebook")
    cells = sorted({f.cell.number for f, _call, resolved in ctx.calls() if resolved.startswith("sklearn.dummy.")}
                   | {f.cell.number for f in ctx.facts if any(_BASELINE_NAMES.search(n) for n in f.names)})
    if cells:
        return Outcome.ok("a baseline is computed for comparison", cells)
    return Outcome.problem("no baseline model to compare against", _training_cells(ctx))


@register_check("MOD-02", section="Model", reads_code=True, title="Metrics beyond accuracy (latency, memory)", severity="warn",
                fix="measure prediction latency and memory (prodkit.register_model benchmarks both), "
                    "not only accuracy")
def latency_and_memory(ctx: CheckContext) -> Outcome:
    if _no_training(ctx):
        return Outcome.not_applicable("no model trained in this notebook")
    latency = {f.cell.number for f in ctx.facts
               if any(_LATENCY_NAMES.search(n) for n in f.names)
               or any(s.name in ("time", "timeit") for s in f.shell_lines)
               or any(call.name in ("time.perf_counter", "perf_counter", "time.time", "timeit.timeit")
                      for call in f.calls)}
    memory = {f.cell.number for f in ctx.facts
              if any(_MEMORY_NAMES.search(n) for n in f.names)
              or any(m.split(".")[0] in ("tracemalloc", "psutil", "memory_profiler") for m in (i.module for i in f.imports))}
    benchmarked = [n for n, r in latest_versions(ctx).items() if r.benchmark]
    if benchmarked:
        return Outcome.ok(f"latency and peak memory benchmarked on {', '.join(benchmarked)}")
    registering = _benchmarked_registrations(ctx)
    if registering:
        return Outcome.ok("prodkit.register_model benchmarks latency and peak memory", registering)
    has_latency, has_memory = bool(latency), bool(memory)
    if has_latency and has_memory:
        return Outcome.ok("latency and memory are measured", sorted(latency | memory))
    if has_latency or has_memory:
        missing = "memory" if has_latency else "latency"
        return Outcome.warn(f"{missing} is not measured", sorted(latency | memory))
    return Outcome.problem("only quality metrics: no latency or memory measured", _training_cells(ctx))


def _benchmarked_registrations(ctx: CheckContext) -> list[int]:
    """Cells calling prodkit.register_model without benchmark=False: it measures p50/p95 latency and
    peak memory of the model it registers (what the registry records once it has run)."""
    cells = set()
    for f, call, resolved in ctx.calls():
        if resolved in ("prodkit.register_model", "prodkit.models.register_model") and not any(
                k.arg == "benchmark" and isinstance(k.value, ast.Constant) and not k.value.value
                for k in call.node.keywords):
            cells.add(f.cell.number)
    return sorted(cells)


@register_check("MOD-03", section="Model", reads_code=True, title="Slice metrics", severity="warn",
                fix="report the metric per important segment (df.groupby(segment).apply(metric) or "
                    "fairlearn MetricFrame)")
def slice_metrics(ctx: CheckContext) -> Outcome:
    if _no_training(ctx):
        return Outcome.not_applicable("no model trained in this notebook")
    cells = []
    for f in ctx.facts:
        names = [c.name for c in f.calls]
        grouped = any(n.endswith("groupby") for n in names)
        metric = any(_METRIC_CALLS.search(n) for n in names)
        if (grouped and metric) or any(_SLICE_NAMES.search(n) for n in f.names):
            cells.append(f.cell.number)
    if cells:
        return Outcome.ok("metrics are reported per slice", cells)
    return Outcome.problem("metrics only on the whole test set, not per slice", _training_cells(ctx))


@register_check("MOD-04", reads_state=True, section="Model", title="Registered model complete",
                fix="register it with prodkit.register_model(model, NAME, example=..., data=...)")
def registered_model_complete(ctx: CheckContext) -> Outcome:
    latest = latest_versions(ctx)
    if not latest:
        return Outcome.not_set_up("no registered model from this notebook",
                                  "`prodkit.register_model(model, NAME, example=X[:8], data=train_df)`")
    problems, ok = [], []
    for name, record in sorted(latest.items()):
        label = f"{name} v{record.latest_version}"
        missing = record.missing
        if not record.complete or missing:
            problems.append(f"{label} lacks {', '.join(map(str, missing)) or 'required records'}")
        elif parity_failed(record):
            problems.append(f"{label} failed export parity (max abs diff {record.parity.max_abs_diff})")
        else:
            ok.append(label)
    if problems:
        return Outcome.problem("; ".join(problems))
    return Outcome.ok(f"{', '.join(ok)}: signature, example, git sha and data hash recorded")


@register_check("MOD-05", reads_state=True, section="Model", title="Model card",
                fix="write it with `prodkit models card NAME` and fill in the sections it lists")
def model_card(ctx: CheckContext) -> Outcome:
    latest = latest_versions(ctx)
    if not latest:
        return Outcome.not_set_up("no registered model to describe",
                                  "`prodkit.register_model(...)`, then `prodkit models card NAME`")
    without = [f"{n} v{r.latest_version}" for n, r in sorted(latest.items()) if not r.has_card]
    if without:
        return Outcome.problem(f"no model card for {', '.join(without)}")
    unwritten = {n: list(r.card_todo) for n, r in sorted(latest.items()) if r.card_todo}
    if unwritten:
        return Outcome.warn("; ".join(f"model card of {n} has {len(todo)} unwritten section(s): {listed(todo)}"
                                      for n, todo in unwritten.items()),
                            fix="write those sections in model_cards/NAME.md (the TODO comments say what goes there)")
    return Outcome.ok(f"model card for {', '.join(sorted(latest))}, every section written")
