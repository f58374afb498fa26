"""Fixtures for model tests: tiny PyTorch models, git-tracked projects, a real `mlflow server`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from models.mlflow_servers import start_mlflow_server, stop_mlflow_server


class ChurnMLP:
    """Factory for a small, seeded MLP like the demo's (12 features -> 1 probability)."""

    @staticmethod
    def make(seed: int = 0):
        import torch

        torch.manual_seed(seed)
        return torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1),
                                   torch.nn.Sigmoid())


@pytest.fixture
def mlp():
    return ChurnMLP.make()


@pytest.fixture
def x_val():
    import torch

    return torch.randn(32, 12, generator=torch.Generator().manual_seed(1))


@pytest.fixture
def train_df():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(500, 12)).astype("float32"), columns=[f"f{i}" for i in range(12)])


@pytest.fixture(scope="session")
def initialised_db(tmp_path_factory) -> Path:
    """An MLflow sqlite db with its schema created once (alembic migrations take ~3 s per db)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("template-db") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def fresh_project(empty_project, monkeypatch):
    """A project with no MLflow db yet and no tracking URI from the environment."""
    for name in ("MLFLOW_TRACKING_URI", "PRODKIT_NOTEBOOK", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(empty_project.root)
    return empty_project


@pytest.fixture
def model_project(empty_project, monkeypatch, initialised_db):
    """A project in its own git repository with an initialised (empty) embedded MLflow store."""
    import shutil

    empty_project.state_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(initialised_db, empty_project.state_dir / "mlflow.db")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("PRODKIT_NOTEBOOK", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=empty_project.root, check=True, env=env, capture_output=True)
    monkeypatch.chdir(empty_project.root)
    return empty_project


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real `mlflow server` on 127.0.0.1 (sqlite backend, proxied artifacts), one per session."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    proc, uri, log = start_mlflow_server(folder, f"sqlite:///{folder / 'server.db'}", wait_s=90)
    yield uri
    stop_mlflow_server(proc, log)


@pytest.fixture
def registry(model_project):
    """An MlflowClient on the project's embedded store, for asserting on what was written."""
    from mlflow import MlflowClient

    return MlflowClient(model_project.tracking_uri, registry_uri=model_project.tracking_uri)
