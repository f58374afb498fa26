"""Shared fixtures: throw-away prodkit projects."""

from __future__ import annotations

import pytest


@pytest.fixture
def project(tmp_path):
    """An initialised prodkit project (pyproject [tool.nbdev] lib_path=src, settings.ini)."""
    from prodkit.config import init_project, load_project

    init_project(tmp_path / "proj")
    return load_project(tmp_path / "proj")
