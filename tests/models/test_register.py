"""register_model against the embedded sqlite store: what a version records, and bad input."""

from __future__ import annotations

import math

import pytest

from prodkit.errors import BadInput
from prodkit.models import register_model
from prodkit.models import tags as T


def test_version_records_provenance_parity_and_benchmark(model_project, registry, mlp, x_val, train_df):
    nb = model_project.nbs_path / "churn.ipynb"
    from pktest import code, write_notebook

    write_notebook(nb, [code("import prodkit"), code('prodkit.register_model(model, "churn-clf", example=X_val[:8])')])
    result = register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.91}, data=train_df, notebook=nb)

    assert (result.name, result.version, result.uri) == ("churn-clf", "1", "models:/churn-clf/1")
    assert result.ok and {c.name for c in result.checks} >= {"signature", "git sha", "data hash", "export parity",
                                                             "benchmark"}
    tags = registry.get_model_version("churn-clf", "1").tags
    head = __import__("subprocess").run(["git", "rev-parse", "HEAD"], cwd=model_project.root, capture_output=True,
                                        text=True).stdout.strip()
    assert tags[T.GIT_SHA].startswith(head)
    assert tags[T.NOTEBOOK] == "nbs/churn.ipynb" and tags[T.CELL] == "2"
    assert tags[T.DATA_HASH].startswith("sha256:")
    assert tags[T.TORCH] and tags[T.CUDA] and tags[T.TRAINED_ON] == "cpu"
    assert tags[T.PARITY] == "passed" and float(tags[T.PARITY_MAX_ABS_DIFF]) < 1e-5
    assert tags[T.SERIALIZATION] == "pt2" and tags[T.STATUS] == "ready"
    bench = T.load_json(tags, T.BENCHMARK)
    assert set(bench["cpu"]["batches"]) == {"1", "8", "64"}
    assert all(row["p95_ms"] >= row["p50_ms"] > 0 for row in bench["cpu"]["batches"].values())
    run = registry.get_run(result.run_id)
    assert run.data.metrics["auc"] == pytest.approx(0.91)
    assert "bench.cpu.b64.p50_ms" in run.data.metrics and "bench.cpu.peak_mem_mb" in run.data.metrics


def test_first_use_creates_the_store_under_prodkit_and_requirements_have_no_local_labels(fresh_project, mlp, x_val):
    import mlflow

    model_project = fresh_project
    assert not (model_project.state_dir / "mlflow.db").exists()
    register_model(mlp, "churn-clf", example=x_val[:8], parity=False, benchmark=False)
    assert not (model_project.root / "mlruns").exists()
    assert (model_project.state_dir / "mlflow.db").is_file()
    local = mlflow.artifacts.download_artifacts("models:/churn-clf/1")
    requirements = open(f"{local}/requirements.txt").read().split()
    assert any(r.startswith("torch==") for r in requirements)
    assert not any("+" in r for r in requirements), requirements
    model = mlflow.models.Model.load(local)
    assert model.signature is not None and model.saved_input_example_info is not None
    stored = list(model_project.artifacts_dir.rglob("MLmodel"))
    assert stored, "model files are not under .prodkit/mlartifacts"


def test_reference_data_is_kept_for_drift(model_project, mlp, x_val, train_df):
    from prodkit.models.state import reference_data

    register_model(mlp, "churn-clf", example=x_val[:8], data=train_df, parity=False, benchmark=False)
    reference = reference_data(model_project, "churn-clf")
    assert reference is not None and reference.shape == train_df.shape
    assert list(reference.columns) == list(train_df.columns)
    assert reference_data(model_project, "no-such-model") is None


