"""Shared fixtures: a throw-away prodkit project and a real PostgreSQL server.

How tests share code (one way):
- Helper code is a plain module imported by its path below tests/, which pyproject's
  `pythonpath = ["tests"]` puts on sys.path (`--import-mode=importlib`, no `__init__.py`):
  `from pktest import code, write_notebook` (tests/pktest.py, the one notebook builder),
  `from jobs.jobs_helpers import cli_env`, `from readiness.secrets_corpus import secrets`.
  No `tests.` prefix, no sys.path edits, and no test imports a conftest.py.
- Fixtures are only for what needs pytest (tmp_path, monkeypatch, teardown, parametrisation).
  Each project fixture has its own name for its own meaning:
  `empty_project` (here: `prodkit init` in tmp_path/proj), `backend_project` (tests/jobs: on each
  job store), `deps_project` (tests/readiness: declared dependencies), `model_project` and
  `fresh_project` (tests/models), `project_root` (tests/server: the Jupyter server's root).
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def empty_project(tmp_path):
    """`prodkit init` in the empty folder tmp_path/proj (pyproject [tool.nbdev] lib_path=src, settings.ini):
    no notebooks, no stores yet; tmp_path itself is outside the project."""
    from prodkit.config import init_project, load_project

    init_project(tmp_path / "proj")
    return load_project(tmp_path / "proj")


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server for the session (skipped only when its binaries are missing)."""
    from pgserver import PgServer, binaries

    bindir = binaries()
    if bindir is None and os.environ.get("CI"):
        pytest.fail("PostgreSQL binaries not found in CI: ./dev test installs Debian's postgresql (apt-get)")
    if bindir is None:
        pytest.skip("PostgreSQL binaries not found (/usr/lib/postgresql/*/bin): "
                    "apt-get install postgresql, or run ./dev setup as root")
    server = PgServer(bindir).start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """A fresh empty PostgreSQL database for one test: its URL (with a password)."""
    url = pg_server.database()
    yield url
    pg_server.drop(url)
