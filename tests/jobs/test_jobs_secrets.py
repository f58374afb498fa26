"""Finding 6 (issue 11): no secret from job parameters or error text is stored or shown.

A parameter that looks like a secret is refused (papermill would write it into every output
notebook, and the store would keep it): `jobs add`, `jobs run -p` and `--queue` exit 2 with
the fix and store nothing. Error text, parameters and output paths are redacted at the store
boundary, on write and on read (a store written before this fix shows them redacted too).
"""

from __future__ import annotations

import json

import pytest
from jobs.jobs_helpers import assert_no_jobs

from prodkit.jobs.api import open_store
from prodkit.jobs.state import jobs_for_notebook
from prodkit.jobs.tables import jobs, runs

TOKEN = "ghp_" + "Zq7Lm2Xc9Vb4Nn1Kk8Jj3Hh6Gg5Ff0Dd2Ss4"
DB_PW = "Sup3rS3cretPw"


def one_error_line(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_finding_06_a_secret_job_parameter_is_refused_at_add_with_the_fix(backend_project, nb, cli):
    path = str(nb("pull", ["pass"], params='api_token = ""\ndsn = ""'))
    for param in (f"api_token={json.dumps(TOKEN)}", f'dsn="postgresql://bob:{DB_PW}@db:5432/x"'):
        proc = cli("jobs", "add", "pull", path, "--cron", "0 6 * * *", "-p", param)
        assert proc.returncode == 2, proc.stderr
        line = one_error_line(proc)
        assert "looks like a secret" in line and "environment variable" in line
        assert TOKEN not in proc.stdout + proc.stderr and DB_PW not in proc.stdout + proc.stderr
    assert_no_jobs(backend_project)


def test_finding_06_a_secret_passed_to_jobs_run_is_refused_and_nothing_runs(backend_project, nb, cli):
    path = str(nb("pull", ["pass"], params='api_token = ""'))
    assert cli("jobs", "add", "pull", path, "--cron", "0 6 * * *").returncode == 0
    for extra in ((), ("--queue",)):
        proc = cli("jobs", "run", "pull", "-p", f"api_token={json.dumps(TOKEN)}", *extra)
        assert proc.returncode == 2 and "looks like a secret" in one_error_line(proc)
    with open_store(backend_project) as store:
        assert store.history("pull") == []


@pytest.mark.slow
def test_finding_06_an_error_message_holding_a_secret_is_stored_and_shown_redacted(backend_project, nb, cli):
    path = str(nb("leak", [f'raise RuntimeError("login refused for token {TOKEN} at postgresql://bob:{DB_PW}@db/x")']))
    assert cli("jobs", "add", "leak", path, "--cron", "0 6 * * *").returncode == 0
    ran = cli("jobs", "run", "leak")
    assert ran.returncode == 1
    shown = [ran.stdout + ran.stderr, cli("jobs", "history", "--json").stdout, cli("jobs", "list", "--json").stdout,
             cli("jobs", "history", "leak").stdout, json.dumps([j.model_dump(mode="json") for j in jobs_for_notebook(backend_project, path)])]
    assert "login refused" in shown[1] and "***" in shown[1]
    for text in shown:
        assert TOKEN not in text and DB_PW not in text
    with open_store(backend_project) as store:  # the stored bytes, not only what is shown
        raw = store._rows(runs.select())
    assert raw and all(TOKEN not in str(dict(r)) and DB_PW not in str(dict(r)) for r in raw)


def test_finding_06_secrets_already_in_a_store_are_shown_redacted(backend_project, nb, cli):
    """A store written before the fix (secret parameters, error text, output path) reads back redacted."""
    path = nb("old", ["pass"], params='api_token = ""')
    assert cli("jobs", "add", "old", str(path), "--cron", "0 6 * * *").returncode == 0
    with open_store(backend_project) as store, store.transaction() as db:
        db.execute(jobs.update().values(parameters=json.dumps({"api_token": TOKEN})))
        db.execute(runs.insert().values(
            job="old", scheduled_for=1.0, attempt=1, trigger="manual", status="failed",
            parameters=json.dumps({"api_token": TOKEN}), output_path=f".prodkit/runs/old/{TOKEN}.ipynb",
            error=json.dumps({"cell": 2, "ename": "RuntimeError", "evalue": f"bad token {TOKEN}"})))
    shown = [cli("jobs", "history", "--json").stdout, cli("jobs", "list", "--json").stdout,
             cli("jobs", "show", "1").stdout, json.dumps([j.model_dump(mode="json") for j in jobs_for_notebook(backend_project, path)])]
    assert '"api_token": "***"' in shown[0] and "bad token ***" in shown[0]
    for text in shown:
        assert TOKEN not in text


def test_a_token_used_as_a_urls_user_in_run_error_text_is_shown_redacted(backend_project, nb, cli):
    """The job store redacts a URI in error text by the same rules as a URI shown alone: a token as the
    URL's user (no password, no known token prefix) is hidden, the host and path stay readable."""
    assert cli("jobs", "add", "api", str(nb("api", ["pass"])), "--cron", "0 6 * * *").returncode == 0
    user = "Zq7Lm2Xp9Rt4Vw8Ny3Ks"
    with open_store(backend_project) as store, store.transaction() as db:
        db.execute(runs.insert().values(
            job="api", scheduled_for=1.0, attempt=1, trigger="manual", status="failed", parameters="{}",
            error=json.dumps({"cell": 1, "ename": "HTTPError", "evalue": f"fetch https://{user}@api.example.com/v1 failed"})))
    shown = [cli("jobs", "history", "--json").stdout, cli("jobs", "show", "1").stdout]
    assert "fetch https://***@api.example.com/v1 failed" in shown[0]
    for text in shown:
        assert user not in text


def test_finding_06_secrets_inside_a_dict_parameter_are_refused_and_redacted(backend_project, nb, cli):
    """Review: `-p cfg={"password": "..."}` passed both the refusal and the redaction (the key was lost)."""
    path = str(nb("cfg", ["pass"], params="cfg = {}"))
    secret = {"password": "hunter2hunter2", "api_key": "sk-proj-abcdefghijklmnopqrstuvwxyz012345"}
    proc = cli("jobs", "add", "cfg", path, "--cron", "0 6 * * *", "-p", f"cfg={json.dumps(secret)}")
    assert proc.returncode == 2 and "looks like a secret" in one_error_line(proc)
    assert "hunter2hunter2" not in proc.stdout + proc.stderr
    assert_no_jobs(backend_project)
    assert cli("jobs", "add", "cfg", path, "--cron", "0 6 * * *").returncode == 0
    with open_store(backend_project) as store, store.transaction() as db:  # written by an older prodkit
        db.execute(jobs.update().values(parameters=json.dumps({"cfg": {**secret, "region": "eu-west-1"}})))
    listed = cli("jobs", "list", "--json").stdout
    assert "hunter2hunter2" not in listed and "sk-proj-" not in listed and "eu-west-1" in listed


def test_finding_06_a_bare_token_is_redacted_whole_not_only_its_prefix():
    """detect-secrets reports `ghp` for `ghp_…`: redaction covers the whole token (error text is often just it)."""
    from prodkit.readiness.secrets import redact_text

    assert redact_text(f"{TOKEN} expired") == "*** expired"