def test_data_that_parquet_cannot_store_still_registers_with_a_warning(model_project, mlp, x_val):
    import pandas as pd

    mixed = pd.DataFrame({"plan": [1, "gold", 2.5, None]})  # one column, three types
    result = register_model(mlp, "churn-clf", example=x_val[:8], data=mixed, parity=False, benchmark=False)
    (check,) = [c for c in result.checks if c.name == "drift reference"]
    assert check.status == "warn" and "not stored" in check.detail
    assert T.REFERENCE not in result.tags and result.tags[T.DATA_HASH].startswith("sha256:")
    with pytest.raises(BadInput, match="cannot hash the training data"):
        register_model(mlp, "churn-clf", example=x_val[:8], data=pd.DataFrame({"a": [[1], [2]]}))


def test_a_model_torch_export_cannot_handle_is_registered_with_the_reason(model_project, registry, x_val):
    import torch

    class DataDependent(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(12, 1)

        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow: torch.export cannot trace it
                return self.linear(x)
            return -self.linear(x)

    result = register_model(DataDependent(), "branchy", example=x_val[:8], metrics={"auc": 0.5}, benchmark=False)
    tags = registry.get_model_version("branchy", result.version).tags
    assert tags[T.PARITY] == "failed"
    assert "torch.export failed" in tags[T.PARITY_REASON]
    assert tags[T.SERIALIZATION] == "pickle"
    assert not result.ok and any(c.name == "export parity" and c.status == "fail" for c in result.checks)


def test_with_parity_off_an_mlflow_export_failure_is_still_recorded(model_project, registry, x_val):
    import torch

    class DataDependent(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(12, 1)

        def forward(self, x):
            return self.linear(x) if x.sum() > 0 else -self.linear(x)

    result = register_model(DataDependent(), "branchy", example=x_val[:8], parity=False, benchmark=False)
    tags = registry.get_model_version("branchy", result.version).tags
    assert tags[T.PARITY] == "failed" and "in mlflow" in tags[T.PARITY_REASON]
    assert tags[T.SERIALIZATION] == "pickle"
    assert any(c.name == "export parity" and c.status == "fail" for c in result.checks)


def test_parity_fails_when_exported_and_eager_differ():
    import torch

    from prodkit.models.parity import check_parity

    class Noisy(torch.nn.Module):
        def forward(self, x):  # traced once; eager adds fresh noise each call
            return x + torch.rand(1).item()

    result = check_parity(Noisy(), torch.randn(8, 3))
    assert result.passed is False and result.max_abs_diff > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "not a model"}, "must be a torch.nn.Module"),
        ({"example": "x"}, "example must be a torch.Tensor"),
        ({"example_shape": (8, 5)}, "does not run through the model"),
        ({"example_shape": (1, 12)}, "at least 2 rows"),
        ({"nan": True}, "NaN"),
        ({"name": "churn clf/1"}, "invalid model name"),
        ({"metrics": {"auc": math.nan}}, "metric 'auc'"),
        ({"metrics": {"auc@10": 0.9}}, "invalid metric name"),
        ({"primary_metric": "f1"}, "primary metric 'f1'"),
    ],
)
def test_bad_input_is_one_line_and_registers_nothing(model_project, registry, mlp, kwargs, message):
    import torch

    model = kwargs.get("model", mlp)
    if kwargs.get("nan"):
        with torch.no_grad():
            mlp[0].weight.fill_(float("nan"))
    example = kwargs.get("example", torch.randn(*kwargs.get("example_shape", (8, 12))))
    with pytest.raises(BadInput) as info:
        register_model(model, kwargs.get("name", "churn-clf"), example=example,
                       metrics=kwargs.get("metrics", {"auc": 0.9}), primary_metric=kwargs.get("primary_metric"))
    assert message in info.value.line() and "\n" not in info.value.line()
    assert registry.search_registered_models() == []


def test_unreachable_tracking_server_fails_fast_with_one_line(model_project, monkeypatch, mlp, x_val):
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(BadInput, match="cannot reach the MLflow tracking server"):
        register_model(mlp, "churn-clf", example=x_val[:8], parity=False, benchmark=False)
    assert time.monotonic() - started < 15


