"""Jobs started by another job's verdict, and notifications when runs end.

`prodkit jobs add retrain nbs/train.ipynb --on-drift churn-daily`: every run of churn-daily whose
`prodkit.monitor.watch` found drift (or, with --on-degraded, whose `prodkit.monitor.outcomes`
said "degraded") queues one run of retrain, with `triggering_run` = that run's id among its
parameters (a paused job gets a cancelled run saying so, and a later resume does not start it). Exactly once: the store's unique index on (job, triggered_by) makes a second
scheduler's insert a no-op. The scheduler fires triggers on every tick, for runs that ended
within LOOKBACK_S wherever they ran (the scheduler, `prodkit jobs run`, a Dask worker).
"""

from __future__ import annotations

from collections.abc import Callable

from prodkit.jobs.records import FAILED, TIMED_OUT, RunError, StoredRun

TRIGGER_PARAM = "triggering_run"
LOOKBACK_S = 7 * 24 * 3600.0


def verdict_of(run: StoredRun, kind: str) -> bool:
    """Whether `run` carries the verdict `kind` ("drift" or "degraded")."""
    if kind == "drift":
        return bool((run.drift or {}).get("drift"))
    return run.degraded


def fire(store, owner: str | None, now: float, log: Callable[[str], None] = lambda line: None) -> list[int]:
    """Queue each job triggered by a finished run's verdict, once per triggering run; the new run ids."""
    queued = []
    for run, job in store.trigger_candidates(now - LOOKBACK_S):
        for kind, source in (("drift", job.on_drift), ("degraded", job.on_degraded)):
            if source != run.job or not verdict_of(run, kind):
                continue
            not_run = RunError(None, "JobPaused", f"{job.name} was paused when run {run.run_id} of {run.job} "
                                                  f"found {kind}") if job.paused else None
            run_id = store.insert_triggered_run(job=job, triggered_by=run.run_id, trigger=kind, owner=owner, now=now,
                                                parameters={**job.parameters, TRIGGER_PARAM: run.run_id},
                                                not_run=not_run)
            if run_id is not None and not_run is None:
                queued.append(run_id)
                log(f"run {run_id} ({job.name}) queued: {kind} in run {run.run_id} of {run.job}")
            elif run_id is not None:
                log(f"run {run_id} ({job.name}) not run: {not_run.evalue}")
            break
    return queued


def notify_run_end(project, run: StoredRun) -> None:
    """POST to notify_url when a run failed or its batch drifted (best effort, never raises)."""
    from prodkit.notify import notify

    fields = {"job": run.job, "run_id": run.run_id, "output": run.output_path}
    try:
        if run.status in (FAILED, TIMED_OUT):
            reason = run.error.line() if run.error else run.status
            notify(project, "run_failed", {**fields, "summary": f"run {run.run_id} of {run.job} {run.status}: {reason}"})
        drift = run.drift or {}
        if drift.get("drift"):
            notify(project, "drift", {**fields, "share": drift.get("share"), "report": drift.get("report"),
                                      "summary": f"drift in run {run.run_id} of {run.job} (report {drift.get('report')})"})
    except Exception:  # noqa: BLE001,S110 - a notification never breaks the scheduler
        pass
