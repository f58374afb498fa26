"""A real scheduled run (prodkit.jobs, papermill, a real kernel) that watches its batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from pktest import job_notebook

from prodkit.config import init_project, load_project
from prodkit.monitor.state import history, monitoring_for_notebook
from prodkit.monitor.store import read_history
from prodkit.monitor.watcher import set_reference

pytest.importorskip("prodkit.jobs.context", reason="prodkit.jobs has no run context yet")
pytestmark = pytest.mark.slow

WATCH_CELL = """\
import pandas as pd
import prodkit.monitor
result = prodkit.monitor.watch(pd.read_parquet(batch), model="churn-clf", fail_on_drift=fail_on_drift)
result"""


def scheduled_project(tmp_path, reference, same_batch, shifted_batch):
    init_project(tmp_path)
    project = load_project(tmp_path)
    set_reference("churn-clf", reference, project=project)
    same_batch.to_parquet(tmp_path / "same.parquet")
    shifted_batch.to_parquet(tmp_path / "shifted.parquet")
    path = job_notebook(project.nbs_path / "score.ipynb", [WATCH_CELL],
                        params='batch = "same.parquet"\nfail_on_drift = False')
    return project, path


def test_scheduled_run_records_drift_beside_its_output_and_can_fail_on_it(tmp_path, reference, same_batch,
                                                                          shifted_batch):
    from prodkit.jobs.api import add_job, run_job, show_run

    project, notebook = scheduled_project(tmp_path, reference, same_batch, shifted_batch)
    add_job("score-daily", notebook, "0 6 * * *", project=project)

    [flagged] = run_job("score-daily", project=project, parameters={"batch": str(tmp_path / "shifted.parquet")})
    assert flagged.status == "succeeded", flagged.error
    output = Path(flagged.output_path)
    report = output.with_name(f"{output.stem}-drift-churn-clf.html")
    assert report.is_file()
    # one copy of the verdict: on the run; the history line names the run and reads it back from there
    line = read_history(project, "churn-clf")[-1]
    assert line["drift"] is None and str(line["drift_run"]) == str(flagged.run_id)
    record = history(project, "churn-clf")[-1]
    assert str(record["run_id"]) == str(flagged.run_id) and record["drift"]["drift"] is True
    artifacts = show_run(flagged.run_id, project=project).to_dict()["artifacts"]
    drift = next(a for a in artifacts if a["kind"] == "drift")
    assert drift["summary"]["drift"] is True and drift["summary"]["share"] == 0.5
    info = monitoring_for_notebook(project, notebook)
    assert info.last_drift.drift is True and str(info.last_drift.run_id) == str(flagged.run_id)

    [failed] = run_job("score-daily", project=project, retries=False,
                       parameters={"batch": str(tmp_path / "shifted.parquet"), "fail_on_drift": True})
    assert failed.status == "failed" and "DriftDetected" in failed.error.ename
    assert "drift in 2 of 4 columns" in failed.error.evalue
    # each run keeps its own report: the second run did not overwrite the first's
    reports = {str(a["summary"]["report"]) for r in (flagged, failed)
               for a in show_run(r.run_id, project=project).to_dict()["artifacts"] if a["kind"] == "drift"}
    assert reports == {str(report), str(Path(failed.output_path).with_name(
        f"{Path(failed.output_path).stem}-drift-churn-clf.html"))}
    assert all(Path(r).is_file() for r in reports)


def test_demo_step_shows_the_verdict_of_the_jobs_steps_run(tmp_path, reference, same_batch, shifted_batch):
    import io

    from rich.console import Console

    from prodkit.demo import DemoContext
    from prodkit.demo.monitor import demo_step
    from prodkit.jobs.api import add_job, run_job

    project, notebook = scheduled_project(tmp_path, reference, same_batch, shifted_batch)
    add_job("score-daily", notebook, "0 6 * * *", project=project)
    [run] = run_job("score-daily", project=project, parameters={"batch": str(tmp_path / "shifted.parquet")})
    buffer = io.StringIO()
    ctx = DemoContext(project=project, notebook=notebook, console=Console(file=buffer, width=120),
                      facts={"job_run": run.to_dict(), "model_name": "churn-clf"})
    demo_step(ctx)
    assert f"scheduled run {run.run_id}: DRIFT" in buffer.getvalue()
    report = dict(ctx.where)["drift report (run)"]
    assert (project.root / report).is_file() and report.endswith("drift-churn-clf.html")
