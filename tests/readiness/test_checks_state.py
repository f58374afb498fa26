"""Checks that read other capabilities' state: skip until it exists, then fail or pass on it.

Real components: prodkit promote + ruff (CODE-04, CODE-07), the monitor's contract store
(DATA-02, DATA-03), a real sqlite MLflow registry (MOD-04, MOD-05, OPS-03, OPS-04, BIZ-01).
The jobs capability's state (OPS-01) and drift verdicts from scheduled runs (OPS-02) are given
as canned records (prodkit.records), since they need scheduled runs.
"""

from __future__ import annotations

import pytest
from pktest import code, write_notebook

from prodkit.config import load_project
from prodkit.readiness import check_notebook
from prodkit.readiness.checks import _state
from prodkit.records import JobStatus, ModelMonitoring, ModelStatus, MonitorStatus

STATE_CHECKS = ["DATA-02", "DATA-03", "MOD-04", "MOD-05", "OPS-01", "OPS-02", "OPS-03", "OPS-04"]


def run_checks(project, nb, ids):
    return {c.id: c for c in check_notebook(nb, project=load_project(project.root), only=ids).checks}


@pytest.fixture
def nb(deps_project):
    return write_notebook(deps_project.nbs_path / "churn.ipynb",
                          [code("import pandas as pd\ndf = pd.DataFrame({'a': [1, 2]})"),
                           code("clf.fit(X_train, y_train)")])


def test_state_checks_skip_with_what_to_run_when_nothing_is_recorded(deps_project, nb):
    checks = run_checks(deps_project, nb, STATE_CHECKS)
    for check_id, c in checks.items():
        assert c.status == "skip", (check_id, c)
        assert c.message.startswith("not set up yet"), c.message
        assert c.fix.startswith("run "), c.fix


def _answer(monkeypatch, name, answer):
    """The state function `name` (jobs, models, monitoring) answers `answer` for any notebook."""
    monkeypatch.setitem(_state.STATE_FUNCTIONS, name, lambda project, notebook_path: answer)


def _job(**fields):
    return JobStatus.model_validate({"notebook": "nbs/churn.ipynb", **fields})


def test_skipped_state_checks_score_nothing(deps_project, nb):
    res = check_notebook(nb, project=deps_project, only=["OPS-01", "OPS-02", "OPS-03", "OPS-04"])
    assert res.sections["Ops"].points == 0 and res.sections["Ops"].max == 4 and res.score == 0


def test_a_crashing_hook_is_reported_not_raised(deps_project, nb, monkeypatch):
    def broken(project, notebook_path):
        raise RuntimeError("store locked")

    monkeypatch.setitem(_state.STATE_FUNCTIONS, "jobs", broken)
    c = run_checks(deps_project, nb, ["OPS-01"])["OPS-01"]
    assert c.status == "skip" and "store locked" in c.message


# ---- OPS-01: the jobs state (canned JobStatus records) ------------------------------------------


def _jobs(monkeypatch, rows):
    _answer(monkeypatch, "jobs", [_job(**row) for row in rows])


def _run(status):
    return {"run_id": 1, "job": "churn-daily", "status": status, "trigger": "schedule"}


def test_ops01_fails_on_an_unhealthy_job(deps_project, nb, monkeypatch):
    _jobs(monkeypatch, [{"name": "churn-daily", "cron": "0 6 * * *", "paused": False, "healthy": False,
                         "last_run": _run("failed"), "message": "last run failed in cell 7: KeyError"}])
    c = run_checks(deps_project, nb, ["OPS-01"])["OPS-01"]
    assert c.status == "fail" and "KeyError" in c.message


def test_ops01_passes_on_a_healthy_job(deps_project, nb, monkeypatch):
    _jobs(monkeypatch, [{"name": "churn-daily", "cron": "0 6 * * *", "paused": False, "healthy": True,
                         "last_run": _run("succeeded"), "message": "ok"}])
    c = run_checks(deps_project, nb, ["OPS-01"])["OPS-01"]
    assert c.status == "pass" and "churn-daily" in c.message


# ---- CODE-04 / CODE-07: real prodkit promote and ruff -----------------------------------------


def _promoted_notebook(project, module_body):
    from prodkit.promote import promote

    path = write_notebook(project.nbs_path / "feat.ipynb", [
        code(f"%%promote churn.features\n{module_body}"),
        code("%%promote --test churn.features\nassert add_one(1) == 2"),
        code("%%promote --params\nthreshold = 0.5"),
    ])
    assert promote(path, import_check=False).exit_code == 0
    return path


def test_code04_fails_without_promoted_logic(deps_project):
    path = write_notebook(deps_project.nbs_path / "loose.ipynb", [code("def add_one(x):\n    return x + 1")])
    checks = run_checks(deps_project, path, ["CODE-04", "CODE-07"])
    assert checks["CODE-04"].status == "fail"
    assert checks["CODE-07"].status == "skip"


