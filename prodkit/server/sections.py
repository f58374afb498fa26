"""The panel's data, read from the capabilities that compute it (the panel computes nothing).

Each section is `{"available": bool, "data": ...}`; a capability that is not installed
gives `{"available": False, "message": "not set up yet: ..."}` and an expected error
(bad notebook, unreachable tracking server) gives `{"available": True, "error": "one line"}`.
Every capability is imported here lazily, inside the function that needs it.
"""

from __future__ import annotations

import copy
import importlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prodkit.errors import ProdkitError
from prodkit.server.errors import NotSetUp

log = logging.getLogger("prodkit.server")


def _hook(module: str, name: str) -> Callable[..., Any]:
    """`module.name`, or NotSetUp when that capability is not there (yet)."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (module == e.name or module.startswith(e.name + ".")):
            raise NotSetUp(f"not set up yet: {module} is not installed") from None
        raise
    fn = getattr(mod, name, None)
    if fn is None:
        raise NotSetUp(f"not set up yet: {module}.{name} is missing")
    return fn


def readiness(notebook: Path, project=None, hook_answers: dict | None = None) -> dict:
    """Exactly what `prodkit check NB --json` prints for this notebook.

    `hook_answers`: state-hook answers this refresh already has (see `status`), not asked again.
    """
    check_notebook = _hook("prodkit.readiness", "check_notebook")
    return check_notebook(notebook, project=project, hook_answers=hook_answers).to_dict()


def promote_status(notebook: Path, project=None) -> dict:
    return _hook("prodkit.promote.status", "promote_status")(project or _project(notebook), notebook)


def jobs(notebook: Path, project=None) -> list[dict]:
    """The notebook's jobs with their last runs and health (the jobs.state hook)."""
    return _hook("prodkit.jobs.state", "jobs_for_notebook")(project or _project(notebook), notebook)


def models(notebook: Path, project=None) -> list[dict]:
    return _hook("prodkit.models.state", "models_for_notebook")(project or _project(notebook), notebook)


def _project(notebook: Path):
    from prodkit.config import load_project

    return load_project(notebook)


SECTIONS: dict[str, Callable[..., Any]] = {
    "readiness": readiness,
    "promote": promote_status,
    "jobs": jobs,
    "models": models,
}


def _shared_hooks() -> dict[str, tuple[str, str]]:
    """Section -> the readiness state hook that computes the same answer (asked once per refresh)."""
    from prodkit.readiness.checks import _state

    return {"promote": _state.PROMOTE_HOOK, "jobs": _state.JOBS_HOOK, "models": _state.MODELS_HOOK}


def read_checked(notebook: Path, parameters: dict | None = None) -> None:
    """Read the notebook (BadInput when it is malformed) and check `parameters` against its parameters cell."""
    from prodkit.notebook import read_notebook

    nb = read_notebook(notebook)
    if parameters:
        _hook("prodkit.jobs.params", "check_parameters")(nb, parameters)


def notebook_section(name: str, notebook: Path) -> dict:
    """One section for a notebook that reads: a malformed notebook raises BadInput (the request's 400)."""
    read_checked(notebook)
    return section(name, notebook)


def section(name: str, notebook: Path, **kwargs: Any) -> dict:
    """One section in the panel's envelope; never raises for expected failures."""
    try:
        return {"available": True, "data": SECTIONS[name](notebook, **kwargs)}
    except NotSetUp as e:
        return {"available": False, "message": str(e)}
    except ProdkitError as e:
        return {"available": True, "error": e.line()}
    except Exception as e:  # a bug in a capability must not take the whole panel down
        log.exception("prodkit: %s failed for %s", name, notebook)
        return {"available": True, "error": f"{name} failed: {e.__class__.__name__}: {e}"}


def status(notebook: Path) -> dict:
    """Readiness + promote status + jobs + models: one call for a panel refresh (BadInput: malformed notebook)."""
    started = time.perf_counter()
    read_checked(notebook)
    project = _project(notebook)
    shared = _shared_hooks()
    parts = {name: section(name, notebook, project=project) for name in shared}
    # readiness reads the same promote/jobs/models state: hand it the answers instead of computing them twice
    # (a copy, so nothing a check does can change the panel's sections; a failed one is asked again there)
    answers = {shared[name]: copy.deepcopy(part["data"]) for name, part in parts.items() if "data" in part}
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


def schedule_job(notebook: Path, name: str | None, cron: str, parameters: dict) -> dict:
    """Adds a scheduled job for the notebook through the jobs API (default name: the jobs' rule); returns the job."""
    from prodkit.jobs.api import add_job
    from prodkit.jobs.names import default_job_name as job_name

    project = _project(notebook)
    added = add_job(name or job_name(project, notebook), notebook, cron, parameters=parameters, project=project)
    return added.to_dict()


def run_limit(notebook: Path) -> tuple[str, int]:
    """The queue a panel run joins (its project) and how many of its runs may run at once.

    The project's `max_concurrency` (settings.ini), as for the scheduler; unset: the CPU count.
    """
    from prodkit.config import load_project
    from prodkit.jobs.scheduler import default_concurrency

    project = load_project(notebook)
    return str(project.root), default_concurrency(project)
