"""The Python API without kernels: Ctrl-C during a retry's backoff, the schedule magic's default name."""

import types

import pytest
from pktest import job_notebook

from prodkit.jobs import api, runner
from prodkit.jobs.api import add_job, history, run_job
from prodkit.jobs.execute import RunOutcome
from prodkit.jobs.records import CANCELLED, FAILED, RunError


def test_ctrl_c_during_retry_backoff_cancels_the_queued_retry(backend_project, nb, monkeypatch):
    add_job("flaky", nb("flaky", ["pass"]), "0 6 * * *", retries=2, retry_backoff_s=30, project=backend_project)

    def failed(store, request, **kw):  # stands in for a notebook that raised: no kernel needed for this test
        return RunOutcome(FAILED, 1.0, 2.0, RunError(3, "RuntimeError", "upstream not ready"))

    def ctrl_c(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "execute", failed)
    monkeypatch.setattr(api, "time", types.SimpleNamespace(sleep=ctrl_c))
    with pytest.raises(KeyboardInterrupt):
        run_job("flaky", project=backend_project)
    retry, first = history("flaky", project=backend_project)
    assert first.status == FAILED and retry.retry_of == first.run_id
    assert retry.status == CANCELLED and "Ctrl-C" in retry.error.evalue  # not left queued for a scheduler


def test_schedule_magic_names_the_job_from_the_notebooks_path_in_the_project(backend_project, nb):
    """Issue 15: `%prodkit schedule` used the file name (nbs/a/x.ipynb -> "x"); now the one rule: "a-x"."""
    from prodkit._magic_cli import run_line

    path = job_notebook(backend_project.nbs_path / "a" / "x.ipynb", ["pass"])
    run_line(types.SimpleNamespace(user_ns={}), f'schedule {path} --cron "0 6 * * *"')
    assert [j["name"] for j in api.list_jobs(backend_project)] == ["a-x"]
