"""Exactly once across hosts: schedulers with their own working copies share one store.

Three real `prodkit scheduler --once --backend claim-only` processes (claiming 20 due jobs
per transaction), each started in its own copy of the project folder (as on three hosts), share
one store (PostgreSQL, or the SQLite file by absolute path) and race for 500 cron slots that
become due at once while all three poll. The claim-only backend
records each claimed run (queued -> running -> cancelled "ClaimOnly") without starting a
kernel, so the test measures the store's claims, not papermill. Every slot must end up with
exactly one run, started once: 0 double, 0 missed.
"""

from __future__ import annotations

import math
import shutil
import signal
import subprocess
import time
from collections import Counter

import pytest
import sqlalchemy as sa
from jobs.jobs_helpers import cli_env, prodkit_cmd, use_store
from pktest import job_notebook

from prodkit.config import load_project
from prodkit.jobs.api import open_store
from prodkit.jobs.cron import next_slot
from prodkit.jobs.records import CANCELLED, JobSpec
from prodkit.jobs.tables import jobs

JOBS, CLAIM_BATCH = 500, 20


def _working_copies(project, n: int, base) -> list:
    """n folders with the project's files; each points at the one shared store."""
    job_notebook(project.nbs_path / "tick.ipynb", ["pass"])
    target = project.jobs_store
    copies = []
    for i in range(n):
        root = base / f"host{i}"
        shutil.copytree(project.root, root, ignore=shutil.ignore_patterns(".prodkit"))
        if "://" not in target:
            use_store(root, target)  # the SQLite file by absolute path (one host, several folders)
        copies.append(load_project(root))
        assert copies[-1].jobs_store == target
    return copies


def _start(copy, log) -> subprocess.Popen:
    return subprocess.Popen(prodkit_cmd("scheduler", "--backend", "claim-only", "--concurrency", "64", "--poll", "0.2",
                                        "--claim-batch", str(CLAIM_BATCH), "--project", str(copy.root)),
                            cwd=copy.root, env=cli_env(), stdout=log, stderr=subprocess.STDOUT, text=True)


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.slow
def test_three_schedulers_on_separate_copies_claim_500_slots_exactly_once(backend_project, tmp_path_factory):
    now = time.time()
    created = math.floor(now / 3600) * 3600 - 3600 + 0.5  # each job has one due hourly slot
    with open_store(backend_project) as store:
        for i in range(JOBS):
            spec = JobSpec(name=f"j{i:03d}", notebook="nbs/tick.ipynb", cron="0 * * * *", catch_up="all", paused=True)
            store.add_job(spec, now=created, next_due=next_slot(spec.cron, spec.tz, created))
    base = tmp_path_factory.mktemp("hosts")
    copies = _working_copies(backend_project, 3, base)
    logs = [open(base / f"scheduler{i}.log", "w") for i in range(3)]
    procs = [_start(c, log) for c, log in zip(copies, logs, strict=True)]
    try:
        _wait(lambda: all("scheduler " in (base / f"scheduler{i}.log").read_text() for i in range(3)), 120,
              "3 schedulers to start")
        time.sleep(0.5)
        with open_store(backend_project) as store, store.transaction() as db:  # all 500 slots become due at once
            db.execute(jobs.update().values(paused=0))

        def drained() -> bool:
            with open_store(backend_project) as store:
                return len(store.history(limit=100_000)) >= JOBS and not store.active_runs()
        _wait(drained, 180, "every due slot to be claimed and recorded")
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            p.wait(timeout=60)
        for log in logs:
            log.close()
    assert [p.returncode for p in procs] == [0, 0, 0], [(base / f"scheduler{i}.log").read_text()[-2000:] for i in range(3)]

    with open_store(backend_project) as store:
        runs = store.history(limit=100_000)
        cursors = {r["name"]: r["checked_until"] for r in store._rows(sa.select(jobs.c.name, jobs.c.checked_until))}
    per_slot = Counter((r.job, r.scheduled_for) for r in runs if r.attempt == 1)
    assert len(per_slot) >= JOBS and max(per_slot.values()) == 1  # 0 double
    assert len(cursors) == JOBS
    for name, last in cursors.items():  # 0 missed: every hour from the job's creation to its last claim
        expected = {created - 0.5 + 3600 * k for k in range(1, 3) if created - 0.5 + 3600 * k <= last}
        assert {slot for job, slot in per_slot if job == name} == expected, name
    assert {r.status for r in runs} == {CANCELLED}
    assert all(r.error.ename == "ClaimOnly" and r.started_at is not None for r in runs)  # each started once
    owners = Counter(r.owner.split("#")[0] for r in runs)
    print(f"{len(runs)} runs, started by {len(owners)} scheduler(s): {sorted(owners.values())}")
