"""Runs on a real Dask cluster whose workers cannot see the project folder (issue 14).

`dask scheduler` and `dask worker` run as separate processes; the workers run in a mount
namespace of their own where an empty tmpfs hides the project's folder, and in a working
folder of their own, so the project is not there for them. The notebook, its parameters and the promoted modules travel with each
run; output notebooks, logs and artifacts come back and are recorded by the submitter.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from jobs.jobs_helpers import cli_env
from pktest import job_notebook

from prodkit.jobs.api import add_job, history, queue_run
from prodkit.jobs.records import CANCELLED, RUNNING, SUCCEEDED
from prodkit.jobs.scheduler import Scheduler

DASK = str(Path(sys.executable).with_name("dask"))


def _can_hide_folders() -> bool:
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs none /mnt"],
                           capture_output=True)
    return probe.returncode == 0


pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("unshare") is None or not _can_hide_folders(),
                                 reason="needs root and mount namespaces (unshare -m) to hide the project from workers")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def worker_env() -> tuple[Path, dict]:
    home = Path(f"/tmp/prodkit-dask-worker-{os.getpid()}-{time.monotonic_ns()}")
    home.mkdir()
    env = {**cli_env(), "HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "TMPDIR": str(home)}
    yield home, env
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def cluster(backend_project, worker_env):
    """A scheduler and two single-thread workers, as separate processes; the project hidden from the workers."""
    from distributed import Client

    home, env = worker_env
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    hide_and_start = (f"mount -t tmpfs none {backend_project.root} && exec {DASK} worker {address} --nworkers 2 "
                      f"--nthreads 1 --no-dashboard --local-directory {home / 'dask'}")
    workers = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", hide_and_start],
                               cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            seen = client.run(os.path.exists, str(backend_project.root / "settings.ini"))
        assert seen and not any(seen.values()), "the workers must not see the project folder"
        yield address
    finally:
        for proc in (workers, scheduler):
            proc.terminate()
        for proc in (workers, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def cell_text(output_notebook: Path) -> str:
    nb = json.loads(output_notebook.read_text(encoding="utf-8"))
    return "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))


RECORD_NOTE = """\
from prodkit.jobs.context import current_run, record_run_artifact
run = current_run()
note = run.run_dir / f"{run.run_id}-note.txt"
note.write_text(f"x={x}")
record_run_artifact("note", str(note), {"x": x})
"""


def test_runs_on_workers_without_the_project_folder(backend_project, cluster, worker_env):
    """20 runs: the promoted module and the notebook travel, outputs and artifacts come back, one is cancelled."""
    module = backend_project.lib_path / "mylib" / "helpers.py"
    module.parent.mkdir(parents=True)
    module.write_text("def double(x):\n    return 2 * x\n", encoding="utf-8")
    ok = job_notebook(backend_project.nbs_path / "ok.ipynb", ["from mylib.helpers import double\nprint('double', double(x))",
                                                        RECORD_NOTE])
    forever = job_notebook(backend_project.nbs_path / "forever.ipynb", ["import time\ntime.sleep(300)"])
    add_job("ok", ok, "0 6 * * *", project=backend_project)
    add_job("forever", forever, "0 6 * * *", project=backend_project)
    ok_ids = [queue_run("ok", project=backend_project, parameters={"x": i}) for i in range(19)]
    forever_id = queue_run("forever", project=backend_project)

    scheduler = Scheduler(backend_project, backend="dask", address=cluster, concurrency=2, poll_s=0.2)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and forever_id not in scheduler.active:
            time.sleep(0.2)
        time.sleep(4)  # the kernel on the worker is up and sleeping
        assert scheduler.cancel_run(forever_id)
        while time.monotonic() < deadline:
            runs = {r.run_id: r for r in history(project=backend_project, limit=100)}
            if all(runs[i].status not in (RUNNING, "queued") for i in [*ok_ids, forever_id]):
                break
            time.sleep(0.5)
    finally:
        stop.set()
        thread.join(timeout=120)

    runs = {r.run_id: r for r in history(project=backend_project, limit=100)}
    assert [runs[i].status for i in ok_ids] == [SUCCEEDED] * 19, [runs[i].error for i in ok_ids]
    for x, run_id in enumerate(ok_ids):
        output = Path(runs[run_id].output_path)
        assert output.is_relative_to(backend_project.runs_dir) and output.exists()
        assert f"double {2 * x}" in cell_text(output)
        assert output.with_suffix(".log").exists()
        (note,) = [a for a in runs[run_id].artifacts if a["kind"] == "note"]
        assert Path(note["path"]).read_text() == f"x={x}" and note["summary"] == {"x": x}
    assert runs[forever_id].status == CANCELLED
    took = runs[forever_id].ended_at - runs[forever_id].started_at
    assert took < 60, f"the cancelled kernel ran {took:.0f} s"
    assert not kernels_started_in(worker_env[0]), "the cancelled run's kernel is still running on the worker"


def kernels_started_in(folder: Path) -> list[int]:
    """Kernels whose working folder is under `folder` (the workers' temp run folders)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "ipykernel" in " ".join(proc.info["cmdline"] or []) and Path(proc.cwd()).is_relative_to(folder):
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def test_output_url_sends_output_notebooks_elsewhere(backend_project, tmp_path, cluster, worker_env):
    """`output_url` (any fsspec URL; a local folder the workers can write here) receives the run folder."""
    home, _ = worker_env
    target = home / "outputs"
    backend_project.settings["output_url"] = f"file://{target}"
    nb = job_notebook(backend_project.nbs_path / "ok.ipynb", ["print('hello', x)"])
    add_job("ok", nb, "0 6 * * *", project=backend_project)
    run_id = queue_run("ok", project=backend_project, parameters={"x": 7})
    Scheduler(backend_project, backend="dask", address=cluster, concurrency=1).run_once()
    (run,) = [r for r in history(project=backend_project) if r.run_id == run_id]
    assert run.status == SUCCEEDED, run.error
    assert run.output_path == f"file://{target}/ok/{run_id}.ipynb"
    assert "hello 7" in cell_text(target / "ok" / f"{run_id}.ipynb")
    assert not (backend_project.runs_dir / "ok" / f"{run_id}.ipynb").exists()
