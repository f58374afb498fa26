"""The panel's data, read from the capabilities that compute it (the panel computes nothing).

Each section is `{"available": True, "data": ...}`, `data` being the capability's record
(`prodkit.records`) as `model_dump(mode="json")`; an expected error (bad notebook, unreachable
tracking server) gives `{"available": True, "error": "one line"}`. (`available` stays for the
panel's envelope: every capability is in the wheel.) Capabilities are imported inside the
function that needs it, so starting the server stays light.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodkit.errors import ProdkitError

if TYPE_CHECKING:
    from prodkit.records import ScheduledJob

log = logging.getLogger("prodkit.server")


def readiness(notebook: Path, project=None, hook_answers: dict | None = None) -> dict:
    """Exactly what `prodkit check NB --json` prints for this notebook.

    `hook_answers`: state-hook answers this refresh already has (see `status`), not asked again.
    """
    from prodkit.readiness import check_notebook
    from prodkit.records import ReadinessResult

    result = check_notebook(notebook, project=project, hook_answers=hook_answers)
    # exclude_unset: exactly the keys `prodkit check --json` prints
    return ReadinessResult.model_validate(result.to_dict()).model_dump(mode="json", exclude_unset=True)


def promote_status(notebook: Path, project=None):
    """The notebook's `PromoteStatus`."""
    from prodkit.promote.status import promote_status as status_of

    return status_of(project or _project(notebook), notebook)


def jobs(notebook: Path, project=None):
    """The notebook's jobs with their last runs and health (`JobStatus` records)."""
    from prodkit.jobs.state import jobs_for_notebook

    return jobs_for_notebook(project or _project(notebook), notebook)


def models(notebook: Path, project=None):
    """The models registered from the notebook (`ModelStatus` records)."""
    from prodkit.models.state import models_for_notebook

    return models_for_notebook(project or _project(notebook), notebook)


def _project(notebook: Path):
    from prodkit.config import load_project

    return load_project(notebook)


SECTIONS: dict[str, Callable[..., Any]] = {
    "readiness": readiness,
    "promote": promote_status,
    "jobs": jobs,
    "models": models,
}


SHARED = ("promote", "jobs", "models")  # sections readiness reads too (asked once per refresh)


def _as_json(value: Any) -> Any:
    """A record (or a list of records) as its JSON: `model_dump(mode="json")`."""
    from pydantic import BaseModel

    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def read_checked(notebook: Path, parameters: dict | None = None) -> None:
    """Read the notebook (BadInput when it is malformed) and check `parameters` against its parameters cell."""
    from prodkit.notebook import read_notebook

    nb = read_notebook(notebook)
    if parameters:
        from prodkit.jobs.params import check_parameters

        check_parameters(nb, parameters)


def notebook_section(name: str, notebook: Path) -> dict:
    """One section for a notebook that reads: a malformed notebook raises BadInput (the request's 400)."""
    read_checked(notebook)
    return section(name, notebook)


def section(name: str, notebook: Path, **kwargs: Any) -> dict:
    """One section in the panel's envelope; never raises for expected failures."""
    return _as_section(name, notebook, lambda: SECTIONS[name](notebook, **kwargs))[0]


def _as_section(name: str, notebook: Path, compute: Callable[[], Any]) -> tuple[dict, Any]:
    """(the section's envelope, the record it holds or None)."""
    try:
        value = compute()
        return {"available": True, "data": _as_json(value)}, value
    except ProdkitError as e:
        return {"available": True, "error": e.line()}, None
    except Exception as e:  # a bug in a capability must not take the whole panel down
        log.exception("prodkit: %s failed for %s", name, notebook)
        return {"available": True, "error": f"{name} failed: {e.__class__.__name__}: {e}"}, None


def status(notebook: Path) -> dict:
    """Readiness + promote status + jobs + models: one call for a panel refresh (BadInput: malformed notebook)."""
    started = time.perf_counter()
    read_checked(notebook)
    project = _project(notebook)
    parts, answers = {}, {}
    for name in SHARED:
        parts[name], value = _as_section(name, notebook, lambda name=name: SECTIONS[name](notebook, project=project))
        if "data" in parts[name]:
            answers[name] = value
    # readiness reads the same promote/jobs/models state: hand it the records instead of computing them twice
    # (the sections' JSON is already dumped, so no check can change it; a failed one is asked again there)
    parts["readiness"] = section("readiness", notebook, project=project, hook_answers=answers)
    body = {name: parts[name] for name in SECTIONS}
    body["compute_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return body


def fingerprint(notebook: Path) -> tuple:
    """What the panel's data depends on, as cheap stat() results: changes when any of it does.

    The notebook, the project's config, prodkit's stores (jobs, MLflow, WAL files) and the
    promoted modules and tests. Used to reuse a refresh that is still current.
    """
    from prodkit.config import load_project

    project = load_project(notebook)
    files = [notebook, project.root / "pyproject.toml", project.root / "settings.ini"]
    files += [project.state_dir / f"{db}{suffix}" for db in ("jobs.db", "mlflow.db") for suffix in ("", "-wal")]
    parts: list[Any] = [_stat(p) for p in files]
    for folder in (project.lib_path, project.tests_path):
        parts.append(_tree_stamp(folder))
    # A PostgreSQL job store has no file to stat, and a run whose heartbeat stops turns `lost` with
    # time alone: a refresh is reused for at most 10 s (server store) or 30 s.
    parts.append(int(time.time() // (10 if "://" in project.jobs_store else 30)))
    return tuple(parts)


def _stat(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _tree_stamp(folder: Path, limit: int = 2000) -> tuple:
    """(newest mtime, file count) of a folder tree, stopping after `limit` entries."""
    newest, count = 0, 0
    stack = [folder]
    while stack and count < limit:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            count += 1
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            newest = max(newest, st.st_mtime_ns)
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
    return (newest, count)


def default_job_name(notebook: Path) -> dict:
    """`{"name": ...}`: the job name the jobs API would give this notebook (the panel's Schedule default)."""
    from prodkit.jobs.names import default_job_name as job_name

    return {"name": job_name(_project(notebook), notebook)}


def schedule_job(notebook: Path, name: str | None, cron: str, parameters: dict) -> ScheduledJob:
    """Adds a scheduled job for the notebook through the jobs API (default name: the jobs' rule); returns the job."""
    from prodkit.jobs.api import add_job
    from prodkit.jobs.names import default_job_name as job_name
    from prodkit.records import ScheduledJob

    project = _project(notebook)
    added = add_job(name or job_name(project, notebook), notebook, cron, parameters=parameters, project=project)
    return ScheduledJob(**added.to_dict())


def run_limit(notebook: Path) -> tuple[str, int]:
    """The queue a panel run joins (its project) and how many of its runs may run at once.

    The project's `max_concurrency` (settings.ini), as for the scheduler; unset: the CPU count.
    """
    from prodkit.config import load_project
    from prodkit.jobs.scheduler import default_concurrency

    project = load_project(notebook)
    return str(project.root), default_concurrency(project)