def test_a_failure_after_the_version_exists_leaves_no_half_registered_version(model_project, registry, mlp, x_val,
                                                                              monkeypatch):
    import mlflow

    register_model(mlp, "churn-clf", example=x_val[:8], parity=False, benchmark=False)

    def broken(*args, **kwargs):  # the store dies right after the version was created
        raise ConnectionError("store went away")

    monkeypatch.setattr(mlflow, "set_tag", broken)
    with pytest.raises(BadInput, match="nothing was registered"):
        register_model(mlp, "churn-clf", example=x_val[:8], parity=False, benchmark=False)
    with pytest.raises(BadInput, match="nothing was registered"):
        register_model(mlp, "brand-new", example=x_val[:8], parity=False, benchmark=False)
    assert [str(v.version) for v in registry.search_model_versions("name='churn-clf'")] == ["1"]
    assert "brand-new" not in [m.name for m in registry.search_registered_models()]
    failed = registry.search_runs([registry.get_experiment_by_name("prodkit-models").experiment_id],
                                  "attributes.status = 'FAILED'")
    assert len(failed) == 2


def test_cuda_trained_device_is_read_from_the_model_and_user_model_is_untouched(model_project, mlp, x_val):
    before = {k: v.clone() for k, v in mlp.state_dict().items()}
    mlp.train()
    register_model(mlp, "churn-clf", example=x_val[:8], parity=False, benchmark=False)
    assert mlp.training, "register_model must not switch the user's model to eval mode"
    assert all((before[k] == v).all() for k, v in mlp.state_dict().items())


def test_data_hash_is_stable_and_sensitive(tmp_path, train_df):
    from prodkit.models.provenance import data_hash, reference_sample

    assert data_hash(train_df) == data_hash(train_df.copy())
    changed = train_df.copy()
    changed.iloc[3, 2] += 1
    assert data_hash(changed) != data_hash(train_df)
    assert data_hash(train_df.rename(columns={"f0": "x"})) != data_hash(train_df)
    path = tmp_path / "train.parquet"
    train_df.to_parquet(path)
    import hashlib

    assert data_hash(path) == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(BadInput, match="does not exist"):
        data_hash(tmp_path / "missing.csv")
    import pandas as pd

    big = pd.DataFrame({"a": range(60_000)})
    sample = reference_sample(big)
    assert len(sample) == 50_000 and sample.equals(reference_sample(big))


def test_unreachable_tracking_database_is_one_line_without_mlflow_retries(model_project):
    """A PostgreSQL tracking URI nobody listens on: one connection attempt, one line, exit 2, no password
    (MLflow alone retries ten times with backoff, about 100 s, logging each retry)."""
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"postgresql://bob:hunter2-pw@127.0.0.1:{port}/mlflow"}
    proc = subprocess.run([sys.executable, "-m", "prodkit.cli", "models", "list"], cwd=model_project.root,
                          env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 2, proc.stderr
    assert "cannot reach the MLflow tracking database" in proc.stderr
    assert "Operation will be retried" not in proc.stderr
    assert "hunter2" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_models_list_shows_hostile_registry_names_escaped(model_project):
    """Names another tool registered in a shared registry are untrusted: an ESC sequence, a bidi override
    and Rich markup are shown as visible text, never sent to the terminal or styled."""
    import os
    import subprocess
    import sys

    from prodkit.models.tracking import open_store

    client = open_store(model_project).client
    for name in ("evil\x1b[2Jwipe", "bidi\u202etxt.exe", "[bold red]styled"):
        client.create_registered_model(name)
    proc = subprocess.run([sys.executable, "-m", "prodkit.cli", "models", "list"], cwd=model_project.root,
                          env={**os.environ, "COLUMNS": "200"}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\u202e" not in proc.stdout
    assert "evil\\x1b[2Jwipe" in proc.stdout and "bidi\\u202etxt.exe" in proc.stdout
    assert "[bold red]styled" in proc.stdout
    assert " None " not in proc.stdout  # a model without versions shows '-'
