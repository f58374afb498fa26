"""prodkit.score and prodkit.monitor.outcomes on a real sqlite MLflow registry and evidently's presets."""

from __future__ import annotations

import json
import shutil

import pytest

from prodkit.errors import BadInput
from prodkit.monitor.performance import verdict

COLUMNS = [f"f{i}" for i in range(12)]


@pytest.fixture(scope="module")
def scored_project(tmp_path_factory):
    """churn-clf v1 (auc 0.8, @champion) registered without parity/benchmark (fast), and a scored batch."""
    import os

    import numpy as np
    import pandas as pd
    import torch

    from prodkit.config import init_project, load_project
    from prodkit.models import register_model

    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)
    root = tmp_path_factory.mktemp("outcomes") / "proj"
    init_project(root)
    project = load_project(root)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(12, 1), torch.nn.Sigmoid())
    data = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 12)).astype("float32"), columns=COLUMNS)
    result = register_model(model, "churn-clf", example=torch.randn(8, 12), metrics={"auc": 0.8}, data=data,
                            parity=False, benchmark=False, project=project)
    from prodkit.models.registry import registry_client

    # set directly: the gate needs parity and a benchmark, which this fast registration skips
    registry_client(project).set_registered_model_alias("churn-clf", "champion", result.version)
    yield project, data
    if saved is not None:
        os.environ["MLFLOW_TRACKING_URI"] = saved
    shutil.rmtree(root, ignore_errors=True)


def test_score_records_which_version_scored_the_batch(scored_project):
    import pandas as pd

    import prodkit
    from prodkit.models.score import read_index

    project, data = scored_project
    batch = data.iloc[:50][list(reversed(COLUMNS))]  # any column order: the signature's order is used
    result = prodkit.score(batch, "churn-clf@champion", project=project)
    assert result.version == "1" and result.rows == 50 and result.run_id is None
    assert result.scored["prediction"].between(0, 1).all()
    kept = pd.read_parquet(result.predictions_path)
    assert list(kept.index) == list(batch.index) and list(kept.columns) == ["prediction"]
    assert read_index(project, "churn-clf")[-1]["path"] == result.predictions_path
    assert result.watch is not None and result.watch.validation.ok


def test_score_rejects_a_batch_without_the_models_features(scored_project):
    import prodkit

    project, data = scored_project
    with pytest.raises(BadInput, match="lacks column"):
        prodkit.score(data.drop(columns=["f3"]), "churn-clf@champion", project=project, watch=False)


def test_outcomes_ok_then_degraded_against_the_registered_metric(scored_project):
    import numpy as np
    import pandas as pd

    import prodkit
    import prodkit.monitor

    project, data = scored_project
    scored = prodkit.score(data, "churn-clf/1", project=project, watch=False).scored
    good = pd.DataFrame({"label": (scored["prediction"] > scored["prediction"].median()).astype(int)})
    result = prodkit.monitor.outcomes(good, model="churn-clf", project=project)
    assert result.verdict == "ok" and result.metric == "roc_auc" and result.value == pytest.approx(1.0)
    assert {"accuracy", "precision", "recall", "f1", "roc_auc"} <= set(result.metrics)
    assert result.registered == 0.8 and result.rows == 300

    noise = pd.DataFrame({"label": np.random.default_rng(5).integers(0, 2, len(data))}, index=data.index)
    result = prodkit.monitor.outcomes(noise, model="churn-clf", project=project, margin=0.05)
    assert result.degraded and "worse than the registered 0.8" in result.reasons[0]
    lines = (project.state_dir / "monitor" / "churn-clf" / "outcomes.jsonl").read_text().splitlines()
    assert [json.loads(line)["verdict"] for line in lines[-2:]] == ["ok", "degraded"]


def test_outcomes_for_a_run_that_scored_nothing_is_one_line(scored_project):
    import pandas as pd

    import prodkit.monitor

    project, _ = scored_project
    with pytest.raises(BadInput, match="no predictions of churn-clf recorded in run 999"):
        prodkit.monitor.outcomes(pd.Series([1, 0]), model="churn-clf", run=999, project=project)


@pytest.mark.parametrize("value, registered, threshold, greater, expected", [
    (0.70, 0.80, None, True, "degraded"),   # more than 0.05 below the registered value
    (0.78, 0.80, None, True, "ok"),         # within the margin
    (0.78, 0.80, 0.79, True, "degraded"),   # below the threshold
    (0.30, 0.20, None, False, "degraded"),  # lower is better (rmse): worse by more than the margin
    (None, 0.80, None, True, "unknown"),
])
def test_verdict_rule(value, registered, threshold, greater, expected):
    assert verdict(value, registered, threshold, 0.05, greater)[0] == expected
