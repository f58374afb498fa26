"""The scheduler against real processes: kill -9 recovery, two schedulers running real notebooks on
one store, the Dask backend, and `%prodkit schedule`."""

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from jobs.jobs_helpers import cli_env, prodkit_cmd

from prodkit.jobs.api import add_job, history, open_store, queue_run
from prodkit.jobs.records import CANCELLED, FAILED, LOST, RUNNING, SUCCEEDED
from prodkit.jobs.scheduler import Scheduler

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout=90.0, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not reached in time")


def test_kill_9_mid_run_marks_it_lost_keeps_partial_output_and_never_reruns(backend_project, nb):
    path = nb("long", ["print('step one done', flush=True)", "import time\ntime.sleep(300)", "print('never')"])
    add_job("long", path, "0 6 * * *", project=backend_project)
    run_id = queue_run("long", project=backend_project)
    proc = subprocess.Popen(prodkit_cmd("scheduler", "--poll", "0.2"), cwd=backend_project.root, env=cli_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def in_sleep_cell():
            with open_store(backend_project) as store:
                run = store.get_run(run_id)
            if run.status != RUNNING or not run.kernel_pid:
                return None
            text = (backend_project.root / run.output_path).read_text() if (backend_project.root / run.output_path).exists() else ""
            return run if "step one done" in text else None

        running = wait_for(in_sleep_cell)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    report = Scheduler(backend_project, concurrency=1).tick()
    assert report.lost == [run_id]
    with open_store(backend_project) as store:
        lost = store.get_run(run_id)
        assert lost.status == LOST and lost.ended_at is not None and lost.error.ename == "Lost"
        assert "step one done" in (backend_project.root / lost.output_path).read_text()  # partial output kept
        assert Scheduler(backend_project, concurrency=1).tick().started == []  # not run again
        assert [r.run_id for r in store.history("long")] == [run_id]
    wait_for(lambda: not psutil.pid_exists(running.kernel_pid) or
             psutil.Process(running.kernel_pid).status() == psutil.STATUS_ZOMBIE, timeout=20)


TWO_SCHEDULERS = r"""
import sys
from prodkit.config import load_project
from prodkit.jobs.scheduler import Scheduler
root, t0, minutes = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
for i in range(minutes):
    now = t0 + 90 + i * 60  # 30 s after each minute slot
    Scheduler(load_project(root), concurrency=2, grace_s=10**9, clock=lambda: now).run_once()
"""


def test_two_scheduler_processes_run_each_slot_exactly_once(backend_project, nb):
    t0 = time.time() - 3600
    t0 -= t0 % 60
    for name in ("a", "b"):
        add_job(name, nb(name, ["import os\nprint(os.getpid())"]), "* * * * *", catch_up="all", project=backend_project, now=t0)
    minutes = 3
    procs = [subprocess.Popen([sys.executable, "-c", TWO_SCHEDULERS, str(backend_project.root), str(t0), str(minutes)],
                              env=cli_env()) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    with open_store(backend_project) as store:
        for name in ("a", "b"):
            assert list(store.count_slots(name).values()) == [1] * minutes
            runs = store.history(name)
            assert {r.status for r in runs} == {SUCCEEDED}
            assert len({r.output_path for r in runs}) == minutes


def test_dask_local_cluster_runs_share_the_store_and_history(backend_project, nb):
    add_job("ok", nb("ok", ["print(x * 2)"]), "0 6 * * *", project=backend_project)
    add_job("bad", nb("bad", ["print(x)", "1/0"]), "0 6 * * *", project=backend_project)
    ok_ids = [queue_run("ok", project=backend_project, parameters={"x": i}) for i in range(2)]
    bad_id = queue_run("bad", project=backend_project)
    Scheduler(backend_project, backend="dask", concurrency=2).run_once()
    runs = {r.run_id: r for r in history(project=backend_project)}
    assert [runs[i].status for i in ok_ids] == [SUCCEEDED, SUCCEEDED]
    assert runs[bad_id].status == FAILED and runs[bad_id].error.cell == 3
    out = json.loads((backend_project.root / runs[ok_ids[1]].output_path).read_text())
    assert "2" in "".join(o["text"] if isinstance(o["text"], str) else "".join(o["text"])
                          for c in out["cells"] for o in c.get("outputs", []) if "text" in o)


def test_prodkit_schedule_magic_adds_this_notebook(backend_project, nb, monkeypatch):
    from pktest import ipython_shell

    path = nb("poc", ["pass"], params="threshold = 0.5")
    monkeypatch.setenv("PRODKIT_NOTEBOOK", str(path))
    ip = ipython_shell()
    ip.run_line_magic("load_ext", "prodkit")
    view = ip.run_line_magic("prodkit", 'schedule --cron "0 6 * * *" -p threshold=0.7 --tz Europe/London')
    assert "poc" in repr(view) and "<table>" in view._repr_html_()
    with open_store(backend_project) as store:
        job = store.get_job("poc")
    assert job.parameters == {"threshold": 0.7} and job.tz == "Europe/London" and job.notebook == "nbs/poc.ipynb"
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="invalid cron"):
        ip.run_line_magic("prodkit", 'schedule --cron "0 25 * * *" --name other')


def start_scheduler(project) -> subprocess.Popen:
    return subprocess.Popen(prodkit_cmd("scheduler", "--poll", "0.2"), cwd=project.root, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_running(project, run_id):
    def running():
        with open_store(project) as store:
            run = store.get_run(run_id)
        return run if run.status == RUNNING and run.kernel_pid else None
    return wait_for(running)


def test_ctrl_c_lets_the_running_notebook_finish(backend_project, nb):
    add_job("sleepy", nb("sleepy", ["import time\ntime.sleep(3)", "print('finished')"]), "0 6 * * *", project=backend_project)
    run_id = queue_run("sleepy", project=backend_project)
    proc = start_scheduler(backend_project)
    wait_running(backend_project, run_id)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert "waiting for 1 running notebook" in output
    assert show_status(backend_project, run_id) == SUCCEEDED


def test_second_ctrl_c_cancels_running_notebooks(backend_project, nb):
    add_job("forever", nb("forever", ["import time\ntime.sleep(300)"]), "0 6 * * *", project=backend_project)
    run_id = queue_run("forever", project=backend_project)
    proc = start_scheduler(backend_project)
    wait_running(backend_project, run_id)
    proc.send_signal(signal.SIGINT)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert show_status(backend_project, run_id) == CANCELLED


def show_status(project, run_id) -> str:
    with open_store(project) as store:
        return store.get_run(run_id).status


def test_scheduler_cli_sends_runs_to_a_dask_cluster_by_address(backend_project, nb, cli):
    from distributed import LocalCluster

    add_job("ok", nb("ok", ["print(x + 1)"]), "0 6 * * *", project=backend_project)
    run_id = queue_run("ok", project=backend_project, parameters={"x": 41})
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        once = cli("scheduler", "--once", "--backend", "dask", "--address", cluster.scheduler_address)
    assert once.returncode == 0, once.stderr
    assert f"dask cluster at {cluster.scheduler_address}" in once.stderr
    assert show_status(backend_project, run_id) == SUCCEEDED


def test_unreachable_dask_address_is_bad_input(backend_project, cli):
    proc = cli("scheduler", "--once", "--backend", "dask", "--address", "tcp://127.0.0.1:9")
    assert proc.returncode == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_run_whose_dask_worker_dies_is_lost_not_run_twice(backend_project, nb, tmp_path):
    """The worker running a notebook dies (SIGKILL, its kernel with it): Dask gives the task to the restarted
    worker, which finds the run marked started and records it lost (WorkerDied) instead of running the
    notebook a second time; the Events of the run are gone from the Dask scheduler afterwards."""
    import os
    import signal
    import threading
    import time

    import psutil
    from distributed import Client, LocalCluster

    from prodkit.jobs.records import LOST

    marks = tmp_path / "starts.txt"
    add_job("once", nb("once", [f"open({str(marks)!r}, 'a').write('started\\n')\nimport time\ntime.sleep(300)"]),
            "0 6 * * *", project=backend_project)
    run_id = queue_run("once", project=backend_project)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        scheduler = Scheduler(backend_project, backend="dask", address=cluster.scheduler_address, concurrency=1, poll_s=0.2)
        thread = threading.Thread(target=scheduler.run_once, daemon=True)
        thread.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (marks.exists() and marks.read_text()):
            time.sleep(0.2)
        assert marks.read_text() == "started\n"
        (pid,) = client.run(os.getpid).values()
        worker = psutil.Process(pid)
        for proc in [*worker.children(recursive=True), worker]:  # the machine dies: the kernel with it
            proc.send_signal(signal.SIGKILL)
        thread.join(timeout=120)
        events = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.extensions["events"]._events))
    assert not thread.is_alive()
    run = next(r for r in history(project=backend_project) if r.run_id == run_id)
    assert run.status == LOST and run.error.ename == "WorkerDied", run.error
    assert marks.read_text() == "started\n", "the notebook ran a second time"
    assert not [name for name in events if f"-{run_id}-" in name]
