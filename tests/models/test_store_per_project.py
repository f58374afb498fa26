"""One process (a Jupyter server, a kernel) that opens several projects' model stores keeps them apart."""

from __future__ import annotations

import os
import shutil

from prodkit.config import init_project, load_project
from prodkit.models.tracking import open_store


def test_finding_opening_one_projects_store_pinned_every_later_project_to_it(tmp_path, monkeypatch,
                                                                             initialised_db):
    """mlflow.set_tracking_uri exports MLFLOW_TRACKING_URI, which Project.tracking_uri reads first: the panel
    of a second project showed the first project's models."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    for name in ("a", "b"):
        init_project(tmp_path / name)
    first = load_project(tmp_path / "a")
    first.state_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(initialised_db, first.state_dir / "mlflow.db")
    open_store(first, create=False)
    second = load_project(tmp_path / "b")
    assert second.tracking_uri == f"sqlite:///{second.state_dir / 'mlflow.db'}"
    assert "MLFLOW_TRACKING_URI" not in os.environ and "MLFLOW_REGISTRY_URI" not in os.environ


def test_an_exported_tracking_uri_is_kept(tmp_path, monkeypatch, initialised_db):
    """A user's own MLFLOW_TRACKING_URI still wins, and opening the store leaves it as it was."""
    init_project(tmp_path / "a")
    project = load_project(tmp_path / "a")
    project.state_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(initialised_db, project.state_dir / "shared.db")
    uri = f"sqlite:///{project.state_dir / 'shared.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    open_store(project, create=False)
    assert os.environ["MLFLOW_TRACKING_URI"] == uri and "MLFLOW_REGISTRY_URI" not in os.environ
    assert load_project(tmp_path / "a").tracking_uri == uri
