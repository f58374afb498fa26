"""The retrain loop: a scoring run's drift verdict starts the retrain job once (real scheduler, papermill,
kernels, sqlite MLflow), whose candidate the gate promotes; the chain reads back from history and the
registry; notify_url gets the events (a local HTTP server on 127.0.0.1)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from jobs.jobs_helpers import cli_env, prodkit_cmd
from pktest import job_notebook

from prodkit.jobs.api import get_job
from prodkit.jobs.records import JobSpec
from prodkit.jobs.store import JobStore


@pytest.fixture
def webhook():
    """A local webhook: yields (url, received JSON bodies)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def set_notify_url(project, url: str) -> None:
    import re

    path = project.root / "settings.ini"
    text = re.sub(r"(?m)^notify_url\s*=.*\n", "", path.read_text())
    path.write_text(text.replace("[prodkit]\n", f"[prodkit]\nnotify_url = {url}\n", 1))


def finished_run(store: JobStore, job: str, artifacts: list[dict], now: float) -> int:
    run_id = store.insert_run(job=job, scheduled_for=now, trigger="manual", parameters={}, notebook="nbs/a.ipynb",
                              owner=None, now=now)
    store.set_run_fields(run_id, status="succeeded", ended_at=now + 1, artifacts=json.dumps(artifacts))
    return run_id


DRIFT = [{"kind": "drift", "path": "r.html", "summary": {"drift": True, "share": 0.5, "report": "r.html"}}]
NO_DRIFT = [{"kind": "drift", "path": "r.html", "summary": {"drift": False, "share": 0.0}}]
DEGRADED = [{"kind": "outcomes", "path": "o.jsonl", "summary": {"degraded": True, "verdict": "degraded"}}]


def test_a_triggering_run_starts_each_triggered_job_exactly_once(backend_project):
    """Two schedulers' connections fire the same verdicts: one run per (triggering run, job)."""
    from prodkit.jobs.triggers import TRIGGER_PARAM, fire

    now = 1_800_000_000.0
    with JobStore(backend_project.jobs_store, root=backend_project.root) as a, JobStore(backend_project.jobs_store, root=backend_project.root) as b:
        a.add_job(JobSpec("churn-daily", "nbs/a.ipynb", "0 6 * * *"), now=now, next_due=now + 60)
        a.add_job(JobSpec("retrain", "nbs/t.ipynb", "", parameters={"auto_promote": True}, on_drift="churn-daily"),
                  now=now, next_due=None)
        a.add_job(JobSpec("relabel", "nbs/r.ipynb", "", on_degraded="churn-daily"), now=now, next_due=None)
        drifted = finished_run(a, "churn-daily", DRIFT, now + 10)
        calm = finished_run(a, "churn-daily", NO_DRIFT, now + 20)
        degraded = finished_run(a, "churn-daily", DEGRADED, now + 30)
        first = fire(a, "owner-a", now + 100)
        assert fire(b, "owner-b", now + 101) == [] and fire(a, "owner-a", now + 102) == []
        assert len(first) == 2
        retrain, = a.runs_triggered_by(drifted)
        assert (retrain.job, retrain.trigger, retrain.status) == ("retrain", "drift", "queued")
        assert retrain.parameters == {"auto_promote": True, TRIGGER_PARAM: drifted}
        assert a.runs_triggered_by(calm) == []
        relabel, = a.runs_triggered_by(degraded)
        assert relabel.job == "relabel" and relabel.trigger == "degraded"
        assert a.get_job("retrain").on_drift == "churn-daily" and a.get_job("retrain").next_due is None


def test_two_verdicts_firing_one_job_in_one_tick_both_queue_it_at_once(backend_project):
    """Two drifted runs of churn-daily end before one tick: retrain is queued twice in that tick (the second
    run used to collide with the first's (job, scheduled_for, attempt) slot and wait for the next tick)."""
    from prodkit.jobs.triggers import fire

    now = 1_800_000_000.0
    with JobStore(backend_project.jobs_store, root=backend_project.root) as store:
        store.add_job(JobSpec("churn-daily", "nbs/a.ipynb", "0 6 * * *"), now=now, next_due=now + 60)
        store.add_job(JobSpec("retrain", "nbs/t.ipynb", "", on_drift="churn-daily"), now=now, next_due=None)
        first = finished_run(store, "churn-daily", DRIFT, now + 10)
        second = finished_run(store, "churn-daily", DRIFT, now + 20)
        assert len(fire(store, "owner-a", now + 100)) == 2
        assert [len(store.runs_triggered_by(r)) for r in (first, second)] == [1, 1]
        assert fire(store, "owner-a", now + 101) == []


