"""Fixtures for the jobs tests: a tmp project on each store backend, notebooks in it, and the CLI.

`backend_project` is parametrised over the two job store backends: `sqlite` (the default file) and
`postgresql` (a fresh database on the session's real PostgreSQL server, set as `jobs_db` in
settings.ini, so the CLI, kernels and schedulers started by a test all use it). A test that needs
one store only (a legacy SQLite file, corruption) takes the root conftest's `empty_project`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from jobs.jobs_helpers import cli_env, prodkit_cmd, use_store
from pktest import job_notebook

from prodkit.config import init_project, load_project

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def backend_project(tmp_path, backend, request):
    """A project (at tmp_path) on the `backend` job store."""
    init_project(tmp_path)
    if backend == "postgresql":
        use_store(tmp_path, request.getfixturevalue("pg_url"))
    return load_project(tmp_path)


@pytest.fixture
def nb(backend_project):
    """nb(name, cells, **kw) -> a notebook under the project's nbs/."""
    def make(name: str, cells: list[str], **kw) -> Path:
        return job_notebook(backend_project.nbs_path / f"{name}.ipynb", cells, **kw)
    return make


@pytest.fixture
def cli(backend_project):
    """cli(*args) -> CompletedProcess of `prodkit ARGS` run in the project folder."""
    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(prodkit_cmd(*args), cwd=backend_project.root, env=cli_env(), capture_output=True, text=True,
                              timeout=timeout)
    return run


@pytest.fixture
def store(backend_project):
    """The project's job store, opened as the CLI opens it (closed at the end)."""
    from prodkit.jobs.api import open_store

    with open_store(backend_project) as s:
        yield s
