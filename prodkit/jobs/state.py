"""Read-only job state for other capabilities (readiness OPS-01, the side panel): no papermill."""

from __future__ import annotations

from pathlib import Path

from prodkit.config import Project
from prodkit.jobs.records import FINISHED, SUCCEEDED
from prodkit.records import JobStatus

OVERDUE_AFTER_S = 3600.0  # a due slot this late means no scheduler is running


def jobs_for_notebook(project: Project, notebook: Path | str) -> list[JobStatus]:
    """The notebook's jobs, each with `last_run` (newest run), `last_finished`, `healthy` and a `message`.

    Healthy: the newest finished run succeeded and the job is not overdue (a scheduler runs it).
    """
    from prodkit.jobs.api import open_store
    from prodkit.jobs.cron import utc_now

    if not project.jobs_store_exists:
        return []
    rel = project.relpath(Path(notebook))
    now = utc_now()
    rows = []
    with open_store(project) as store:
        for job in store.list_jobs():
            if job.notebook != rel:
                continue
            runs = store.history(job.name, limit=20)
            finished = next((r for r in runs if r.status in FINISHED), None)
            overdue = not job.paused and job.next_due is not None and now - job.next_due > OVERDUE_AFTER_S
            healthy = finished is not None and finished.status == SUCCEEDED and not overdue
            rows.append(JobStatus(**job.to_dict(), last_run=runs[0].to_record() if runs else None,
                                  last_finished=finished.to_record() if finished else None, overdue=overdue,
                                  healthy=healthy, message=_message(finished, overdue, job.paused),
                                  chain=_chain(job, runs[0] if runs else None)))
    return rows


def _chain(job, last) -> str:
    """The retrain loop as one line for the panel: what starts this job, and what its last run decided.

    `runs on drift in churn-daily · last: drift <- run 12: registered churn-clf v3 -> promoted @champion`
    """
    from prodkit.jobs.render import chain_text, trigger_text

    parts = []
    starts = [f"drift in {job.on_drift}"] * bool(job.on_drift) + [f"degraded in {job.on_degraded}"] * bool(job.on_degraded)
    if starts:
        parts.append("runs on " + " or ".join(starts))
    if last is not None and (last.triggered_by or chain_text(last)):
        decided = chain_text(last)
        parts.append(f"last: {trigger_text(last)}" + (f": {decided}" if decided else ""))
    return " · ".join(parts)


def _message(finished, overdue: bool, paused: bool) -> str:
    if finished is None:
        text = "never ran"
    else:
        text = f"last run {finished.run_id} {finished.status}"
        if finished.error:
            text += f": {finished.error.line()}"
    if overdue:
        text += "; overdue: no scheduler has run its last due slot (start `prodkit scheduler`)"
    if paused:
        text += "; paused"
    return text
