"""Shared fixtures: throw-away prodkit projects."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def project(tmp_path):
    """An initialised prodkit project (pyproject [tool.nbdev] lib_path=src, settings.ini)."""
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