def test_code04_fails_when_generated_files_are_stale_and_passes_when_promoted(deps_project):
    path = write_notebook(deps_project.nbs_path / "feat.ipynb", [
        code("%%promote churn.features\ndef add_one(x):\n    return x + 1\n"),
        code("%%promote --test churn.features\nassert add_one(1) == 2")])
    assert run_checks(deps_project, path, ["CODE-04"])["CODE-04"].status == "fail"  # not promoted yet
    path = _promoted_notebook(deps_project, "def add_one(x):\n    return x + 1\n")
    c = run_checks(deps_project, path, ["CODE-04"])["CODE-04"]
    assert c.status == "pass" and c.cells == [1]


def test_code07_fails_on_ruff_findings_and_passes_when_clean(deps_project):
    path = _promoted_notebook(deps_project, "import os\n\n\ndef add_one(x):\n    return x + 1\n")
    c = run_checks(deps_project, path, ["CODE-07"])["CODE-07"]
    assert c.status == "fail" and "F401" in c.message and c.cells == [1]
    path = _promoted_notebook(deps_project, "def add_one(x):\n    return x + 1\n")
    c = run_checks(deps_project, path, ["CODE-07"])["CODE-07"]
    assert c.status == "pass", c


# ---- DATA-02 / DATA-03: the monitor's real contract store --------------------------------------


def test_data02_data03_follow_the_monitor_store(deps_project):
    import pandas as pd

    import prodkit.monitor as monitor

    path = write_notebook(deps_project.nbs_path / "scored.ipynb", [
        code("import prodkit\nprodkit.monitor.watch(batch, model='churn-clf')")])
    checks = run_checks(deps_project, path, ["DATA-02", "DATA-03"])
    assert checks["DATA-02"].status == "fail" and "without a data contract" in checks["DATA-02"].message
    assert checks["DATA-03"].status == "skip"

    ref = pd.DataFrame({"tenure": range(100), "plan": ["a", "b"] * 50})
    monitor.set_reference("churn-clf", ref, project=deps_project)
    monitor.watch(ref.drop(columns=["plan"]), model="churn-clf", drift=False, project=deps_project)
    checks = run_checks(deps_project, path, ["DATA-02", "DATA-03"])
    assert checks["DATA-02"].status == "pass" and "contract" in checks["DATA-02"].message
    assert checks["DATA-03"].status == "fail" and "violation" in checks["DATA-03"].message

    monitor.watch(ref, model="churn-clf", drift=False, project=deps_project)
    assert run_checks(deps_project, path, ["DATA-03"])["DATA-03"].status == "pass"


def test_ops02_reads_the_last_drift_verdict(deps_project, monkeypatch):
    path = write_notebook(deps_project.nbs_path / "scored.ipynb", [code("prodkit.monitor.watch(batch, model='m')")])

    def hook(drift):
        _answer(monkeypatch, "monitoring", MonitorStatus.model_validate(
            {"watched": True, "cells": [1], "contracts": {"m": "x.yaml"},
             "last_drift": None if drift is None else {"drift": drift, "share": 0.25}}))

    hook(None)
    assert run_checks(deps_project, path, ["OPS-02"])["OPS-02"].status == "skip"
    hook(True)
    c = run_checks(deps_project, path, ["OPS-02"])["OPS-02"]
    assert c.status == "warn" and "25%" in c.message
    hook(False)
    assert run_checks(deps_project, path, ["OPS-02"])["OPS-02"].status == "pass"


def test_ops03_ops04_on_canned_registry_records(deps_project, nb, monkeypatch):
    """States a fresh registry cannot produce quickly: a months-old version, a single promoted version."""
    from datetime import UTC, datetime, timedelta

    old = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    row = {"name": "clf", "latest_version": "1", "aliases": {"champion": "1"}, "complete": True, "missing": [],
           "parity": {"status": "passed", "passed": True, "max_abs_diff": 0.0}, "benchmark": True,
           "has_card": True, "registered_at": old, "promoted": True, "rollback_versions": [], "versions": 1}
    _answer(monkeypatch, "models", [ModelStatus.model_validate(row)])
    checks = run_checks(deps_project, nb, ["OPS-03", "OPS-04"])
    assert checks["OPS-04"].status == "warn" and "200 days old" in checks["OPS-04"].message
    assert checks["OPS-03"].status == "warn" and "roll back" in checks["OPS-03"].message


# ---- MOD-04, MOD-05, OPS-03, OPS-04, BIZ-01: a real sqlite MLflow registry -----------------------


