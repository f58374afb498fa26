"""MLflow for a team (issue 14): a real `mlflow server` whose backend store is PostgreSQL and which
serves the artifacts; prodkit registers, gates, moves and rolls back aliases and loads models through
it, and keeps its own bookkeeping (alias history, gate evidence, the move lock) in that server, not in
a local file of the project."""

from __future__ import annotations

import uuid

import pytest
from models.mlflow_servers import start_mlflow_server, stop_mlflow_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def team_mlflow(pg_server, tmp_path_factory):
    """`mlflow server` on PostgreSQL with --serve-artifacts, the way a team runs it."""
    folder = tmp_path_factory.mktemp("team-mlflow")
    database = pg_server.database()
    backend = database.replace("postgresql://", "postgresql+psycopg://", 1)
    proc, uri, log = start_mlflow_server(folder, backend, "--serve-artifacts")
    yield uri, database
    stop_mlflow_server(proc, log)
    pg_server.drop(database)


def _tables_with_rows(database: str, *tables: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_register_gate_alias_and_load_through_a_team_server(team_mlflow, fresh_project, monkeypatch, mlp, x_val,
                                                            train_df):
    import torch
    from mlflow import MlflowClient

    from prodkit.models import load_model, register_model
    from prodkit.models.gate import history, move_alias, rollback

    uri, database = team_mlflow
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    name = f"churn-{uuid.uuid4().hex[:8]}"
    nb = fresh_project.nbs_path / "churn.ipynb"
    nb.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    v1 = register_model(mlp, name, example=x_val[:8], metrics={"auc": 0.80}, data=train_df, notebook=nb)
    v2 = register_model(mlp, name, example=x_val[:8], metrics={"auc": 0.90}, data=train_df, notebook=nb)
    v3 = register_model(mlp, name, example=x_val[:8], metrics={"auc": 0.70}, data=train_df, notebook=nb)
    assert (v1.version, v2.version, v3.version) == ("1", "2", "3")

    from prodkit.errors import GateFailed

    move_alias(name, 1, approved_by="ana")
    move_alias(name, 2, approved_by="bo")
    with pytest.raises(GateFailed):
        move_alias(name, 3, approved_by="cy")  # worse than the champion: the gate refuses it
    client = MlflowClient(uri)
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    moves = history(name)
    assert [(m["to"], m["by"]) for m in moves] == [("1", "ana"), ("2", "bo")], moves
    assert all(m.get("gate") for m in moves), "each move keeps its gate evidence"

    # the bookkeeping lives in the server's PostgreSQL store, nothing in the project folder
    tags = client.get_registered_model(name).tags
    assert any(key.startswith("prodkit.alias_log.champion.") for key in tags)
    counts = _tables_with_rows(database, "registered_model_tags", "model_versions", "registered_model_aliases")
    assert counts["model_versions"] >= 3 and counts["registered_model_aliases"] >= 1
    assert not (fresh_project.state_dir / "mlflow.db").exists()
    assert not list(fresh_project.root.rglob("*alias*"))

    loaded = load_model(name, "champion", device="cpu")
    assert loaded(x_val).shape == (32, 1)
    assert torch.allclose(loaded(x_val), mlp(x_val))
    assert rollback(name).version == "1"
    assert client.get_model_version_by_alias(name, "champion").version == "1"