def test_a_paused_triggered_job_is_not_run_and_a_resume_does_not_start_it(backend_project):
    """Drift while the retrain job is paused: its triggered run is recorded as cancelled (JobPaused, naming
    the triggering run), nothing is queued, and after a resume the old verdict starts nothing."""
    from prodkit.jobs.triggers import fire

    now = 1_800_000_000.0
    with JobStore(backend_project.jobs_store, root=backend_project.root) as store:
        store.add_job(JobSpec("churn-daily", "nbs/a.ipynb", "0 6 * * *"), now=now, next_due=now + 60)
        store.add_job(JobSpec("retrain", "nbs/t.ipynb", "", on_drift="churn-daily"), now=now, next_due=None)
        store.set_paused("retrain", True, now=now)
        drifted = finished_run(store, "churn-daily", DRIFT, now + 10)
        assert fire(store, "owner-a", now + 100) == []
        skipped, = store.runs_triggered_by(drifted)
        assert skipped.status == "cancelled" and skipped.error.ename == "JobPaused"
        assert f"run {drifted} of churn-daily" in skipped.error.evalue
        assert store.queued_for("owner-a", now + 100, limit=10) == []
        store.set_paused("retrain", False, now=now + 200)
        assert fire(store, "owner-a", now + 300) == []
        assert [r.status for r in store.runs_triggered_by(drifted)] == ["cancelled"]


def test_the_panel_row_of_a_retrain_job_reads_the_chain(backend_project):
    """The side panel's jobs section (jobs_for_notebook) says what starts the job and what its last run decided."""
    from prodkit.jobs.state import jobs_for_notebook
    from prodkit.jobs.triggers import fire

    now = 1_800_000_000.0
    with JobStore(backend_project.jobs_store, root=backend_project.root) as store:
        store.add_job(JobSpec("churn-daily", "nbs/a.ipynb", "0 6 * * *"), now=now, next_due=now + 60)
        store.add_job(JobSpec("retrain", "nbs/t.ipynb", "", on_drift="churn-daily"), now=now, next_due=None)
        drifted = finished_run(store, "churn-daily", DRIFT, now + 10)
        (retrain_id,) = fire(store, "owner", now + 100)
        candidate = [{"kind": "candidate", "path": "", "summary": {"model": "churn-clf", "version": "3",
                                                                   "promoted": True, "alias": "champion"}}]
        store.set_run_fields(retrain_id, status="succeeded", ended_at=now + 200, artifacts=json.dumps(candidate))
    (row,) = jobs_for_notebook(backend_project, backend_project.root / "nbs" / "t.ipynb")
    assert row.chain == (f"runs on drift in churn-daily · last: drift <- run {drifted}: "
                            "registered churn-clf v3 -> moved @champion")
    (daily,) = jobs_for_notebook(backend_project, backend_project.root / "nbs" / "a.ipynb")
    assert daily.chain == ""


def test_old_store_gets_the_trigger_columns_on_open(backend_project):
    """A jobs.db written before triggers existed (prodkit's hand-written schema) gains jobs.on_drift,
    jobs.on_degraded, runs.triggered_by and the exactly-once index on open (Alembic 0002, 0003)."""
    import sqlalchemy as sa
    from jobs.legacy_schema import LEGACY_SCHEMA

    if str(backend_project.jobs_store) != str(backend_project.jobs_db):
        pytest.skip("the legacy schema is an SQLite file")
    backend_project.jobs_db.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(backend_project.jobs_db)
    db.executescript(LEGACY_SCHEMA)
    db.execute("INSERT INTO jobs (name, notebook, cron, tz, parameters, kernel, timeout_s, retries, retry_backoff_s, "
               "catch_up, paused, created_at, checked_until, next_due) VALUES ('old', 'nbs/a.ipynb', '0 6 * * *', "
               "'UTC', '{}', 'python3', NULL, 0, 60, 'once', 0, 1, 1, 2)")
    db.commit()
    db.close()
    with JobStore(backend_project.jobs_db, root=backend_project.root) as store:
        job = store.get_job("old")
        assert job.on_drift is None and job.on_degraded is None
    inspector = sa.inspect(sa.create_engine(f"sqlite:///{backend_project.jobs_db}"))
    assert "triggered_by" in {c["name"] for c in inspector.get_columns("runs")}
    assert any(i["name"] == "runs_triggered_once" and i["unique"] for i in inspector.get_indexes("runs"))


