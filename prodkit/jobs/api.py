"""What users call (CLI, magics, Python): define jobs, run them now, read their history."""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prodkit.config import Project, load_project
from prodkit.errors import BadInput
from prodkit.jobs import runner
from prodkit.jobs.cron import next_slot, utc_now, validate_cron, zone
from prodkit.jobs.execute import OnCell
from prodkit.jobs.params import check_json_values, check_parameters
from prodkit.jobs.records import CANCELLED, CATCH_UP_POLICIES, TRIGGER_MANUAL, JobSpec, RunError, StoredRun
from prodkit.jobs.store import JobStore, Owner
from prodkit.notebook import read_notebook

_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass
class AddedJob:
    job: JobSpec
    store: str
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.job.to_dict(), "store": self.store, "warnings": self.warnings}


def open_store(project: Project) -> JobStore:
    """The project's job store (SQLite file or PostgreSQL, per `Project.jobs_store`)."""
    return JobStore(project.jobs_store, root=project.root, run_lease_s=run_lease(project))


def run_lease(project: Project) -> float | None:
    """`run_lease_s` in settings.ini: seconds without a heartbeat after which a running run reads as lost."""
    value = (project.settings.get("run_lease_s") or "").strip()
    if not value:
        return None
    try:
        lease = float(value)
    except ValueError:
        lease = -1.0
    if not (math.isfinite(lease) and lease > 0):
        raise BadInput(f"run_lease_s = {value!r} is not a positive number of seconds",
                       path=str(project.root / "settings.ini"), fix="set e.g. run_lease_s = 60, or remove it")
    return lease


def _read_store(project: Project) -> JobStore:
    """The store for a read-only command: a project without jobs gets no store created."""
    empty = BadInput("no jobs in this project yet", path=str(project.root),
                     fix="add one with `prodkit jobs add NAME NOTEBOOK --cron ...` (or pass --project)")
    if not project.jobs_store_exists:
        raise empty
    store = open_store(project)
    if store.backend != "sqlite" and store.is_empty():  # a server store exists before its first job
        store.close()
        raise empty
    return store


def check_kernel(name: str, notebook: Path) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        known = sorted(KernelSpecManager().find_kernel_specs())
        raise BadInput(f"kernel {name!r} is not installed (installed: {', '.join(known) or 'none'})",
                       path=str(notebook),
                       fix=f"install it (e.g. `python -m ipykernel install --user --name {name}`) or pass --kernel") from None


def validate_job(name: str, notebook: Path | str, cron: str | None, *, parameters: dict[str, Any] | None = None,
                 tz: str = "UTC", kernel: str | None = None, timeout_s: float | None = None, retries: int = 0,
                 retry_backoff_s: float = 60.0, catch_up: str = "once", fail_on_drift: bool = False,
                 allow_undeclared: bool = False, on_drift: str | None = None, on_degraded: str | None = None,
                 project: Project | None = None) -> tuple[JobSpec, Project, list[str]]:
    """Check everything a job needs before anything is stored; bad input raises BadInput.

    A job without a cron ("" or None) is never scheduled: it runs when triggered (on_drift /
    on_degraded name other jobs) or, without triggers, only when asked (manual-only)."""
    if not _JOB_NAME.match(name or ""):
        raise BadInput(f"job name {name!r} is not usable", fix="use letters, digits, '.', '_' and '-', like churn-daily")
    for source in (on_drift, on_degraded):
        if source is not None and (not _JOB_NAME.match(source) or source == name):
            raise BadInput(f"--on-drift/--on-degraded {source!r} must name another job", fix="e.g. --on-drift churn-daily")
    nb = read_notebook(notebook)
    project = project or load_project(nb.path)
    zone(tz)
    if cron:
        cron = validate_cron(cron)
        _check_fires(cron, tz)
    else:
        cron = ""  # triggered or manual-only: never scheduled
    params = check_json_values(dict(parameters or {}))
    warnings = check_parameters(nb, params, allow_undeclared=allow_undeclared)
    kernel = kernel or nb.kernel_name or "python3"
    check_kernel(kernel, nb.path)
    if timeout_s is not None and not (math.isfinite(timeout_s) and timeout_s > 0):
        raise BadInput(f"timeout {timeout_s:g} s must be a positive number", fix="pass --timeout SECONDS (> 0), or omit it")
    if not math.isfinite(retry_backoff_s):
        raise BadInput(f"retry backoff {retry_backoff_s:g} s is not a number of seconds",
                       fix="pass --retry-backoff SECONDS (0 or more)")
    if retries < 0 or retry_backoff_s < 0:
        raise BadInput("retries and retry backoff cannot be negative", fix="pass --retries 0 or more")
    if catch_up not in CATCH_UP_POLICIES:
        raise BadInput(f"unknown catch-up policy {catch_up!r}", fix=f"use one of: {', '.join(CATCH_UP_POLICIES)}")
    job = JobSpec(name=name, notebook=project.relpath(nb.path), cron=cron, tz=tz, parameters=params, kernel=kernel,
                  timeout_s=timeout_s, retries=retries, retry_backoff_s=retry_backoff_s, catch_up=catch_up,
                  fail_on_drift=bool(fail_on_drift), on_drift=on_drift, on_degraded=on_degraded)
    return job, project, warnings


