"""Side panel refresh, server side: GET /prodkit/api/status (readiness + promote status +
jobs + models) for the demo notebook under 20 concurrent requests, against a real
`jupyter server` with the prodkit extension.

Scenarios (each: bursts of 20 concurrent requests):
  after-save   the notebook changed before each burst (what a save triggers): 20 requests
               share one computation (single flight)
  unchanged    nothing changed since the last refresh (cache reuse while the fingerprint holds)
  recheck      `fresh=1` on every request (Re-check button): no finished result is reused;
               simultaneous ones for the same notebook share the running computation
  distinct     20 different notebooks (copies of the demo, each code cell ending in its own
               `# copy N` line), `fresh=1`, at once: nothing can be shared between them, every
               request computes (the worst case)
  peer         Jupyter's own GET /api/contents/<notebook> (what opening the notebook costs),
               same concurrency: the reference for "as fast as Jupyter's own API"
The server runs with its defaults: refreshes computed in worker processes
(ProdkitServerApp.status_processes: one per CPU, at most 4). A worker keeps the notebooks it parsed
by content hash: `fresh=1` re-reads every file and store, but a cell text it has parsed before is
not parsed again, so `distinct` after its first burst measures a Re-check of notebooks the workers
have seen, `distinct-first` (the first burst) one of notebooks no worker has parsed yet.
Also: one `prodkit check --json` CLI call (what a panel without a server extension would
shell out to per refresh).

Run: .venv/bin/python benchmarks/bench_server.py [--quick]
Writes benchmarks/results/server.json. Target: after-save p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
NOTEBOOK = "nbs/churn_poc.ipynb"
CONCURRENCY = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _project(tmp: Path) -> Path:
    from prodkit.config import init_project

    root = tmp / "proj"
    init_project(root)
    shutil.copy(REPO / "nbs" / "churn_poc.ipynb", root / NOTEBOOK)
    for i in range(CONCURRENCY):
        _distinct_copy(REPO / "nbs" / "churn_poc.ipynb", root / "nbs" / f"copy_{i:02d}.ipynb", i)
    return root


def _distinct_copy(source: Path, target: Path, n: int) -> None:
    """The demo notebook with a `# copy N` line ending each code cell: different notebooks, cell for cell,
    so no work done for one copy's cells can serve another's."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = f"{text.rstrip()}\n# copy {n}"
    target.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def _start_server(root: Path, tmp: Path, token: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "jconfig"), "JUPYTER_RUNTIME_DIR": str(tmp / "jrt"),
           "JUPYTER_DATA_DIR": str(tmp / "jdata")}
    cmd = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.jpserver_extensions={'prodkit.server': True}", "--ServerApp.log_level=WARN"]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("jupyter server did not start") from None
            time.sleep(0.2)


async def _burst(client, urls: list[str]) -> list[tuple[float, float | None]]:
    """(client latency ms, server-reported ms or None) for each URL, all sent at once."""

    async def one(u: str):
        t0 = time.perf_counter()
        response = await client.fetch(u, request_timeout=120)
        latency = (time.perf_counter() - t0) * 1000
        body = json.loads(response.body)
        return latency, body.get("elapsed_ms") if isinstance(body, dict) else None

    return await asyncio.gather(*(one(u) for u in urls))


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def _summary(samples: list[tuple[float, float | None]]) -> dict:
    client = [s[0] for s in samples]
    server = [s[1] for s in samples if s[1] is not None]
    out = {"n": len(client), "p50_ms": round(_p(client, 0.5), 1), "p95_ms": round(_p(client, 0.95), 1),
           "max_ms": round(max(client), 1)}
    if server:
        out["server_p95_ms"] = round(_p(server, 0.95), 1)
    return out


async def _scenarios(url: str, token: str, root: Path, bursts: int) -> dict:
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=CONCURRENCY * 2)
    client = AsyncHTTPClient()
    status = f"{url}/prodkit/api/status?path={NOTEBOOK}&token={token}"
    await client.fetch(status, request_timeout=120)  # warm: first imports of every capability
    nb = root / NOTEBOOK
    results: dict[str, list] = {"after-save": [], "unchanged": [], "recheck": [], "distinct": [], "peer": []}
    distinct = [f"{url}/prodkit/api/status?path=nbs/copy_{i:02d}.ipynb&fresh=1&token={token}"
                for i in range(CONCURRENCY)]
    first_distinct: list = []
    for _ in range(bursts):
        os.utime(nb)  # a save: new fingerprint
        results["after-save"] += await _burst(client, [status] * CONCURRENCY)
        results["unchanged"] += await _burst(client, [status] * CONCURRENCY)
        results["recheck"] += await _burst(client, [status + "&fresh=1"] * CONCURRENCY)
        burst = await _burst(client, distinct)
        results["distinct"] += burst
        first_distinct = first_distinct or burst  # these notebooks never seen before: no cell parsed yet
        results["peer"] += await _burst(client, [f"{url}/api/contents/{NOTEBOOK}?token={token}"] * CONCURRENCY)
    single = []
    for _ in range(bursts):
        t0 = time.perf_counter()
        await client.fetch(status + "&fresh=1", request_timeout=120)
        single.append((time.perf_counter() - t0) * 1000)
    client.close()
    out = {name: _summary(samples) for name, samples in results.items()}
    out["distinct-first"] = _summary(first_distinct)
    out["single_recheck_median_ms"] = round(statistics.median(single), 1)
    return out


def _cli_check_ms(root: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "prodkit.cli", "check", NOTEBOOK, "--json"], cwd=root,
                       capture_output=True, check=False)
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer bursts")
    args = parser.parse_args(argv)
    bursts = 4 if args.quick else 12
    with tempfile.TemporaryDirectory(prefix="prodkit-bench-server-") as tmp_name:
        tmp = Path(tmp_name)
        root = _project(tmp)
        token = secrets.token_hex(16)
        proc, url = _start_server(root, tmp, token)
        try:
            result = asyncio.run(_scenarios(url, token, root, bursts))
        finally:
            proc.terminate()
            proc.wait(20)
        result["cli_check_median_ms"] = _cli_check_ms(root, 2 if args.quick else 3)
    result["concurrency"] = CONCURRENCY
    result["bursts"] = bursts
    result["cpus"] = os.cpu_count()
    result["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    result["ratio_after_save_vs_peer_p95"] = round(result["after-save"]["p95_ms"] / result["peer"]["p95_ms"], 2)
    print(f"panel refresh (status: readiness + promote + jobs + models), demo notebook, {CONCURRENCY} concurrent, "
          f"{bursts} bursts ({result['cpus']} cores, load average {result['load_average_1m_after']}):")
    print(f"  {'scenario':<12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name in ("after-save", "unchanged", "recheck", "distinct", "distinct-first", "peer"):
        r = result[name]
        print(f"  {name:<12} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['max_ms']:>8.1f}")
    print(f"after-save p95 {result['after-save']['p95_ms']:.0f} ms (target <= 300 ms); "
          f"vs Jupyter contents API p95: ratio {result['ratio_after_save_vs_peer_p95']:.2f}")
    print(f"one Re-check alone: {result['single_recheck_median_ms']:.0f} ms; `prodkit check --json` CLI "
          f"per refresh: {result['cli_check_median_ms']:.0f} ms")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "server.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