def test_a_store_with_the_interim_trigger_columns_opens(backend_project):
    """Review: a store whose hand-written migration already added the trigger columns and index (main between
    the triggers and the Alembic store) is adopted, not refused as 'duplicate column name'."""
    from jobs.legacy_schema import LEGACY_SCHEMA

    if str(backend_project.jobs_store) != str(backend_project.jobs_db):
        pytest.skip("the legacy schema is an SQLite file")
    backend_project.jobs_db.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(backend_project.jobs_db)
    db.executescript(LEGACY_SCHEMA + "; ALTER TABLE jobs ADD COLUMN on_drift TEXT; "
                     "ALTER TABLE jobs ADD COLUMN on_degraded TEXT; ALTER TABLE runs ADD COLUMN triggered_by INTEGER; "
                     "CREATE UNIQUE INDEX runs_triggered_once ON runs(job, triggered_by) WHERE triggered_by IS NOT NULL;")
    db.execute("INSERT INTO jobs (name, notebook, cron, tz, parameters, kernel, timeout_s, retries, retry_backoff_s, "
               "catch_up, paused, created_at, checked_until, next_due, on_drift) VALUES ('retrain', 'nbs/t.ipynb', '', "
               "'UTC', '{}', 'python3', NULL, 0, 60, 'once', 0, 1, 1, NULL, 'daily')")
    db.commit()
    db.close()
    with JobStore(backend_project.jobs_db, root=backend_project.root) as store:
        assert store.get_job("retrain").on_drift == "daily"


