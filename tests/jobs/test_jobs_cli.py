"""The `prodkit jobs` and `prodkit scheduler` commands, as a user runs them (subprocesses)."""

import json

import pytest
from jobs.jobs_helpers import assert_no_jobs

from prodkit.errors import BadInput
from prodkit.jobs.api import add_job, open_store


def one_error_line(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:") and "Traceback" not in proc.stderr
    return lines[0]


def test_bad_input_is_one_line_exit_2_and_stores_nothing(backend_project, nb, cli):
    path = str(nb("nb", ["pass"], params="threshold = 0.5\nrun_date = '2026-01-01'"))
    cases = {
        "invalid cron": ["jobs", "add", "j", path, "--cron", "61 6 * * *"],
        "no such notebook": ["jobs", "add", "j", "nbs/missing.ipynb", "--cron", "0 6 * * *"],
        "not declared": ["jobs", "add", "j", path, "--cron", "0 6 * * *", "-p", "treshold=0.6"],
        "unknown timezone": ["jobs", "add", "j", path, "--cron", "0 6 * * *", "--tz", "Europe/Londn"],
        "not KEY=VALUE": ["jobs", "add", "j", path, "--cron", "0 6 * * *", "-p", "threshold"],
        "catch-up policy": ["jobs", "add", "j", path, "--cron", "0 6 * * *", "--catch-up", "twice"],
        "never fires": ["jobs", "add", "j", path, "--cron", "0 6 30 2 *"],
        "retry backoff nan s": ["jobs", "add", "j", path, "--cron", "0 6 * * *", "--retry-backoff", "nan"],
        "retry backoff inf s": ["jobs", "add", "j", path, "--cron", "0 6 * * *", "--retry-backoff", "inf"],
        "timeout nan s": ["jobs", "add", "j", path, "--cron", "0 6 * * *", "--timeout", "nan"],
    }
    for expected, args in cases.items():
        proc = cli(*args)
        assert proc.returncode == 2, (expected, proc.stderr)
        assert expected in one_error_line(proc)
    assert "it declares: threshold, run_date" in cli(*cases["not declared"]).stderr
    assert cli("jobs", "list").returncode == 0  # reading creates no store either
    assert "no jobs in this project yet" in one_error_line(cli("jobs", "run", "j"))
    assert_no_jobs(backend_project)


def test_kernel_not_installed_is_bad_input(backend_project, nb, cli):
    path = str(nb("other", ["pass"], kernel="julia-1.10"))
    proc = cli("jobs", "add", "j", path, "--cron", "0 6 * * *")
    assert proc.returncode == 2
    assert "kernel 'julia-1.10' is not installed" in one_error_line(proc)
    assert_no_jobs(backend_project)


def test_values_that_are_not_json_able_are_refused(backend_project, nb):
    path = nb("nb", ["pass"], params="cutoff = None")
    for value in (object(), float("nan"), {1, 2}):
        with pytest.raises(BadInput, match="not JSON-able"):
            add_job("j", path, "0 6 * * *", parameters={"cutoff": value}, project=backend_project)
    assert_no_jobs(backend_project)


def test_undeclared_parameters_can_be_allowed_with_a_warning(backend_project, nb, cli):
    path = str(nb("nb", ["pass"], params="threshold = 0.5"))
    proc = cli("jobs", "add", "j", path, "--cron", "0 6 * * *", "-p", "extra=1", "--allow-undeclared", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "warning:" in proc.stderr and "extra" in proc.stderr
    assert json.loads(proc.stdout)["parameters"] == {"extra": 1}


@pytest.mark.slow
def test_add_run_history_show_pause_resume_remove(backend_project, nb, cli):
    path = str(nb("daily", ["print(threshold)"], params="threshold = 0.5"))
    added = cli("jobs", "add", "daily", path, "--cron", "0 6 * * *", "-p", "threshold=0.6", "--tz", "Europe/London",
                "--timeout", "120", "--retries", "1", "--json")
    assert added.returncode == 0, added.stderr
    job = json.loads(added.stdout)
    assert job["parameters"] == {"threshold": 0.6} and job["tz"] == "Europe/London" and job["retries"] == 1

    ran = cli("jobs", "run", "daily", "-p", "threshold=0.7")
    assert ran.returncode == 0, ran.stderr
    assert "succeeded" in ran.stdout and "cell 2" in ran.stderr  # live per-cell progress

    rows = json.loads(cli("jobs", "history", "daily", "--json").stdout)
    assert len(rows) == 1
    row = rows[0]
    for key in ("run_id", "job", "status", "scheduled_for", "started_at", "ended_at", "parameters", "output_path",
                "error", "attempt"):
        assert key in row
    assert row["status"] == "succeeded" and row["parameters"] == {"threshold": 0.7} and row["error"] is None
    assert (backend_project.root / row["output_path"]).is_file()
    shown = json.loads(cli("jobs", "show", str(row["run_id"]), "--json").stdout)
    assert shown["notebook_sha256"] and shown["run_id"] == row["run_id"]

    assert cli("jobs", "pause", "daily").returncode == 0
    assert json.loads(cli("jobs", "list", "--json").stdout)[0]["paused"] is True
    assert "next run" in cli("jobs", "resume", "daily").stdout
    listed = json.loads(cli("jobs", "list", "--json").stdout)[0]
    assert listed["paused"] is False and listed["last_run"]["run_id"] == row["run_id"]
    assert cli("jobs", "remove", "daily").returncode == 0
    assert json.loads(cli("jobs", "list", "--json").stdout) == []
    assert json.loads(cli("jobs", "history", "daily", "--json").stdout)[0]["run_id"] == row["run_id"]  # kept
    missing = cli("jobs", "show", "999")
    assert missing.returncode == 2 and "no run with id 999" in one_error_line(missing)


@pytest.mark.slow
def test_failed_run_exits_1_and_scheduler_once_runs_due_queue(backend_project, nb, cli):
    add_job("bad", nb("bad", ["1/0"]), "0 6 * * *", project=backend_project)
    ran = cli("jobs", "run", "bad")
    assert ran.returncode == 1 and "cell 2: ZeroDivisionError" in ran.stdout
    assert cli("jobs", "run", "bad", "--queue").returncode == 0
    once = cli("scheduler", "--once", "--concurrency", "1")
    assert once.returncode == 0, once.stderr
    assert "1 run(s) executed" in once.stderr
    with open_store(backend_project) as store:
        assert [r.status for r in store.history("bad")] == ["failed", "failed"]
