"""Jobs <-> drift monitoring: the drift column of run history, per-job --fail-on-drift, and the
store migration that adds it to stores made before it existed."""

import json
import os
import re
import sqlite3
import subprocess

import numpy as np
import pandas as pd
import pytest
from jobs.jobs_helpers import cli_env, prodkit_cmd

from prodkit._render import _css
from prodkit.jobs.api import open_store
from prodkit.jobs.context import run_environment
from prodkit.jobs.records import StoredRun
from prodkit.jobs.render import drift_text, history_html
from prodkit.jobs.runner import build_request
from prodkit.records import DriftVerdict

WATCH_CELL = """\
import pandas as pd
import prodkit.monitor
prodkit.monitor.watch(pd.read_parquet(batch), model="churn-clf")"""


def churn_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "tenure": rng.integers(0, 72, n),
        "monthly_charges": rng.normal(70, 20, n),
        "support_calls": rng.poisson(1.5, n).astype("int64"),
        "plan": rng.choice(["basic", "plus", "premium"], n),
    })


def drifted_batch(n: int = 600) -> pd.DataFrame:
    """Two of four columns moved: a share of 0.5."""
    batch = churn_frame(n, seed=2)
    batch["monthly_charges"] += 40
    batch["plan"] = np.where(batch.index % 2 == 0, "enterprise", batch["plan"])
    return batch


def run_cli(project, *args: str) -> subprocess.CompletedProcess:
    env = {**cli_env(), "COLUMNS": "250"}  # a wide table: cells are not folded
    return subprocess.run(prodkit_cmd(*args), cwd=project.root, env=env, capture_output=True, text=True, timeout=120)


def table_rows(text: str) -> list[dict[str, str]]:
    """A Rich table printed by the CLI -> rows as {header: cell} (one line per row; the table is wide)."""
    lines = [[c.strip() for c in re.split("[│┃]", ln)[1:-1]] for ln in text.splitlines() if ln[:1] in ("│", "┃")]
    header, *rows = lines
    return [dict(zip(header, row, strict=True)) for row in rows]


def run_with(artifacts: list[dict]) -> StoredRun:
    return StoredRun(run_id=7, job="score", status="succeeded", scheduled_for=0.0, trigger="manual",
                     artifacts=artifacts)


def drift_artifact(drift: bool, share: float, report: str) -> dict:
    return {"kind": "drift", "path": report, "summary": {"drift": drift, "share": share, "report": report,
                                                         "model": "m"}}


def test_run_drift_verdict_from_its_artifacts_in_text_json_and_html():
    quiet = run_with([{"kind": "metrics", "path": "m.json", "summary": {}}])
    assert quiet.drift is None and quiet.to_dict()["drift"] is None and drift_text(quiet.drift) == "–"
    ok = run_with([drift_artifact(False, 0.2, "/r/ok.html")])
    assert drift_text(ok.drift) == "ok 0.20"
    both = run_with([drift_artifact(False, 0.2, "/r/a.html"), drift_artifact(True, 0.4, "/r/b.html")])
    assert both.to_dict()["drift"] == DriftVerdict(drift=True, share=0.4, report="/r/b.html").model_dump(mode="json")
    assert drift_text(both.drift) == "drift 0.40"
    page = history_html([both, quiet])
    assert "<th>drift</th>" in page and f'{_css("red")}" title="/r/b.html">drift 0.40</span>' in page
    assert "<td>–</td>" in page


def test_fail_on_drift_reaches_the_kernel_environment(backend_project, nb, monkeypatch):
    from prodkit.jobs.api import add_job, get_job

    monkeypatch.setenv("PRODKIT_FAIL_ON_DRIFT", "1")  # the scheduler's own env must not decide for a job
    path = nb("score", ["pass"])
    add_job("gate", path, "0 6 * * *", fail_on_drift=True, project=backend_project)
    add_job("flag", path, "0 6 * * *", project=backend_project)
    gate, flag = get_job("gate", project=backend_project), get_job("flag", project=backend_project)
    assert gate.fail_on_drift is True and flag.fail_on_drift is False
    run = run_with([])
    assert run_environment(build_request(backend_project, gate, run))["PRODKIT_FAIL_ON_DRIFT"] == "1"
    assert run_environment(build_request(backend_project, flag, run))["PRODKIT_FAIL_ON_DRIFT"] == "0"


def old_schema() -> str:
    """The store's schema as prodkit wrote it before runs had artifacts and jobs had fail_on_drift."""
    from jobs.legacy_schema import LEGACY_SCHEMA as SCHEMA

    lines = [ln for ln in SCHEMA.splitlines() if not ln.lstrip().startswith(("fail_on_drift", "artifacts"))]
    assert len(lines) == len(SCHEMA.splitlines()) - 2
    return "\n".join(lines)


