"""Scheduled papermill jobs: job specs, a job store (SQLite or PostgreSQL), a cron scheduler, local and
Dask backends.

Importing this package imports nothing: the names below resolve on first use, so a module that
only needs `prodkit.jobs.records` does not pay for the store, the scheduler or papermill.
"""

from __future__ import annotations

from prodkit._lazy import lazy_exports

_EXPORTS = {
    **{name: "prodkit.jobs.api" for name in ("add_job", "history", "list_jobs", "pause_job", "queue_run",
                                              "remove_job", "resume_job", "run_job", "show_run", "validate_job")},
    **{name: "prodkit.jobs.records" for name in ("JobSpec", "RunError", "StoredRun")},
    "Scheduler": "prodkit.jobs.scheduler",
    "JobStore": "prodkit.jobs.store",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
