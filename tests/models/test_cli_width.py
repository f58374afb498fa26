"""`prodkit models list` piped (CI logs, `| cat`): long model names and dates are not cut (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pktest import REPO

LONG_MODEL = "churn-classifier-for-the-retention-experiment-all-regions-and-segments"


@pytest.mark.slow
def test_finding_15_models_list_keeps_long_names_and_dates_when_piped(model_project, mlp, x_val):
    from prodkit.models import register_model

    register_model(mlp, LONG_MODEL, example=x_val[:8], benchmark=False)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "MLFLOW_TRACKING_URI")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    run = [sys.executable, "-m", "prodkit.cli", "models", "list"]
    shown = subprocess.run(run, cwd=model_project.root, env=env, capture_output=True, text=True, timeout=300)
    as_json = subprocess.run([*run, "--json"], cwd=model_project.root, env=env, capture_output=True, text=True,
                             timeout=300)
    assert shown.returncode == 0, shown.stderr
    registered = str(json.loads(as_json.stdout)[0]["registered_at"])
    assert "…" not in shown.stdout and LONG_MODEL in shown.stdout and registered in shown.stdout, shown.stdout
