"""Inside a scheduled run's kernel: which run this is, and a way to attach artifacts to it.

The runner starts each kernel with PRODKIT_RUN_ID, PRODKIT_JOB, PRODKIT_RUN_OUTPUT,
PRODKIT_JOBS_DB, PRODKIT_NOTEBOOK and PRODKIT_FAIL_ON_DRIFT in its environment; outside a run
`current_run()` is None.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_RUN_ID, ENV_JOB, ENV_OUTPUT, ENV_DB = "PRODKIT_RUN_ID", "PRODKIT_JOB", "PRODKIT_RUN_OUTPUT", "PRODKIT_JOBS_DB"
ENV_FAIL_ON_DRIFT = "PRODKIT_FAIL_ON_DRIFT"  # read by prodkit.monitor.watch
ENV_ARTIFACTS_FILE = "PRODKIT_ARTIFACTS_FILE"  # portable (Dask) runs: artifacts go here, not to a store


@dataclass(frozen=True)
class RunContext:
    run_id: int
    job: str
    output_path: str  # absolute path of this run's output notebook
    jobs_db: str
    fail_on_drift: bool = False  # the job's --fail-on-drift (PRODKIT_FAIL_ON_DRIFT=1)

    @property
    def run_dir(self) -> Path:
        return Path(self.output_path).parent


def run_environment(request) -> dict[str, str]:
    """The kernel's environment additions for a `RunRequest`."""
    return {ENV_RUN_ID: str(request.run_id), ENV_JOB: request.job, ENV_OUTPUT: str(request.output_path),
            ENV_DB: request.jobs_db or "",
            # the source notebook, for `%prodkit` magics and unnamed `%%promote` cells (prodkit.magics)
            "PRODKIT_NOTEBOOK": str(request.notebook),
            # "0" rather than absent, so a value in the scheduler's own environment never leaks into a run
            ENV_FAIL_ON_DRIFT: "1" if getattr(request, "fail_on_drift", False) else "0",
            ENV_ARTIFACTS_FILE: ""}  # portable runs set it through the request's extra_env


def current_run() -> RunContext | None:
    """The run this kernel executes, or None in an interactive session."""
    run_id = os.environ.get(ENV_RUN_ID, "")
    if not run_id.isdigit():
        return None
    return RunContext(int(run_id), os.environ.get(ENV_JOB, ""), os.environ.get(ENV_OUTPUT, ""),
                      os.environ.get(ENV_DB, ""),
                      fail_on_drift=os.environ.get(ENV_FAIL_ON_DRIFT, "").strip().lower() in ("1", "true", "yes", "on"))


def record_run_artifact(kind: str, path: str, summary: dict[str, Any] | None = None) -> bool:
    """Attach a file (e.g. a drift report) and its summary to the current run; False outside a run."""
    from prodkit.jobs.cron import utc_now
    from prodkit.jobs.records import iso
    from prodkit.jobs.store import JobStore

    run = current_run()
    if run is None:
        return False
    artifact = {"kind": kind, "path": str(path), "summary": summary or {}, "recorded_at": iso(utc_now())}
    if os.environ.get(ENV_ARTIFACTS_FILE):  # a portable run (Dask): the submitter stores it
        with open(os.environ[ENV_ARTIFACTS_FILE], "a", encoding="utf-8") as f:
            f.write(json.dumps(artifact, default=str) + "\n")
        return True
    if not run.jobs_db:
        return False
    with JobStore(run.jobs_db) as store:
        store.add_artifact(run.run_id, artifact)
    return True
