"""Demo step 5: the drift verdict of the scheduled run, against the model's training data.

When the scheduled run watched its batch (`prodkit.monitor.watch(scored_batch, model=...)` in
the notebook), its verdict and report are shown. Otherwise a batch shifted from the reference
is watched here, so the step always ends with a real verdict and an HTML report.
"""

from __future__ import annotations

DEFAULT_MODEL = "churn-clf"
RUN_FACTS = ("job_run_id", "run_id", "last_run_id")


def _run_record(project, name: str, run_id: str | None) -> dict | None:
    """The history record of the scheduled run (that run, else the latest run with drift)."""
    from prodkit.monitor.state import history

    records = [r for r in history(project, name) if r.get("run_id") and r.get("drift")]
    matching = [r for r in records if str(r.get("run_id")) == str(run_id)] if run_id is not None else []
    return (matching or records or [None])[-1]


def _synthetic_reference(rows: int = 2000):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame({"tenure": rng.integers(0, 72, rows), "monthly_charges": rng.normal(70, 20, rows),
                         "support_calls": rng.poisson(1.5, rows),
                         "plan": rng.choice(["basic", "plus", "premium"], rows, p=[0.5, 0.3, 0.2])})


def shifted_batch(reference, seed: int = 1):
    """A batch drawn from the reference with half of its numeric columns shifted by one std."""
    import numpy as np

    rng = np.random.default_rng(seed)
    batch = reference.sample(n=min(len(reference), 1000), random_state=seed).reset_index(drop=True)
    numeric = [c for c in batch.columns if batch[c].dtype.kind in "if" and batch[c].dtype.kind != "b"]
    for col in numeric[: max(1, (len(numeric) + 1) // 2)]:
        std = float(reference[col].std()) or 1.0
        batch[col] = batch[col].astype("float64") + std + rng.normal(0, 0.1 * std, len(batch))
    return batch


def demo_step(ctx) -> None:
    from prodkit.monitor.store import load_reference, monitor_dir
    from prodkit.monitor.watcher import set_reference, watch

    ctx.console.rule("5. monitor: data contract and drift of the scheduled run")
    project = ctx.project
    name = ctx.facts.get("model_name", DEFAULT_MODEL)
    run_id = next((ctx.facts[k] for k in RUN_FACTS if ctx.facts.get(k)), None)
    if run_id is None and isinstance(ctx.facts.get("job_run"), dict):  # the jobs step's last run
        run_id = ctx.facts["job_run"].get("run_id")
    record = _run_record(project, name, run_id)
    if record is not None:
        d, v = record["drift"], record["validation"]
        verdict = "[bold red]DRIFT[/]" if d["drift"] else "[bold green]no drift[/]"
        contract = "met" if v["ok"] else f"broken ({v['errors']} errors)"
        ctx.console.print(f"scheduled run {record['run_id']}: {verdict} — {len(d['drifted'])} of {d['columns']} "
                          f"columns drifted (share {d['share']:.2f}); contract {contract}", highlight=False)
        if d.get("report"):
            ctx.where.append(("drift report (run)", d["report"]))
        ctx.facts["drift"] = d["drift"]
        return
    reference, source = load_reference(project, name)
    if reference is None:
        reference = _synthetic_reference()
        set_reference(name, reference, project=project)
        source = "a synthetic churn sample (no model reference found)"
    ctx.console.print(f"no scheduled run watched {name} yet: watching a shifted batch against {source}",
                      highlight=False)
    result = watch(shifted_batch(reference), model=name, drift=True, project=project)
    d = result.drift
    verdict = "[bold red]DRIFT[/]" if d.drift else "[bold green]no drift[/]"
    ctx.console.print(f"{verdict} — {d.summary()}", highlight=False)
    for c in sorted(d.columns.values(), key=lambda c: (not c.drift, c.column)):
        ctx.console.print(f"  {c.column:<20} {c.method:<32} score {c.score:8.4f}  {'drift' if c.drift else 'ok'}",
                          highlight=False)
    ctx.console.print(f"contract: {result.validation.summary()}", highlight=False)
    ctx.facts["drift"] = d.drift
    ctx.where.append(("drift report", d.report))
    ctx.where.append(("data contract", result.contract))
    ctx.where.append(("monitor history", project.relpath(monitor_dir(project, name) / "history.jsonl")))
