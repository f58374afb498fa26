"""Scheduled papermill jobs: job specs, a SQLite store, a cron scheduler, local and Dask backends.

Nothing heavy is imported here; papermill, nbformat and distributed load when a run starts.
"""

from prodkit.jobs.api import (
    add_job,
    history,
    list_jobs,
    pause_job,
    queue_run,
    remove_job,
    resume_job,
    run_job,
    show_run,
    validate_job,
)
from prodkit.jobs.model import JobSpec, RunError, RunRecord
from prodkit.jobs.scheduler import Scheduler
from prodkit.jobs.store import JobStore

__all__ = ["add_job", "history", "list_jobs", "pause_job", "queue_run", "remove_job", "resume_job", "run_job",
           "show_run", "validate_job", "JobSpec", "RunError", "RunRecord", "Scheduler", "JobStore"]
