"""The reference registered with a model (register_model(..., data=df)) is what watch compares against."""

from __future__ import annotations

import pytest

from prodkit.config import init_project, load_project
from prodkit.monitor.store import contract_path
from prodkit.monitor.watcher import set_reference, watch

pytestmark = pytest.mark.slow


@pytest.fixture
def registered(tmp_path, reference, monkeypatch):
    torch = pytest.importorskip("torch")
    from prodkit.models.register import register_model

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    init_project(tmp_path)
    project = load_project(tmp_path)
    model = torch.nn.Linear(3, 1)
    example = torch.randn(8, 3)
    register_model(model, "churn-clf", example=example, data=reference, parity=False, benchmark=False,
                   project=project)
    return project


def test_watch_uses_the_models_registered_data_until_set_reference_overrides_it(registered, reference,
                                                                               shifted_batch, same_batch):
    project = registered
    result = watch(shifted_batch, model="churn-clf", drift=True, project=project)
    assert result.reference == "model churn-clf"
    assert result.drift.drift and sorted(result.drift.drifted) == ["monthly_charges", "plan"]
    assert contract_path(project, "churn-clf").is_file()
    set_reference("churn-clf", shifted_batch, project=project)
    overridden = watch(shifted_batch, model="churn-clf", drift=True, project=project)
    assert overridden.reference.endswith("reference.parquet") and not overridden.drift.drift
    pinned = watch(same_batch, model="churn-clf", version=1, drift=True, project=project)
    assert pinned.reference == "model churn-clf version 1" and not pinned.drift.drift
