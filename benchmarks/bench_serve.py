"""Serving the champion: `prodkit models serve` vs `mlflow models serve --env-manager local`.

Same registered model (a 12-feature churn MLP registered with prodkit.register_model, pt2),
same machine, same client (prodkit's bounded aiohttp load loop), one worker each:
  startup     seconds from starting the command to the first successful POST /invocations
              (one server at a time, alternating which goes first; median of the repeats)
  p95 c=1     p95 latency of one-row requests with 1 client sending back to back
  p95 c=8     the same with 8 concurrent clients
Latency runs with both servers up, in alternating 1.5 s windows (rounds), pooled per server, so
load from other processes on a shared machine hits both alike.
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


def interleaved(servers: dict[str, str], rounds: int, window: float) -> dict[str, dict]:
    """Both servers up; per level, alternate `window`-second runs between them for `rounds` rounds, so the
    machine's background load hits both alike; percentiles over the pooled latencies."""
    from prodkit.models.loadtest import percentile, run_levels

    body = json.dumps({"inputs": [ROW]}).encode()
    pooled: dict[str, dict[int, list[float]]] = {kind: {} for kind in servers}
    counts: dict[str, dict[int, list[int]]] = {kind: {1: [0, 0], 8: [0, 0]} for kind in servers}
    seconds: dict[str, dict[int, float]] = {kind: {1: 0.0, 8: 0.0} for kind in servers}
    for url in servers.values():
        run_levels(url, body, [1, 8], 1.0, warmup=0)  # warm both
    for i in range(rounds):
        order = list(servers) if i % 2 == 0 else list(reversed(servers))
        for kind in order:
            for level in run_levels(servers[kind], body, [1, 8], window, warmup=0, samples=pooled[kind]):
                counts[kind][level.concurrency][0] += level.requests
                counts[kind][level.concurrency][1] += level.failed
                seconds[kind][level.concurrency] += level.seconds
    result = {}
    for kind, levels in pooled.items():
        result[kind] = {}
        for c, values in levels.items():
            values.sort()
            result[kind][f"c{c}"] = {"p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
                                     "p99_ms": percentile(values, 99), "requests": counts[kind][c][0],
                                     "failed": counts[kind][c][1],
                                     "throughput_rps": round(len(values) / seconds[kind][c], 1)}
    return result


def main(argv: list[str] | None = None) -> dict:
    quick = "--quick" in (argv or [])
    repeats, rounds, window = (1, 2, 1.5) if quick else (3, 8, 1.5)
    folder = Path(tempfile.mkdtemp(prefix="prodkit-bench-serve-"))
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PYTHONPATH"] = str(REPO)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # mlflow execs `uvicorn` from PATH
    startups: dict[str, list[float]] = {"prodkit": [], "mlflow": []}
    try:
        project = make_project(folder / "proj")
        env["MLFLOW_TRACKING_URI"] = project.tracking_uri  # mlflow's CLI must find the same registry
        for i in range(repeats):  # startup: one server at a time, alternating which goes first
            for kind in (("prodkit", "mlflow") if i % 2 == 0 else ("mlflow", "prodkit")):
                proc, _, startup = start(kind, project, env)
                stop(proc)
                startups[kind].append(round(startup, 2))
                print(f"  {kind} startup {startup:.2f} s", flush=True)
        procs = {kind: start(kind, project, env) for kind in ("prodkit", "mlflow")}
        try:
            latency = interleaved({kind: url for kind, (_, url, _) in procs.items()}, rounds, window)
        finally:
            for proc, _, _ in procs.values():
                stop(proc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    summary = {kind: {"startup_s": round(statistics.median(startups[kind]), 2),
                      "p50_ms_c1": latency[kind]["c1"]["p50_ms"], "p95_ms_c1": latency[kind]["c1"]["p95_ms"],
                      "p95_ms_c8": latency[kind]["c8"]["p95_ms"], "rps_c1": latency[kind]["c1"]["throughput_rps"],
                      "rps_c8": latency[kind]["c8"]["throughput_rps"]} for kind in startups}
    p, m = summary["prodkit"], summary["mlflow"]
    ratios = {"p95_c1": round(p["p95_ms_c1"] / m["p95_ms_c1"], 3), "p95_c8": round(p["p95_ms_c8"] / m["p95_ms_c8"], 3),
              "startup": round(p["startup_s"] / m["startup_s"], 3)}
    result = {"benchmark": "serve", "startup_repeats": repeats, "latency_rounds": rounds, "window_s": window,
              "cpus": os.cpu_count(), "summary": summary, "ratio_prodkit_over_mlflow": ratios,
              "goal": {"p95_at_most_half": ratios["p95_c1"] <= 0.5 and ratios["p95_c8"] <= 0.5,
                       "startup_no_slower": ratios["startup"] <= 1.0},
              "startups": startups, "latency": latency}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "serve.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"serve: startup prodkit {p['startup_s']} s vs mlflow {m['startup_s']} s; "
          f"p95 c=1 {p['p95_ms_c1']} vs {m['p95_ms_c1']} ms; p95 c=8 {p['p95_ms_c8']} vs {m['p95_ms_c8']} ms; "
          f"ratios {ratios}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
