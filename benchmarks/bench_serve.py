"""Serving the champion: `prodkit models serve` vs `mlflow models serve --env-manager local`.

Same registered model (a 12-feature churn MLP registered with prodkit.register_model, pt2),
same machine, same client (prodkit's bounded aiohttp load loop), one worker each, alternating
which server goes first in every repeat:
  startup     seconds from starting the command to the first successful POST /invocations
  p95 c=1     p95 latency of one-row requests with 1 client sending back to back
  p95 c=8     the same with 8 concurrent clients
Goal (issue 13): prodkit p95 <= 0.5x MLflow's at c=1 and c=8, startup no slower.

Run: .venv/bin/python benchmarks/bench_serve.py [--quick]
Writes benchmarks/results/serve.json.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
BIN = Path(sys.executable).parent
NAME = "churn-clf"
ROW = [0.1 * i for i in range(12)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_project(folder: Path):
    """A project with one registered, promoted churn MLP."""
    import torch

    from prodkit.config import init_project, load_project
    from prodkit.models import promote, register_model

    init_project(folder)
    project = load_project(folder)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1), torch.nn.Sigmoid())
    register_model(model, NAME, example=torch.randn(8, 12), metrics={"auc": 0.8}, project=project)
    promote(NAME, 1, "champion", project=project)
    return project


def commands(project, port: int) -> dict[str, list[str]]:
    return {
        "prodkit": [str(BIN / "prodkit"), "models", "serve", f"{NAME}@champion", "--port", str(port)],
        "mlflow": [str(BIN / "mlflow"), "models", "serve", "-m", f"models:/{NAME}@champion", "--env-manager", "local",
                   "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
    }


def _predict(url: str) -> bool:
    request = urllib.request.Request(url + "/invocations", data=json.dumps({"inputs": [ROW]}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(kind: str, project, env: dict[str, str]) -> tuple[subprocess.Popen, str, float]:
    """Start one server; return it, its URL and the seconds until it answered a prediction."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(project.root / f"{kind}-{port}.log", "w")  # noqa: SIM115 - lives as long as the process
    started = time.perf_counter()
    proc = subprocess.Popen(commands(project, port)[kind], cwd=project.root, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = started + 180
    while not _predict(url):
        if proc.poll() is not None or time.perf_counter() > deadline:
            stop(proc)
            raise RuntimeError(f"{kind} server did not start: " + Path(log.name).read_text()[-1500:])
        time.sleep(0.05)
    return proc, url, time.perf_counter() - started


def stop(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)  # mlflow's CLI runs uvicorn as a child: stop the group
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def measure(kind: str, project, env, seconds: float) -> dict:
    from prodkit.models.loadtest import run_levels

    proc, url, startup = start(kind, project, env)
    try:
        levels = run_levels(url, json.dumps({"inputs": [ROW]}).encode(), [1, 8], seconds, warmup=1.0)
    finally:
        stop(proc)
    return {"startup_s": round(startup, 2),
            **{f"c{lv.concurrency}": {"p50_ms": lv.p50_ms, "p95_ms": lv.p95_ms, "p99_ms": lv.p99_ms,
                                      "throughput_rps": lv.throughput_rps, "requests": lv.requests,
                                      "failed": lv.failed} for lv in levels}}


def _median(runs: list[dict], *path: str) -> float:
    values = []
    for run in runs:
        value = run
        for key in path:
            value = value[key]
        values.append(value)
    return round(statistics.median(values), 3)


def main(argv: list[str] | None = None) -> dict:
    quick = "--quick" in (argv or [])
    repeats, seconds = (1, 3.0) if quick else (3, 8.0)
    folder = Path(tempfile.mkdtemp(prefix="prodkit-bench-serve-"))
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PYTHONPATH"] = str(REPO)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # mlflow execs `uvicorn` from PATH
    try:
        project = make_project(folder / "proj")
        env["MLFLOW_TRACKING_URI"] = project.tracking_uri  # mlflow's CLI must find the same registry
        runs: dict[str, list[dict]] = {"prodkit": [], "mlflow": []}
        for i in range(repeats):
            for kind in (("prodkit", "mlflow") if i % 2 == 0 else ("mlflow", "prodkit")):
                runs[kind].append(measure(kind, project, env, seconds))
                print(f"  {kind} run {i + 1}: {runs[kind][-1]}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    summary = {kind: {"startup_s": _median(r, "startup_s"), "p95_ms_c1": _median(r, "c1", "p95_ms"),
                      "p95_ms_c8": _median(r, "c8", "p95_ms"), "rps_c1": _median(r, "c1", "throughput_rps"),
                      "rps_c8": _median(r, "c8", "throughput_rps")} for kind, r in runs.items()}
    p, m = summary["prodkit"], summary["mlflow"]
    ratios = {"p95_c1": round(p["p95_ms_c1"] / m["p95_ms_c1"], 3), "p95_c8": round(p["p95_ms_c8"] / m["p95_ms_c8"], 3),
              "startup": round(p["startup_s"] / m["startup_s"], 3)}
    result = {"benchmark": "serve", "repeats": repeats, "seconds_per_level": seconds, "cpus": os.cpu_count(),
              "summary": summary, "ratio_prodkit_over_mlflow": ratios,
              "goal": {"p95_at_most_half": ratios["p95_c1"] <= 0.5 and ratios["p95_c8"] <= 0.5,
                       "startup_no_slower": ratios["startup"] <= 1.0},
              "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "serve.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"serve: startup prodkit {p['startup_s']} s vs mlflow {m['startup_s']} s; "
          f"p95 c=1 {p['p95_ms_c1']} vs {m['p95_ms_c1']} ms; p95 c=8 {p['p95_ms_c8']} vs {m['p95_ms_c8']} ms; "
          f"ratios {ratios}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