def _check_fires(cron: str, tz: str) -> None:
    """A valid expression can still name no real date (`0 6 30 2 *`): croniter then gives up."""
    from croniter import CroniterBadDateError

    try:
        next_slot(cron, tz, utc_now())
    except CroniterBadDateError:
        raise BadInput(f"cron {cron!r} never fires (no date matches it)",
                       fix="check the day and month fields, e.g. --cron \"0 6 28 2 *\"") from None


def add_job(name: str, notebook: Path | str, cron: str | None, *, replace: bool = False, now: float | None = None,
            **options: Any) -> AddedJob:
    """Validate and store a job; it first runs at its next cron slot after now (without a cron: never scheduled)."""
    job, project, warnings = validate_job(name, notebook, cron, **options)
    now = utc_now() if now is None else now
    job.created_at, job.next_due = now, next_slot(job.cron, job.tz, now) if job.cron else None
    with open_store(project) as store:
        store.add_job(job, now=now, next_due=job.next_due, replace=replace)
    return AddedJob(job=job, store=str(store.path), warnings=warnings)


def after_run(project: Project, run: StoredRun) -> None:
    """Notifications for a finished run (failure, drift); triggered jobs start from the scheduler."""
    from prodkit.jobs.triggers import notify_run_end

    notify_run_end(project, run)


def run_job(name: str, *, project: Project | None = None, parameters: dict[str, Any] | None = None,
            on_cell: OnCell | None = None, retries: bool = True, log=None,
            cancel: threading.Event | None = None) -> list[StoredRun]:
    """Run a job once now, in this process, recorded like any run; retries per the job. All attempts."""
    project = project or load_project()
    log = log or (lambda line: None)
    with _read_store(project) as store:
        job = store.get_job(name)
        params = {**job.parameters, **check_json_values(dict(parameters or {}))}
        if parameters:
            check_parameters(read_notebook(runner.notebook_path(project, job.notebook)), dict(parameters))
        owner = str(Owner.current())
        now = utc_now()
        run_id = store.insert_run(job=name, scheduled_for=now, trigger=TRIGGER_MANUAL, parameters=params,
                                  notebook=job.notebook, owner=owner, now=now)
        attempts: list[StoredRun] = []
        while run_id is not None:
            run = store.get_run(run_id)
            request = runner.start(store, project, job, run, owner, utc_now())
            if request is None:
                break
            try:
                outcome = runner.execute(store, request, on_cell=on_cell, cancel=cancel)
            except KeyboardInterrupt:  # Ctrl-C in `prodkit jobs run`: the run is cancelled, not lost
                store.finish_run(run.run_id, status=CANCELLED, ended_at=utc_now(),
                                 error=RunError(None, "Cancelled", "interrupted (Ctrl-C)"))
                raise
            run_id = runner.record(store, job if retries else None, run, outcome, owner, utc_now())
            attempts.append(store.get_run(run.run_id))
            after_run(project, attempts[-1])
            if run_id is not None:
                wait = store.get_run(run_id).not_before - utc_now()
                log(f"attempt {run.attempt} {outcome.status}; retrying in {max(wait, 0):.1f} s")
                try:
                    time.sleep(max(0.0, wait))
                except KeyboardInterrupt:  # Ctrl-C while waiting: the queued retry is cancelled, not left to a scheduler
                    store.finish_run(run_id, status=CANCELLED, ended_at=utc_now(),
                                     error=RunError(None, "Cancelled", "interrupted (Ctrl-C) before this retry started"))
                    raise
        return attempts


