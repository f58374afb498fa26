"""The jobs step of `prodkit demo`: schedules the PoC, runs it once, shows its history."""

import io

import pytest
from jobs.jobs_helpers import REPO
from rich.console import Console

from prodkit.demo import DemoContext
from prodkit.demo.jobs import JOB_NAME, demo_step
from prodkit.jobs.api import open_store


@pytest.mark.slow
def test_demo_step_schedules_runs_and_reports(backend_project, nb, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the kernel runs `%load_ext prodkit`
    path = nb("churn_poc", ["print('trained with', threshold)"], before=("%load_ext prodkit",),
              params="threshold = 0.5", promote_params=True)
    buf = io.StringIO()
    ctx = DemoContext(project=backend_project, notebook=path, console=Console(file=buf, width=120))
    demo_step(ctx)
    text = buf.getvalue()
    assert f"history of {JOB_NAME}" in text and "succeeded" in text
    assert ctx.facts["job_run"]["status"] == "succeeded"
    assert ctx.facts["job_run"]["parameters"] == {"threshold": 0.6}
    assert dict(ctx.where)["job run output"].endswith(".ipynb")
    with open_store(backend_project) as store:
        assert store.get_job(JOB_NAME).tz == "Europe/London"
