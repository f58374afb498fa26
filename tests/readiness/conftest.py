import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from readiness_nb import PYPROJECT  # noqa: E402


@pytest.fixture
def project(tmp_path):
    """A prodkit project with declared dependencies, as `prodkit init` leaves it."""
    from prodkit.config import init_project, load_project

    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    init_project(tmp_path)
    return load_project(tmp_path)
