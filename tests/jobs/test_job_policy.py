"""Job policy lives in jobs/ (issue 15): one default job name rule, manual-only jobs without a cron,
and the job "Run now" runs for a notebook."""

import pytest
from pktest import job_notebook

from prodkit.jobs import api
from prodkit.jobs.api import _JOB_NAME, add_job, job_for_run_now, open_store
from prodkit.jobs.names import default_job_name
from prodkit.jobs.scheduler import Scheduler, plan_claims


@pytest.mark.parametrize("file, name", [("01 churn (copy).ipynb", "01-churn-copy"),
                                        ("Café données.ipynb", "Cafe-donnees"),
                                        ("churn.v2.ipynb", "churn.v2"), ("churn_poc.ipynb", "churn-poc"),
                                        ("a/x.ipynb", "a-x"), ("(( )).ipynb", "notebook")])
def test_default_job_name_is_the_notebooks_path_in_the_project(empty_project, file, name):
    """One rule for every caller (it was three: nbs/a/x.ipynb -> "x", "a-x", "x")."""
    path = job_notebook(empty_project.nbs_path / file, ["pass"])
    assert default_job_name(empty_project, path) == name and _JOB_NAME.match(name)


def test_add_job_without_cron_is_manual_only_and_never_scheduled(backend_project, nb):
    """A job may have no cron and no trigger: stored active (not paused), no next due time, never claimed."""
    path = nb("adhoc", ["pass"])
    added = add_job("adhoc", path, None, project=backend_project)
    assert (added.job.cron, added.job.next_due, added.job.paused) == ("", None, False)
    assert api.is_manual_only(added.job)
    report = Scheduler(backend_project, concurrency=1).run_once()
    assert report.claimed == [] and api.history("adhoc", project=backend_project) == []


def test_the_scheduler_plans_no_slots_for_a_job_without_cron():
    """Even a cron-less job whose next_due is set (older store, hand edit) gets no slot, and no planning error."""
    rows = [{"name": "adhoc", "cron": "", "tz": "UTC", "checked_until": 0.0, "catch_up": "all",
             "parameters": "{}", "notebook": "nbs/adhoc.ipynb"},
            {"name": "daily", "cron": "0 6 * * *", "tz": "UTC", "checked_until": 0.0, "catch_up": "once",
             "parameters": "{}", "notebook": "nbs/daily.ipynb"}]
    claims, cursors = plan_claims(rows, now=3 * 86400.0, grace_s=60.0)
    assert {c[0] for c in claims} == {"daily"}
    assert (None, "adhoc") in cursors


def test_jobs_add_without_cron_says_manual_only_and_list_shows_it(backend_project, nb, cli):
    path = str(nb("adhoc", ["pass"]))
    added = cli("jobs", "add", "adhoc", path)
    assert added.returncode == 0, added.stderr
    assert "manual only" in added.stdout and "prodkit jobs run adhoc" in added.stdout
    listed = cli("jobs", "list")
    assert listed.returncode == 0 and "manual" in listed.stdout, listed.stdout


def test_run_now_makes_one_manual_only_job_per_notebook_then_reuses_it(backend_project, nb):
    """"Run now" on a notebook without a job: a manual-only job named by the default rule (not a paused
    dummy cron `0 0 1 1 *`); the next time, the notebook's job is found, no new one is made."""
    path = job_notebook(backend_project.nbs_path / "a" / "x.ipynb", ["pass"])
    assert job_for_run_now(path, project=backend_project) == ("a-x-manual", True)
    assert job_for_run_now(path, project=backend_project) == ("a-x-manual", False)
    with open_store(backend_project) as store:
        [job] = store.list_jobs()
    assert (job.cron, job.paused, job.next_due) == ("", False, None)
    scheduled = nb("daily", ["pass"])
    add_job("churn-daily", scheduled, "0 6 * * *", project=backend_project)
    assert job_for_run_now(scheduled, project=backend_project) == ("churn-daily", False)
