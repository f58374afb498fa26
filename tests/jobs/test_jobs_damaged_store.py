"""Finding 12 (issue 11): a damaged jobs.db gives one line on every command, never a traceback,
and nothing is re-created over lost history; `prodkit jobs repair` backs the file up first.

Each form of damage is made on a real store file, then the real CLI runs list, history
(table and --json), show, run, add, pause and scheduler --once against it, and the panel's
jobs section reads it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess

import pytest
from jobs.jobs_helpers import cli_env, prodkit_cmd
from pktest import job_notebook

from prodkit.jobs.api import add_job, open_store
from prodkit.jobs.records import SUCCEEDED
from prodkit.server.sections import section


def _sql(path, *statements: str) -> None:
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def _random_bytes(path):
    path.write_bytes(os.urandom(path.stat().st_size))


def _truncated(path):
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 3)


def _directory(path):
    path.unlink()
    path.mkdir()
    (path / "x").write_text("not a database")


DAMAGE = {
    "random bytes": (_random_bytes, "file is not a database"),
    "truncated": (_truncated, "malformed"),
    "bad JSON in a column": (lambda p: _sql(p, "UPDATE runs SET parameters = '{oops' WHERE run_id = 2"),
                             "runs.parameters of 2 is not valid JSON"),
    "wrong types": (lambda p: _sql(p, "UPDATE runs SET scheduled_for = 'yesterday' WHERE run_id = 1"),
                    "runs.scheduled_for of 1 holds str 'yesterday'"),
    "dropped column": (lambda p: _sql(p, "ALTER TABLE runs DROP COLUMN error"), "column runs.error is missing"),
    "a directory at the path": (_directory, "a folder is where the database file should be"),
    "dropped runs table": (lambda p: _sql(p, "DROP TABLE runs"), "table runs is missing"),
}


@pytest.fixture
def damaged_project(empty_project):
    """A store with a job and two finished runs, and padding so that a truncated file loses table pages."""
    project = empty_project
    nb = job_notebook(project.nbs_path / "a.ipynb", ["pass"])
    add_job("j", nb, "0 6 * * *", project=project)
    with open_store(project) as store:
        for slot in (1.0, 2.0):
            run_id = store.insert_run(job="j", scheduled_for=slot, trigger="manual", parameters={"x": 1},
                                      notebook="nbs/a.ipynb", owner=None, now=slot)
            store.finish_run(run_id, status=SUCCEEDED, ended_at=slot + 1, error=None)
        for i in range(300):
            store.insert_run(job="pad", scheduled_for=10.0 + i, trigger="manual", parameters={"pad": "x" * 200},
                             notebook="nbs/a.ipynb", owner=None, now=1.0)
    return project, nb


def _digest(path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


COMMANDS = [("jobs", "list"), ("jobs", "list", "--json"), ("jobs", "history"), ("jobs", "history", "j", "--json"),
            ("jobs", "show", "1"), ("jobs", "run", "j"), ("jobs", "add", "k", "nbs/a.ipynb", "--cron", "0 7 * * *"),
            ("jobs", "pause", "j"), ("scheduler", "--once")]


@pytest.mark.slow
@pytest.mark.parametrize("form", list(DAMAGE))
def test_finding_12_a_damaged_store_is_one_line_on_every_command_and_repair_backs_it_up(damaged_project, form):
    project, nb = damaged_project
    path = project.jobs_db
    damage, detail = DAMAGE[form]
    damage(path)
    before = _digest(path)
    procs = [subprocess.Popen(prodkit_cmd(*args), cwd=project.root, env=cli_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for args in COMMANDS]
    for args, proc in zip(COMMANDS, procs, strict=True):
        stdout, stderr = proc.communicate(timeout=180)
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        assert proc.returncode == 2, (args, stderr[-2000:])
        assert len(lines) == 1 and "Traceback" not in stderr, (args, stderr[-2000:])
        assert "the job store is damaged" in lines[0] and detail in lines[0] and str(path) in lines[0], (args, lines)
        assert "prodkit jobs repair" in lines[0] or "move the folder" in lines[0], lines[0]
    panel = section("jobs", nb)
    assert "the job store is damaged" in panel["error"]
    assert _digest(path) == before  # nothing changed, nothing re-created over the lost history
    if form == "dropped runs table":
        db = sqlite3.connect(path)
        assert "runs" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        db.close()

    repaired = subprocess.run(prodkit_cmd("jobs", "repair"), cwd=project.root, env=cli_env(), capture_output=True,
                              text=True, timeout=120)
    assert repaired.returncode == 0, repaired.stderr
    backups = list(path.parent.glob("jobs.db.damaged-*"))
    assert len(backups) == 1 and f"backup: {backups[0]}" in repaired.stdout
    if before is not None:
        assert _digest(backups[0]) == before  # the backup is the damaged file, byte for byte
    with open_store(project) as store:  # usable again, with what could be read
        kept = {r.run_id for r in store.history(limit=1000)}
        names = [j.name for j in store.list_jobs()]
    if form not in ("random bytes", "truncated", "a directory at the path"):
        assert names == ["j"]
    lost_row = {"bad JSON in a column": 2, "wrong types": 1, "dropped column": None}
    if form in lost_row:  # every row but the damaged one (a dropped column reads as NULL)
        assert kept == set(range(1, 303)) - {lost_row[form]}
