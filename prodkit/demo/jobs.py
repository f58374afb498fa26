"""Demo step: the PoC notebook becomes a scheduled job; one run now, then its history."""

from __future__ import annotations

JOB_NAME = "churn-daily"


def demo_step(ctx) -> None:
    from prodkit.jobs.api import add_job, history, run_job
    from prodkit.jobs.render import CellProgress, history_table
    from prodkit.readiness.secrets import redact_uri

    console = ctx.console
    console.rule("[bold]jobs: the notebook as a scheduled papermill job")
    params = {"threshold": 0.6}  # the notebook's markdown promises this override
    added = add_job(JOB_NAME, ctx.notebook, "0 6 * * *", parameters=params, tz="Europe/London", retries=1,
                    retry_backoff_s=10, timeout_s=600, project=ctx.project, replace=True, allow_undeclared=True)
    job = added.job.to_dict()
    console.print(f"  scheduled {ctx.project.relpath(ctx.notebook)} as '{JOB_NAME}' at '{job['cron']}' ({job['tz']}) "
                  f"with {params}, next run {job['next_due']}", highlight=False)
    for warning in added.warnings:
        console.print(f"  [yellow]warning:[/] {warning}", highlight=False)
    console.print(f"  running it once now (what `prodkit jobs run {JOB_NAME}` does):")
    with CellProgress(console, JOB_NAME) as progress:
        attempts = run_job(JOB_NAME, project=ctx.project, on_cell=progress, log=console.print)
    last = attempts[-1]
    took = f"{last.duration_s:.1f} s" if last.duration_s is not None else "?"
    console.print(f"  run {last.run_id}: {last.status} in {took}"
                  + (f" — {last.error.line()}" if last.error else ""), highlight=False)
    console.print(history_table(history(JOB_NAME, project=ctx.project, limit=5), title=f"history of {JOB_NAME}"))
    ctx.facts.update(job_name=JOB_NAME, job_run=last.to_dict())
    if last.output_path:
        ctx.where.append(("job run output", last.output_path))
    ctx.where.append(("job store", redact_uri(ctx.project.jobs_store)))
