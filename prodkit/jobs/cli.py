"""`prodkit jobs ...` and `prodkit scheduler`."""

from __future__ import annotations

from pathlib import Path

import typer

from prodkit._cli_support import err, handle_errors, in_notebook, out, print_json, print_result, shown

jobs_app = typer.Typer(help="Scheduled papermill jobs: define, run now, pause, and read run history.",
                       no_args_is_help=True, rich_markup_mode=None)

PROJECT_OPT = typer.Option(Path("."), "--project", help="Project folder (default: the one around the cwd).")


def _project(path: Path):
    from prodkit.config import load_project

    return load_project(path)


@jobs_app.command("add")
@handle_errors
def add(
    name: str = typer.Argument(..., help="Job name (letters, digits, '.', '_', '-')."),
    notebook: Path = typer.Argument(..., help="The notebook to run."),
    cron: str = typer.Option(None, "--cron", help='Five-field cron expression, e.g. "0 6 * * *" '
                             "(without it: a manual-only job, or one --on-drift/--on-degraded start)."),
    param: list[str] = typer.Option(None, "-p", "--param", help="Parameter KEY=VALUE (JSON values; repeatable)."),
    timeout: float = typer.Option(None, "--timeout", help="Seconds the notebook's cells may run in total."),
    retries: int = typer.Option(0, "--retries", help="Extra attempts after a failure or timeout."),
    retry_backoff: float = typer.Option(60.0, "--retry-backoff", help="Seconds before the first retry; doubles each time."),
    tz: str = typer.Option("UTC", "--tz", help="IANA timezone the cron expression is read in."),
    catch_up: str = typer.Option("once", "--catch-up", help="Slots missed while no scheduler ran: once | all | none."),
    kernel: str = typer.Option(None, "--kernel", help="Kernel name (default: the notebook's)."),
    fail_on_drift: bool = typer.Option(False, "--fail-on-drift",
                                       help="A run whose prodkit.monitor.watch() finds drift fails (default: only flag it)."),
    allow_undeclared: bool = typer.Option(False, "--allow-undeclared", help="Accept parameters the notebook does not declare (warn)."),
    replace: bool = typer.Option(False, "--replace", help="Replace a job of the same name."),
    on_drift: str = typer.Option(None, "--on-drift", help="Run once per run of JOB whose watch() found drift."),
    on_degraded: str = typer.Option(None, "--on-degraded",
                                    help="Run once per run of JOB whose monitor.outcomes() said degraded."),
    auto_gate: bool = typer.Option(False, "--auto-gate",
                                   help="Pass auto_gate=True: register_candidate() then moves the alias through the gate."),
    auto_promote: bool = typer.Option(False, "--auto-promote", hidden=True,
                                      help="Deprecated: passes auto_promote=True (notebooks written for it); use --auto-gate."),
    json_out: bool = typer.Option(False, "--json", help="Print the stored job as JSON."),
):
    """Add a notebook as a papermill job: on a cron schedule, triggered, or manual-only (validated; nothing is stored on bad input)."""
    from prodkit.jobs.api import add_job, is_manual_only
    from prodkit.jobs.params import parse_param_args

    if name is None:  # `%prodkit schedule` without --name
        from prodkit.jobs.names import default_job_name

        name = default_job_name(_project(notebook), notebook)
    parameters = parse_param_args(param)
    if auto_gate:
        parameters["auto_gate"] = True
    if auto_promote:
        err.print("note: --auto-promote is now --auto-gate (parameter auto_gate); passing auto_promote=True as before",
                  highlight=False, markup=False)
        parameters["auto_promote"] = True
    added = add_job(name, notebook, cron, parameters=parameters, tz=tz, kernel=kernel, timeout_s=timeout,
                    retries=retries, retry_backoff_s=retry_backoff, catch_up=catch_up, fail_on_drift=fail_on_drift,
                    allow_undeclared=allow_undeclared, replace=replace, on_drift=on_drift, on_degraded=on_degraded)
    for warning in added.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if json_out:
        return print_json(added.to_dict())
    job = added.to_dict()
    manual = is_manual_only(added.job)
    when = (f"manual only (no cron: never scheduled; run it with `prodkit jobs run {name}`)" if manual
            else f"at '{job['cron']}' ({job['tz']}), next run {job['next_due']}" if job["cron"] else "triggered only")
    triggers = [f"on drift in {on_drift}"] * bool(on_drift) + [f"on degraded outcomes of {on_degraded}"] * bool(on_degraded)
    out.print(f"added job [bold]{name}[/]: {job['notebook']} {when}"
              + (f"; runs {' and '.join(triggers)}" if triggers else "")
              + ("; runs fail on drift" if job["fail_on_drift"] else ""), highlight=False)
    if not manual:
        out.print(f"  store {added.store}; start `prodkit scheduler` to run it on schedule, or `prodkit jobs run {name}` now",
                  highlight=False)
    else:
        out.print(f"  store {added.store}", highlight=False)
    return _notebook_view(_project(notebook), [])


