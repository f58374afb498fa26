"""One run's life in the store: queued -> running -> outcome, then a linked retry if the job allows."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

from prodkit.config import Project
from prodkit.jobs.execute import OnCell, RunOutcome, RunRequest, execute_run
from prodkit.jobs.records import RETRYABLE, TRIGGER_RETRY, JobSpec, StoredRun
from prodkit.jobs.store import JobStore


def output_path(project: Project, job: str, run_id: int) -> Path:
    return project.runs_dir / job / f"{run_id}.ipynb"


def notebook_path(project: Project, notebook: str) -> Path:
    path = Path(notebook)
    return path if path.is_absolute() else project.root / path


def build_request(project: Project, job: JobSpec, run: StoredRun) -> RunRequest:
    out = output_path(project, job.name, run.run_id)
    return RunRequest(
        run_id=run.run_id, job=job.name, notebook=str(notebook_path(project, run.notebook or job.notebook)),
        output_path=str(out), parameters=run.parameters, kernel=job.kernel, timeout_s=job.timeout_s,
        log_path=str(out.with_suffix(".log")), jobs_db=project.jobs_store, fail_on_drift=job.fail_on_drift,
    )


def start(store: JobStore, project: Project, job: JobSpec, run: StoredRun, owner: str, now: float) -> RunRequest | None:
    """Mark the run running (None when someone else started or finished it) and build its request."""
    request = build_request(project, job, run)
    if not store.mark_running(run.run_id, owner=owner, now=now, output_path=project.relpath(Path(request.output_path))):
        return None
    return request


def record(store: JobStore, job: JobSpec | None, run: StoredRun, outcome: RunOutcome, owner: str | None,
           now: float) -> int | None:
    """Store the outcome; queue the next attempt when it failed and retries remain. Returns its run id."""
    store.finish_run(run.run_id, status=outcome.status, ended_at=outcome.ended_at, error=outcome.error,
                     started_at=outcome.started_at, notebook_sha256=outcome.notebook_sha256)
    if job is None or outcome.status not in RETRYABLE or run.attempt > job.retries:
        return None
    backoff = job.retry_backoff_s * 2 ** (run.attempt - 1)
    return store.insert_run(
        job=run.job, scheduled_for=run.scheduled_for, trigger=TRIGGER_RETRY, parameters=run.parameters,
        notebook=run.notebook or job.notebook, owner=owner, now=now, attempt=run.attempt + 1,
        retry_of=run.retry_of or run.run_id, not_before=now + backoff)


def execute(store: JobStore, request: RunRequest, *, on_cell: OnCell | None = None,
            cancel: threading.Event | None = None) -> RunOutcome:
    """Execute in this process, recording the kernel's pid so a crash can be cleaned up, and a
    heartbeat while it runs: if this process dies, every reader shows the run `lost`."""
    def on_kernel(pid: int) -> None:
        store.set_run_fields(request.run_id, kernel_pid=pid)

    with heartbeat(store, request.run_id):
        return execute_run(request, on_cell=on_cell, on_kernel=on_kernel, cancel=cancel)


@contextmanager
def heartbeat(store: JobStore, run_id: int):
    """Write the run's heartbeat every quarter of the store's run lease (at most every 15 s) until the block ends."""
    import time

    from prodkit.errors import ProdkitError

    done = threading.Event()
    interval = min(15.0, store.run_lease_s / 4)

    def beat() -> None:
        while not done.wait(interval):
            try:
                if not store.beat(run_id, time.time()):
                    return  # finished (or cancelled) elsewhere
            except ProdkitError:  # busy or unreachable for a moment: the next beat retries
                continue

    thread = threading.Thread(target=beat, name=f"prodkit-heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)