def test_a_store_from_before_fail_on_drift_is_migrated_on_open(empty_project):
    from pktest import job_notebook

    from prodkit.jobs.api import add_job, list_jobs

    project = empty_project

    project.jobs_db.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(project.jobs_db)
    db.executescript(old_schema())
    db.execute("INSERT INTO jobs VALUES ('old', 'nbs/score.ipynb', '0 6 * * *', 'UTC', '{}', 'python3', NULL, 0, "
               "60.0, 'once', 0, 1.0, 1.0, 2.0)")
    db.commit()
    db.close()

    with open_store(project) as store:
        assert store.get_job("old").fail_on_drift is False
    add_job("new", job_notebook(project.nbs_path / "score.ipynb", ["pass"]), "0 6 * * *", fail_on_drift=True,
            project=project)
    with open_store(project) as store:  # opening again changes nothing
        assert {j.name: j.fail_on_drift for j in store.list_jobs()} == {"old": False, "new": True}
    assert [j["fail_on_drift"] for j in list_jobs(project)] == [True, False]
    db = sqlite3.connect(project.jobs_db)
    assert [r[1] for r in db.execute("PRAGMA table_info(jobs)")].count("fail_on_drift") == 1
    assert "artifacts" in [r[1] for r in db.execute("PRAGMA table_info(runs)")]
    db.close()


@pytest.mark.slow
def test_drift_shows_in_history_and_fails_only_the_job_that_asks(backend_project, nb):
    from prodkit.jobs.api import run_job
    from prodkit.monitor.watcher import set_reference

    set_reference("churn-clf", churn_frame(600, seed=0), project=backend_project)
    batch = backend_project.root / "shifted.parquet"
    drifted_batch().to_parquet(batch)
    path = str(nb("score", [WATCH_CELL], params=f"batch = {str(batch)!r}"))
    assert run_cli(backend_project, "jobs", "add", "flag", path, "--cron", "0 6 * * *").returncode == 0
    added = run_cli(backend_project, "jobs", "add", "gate", path, "--cron", "0 6 * * *", "--fail-on-drift")
    assert added.returncode == 0 and "runs fail on drift" in added.stdout, added.stderr

    [flagged] = run_job("flag", project=backend_project)
    assert flagged.status == "succeeded", flagged.error
    assert flagged.drift["drift"] is True and flagged.drift["share"] == 0.5
    report = flagged.drift["report"]
    assert os.path.isfile(report) and report.endswith("drift-churn-clf.html")

    [failed] = run_job("gate", project=backend_project, retries=False)
    assert failed.status == "failed"
    assert failed.error.cell == 2 and failed.error.ename == "DriftDetected"
    assert "drift in 2 of 4 columns" in failed.error.evalue
    assert failed.drift["drift"] is True  # recorded before the run failed on it

    table = run_cli(backend_project, "jobs", "history", "flag")
    assert table.returncode == 0, table.stderr
    assert [(r["run"], r["status"], r["drift"]) for r in table_rows(table.stdout)] == \
        [(str(flagged.run_id), "succeeded", "drift 0.50")]
    [row] = json.loads(run_cli(backend_project, "jobs", "history", "flag", "--json").stdout)
    assert row["drift"] == DriftVerdict(drift=True, share=0.5, report=report).model_dump(mode="json")
    assert [a["kind"] for a in row["artifacts"]] == ["drift"]
    shown = run_cli(backend_project, "jobs", "show", str(flagged.run_id)).stdout
    assert f"drift report     {report}" in shown and "drift            drift 0.50" in shown
    listed = table_rows(run_cli(backend_project, "jobs", "list").stdout)
    assert [(r["name"], r["on drift"]) for r in listed] == [("flag", "flag"), ("gate", "fail")]
    assert listed[0]["last run"] == f"#{flagged.run_id} succeeded drift 0.50"


def test_schedule_magic_takes_fail_on_drift(backend_project, nb, capsys):
    from types import SimpleNamespace

    from prodkit._magic_cli import run_line
    from prodkit.jobs.api import get_job

    path = str(nb("score", ["pass"]))
    view = run_line(SimpleNamespace(user_ns={}), f'schedule {path} --cron "0 6 * * *" --fail-on-drift')
    assert get_job("score", project=backend_project).fail_on_drift is True
    assert "<th>on drift</th>" in view._repr_html_() and "<td>fail</td>" in view._repr_html_()
