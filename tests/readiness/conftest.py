"""Fixtures for the readiness tests: a project that declares its dependencies."""

import pytest

PYPROJECT = """[project]
name = "demo"
version = "0.0.1"
requires-python = ">=3.11"
dependencies = ["numpy>=1.26", "pandas>=2.1,<3", "scikit-learn>=1.4", "torch>=2.4", "pyyaml>=6"]

[tool.nbdev]
lib_path = "src"
nbs_path = "nbs"
update_pyproject = false
"""


@pytest.fixture
def deps_project(tmp_path):
    """A prodkit project (at tmp_path) whose pyproject declares numpy, pandas, scikit-learn, torch and
    pyyaml, as `prodkit init` leaves it."""
    from prodkit.config import init_project, load_project

    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    init_project(tmp_path)
    return load_project(tmp_path)
