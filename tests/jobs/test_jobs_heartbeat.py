"""Runs never stay `running`: every run writes a heartbeat, and readers show a silent one as `lost`.

`kill -9` of a real `prodkit jobs run` mid-run: with no scheduler running, `jobs history`,
`jobs list` and the panel's job state show the run `lost` once its heartbeat is older than
`run_lease_s` (2 s here); while the run was alive, it stayed `running` well past that limit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from jobs.jobs_helpers import cli_env, prodkit_cmd

from prodkit.config import load_project
from prodkit.jobs.api import open_store
from prodkit.jobs.records import LOST, RUNNING
from prodkit.jobs.state import jobs_for_notebook

LEASE_S = 2.0


def _set_lease(project) -> None:
    settings = project.root / "settings.ini"
    settings.write_text(settings.read_text().replace("[prodkit]\n", f"[prodkit]\nrun_lease_s = {LEASE_S:g}\n", 1))


def _status(cli) -> str:
    runs = json.loads(cli("jobs", "history", "slow", "--json").stdout)
    return runs[0]["status"] if runs else "none"


@pytest.mark.slow
def test_kill_9_of_jobs_run_mid_run_shows_lost_in_history_without_a_scheduler(backend_project, nb, cli):
    _set_lease(backend_project)
    backend_project = load_project(backend_project.root)
    path = nb("slow", ["import time\nfor _ in range(600):\n    time.sleep(0.1)"])
    assert cli("jobs", "add", "slow", str(path), "--cron", "0 6 * * *").returncode == 0
    proc = subprocess.Popen(prodkit_cmd("jobs", "run", "slow"), cwd=backend_project.root, env=cli_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kernel_pid = None
    try:
        deadline = time.monotonic() + 90
        while True:
            with open_store(backend_project) as store:
                runs = store.history("slow")
            if runs and runs[0].status == RUNNING and runs[0].kernel_pid:
                kernel_pid = runs[0].kernel_pid
                break
            assert time.monotonic() < deadline and proc.poll() is None, "the run never started"
            time.sleep(0.2)
        time.sleep(LEASE_S * 2)  # alive: its heartbeat keeps it running past the lease
        assert _status(cli) == RUNNING
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        time.sleep(LEASE_S + 1.5)
        assert _status(cli) == LOST
        history = json.loads(cli("jobs", "history", "slow", "--json").stdout)[0]
        assert "no heartbeat since" in history["error"]["evalue"]
        assert json.loads(cli("jobs", "list", "--json").stdout)[0]["last_run"]["status"] == LOST
        assert jobs_for_notebook(backend_project, path)[0].last_run.status == LOST
    finally:
        if proc.poll() is None:
            proc.kill()
        if kernel_pid:
            try:
                os.kill(kernel_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_scheduler_once_keeps_a_run_on_a_remote_backend_alive(backend_project, nb):
    """Review: `scheduler --once` on Dask wrote no heartbeat while it waited (Dask runs have no per-run one),
    so readers showed a running run `lost` after the lease. A backend that runs elsewhere stands in for Dask."""
    import threading
    import time
    from concurrent.futures import Future

    from prodkit.jobs.api import add_job, queue_run
    from prodkit.jobs.execute import RunOutcome
    from prodkit.jobs.scheduler import Scheduler
    from prodkit.jobs.store import JobStore

    add_job("remote", nb("remote", ["y = 2"]), None, project=backend_project)
    run_id = queue_run("remote", project=backend_project)

    class Elsewhere:
        name, describe = "dask", "a backend that runs the notebook elsewhere"

        def submit(self, request, cancel):
            done = Future()
            threading.Timer(4.0, lambda: done.set_result(
                RunOutcome("succeeded", time.time() - 4, time.time()))).start()
            return done

        def cancel(self, future, cancel):
            pass

        def close(self):
            pass

    seen: list[str] = []

    def watch():
        with JobStore(backend_project.jobs_store, root=backend_project.root, run_lease_s=1.0) as reader:
            for _ in range(12):
                seen.append(reader.get_run(run_id).status)
                time.sleep(0.3)

    watcher = threading.Thread(target=watch)
    with JobStore(backend_project.jobs_store, root=backend_project.root, run_lease_s=1.0) as store:
        scheduler = Scheduler(backend_project, store=store, backend=Elsewhere(), concurrency=1, poll_s=0.2, lease_s=1.0)
        watcher.start()
        scheduler.run_once()
        watcher.join()
        assert store.get_run(run_id).status == "succeeded"
    assert "lost" not in seen, seen