def _notebook_view(project, runs: list):
    """Under `%prodkit`: the project's jobs (and `runs`) as HTML tables; None in the CLI."""
    if not in_notebook():
        return None
    from prodkit.jobs.api import list_jobs
    from prodkit.jobs.magic import JobsView

    return JobsView(list_jobs(project), runs)


@jobs_app.command("list")
@handle_errors
def list_(project: Path = PROJECT_OPT, json_out: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Jobs with their schedule, next due time and last run."""
    from prodkit.jobs.api import list_jobs
    from prodkit.jobs.magic import JobsView

    rows = list_jobs(_project(project))
    if in_notebook():
        return _notebook_view(_project(project), [])
    if json_out:
        return print_json(rows)
    out.print(JobsView(rows, None))


@jobs_app.command("history")
@handle_errors
def history(
    name: str = typer.Argument(None, help="Job name (default: all jobs)."),
    limit: int = typer.Option(50, "--limit", "-n", help="How many runs, newest first."),
    project: Path = PROJECT_OPT,
    json_out: bool = typer.Option(False, "--json", help="Print JSON rows."),
):
    """Runs of a job, newest first: status, drift verdict, times, output notebook, error."""
    from prodkit.jobs.api import history as get_history
    from prodkit.jobs.magic import JobsView

    runs = get_history(name, project=_project(project), limit=limit)
    if in_notebook():
        return _notebook_view(_project(project), runs)
    if json_out:
        return print_json([r.to_dict() for r in runs])
    out.print(JobsView(None, runs, f"runs of {name}" if name else "runs"))


@jobs_app.command("show")
@handle_errors
def show(run_id: int = typer.Argument(..., help="Run id (from `jobs history`)."), project: Path = PROJECT_OPT,
         json_out: bool = typer.Option(False, "--json", help="Print JSON.")):
    """One run in full, with the path of its drift report when it watched a batch."""
    from prodkit.jobs.api import show_run
    from prodkit.jobs.render import RunDetail

    detail = RunDetail(show_run(run_id, project=_project(project)))
    return shown(detail, lambda d: print_result(d, json_out))


@jobs_app.command("pause")
@handle_errors
def pause(name: str = typer.Argument(..., help="Job name."), project: Path = PROJECT_OPT):
    """Stop scheduling a job (runs in progress finish)."""
    from prodkit.jobs.api import pause_job

    pause_job(name, project=_project(project))
    out.print(f"paused {name}")


@jobs_app.command("resume")
@handle_errors
def resume(name: str = typer.Argument(..., help="Job name."), project: Path = PROJECT_OPT):
    """Schedule a paused job again, from now (slots passed while paused are skipped)."""
    from prodkit.jobs.api import resume_job
    from prodkit.jobs.records import iso

    job = resume_job(name, project=_project(project))
    out.print(f"resumed {name}; next run {iso(job.next_due)}")


@jobs_app.command("remove")
@handle_errors
def remove(name: str = typer.Argument(..., help="Job name."), project: Path = PROJECT_OPT):
    """Delete a job definition; its run history and output notebooks are kept."""
    from prodkit.jobs.api import remove_job

    dropped = remove_job(name, project=_project(project))
    out.print(f"removed {name}" + (f" ({dropped} queued run(s) dropped)" if dropped else "") + "; history kept")


@jobs_app.command("repair")
@handle_errors
def repair(project: Path = PROJECT_OPT, json_out: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Back up a damaged job store beside it, then keep every readable job and run in a new one."""
    from prodkit.jobs.repair import repair_store

    report = repair_store(_project(project))
    if json_out:
        return print_json(report.to_dict())
    if report.damaged is None:
        return out.print(f"the job store {report.store} is not damaged; nothing to do", highlight=False)
    kept = ", ".join(f"{n} {t}" for t, n in report.kept.items()) or "nothing"
    skipped = sum(report.skipped.values())
    out.print(f"job store {report.store} was damaged ({report.damaged}); backup: {report.backup}", highlight=False)
    out.print(f"  kept {kept}" + (f"; skipped {skipped} row(s) that were not readable" if skipped else "")
              + "; anything not kept is still in the backup", highlight=False)
    for note in report.notes:
        out.print(f"  {note}", highlight=False)


@jobs_app.command("run")
@handle_errors
def run(
    name: str = typer.Argument(..., help="Job name."),
    param: list[str] = typer.Option(None, "-p", "--param", help="Override a parameter KEY=VALUE (repeatable)."),
    queue: bool = typer.Option(False, "--queue", help="Queue it for the scheduler instead of running here."),
    no_retries: bool = typer.Option(False, "--no-retries", help="One attempt, whatever the job's retries."),
    project: Path = PROJECT_OPT,
    json_out: bool = typer.Option(False, "--json", help="Print the run(s) as JSON, no progress."),
):
    """Run a job once, now, with live per-cell progress; exit 1 if it does not succeed."""
    from prodkit.jobs.api import get_job, queue_run, run_job
    from prodkit.jobs.params import parse_param_args
    from prodkit.jobs.render import CellProgress, RunDetail

    params = parse_param_args(param)
    proj = _project(project)
    get_job(name, project=proj)  # an unknown name fails before any progress is drawn
    if queue:
        run_id = queue_run(name, project=proj, parameters=params)
        return print_json({"run_id": run_id}) if json_out else out.print(f"queued run {run_id} of {name}")
    if json_out:
        attempts = run_job(name, project=proj, parameters=params, retries=not no_retries)
        print_json([r.to_dict() for r in attempts])
    else:
        with CellProgress(err, name) as progress:
            attempts = run_job(name, project=proj, parameters=params, on_cell=progress, retries=not no_retries,
                               log=lambda line: err.print(line))
        for attempt in attempts:
            out.print(RunDetail(attempt))
    if not attempts or attempts[-1].status != "succeeded":
        raise typer.Exit(1)


@handle_errors
def scheduler(
    once: bool = typer.Option(False, "--once", help="Run whatever is due now, wait for it, and exit."),
    backend: str = typer.Option("local", "--backend", help="Where runs execute: local | dask | claim-only (record runs, execute nothing)."),
    address: str = typer.Option(None, "--address", help="Dask scheduler, tcp://HOST:PORT (default: start a LocalCluster)."),
    concurrency: int = typer.Option(None, "--concurrency", help="Parallel runs (default: settings.ini max_concurrency, else CPU cores)."),
    poll: float = typer.Option(5.0, "--poll", help="Seconds between checks for due slots."),
    claim_batch: int = typer.Option(1000, "--claim-batch", help="Due jobs claimed per store transaction."),
    project: Path = PROJECT_OPT,
):
    """Run the embedded scheduler in the foreground (Ctrl-C: finish running notebooks; twice: cancel them)."""
    from prodkit.jobs.scheduler import Scheduler

    def log(line: str) -> None:
        from datetime import datetime

        err.print(f"[dim]{datetime.now():%H:%M:%S}[/] {line}", highlight=False)

    sched = Scheduler(_project(project), backend=backend, address=address, concurrency=concurrency, poll_s=poll, log=log,
                      claim_batch=claim_batch)
    if once:
        sched.connect()
        report = sched.run_once()
        log(f"done: {len(report.claimed)} slot(s) claimed, {len(report.started)} run(s) executed, "
            f"{len(report.lost)} marked lost")
    else:
        sched.run()


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")
    app.command("scheduler")(scheduler)
