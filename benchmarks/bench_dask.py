"""Runs on a real 2-worker Dask cluster (separate processes) vs sequential papermill, in one run.

  .venv/bin/python benchmarks/bench_dask.py [--quick]

`dask scheduler` and `dask worker --nworkers 2` are started as their own processes (as on a
team's cluster); each run travels as a portable run (notebook, parameters, promoted modules)
and its output notebook comes back to the submitter. The peer is papermill.execute_notebook
called N times in one process, papermill already imported (the strongest sequential peer).
JSON goes to benchmarks/results/dask.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_jobs import env, papermill_sequential, write_trivial  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(workdir: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT),
             subprocess.Popen([dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                               "--no-dashboard", "--local-directory", str(workdir)],
                              cwd=workdir, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)]
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(workers, timeout=60)
        client.run(lambda: __import__("papermill"))  # a warm cluster, as a real one is
    return address, procs


def bench(root: Path, runs: int, workers: int) -> dict:
    from prodkit.config import load_project
    from prodkit.jobs.api import add_job, history, queue_run
    from prodkit.jobs.scheduler import Scheduler

    project = load_project(root)
    nb = write_trivial(root / "nbs" / "many.ipynb")
    add_job("many", nb, "0 6 * * *", project=project)
    sequential = papermill_sequential(root, nb, runs)

    workdir = Path(tempfile.mkdtemp(prefix="bench-dask-workers-"))
    address, procs = start_cluster(workdir, workers)
    try:
        for i in range(runs):
            queue_run("many", project=project, parameters={"x": i})
        start = time.perf_counter()
        Scheduler(project, backend="dask", address=address, concurrency=workers).run_once()
        took = time.perf_counter() - start
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    statuses = sorted({r.status for r in history("many", project=project, limit=runs)})
    outputs = sum(1 for r in history("many", project=project, limit=runs) if r.output_path and Path(r.output_path).exists())
    return {"runs": runs, "workers": workers, "papermill_sequential_s": round(sequential, 3),
            "prodkit_dask_cluster_s": round(took, 3), "throughput_ratio": round(sequential / took, 3),
            "statuses": statuses, "outputs_back": outputs, "target": "report (2 workers on 2 cores)"}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (CI smoke)")
    args = parser.parse_args(argv)
    from prodkit.config import init_project

    results: dict = {"cores": os.cpu_count(), "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        root = Path(tmp)
        init_project(root)
        os.chdir(root)
        results["cluster_runs"] = bench(root, 10 if args.quick else 50, 2)
    r = results["cluster_runs"]
    print(f"{r['runs']} runs on a 2-worker Dask cluster: {r['prodkit_dask_cluster_s']:.2f} s; "
          f"papermill sequential {r['papermill_sequential_s']:.2f} s; throughput {r['throughput_ratio']:.2f}x; "
          f"{r['outputs_back']} output notebooks back; statuses {r['statuses']}")
    out = REPO / "benchmarks" / "results" / "dask.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