def job_for_run_now(notebook: Path | str, *, project: Project | None = None) -> tuple[str, bool]:
    """The job "Run now" runs for a notebook: its first job, else a new manual-only one (no cron,
    never scheduled) named by the default rule with `-manual`. Returns (name, created)."""
    from prodkit.jobs.names import default_job_name

    nb = read_notebook(notebook)
    project = project or load_project(nb.path)
    if project.jobs_store_exists:
        rel = project.relpath(nb.path)
        with open_store(project) as store:
            mine = next((job.name for job in store.list_jobs() if job.notebook == rel), None)
        if mine is not None:
            return mine, False
    name = default_job_name(project, nb.path, "-manual")
    add_job(name, nb.path, None, project=project)
    return name, True


def is_manual_only(job: JobSpec | dict[str, Any]) -> bool:
    """No cron and no trigger: the job runs only when asked (`prodkit jobs run`, the panel's Run now)."""
    get = job.get if isinstance(job, dict) else lambda key: getattr(job, key)
    return not (get("cron") or get("on_drift") or get("on_degraded"))


def queue_run(name: str, *, project: Project | None = None, parameters: dict[str, Any] | None = None) -> int:
    """Queue a run for the next scheduler (any backend); returns its run id."""
    project = project or load_project()
    with _read_store(project) as store:
        job = store.get_job(name)
        overrides = check_json_values(dict(parameters or {}))
        if overrides:
            check_parameters(read_notebook(runner.notebook_path(project, job.notebook)), overrides)
        now = utc_now()
        run_id = store.insert_run(job=name, scheduled_for=now, trigger=TRIGGER_MANUAL,
                                  parameters={**job.parameters, **overrides},
                                  notebook=job.notebook, owner=None, now=now)
        assert run_id is not None
        return run_id


def get_job(name: str, *, project: Project | None = None) -> JobSpec:
    with _read_store(project or load_project()) as store:
        return store.get_job(name)


def list_jobs(project: Project | None = None) -> list[dict[str, Any]]:
    """Each job with its last run."""
    project = project or load_project()
    if not project.jobs_store_exists:
        return []
    with open_store(project) as store:
        last = store.last_runs()
        return [{**job.to_dict(), "last_run": last[job.name].to_dict() if job.name in last else None}
                for job in store.list_jobs()]


def history(name: str | None = None, *, project: Project | None = None, limit: int = 50) -> list[StoredRun]:
    project = project or load_project()
    if name is None and not project.jobs_store_exists:
        return []
    with _read_store(project) as store:
        runs = store.history(name, limit)
        if name is not None and not runs:
            store.get_job(name)  # unknown name: say so (a removed job keeps its history)
        return runs


def show_run(run_id: int, *, project: Project | None = None) -> StoredRun:
    project = project or load_project()
    with _read_store(project) as store:
        return store.get_run(run_id)


def pause_job(name: str, *, project: Project | None = None) -> None:
    project = project or load_project()
    with _read_store(project) as store:
        store.set_paused(name, True, now=utc_now())


def resume_job(name: str, *, project: Project | None = None) -> JobSpec:
    """Resume from now: slots that passed while paused are skipped, not caught up."""
    project = project or load_project()
    with _read_store(project) as store:
        job = store.get_job(name)
        now = utc_now()
        store.set_paused(name, False, now=now, next_due=next_slot(job.cron, job.tz, now) if job.cron else None)
        return store.get_job(name)


def remove_job(name: str, *, project: Project | None = None) -> int:
    project = project or load_project()
    with _read_store(project) as store:
        return store.remove_job(name)
