"""The same workflow against a real `mlflow server`, and concurrent first use of a fresh sqlite store."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from prodkit.models import register_model
from prodkit.models import tags as T


@pytest.mark.slow
def test_register_promote_and_serve_through_a_tracking_server(mlflow_server, fresh_project, monkeypatch, mlp, x_val,
                                                              train_df):
    import mlflow.pyfunc
    import numpy as np
    from mlflow import MlflowClient

    from prodkit.models import load_model
    from prodkit.models.gate import move_alias, rollback
    from prodkit.models.registry import list_models, show
    from prodkit.models.state import models_for_notebook, reference_data

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    name = f"churn-{uuid.uuid4().hex[:8]}"
    nb = fresh_project.nbs_path / "churn.ipynb"
    nb.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    first = register_model(mlp, name, example=x_val[:8], metrics={"auc": 0.8}, data=train_df, notebook=nb)
    second = register_model(mlp, name, example=x_val[:8], metrics={"auc": 0.9}, data=train_df, notebook=nb)
    assert (first.version, second.version) == ("1", "2") and first.tracking_uri == mlflow_server
    assert not (fresh_project.state_dir / "mlflow.db").exists(), "a server URI must not create the embedded db"

    client = MlflowClient(mlflow_server)
    assert client.get_model_version(name, "2").tags[T.PARITY] == "passed"
    move_alias(name, 1, approved_by="ana")
    move_alias(name, 2, approved_by="bo")
    served = mlflow.pyfunc.load_model(f"models:/{name}@champion", model_config={"device": "cpu"})
    assert np.asarray(served.predict(x_val[:8].numpy())).shape == (8, 1)
    assert load_model(name, "champion", device="cpu")(x_val).shape == (32, 1)
    (row,) = models_for_notebook(fresh_project, nb)
    assert row.aliases == {"champion": "2"} and row.rollback_versions == ["1"]
    assert row.missing == ["git sha"]  # this project is not a git repository
    assert reference_data(fresh_project, name).shape == train_df.shape
    assert show(name, "champion").version == "2"
    assert any(r["name"] == name for r in list_models())
    assert rollback(name).version == "1"


@pytest.mark.slow
def test_concurrent_first_use_of_a_fresh_store(fresh_project):
    script = (
        "import sys, torch; from prodkit.models import register_model; torch.manual_seed(0); "
        "m = torch.nn.Linear(4, 1); "
        "r = register_model(m, sys.argv[1], example=torch.randn(8, 4), parity=False, benchmark=False); "
        "print(r.version)"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, f"model-{i}"], cwd=fresh_project.root,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-2000:]
        assert out.strip().splitlines()[-1] == "1"
