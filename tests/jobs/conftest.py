"""Fixtures for the jobs tests: a tmp project, notebooks in it, and the CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from jobs.jobs_helpers import cli_env, prodkit_cmd, write_notebook

from prodkit.config import init_project, load_project


@pytest.fixture
def project(tmp_path):
    init_project(tmp_path)
    return load_project(tmp_path)


@pytest.fixture
def nb(project):
    """nb(name, cells, **kw) -> a notebook under the project's nbs/."""
    def make(name: str, cells: list[str], **kw) -> Path:
        return write_notebook(project.nbs_path / f"{name}.ipynb", cells, **kw)
    return make


@pytest.fixture
def cli(project):
    """cli(*args) -> CompletedProcess of `prodkit ARGS` run in the project folder."""
    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(prodkit_cmd(*args), cwd=project.root, env=cli_env(), capture_output=True, text=True,
                              timeout=timeout)
    return run