def test_the_deprecated_auto_promote_flag_still_passes_auto_promote_with_a_note(backend_project):
    train = job_notebook(backend_project.nbs_path / "train.ipynb", ["y = x"], params="x = 1")
    done = subprocess.run(prodkit_cmd("jobs", "add", "retrain", str(train), "--allow-undeclared", "--auto-promote"),
                          cwd=backend_project.root, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--auto-promote is now --auto-gate" in done.stderr
    assert get_job("retrain", project=backend_project).parameters == {"auto_promote": True}


def test_add_a_trigger_only_job_from_the_cli(backend_project):
    score = job_notebook(backend_project.nbs_path / "score.ipynb", ["y = x"])
    train = job_notebook(backend_project.nbs_path / "train.ipynb", ["y = x"], params="x = 1\ntriggering_run = None")
    env = cli_env()
    run = lambda *args: subprocess.run(prodkit_cmd(*args), cwd=backend_project.root, env=env, capture_output=True, text=True,  # noqa: E731
                                       timeout=120)
    assert run("jobs", "add", "churn-daily", str(score), "--cron", "0 6 * * *").returncode == 0
    done = run("jobs", "add", "retrain", str(train), "--on-drift", "churn-daily", "--allow-undeclared", "--auto-gate")
    assert done.returncode == 0, done.stderr
    assert get_job("retrain", project=backend_project).parameters == {"auto_gate": True}
    assert "triggered only; runs on drift in churn-daily" in done.stdout
    listed = subprocess.run(prodkit_cmd("jobs", "list"), cwd=backend_project.root, env={**env, "COLUMNS": "200"},
                            capture_output=True, text=True, timeout=120)
    assert "drift of churn-daily" in listed.stdout
    bad = run("jobs", "add", "loop", str(train), "--on-drift", "loop")
    assert bad.returncode == 2 and "must name another job" in bad.stderr
    manual = run("jobs", "add", "by-hand", str(train))  # no cron and no trigger: manual-only (issue 15), not an error
    assert manual.returncode == 0 and "manual only" in manual.stdout, manual.stderr


def test_notifications_post_json_to_notify_url(backend_project, webhook):
    from prodkit.config import load_project
    from prodkit.notify import notify

    url, received = webhook
    assert notify(backend_project, "drift", {"job": "x"}) is False  # no notify_url: nothing sent
    set_notify_url(backend_project, url)
    backend_project = load_project(backend_project.root)
    assert notify(backend_project, "drift", {"job": "churn-daily", "run_id": 3, "summary": "drift in run 3"}) is True
    assert received == [{**received[0], "event": "drift", "job": "churn-daily", "run_id": 3,
                         "text": "prodkit drift: drift in run 3"}]
    set_notify_url(backend_project, "http://127.0.0.1:1/down")
    assert notify(load_project(backend_project.root), "drift", {"job": "x"}) is False  # down: False, no exception


SCORE_CELL = """\
import pandas as pd
import prodkit
scored = prodkit.score(pd.read_parquet(batch), "churn-clf@champion")
scored"""

TRAIN_CELL = """\
import torch
import prodkit.models
torch.manual_seed(1)
model = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1), torch.nn.Sigmoid())
candidate = prodkit.models.register_candidate(model, "churn-clf", example=torch.randn(8, 12), metrics={"auc": 0.85},
                                              auto_gate=auto_gate)
candidate"""


@pytest.mark.slow
def test_drift_in_a_scoring_run_retrains_and_the_gate_promotes_once(backend_project, webhook, tmp_path):
    import numpy as np
    import pandas as pd
    import torch

    from prodkit.config import load_project
    from prodkit.jobs import Scheduler
    from prodkit.jobs.api import add_job, run_job
    from prodkit.models import move_alias, register_model
    from prodkit.models import tags as T
    from prodkit.models.registry import show

    url, received = webhook
    set_notify_url(backend_project, url)
    backend_project = load_project(backend_project.root)
    rng = np.random.default_rng(0)
    columns = [f"f{i}" for i in range(12)]
    train = pd.DataFrame(rng.normal(size=(400, 12)).astype("float32"), columns=columns)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1), torch.nn.Sigmoid())
    register_model(model, "churn-clf", example=torch.randn(8, 12), metrics={"auc": 0.8}, data=train, project=backend_project)
    move_alias("churn-clf", 1, project=backend_project)
    (train + 3).to_parquet(tmp_path / "shifted.parquet")

    score = job_notebook(backend_project.nbs_path / "score.ipynb", [SCORE_CELL], params='batch = "batch.parquet"')
    retrain = job_notebook(backend_project.nbs_path / "train.ipynb", [TRAIN_CELL],
                             params="triggering_run = None\nauto_gate = False")
    add_job("churn-daily", score, "0 6 * * *", project=backend_project)
    add_job("retrain", retrain, None, on_drift="churn-daily", parameters={"auto_gate": True}, project=backend_project)

    [scoring] = run_job("churn-daily", project=backend_project, parameters={"batch": str(tmp_path / "shifted.parquet")})
    assert scoring.status == "succeeded", scoring.error
    assert scoring.drift["drift"] is True
    predictions = next(a for a in scoring.artifacts if a["kind"] == "predictions")
    assert predictions["summary"]["version"] == "1" and predictions["summary"]["rows"] == 400

    report = Scheduler(backend_project, concurrency=1).run_once()
    [retrain_run_id] = report.triggered
    assert Scheduler(backend_project, concurrency=1).run_once().triggered == []  # exactly once
    with JobStore(backend_project.jobs_store, root=backend_project.root) as store:
        retrain_run = store.get_run(retrain_run_id)
        assert [r.run_id for r in store.runs_triggered_by(scoring.run_id)] == [retrain_run_id]
    assert retrain_run.status == "succeeded", retrain_run.error
    assert retrain_run.parameters["triggering_run"] == scoring.run_id and retrain_run.triggered_by == scoring.run_id
    champion = show("churn-clf", "champion", project=backend_project)
    assert champion.version == "2"
    chain = T.load_json(champion.tags, T.RETRAIN)
    assert chain == {"run": retrain_run_id, "job": "retrain", "triggered_by": scoring.run_id, "trigger": "drift"}

    env = {**cli_env(), "COLUMNS": "300"}  # one table row per line
    history = subprocess.run(prodkit_cmd("jobs", "history"), cwd=backend_project.root, env=env, capture_output=True,
                             text=True, timeout=120)
    assert f"drift <- run {scoring.run_id}" in history.stdout
    assert "registered churn-clf v2 -> moved @champion" in history.stdout
    shown = subprocess.run(prodkit_cmd("models", "show", "churn-clf", "2"), cwd=backend_project.root, env=env,
                           capture_output=True, text=True, timeout=120)
    assert f"run {retrain_run_id} of job retrain, triggered by run {scoring.run_id} (drift)" in shown.stdout
    assert "moved @champion here (was v1)" in shown.stdout
    events = [body["event"] for body in received]
    assert "drift" in events and "promoted" in events