@pytest.mark.slow
def test_model_checks_follow_the_real_registry(deps_project):
    import subprocess

    import torch

    from prodkit.models import move_alias, register_model
    from prodkit.models.card import write_card
    from prodkit.readiness.business import set_business

    path = write_notebook(deps_project.nbs_path / "train.ipynb", [code("model.fit(X_train, y_train)")])
    git = ["git", "-C", str(deps_project.root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(deps_project.root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    example = torch.randn(8, 4)
    data = example.numpy()
    ids = ["MOD-04", "MOD-05", "OPS-03", "OPS-04", "BIZ-01", "DATA-04", "MOD-02"]

    register_model(model, "clf", example=example, metrics={"auc": 0.8}, notebook=path, project=deps_project)
    checks = run_checks(deps_project, path, ids)
    assert checks["MOD-04"].status == "fail" and "data hash" in checks["MOD-04"].message  # no data=
    assert checks["MOD-05"].status == "fail"
    assert checks["OPS-03"].status == "fail"  # no alias yet
    assert checks["OPS-04"].status == "pass"
    assert checks["MOD-02"].status == "pass"  # benchmarked at registration

    register_model(model, "clf", example=example, metrics={"auc": 0.8}, data=data, notebook=path, project=deps_project)
    move_alias("clf", 2, "champion", project=deps_project)
    write_card("clf", 2, project=deps_project)
    set_business(deps_project.root, {"kpi": "churn", "target": "-2 pts", "owner": "jane", "latency_budget_ms": "0.000001"})
    checks = run_checks(deps_project, path, ids)
    assert checks["MOD-04"].status == "pass", checks["MOD-04"]
    mod05 = checks["MOD-05"]  # a fresh card: prodkit wrote its blocks, the user's sections are still to write
    assert mod05.status == "warn" and "clf has 6 unwritten section(s): Intended Use, Factors" in mod05.message, mod05
    assert checks["DATA-04"].status == "pass"
    assert checks["OPS-03"].status == "pass" and "clf@champion (v2)" in checks["OPS-03"].message
    assert checks["BIZ-01"].status == "fail" and "exceeds" in checks["BIZ-01"].message

    set_business(deps_project.root, {"latency_budget_ms": "100000"})
    assert run_checks(deps_project, path, ["BIZ-01"])["BIZ-01"].status == "pass"

    card = deps_project.root / "model_cards" / "clf.md"
    text = card.read_text(encoding="utf-8")
    for title in ("Intended Use", "Factors", "Evaluation Data", "Quantitative Analyses", "Ethical Considerations",
                  "Caveats and Recommendations"):
        text = text.replace(f"## {title}\n", f"## {title}\n\nWritten by the team.\n", 1)
    card.write_text(text, encoding="utf-8")  # the user writes the sections: the check reads the card as it is now
    assert run_checks(deps_project, path, ["MOD-05"])["MOD-05"].status == "pass"


@pytest.mark.slow
def test_ops01_reads_real_job_runs(deps_project):
    """OPS-01 reads the real jobs store through prodkit.jobs.state: a failing run fails, a good one passes."""
    from prodkit.jobs.api import add_job, run_job

    path = write_notebook(deps_project.nbs_path / "job.ipynb", [code("%%promote --params\nboom = 1"),
                                                           code("assert boom == 0, 'boom'")])
    add_job("nightly", path, "0 6 * * *", project=deps_project)
    run_job("nightly", project=deps_project)
    c = run_checks(deps_project, path, ["OPS-01"])["OPS-01"]
    assert c.status == "fail" and "AssertionError" in c.message and "cell 2" in c.message
    run_job("nightly", project=deps_project, parameters={"boom": 0})
    assert run_checks(deps_project, path, ["OPS-01"])["OPS-01"].status == "pass"


def test_monitoring_of_the_notebooks_models_counts_when_watched_elsewhere(deps_project, nb, monkeypatch):
    """The notebook trains churn-clf; a scoring notebook watches it: DATA-02/03 and OPS-02 see that."""
    row = {"name": "churn-clf", "latest_version": "1", "aliases": {}, "complete": True, "missing": []}
    _answer(monkeypatch, "models", [ModelStatus.model_validate(row)])
    per_model = {"contract": ".prodkit/monitor/churn-clf/contract.yaml", "batches": 3,
                 "last_validation": {"ok": True, "errors": 0, "warnings": 0, "time": "2026-01-02T06:00:00+00:00"},
                 "last_drift": {"drift": False, "share": 0.0, "time": "2026-01-02T06:00:00+00:00", "run_id": 7}}
    _answer(monkeypatch, "monitoring", MonitorStatus())
    monkeypatch.setattr(_state, "model_monitoring", lambda project, name: ModelMonitoring.model_validate(per_model))
    checks = run_checks(deps_project, nb, ["DATA-02", "DATA-03", "OPS-02"])
    assert [checks[i].status for i in ("DATA-02", "DATA-03", "OPS-02")] == ["pass", "pass", "pass"]


def test_ops01_a_manual_only_job_is_not_a_schedule(deps_project, nb, monkeypatch):
    """Issue 15: "Run now" makes a manual-only job (no cron, not paused); OPS-01 must not call it a healthy schedule."""
    _jobs(monkeypatch, [{"name": "churn-manual", "cron": "", "paused": False, "healthy": True,
                         "on_drift": None, "on_degraded": None, "last_run": _run("succeeded"), "message": "ok"}])
    c = run_checks(deps_project, nb, ["OPS-01"])["OPS-01"]
    assert c.status == "skip" and "churn-manual runs only when asked" in c.message
