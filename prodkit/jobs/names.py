"""The one default job name rule (CLI, `%prodkit schedule`, the REST API, the panel's Run now and Schedule)."""

from __future__ import annotations

import re
from pathlib import Path

from prodkit.config import Project
from prodkit.errors import BadInput

MAX_NAME = 100  # the jobs API's name rule allows 100 characters


def path_stem(project: Project, notebook: Path | str) -> str:
    """The notebook's path in the project as a name: nbs/a/churn_poc.ipynb -> a-churn-poc.

    Taken inside the project's notebooks folder (else its root), so notebooks with the same file
    name in different folders differ; accents are folded to ASCII, other characters become '-'.
    """
    import unicodedata

    path = Path(notebook).resolve()
    for base in (project.nbs_path, project.root):
        try:
            rel = path.relative_to(Path(base).resolve()).with_suffix("")
            break
        except ValueError:
            continue
    else:
        rel = Path(path.stem)
    ascii_path = unicodedata.normalize("NFKD", rel.as_posix()).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9.-]+", "-", ascii_path).strip("-.") or "notebook"


def default_job_name(project: Project, notebook: Path | str, suffix: str = "") -> str:
    """A free job name for the notebook: its path in the project (`path_stem`) plus `suffix`.

    A name a job of another notebook holds gets a number (-2, -3, ...); the notebook's own job
    keeps the plain name. It always passes the jobs API's name rule.
    """
    stem = path_stem(project, notebook)
    taken = _names_of_other_notebooks(project, notebook)
    for n in range(1, 1000):
        extra = f"{suffix}-{n}" if n > 1 else suffix
        name = f"{stem[: MAX_NAME - len(extra)].rstrip('-.')}{extra}"
        if name not in taken:
            return name
    raise BadInput(f"no free job name for {project.relpath(Path(notebook))}", fix="give the job a name")


def _names_of_other_notebooks(project: Project, notebook: Path | str) -> set[str]:
    from prodkit.jobs.api import open_store

    if not project.jobs_store_exists:
        return set()
    rel = project.relpath(Path(notebook))
    with open_store(project) as store:
        return {job.name for job in store.list_jobs() if job.notebook != rel}
