"""watch / set_reference in a real project folder, and the read-only hook for readiness."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pktest import write_notebook

from prodkit.errors import BadInput, GateFailed
from prodkit.monitor.state import monitoring_for_notebook
from prodkit.monitor.store import contract_path, read_history
from prodkit.monitor.watcher import ContractBroken, DriftDetected, set_reference, watch


def test_outside_jobs_watch_only_validates_and_records_the_verdict(empty_project, reference, shifted_batch):
    set_reference("churn-clf", reference, project=empty_project)
    assert contract_path(empty_project, "churn-clf").is_file()
    result = watch(shifted_batch, model="churn-clf", project=empty_project)
    assert result.drift is None and not result.validation.ok and result.run_id is None
    assert {v.rule for v in result.validation.errors} == {"out_of_range", "unseen_categories"}
    [record] = read_history(empty_project, "churn-clf")
    assert record["validation"]["ok"] is False and record["drift"] is None
    assert "breaks the contract" in result._repr_html_() and "breaks the contract" in repr(result)


def test_watch_with_drift_writes_a_report_and_records_it(empty_project, reference, shifted_batch):
    set_reference("churn-clf", reference, project=empty_project)
    result = watch(shifted_batch, model="churn-clf", drift=True, project=empty_project)
    assert result.drift.drift and sorted(result.drift.drifted) == ["monthly_charges", "plan"]
    report = empty_project.root / result.drift.report
    assert report.is_file() and report.parent.name == "reports"
    record = read_history(empty_project, "churn-clf")[-1]
    assert record["drift"]["drift"] is True and record["drift"]["report"] == result.drift.report


def test_each_scheduled_run_gets_its_own_drift_report_beside_its_output(empty_project, reference, shifted_batch,
                                                                        monkeypatch):
    """Runs (and retries) of one job write RUN_ID-drift-MODEL.html next to RUN_ID.ipynb, never one shared file."""
    set_reference("churn-clf", reference, project=empty_project)
    run_dir = empty_project.runs_dir / "score-daily"
    run_dir.mkdir(parents=True)
    reports = []
    for run_id in (7, 8):
        monkeypatch.setenv("PRODKIT_RUN_ID", str(run_id))
        monkeypatch.setenv("PRODKIT_JOB", "score-daily")
        monkeypatch.setenv("PRODKIT_RUN_OUTPUT", str(run_dir / f"{run_id}.ipynb"))
        monkeypatch.setenv("PRODKIT_JOBS_DB", "")
        monkeypatch.setenv("PRODKIT_FAIL_ON_DRIFT", "0")
        result = watch(shifted_batch, model="churn-clf", project=empty_project)
        assert result.run_id in (run_id, str(run_id)) and result.drift.drift
        reports.append(result.drift.report)
    assert reports == [".prodkit/runs/score-daily/7-drift-churn-clf.html",
                       ".prodkit/runs/score-daily/8-drift-churn-clf.html"]
    assert all((empty_project.root / r).is_file() for r in reports)
    assert [r["drift"]["report"] for r in read_history(empty_project, "churn-clf")] == reports


def test_watch_columns_leave_out_what_the_batch_lacks(empty_project, reference, same_batch):
    set_reference("churn-clf", reference.assign(churned=0), project=empty_project)
    full = watch(same_batch, model="churn-clf", project=empty_project)
    assert [v.rule for v in full.validation.errors] == ["missing_column"]
    features = ["tenure", "monthly_charges", "support_calls", "plan"]
    only = watch(same_batch.assign(score=0.3), model="churn-clf", columns=features, drift=True, project=empty_project)
    assert only.validation.ok and set(only.drift.columns) == set(features)
    assert not {"missing_column", "extra_column"} & {v.rule for v in only.validation.violations}


def test_fail_on_drift_and_on_violation_raise_gate_errors(empty_project, reference, shifted_batch, same_batch):
    set_reference("churn-clf", reference, project=empty_project)
    with pytest.raises(DriftDetected) as info:
        watch(shifted_batch, model="churn-clf", drift=True, fail_on_drift=True, project=empty_project)
    assert isinstance(info.value, GateFailed) and "drift in 2 of 4 columns" in info.value.line()
    assert read_history(empty_project, "churn-clf")[-1]["drift"]["drift"] is True  # recorded before failing
    with pytest.raises(ContractBroken, match="breaks the contract"):
        watch(shifted_batch, model="churn-clf", fail_on_violation=True, project=empty_project)
    assert watch(same_batch, model="churn-clf", drift=True, fail_on_drift=True, project=empty_project).ok


def test_batch_missing_every_column_gives_violations_not_a_traceback(empty_project, reference):
    set_reference("churn-clf", reference, project=empty_project)
    result = watch(reference[["tenure"]].rename(columns={"tenure": "other"}), model="churn-clf", drift=True,
                   project=empty_project)
    assert result.drift is None and any("drift not computed" in n for n in result.notes)
    assert sum(v.rule == "missing_column" for v in result.validation.errors) == 4


def test_no_reference_is_one_clear_line(empty_project, same_batch):
    with pytest.raises(BadInput) as info:
        watch(same_batch, model="nobody", project=empty_project)
    assert "no reference data and no contract for model 'nobody'" in info.value.line()
    assert "set_reference('nobody'" in info.value.line()
    with pytest.raises(BadInput, match="not usable"):
        watch(same_batch, model="../etc", project=empty_project)


def test_contract_follows_the_reference_unless_edited_by_hand(empty_project, reference, shifted_batch):
    set_reference("churn-clf", reference, project=empty_project)
    path = contract_path(empty_project, "churn-clf")
    set_reference("churn-clf", shifted_batch, project=empty_project)  # not edited: inferred again
    assert "enterprise" in path.read_text()
    path.write_text(path.read_text().replace("extra_columns: warning", "extra_columns: error"))
    edited = path.read_text()
    result = set_reference("churn-clf", reference, project=empty_project)
    assert path.read_text() == edited and any("edited by hand" in n for n in result.notes)


def test_monitoring_hook_for_readiness(empty_project, reference, shifted_batch):
    nb = write_notebook(empty_project.nbs_path / "churn.ipynb",
                        ["import prodkit", 'prodkit.monitor.watch(scored_batch, model="churn-clf")'])
    plain = write_notebook(empty_project.nbs_path / "plain.ipynb", ["x = 1"])
    assert monitoring_for_notebook(empty_project, plain).watched is False
    before = monitoring_for_notebook(empty_project, nb)
    assert before.watched and before.models == ["churn-clf"] and before.cells == [2]
    assert before.contracts == {"churn-clf": None} and before.last_validation is None
    set_reference("churn-clf", reference, project=empty_project)
    watch(shifted_batch, model="churn-clf", drift=True, project=empty_project)
    info = monitoring_for_notebook(empty_project, nb)
    assert info.contracts["churn-clf"] == ".prodkit/monitor/churn-clf/contract.yaml"
    assert info.last_validation.ok is False and info.last_validation.errors == 2
    assert info.last_validation.time
    assert info.last_drift is None  # only scheduled runs count for OPS-02
    assert info.last_drift_any.drift is True
    json.dumps(info.model_dump(mode="json"))
    broken = empty_project.root / "broken.ipynb"
    broken.write_text("{")
    assert "not valid JSON" in monitoring_for_notebook(empty_project, broken).error


def test_importing_monitor_and_the_readiness_hook_stay_light(empty_project, reference):
    set_reference("churn-clf", reference, project=empty_project)
    watch(reference, model="churn-clf", project=empty_project)
    nb = write_notebook(empty_project.nbs_path / "churn.ipynb", ['prodkit.monitor.watch(df, model="churn-clf")'])
    code = ("import sys, prodkit.monitor, prodkit.monitor.cli, prodkit.monitor.magic, prodkit.demo.monitor\n"
            "from prodkit.config import load_project\n"
            "from prodkit.monitor.state import monitoring_for_notebook\n"
            f"info = monitoring_for_notebook(load_project({str(empty_project.root)!r}), {str(nb)!r})\n"
            "assert info.last_validation.ok is True, info\n"
            "print([m for m in ('pandas', 'evidently', 'numpy', 'mlflow', 'pyarrow') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _in_run(monkeypatch, project, run_id, fail_on_drift):
    """The kernel environment the jobs runner gives a scheduled run (prodkit.jobs.context.run_environment)."""
    from prodkit.jobs.context import run_environment

    run_dir = project.runs_dir / "score-daily"
    run_dir.mkdir(parents=True, exist_ok=True)
    request = type("Request", (), {"run_id": run_id, "job": "score-daily", "output_path": run_dir / f"{run_id}.ipynb",
                                   "jobs_db": "", "notebook": "nbs/score.ipynb", "fail_on_drift": fail_on_drift})
    for key, value in run_environment(request).items():
        monkeypatch.setenv(key, value)


def test_a_run_whose_job_fails_on_drift_fails_on_drift(empty_project, reference, shifted_batch, monkeypatch):
    """RunContext.fail_on_drift (from the runner's environment) is what watch() obeys when not told otherwise."""
    from prodkit.jobs.context import current_run

    set_reference("churn-clf", reference, project=empty_project)
    _in_run(monkeypatch, empty_project, 9, fail_on_drift=True)
    assert current_run().fail_on_drift is True
    with pytest.raises(DriftDetected):
        watch(shifted_batch, model="churn-clf", project=empty_project)
    _in_run(monkeypatch, empty_project, 10, fail_on_drift=False)
    assert current_run().fail_on_drift is False
    assert watch(shifted_batch, model="churn-clf", project=empty_project).drift.drift  # flagged, not failed
