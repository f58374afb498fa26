"""`%prodkit drift` in a real IPython shell, and the demo step on a fresh project."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from rich.console import Console

from prodkit.config import init_project, load_project
from prodkit.demo import DemoContext
from prodkit.demo.monitor import demo_step
from prodkit.monitor.store import append_history


@pytest.fixture(scope="module")
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "prodkit")
    return ip


def test_drift_magic_on_notebook_frames_and_files(shell, tmp_path, reference, shifted_batch):
    shell.user_ns.update(train=reference, scored=shifted_batch)
    result = shell.run_line_magic("prodkit", f"drift train scored --html {tmp_path / 'r.html'}")
    assert result.drift and sorted(result.drifted) == ["monthly_charges", "plan"] and (tmp_path / "r.html").is_file()
    reference.to_parquet(tmp_path / "ref.parquet")
    assert not shell.run_line_magic("prodkit", f"drift {tmp_path / 'ref.parquet'} train").drift


def test_drift_magic_usage_and_bad_input_are_usage_errors(shell, tmp_path, reference):
    shell.user_ns.update(train=reference)
    with pytest.raises(UsageError, match="Missing argument 'current'.  \\(usage: %prodkit drift"):
        shell.run_line_magic("prodkit", "drift train")
    with pytest.raises(UsageError, match="no such file"):
        shell.run_line_magic("prodkit", f"drift train {tmp_path / 'nope.csv'}")


def demo_ctx(tmp_path) -> tuple[DemoContext, io.StringIO]:
    init_project(tmp_path)
    buffer = io.StringIO()
    ctx = DemoContext(project=load_project(tmp_path), notebook=tmp_path / "nbs" / "churn_poc.ipynb",
                      console=Console(file=buffer, width=120))
    return ctx, buffer


def test_demo_step_without_a_scheduled_run_watches_a_shifted_batch(tmp_path):
    ctx, buffer = demo_ctx(tmp_path)
    demo_step(ctx)
    text = buffer.getvalue()
    assert "DRIFT" in text and "columns drifted" in text and ctx.facts["drift"] is True
    where = dict(ctx.where)
    assert (ctx.project.root / where["drift report"]).is_file()
    assert where["data contract"].endswith("contract.yaml")


def test_demo_step_shows_the_scheduled_runs_verdict(tmp_path):
    ctx, buffer = demo_ctx(tmp_path)
    ctx.facts.update(model_name="churn-clf", job_run={"run_id": 7, "status": "succeeded"})
    append_history(ctx.project, "churn-clf", {
        "time": "2026-01-01T06:00:00+00:00", "run_id": 7, "rows": 10,
        "validation": {"ok": True, "errors": 0, "warnings": 0, "rules": []},
        "drift": {"drift": False, "share": 0.0, "drifted": [], "report": "runs/score-daily/7-drift-churn-clf.html",
                  "columns": 4, "sample": {}}})
    demo_step(ctx)
    assert "scheduled run 7" in buffer.getvalue() and "no drift" in buffer.getvalue()
    assert ("drift report (run)", "runs/score-daily/7-drift-churn-clf.html") in ctx.where
    assert not Path(tmp_path / ".prodkit" / "monitor" / "churn-clf" / "contract.yaml").exists()
