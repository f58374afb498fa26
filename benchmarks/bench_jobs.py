"""Scheduled jobs, side by side with papermill (the peer) in one run.

  .venv/bin/python benchmarks/bench_jobs.py [--quick]

1. one run of a trivial notebook: `prodkit jobs run` vs the `papermill` CLI (fresh processes both);
2. 20 parameterised runs: prodkit's local backend (default concurrency) vs papermill.execute_notebook
   called sequentially in one process (papermill already imported: the strongest sequential peer);
3. the same 20 runs on the Dask backend: a LocalCluster started for them, and one already warm;
4. one scheduler tick over 1,000 jobs on minute schedules, all due (recover + claim, no execution),
   on SQLite and on a throw-away PostgreSQL server (tests/pgserver.py; skipped without its binaries);
5. 3 `prodkit scheduler` processes with their own project copies sharing one store (PostgreSQL, and
   a SQLite file), 500 slots due at once, claim-only backend: seconds until all are recorded, 0 double / 0 missed.
`--store-only` runs 4 and 5.
Ratios, not absolute seconds, are the result; JSON goes to benchmarks/results/jobs.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TRIVIAL_CELLS = ["x = 1", "y = x * 2\nprint(y)"]


def write_trivial(path: Path) -> Path:
    cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"]} if i == 0 else {}, "source": src,
              "outputs": [], "execution_count": None, "id": f"c{i}"} for i, src in enumerate(TRIVIAL_CELLS)]
    nb = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), e.get("PYTHONPATH")]))
    return e


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env(), check=True, capture_output=True)
    return time.perf_counter() - start


def bench_single(root: Path, repeats: int) -> dict:
    """Alternate the two CLIs so machine load hits both alike; medians."""
    from prodkit.jobs.api import add_job

    nb = write_trivial(root / "nbs" / "trivial.ipynb")
    add_job("trivial", nb, "0 6 * * *")
    papermill_bin = str(Path(sys.executable).with_name("papermill"))
    prodkit_runs, papermill_runs = [], []
    for i in range(repeats):
        prodkit_runs.append(timed([sys.executable, "-m", "prodkit.cli", "jobs", "run", "trivial", "-p", f"x={i}"], root))
        papermill_runs.append(timed([papermill_bin, str(nb), str(root / f"pm-{i}.ipynb"), "-p", "x", str(i),
                                     "--no-progress-bar"], root))
    p, q = statistics.median(prodkit_runs), statistics.median(papermill_runs)
    return {"prodkit_jobs_run_s": round(p, 3), "papermill_cli_s": round(q, 3), "ratio": round(p / q, 3),
            "target": "<= 1.1", "repeats": repeats, "all_prodkit_s": [round(t, 3) for t in prodkit_runs],
            "all_papermill_s": [round(t, 3) for t in papermill_runs]}


def papermill_sequential(root: Path, nb: Path, n: int) -> float:
    """Seconds for `n` papermill.execute_notebook calls in this process, papermill warm (the sequential peer)."""
    import papermill

    out = root / "papermill-seq"
    out.mkdir(exist_ok=True)
    papermill.execute_notebook(str(nb), str(out / "warm.ipynb"), parameters={"x": -1}, progress_bar=False)
    start = time.perf_counter()
    for i in range(n):
        papermill.execute_notebook(str(nb), str(out / f"{i}.ipynb"), parameters={"x": i}, progress_bar=False)
    return time.perf_counter() - start


def bench_many(root: Path, n: int) -> dict:
    from prodkit.config import load_project
    from prodkit.jobs.api import add_job, history, queue_run
    from prodkit.jobs.scheduler import Scheduler, default_concurrency

    project = load_project(root)
    nb = write_trivial(root / "nbs" / "many.ipynb")
    add_job("many", nb, "0 6 * * *", project=project)
    seq = papermill_sequential(root, nb, n)

    results = {"runs": n, "papermill_sequential_s": round(seq, 3)}
    for backend in ("local", "dask"):
        for i in range(n):
            queue_run("many", project=project, parameters={"x": i})
        start = time.perf_counter()
        Scheduler(project, backend=backend).run_once()
        took = time.perf_counter() - start
        statuses = {r.status for r in history("many", project=project, limit=n)}
        results[f"prodkit_{backend}_s"] = round(took, 3)
        results[f"{backend}_throughput_ratio"] = round(seq / took, 3)
        results[f"{backend}_statuses"] = sorted(statuses)
    # A warm cluster (as a real one is): workers started and papermill imported before the clock starts.
    from prodkit.jobs.backends import DaskBackend

    dask = DaskBackend(None, default_concurrency(project))
    try:
        dask.client.run(lambda: __import__("papermill"))
        for i in range(n):
            queue_run("many", project=project, parameters={"x": i})
        start = time.perf_counter()
        Scheduler(project, backend=dask).run_once()
        took = time.perf_counter() - start
    finally:
        dask.close()
    results["prodkit_dask_warm_s"] = round(took, 3)
    results["dask_warm_throughput_ratio"] = round(seq / took, 3)
    results["concurrency"] = default_concurrency(project)
    results["target_local"] = ">= 1.7"
    return results


def bench_tick(root: Path, jobs: int, repeats: int, store_target: str | None = None) -> dict:
    from datetime import UTC, datetime

    from prodkit.config import load_project
    from prodkit.jobs.cron import next_slot
    from prodkit.jobs.records import JobSpec
    from prodkit.jobs.scheduler import Scheduler
    from prodkit.jobs.store import JobStore

    project = load_project(root)
    t0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC).timestamp()
    exprs = ["* * * * *", "* * * * 1-5", "* 0-23 * * *", "*/1 * * * *", "0-59 * * * *"]
    zones = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata"]
    with JobStore(store_target or str(root / ".prodkit" / "tick.db"), root=root) as store:
        for i in range(jobs):  # added at different times: every job has its own cursor at first
            expr, tz = exprs[i % len(exprs)], zones[i % len(zones)]
            created = t0 - 60 + i * 0.05
            spec = JobSpec(name=f"job-{i:04d}", notebook="nbs/many.ipynb", cron=expr, tz=tz)
            store.add_job(spec, now=created, next_due=next_slot(expr, tz, created))
        sched = Scheduler(project, store=store, concurrency=2)
        due, idle, claimed = [], [], []
        for k in range(repeats):
            now = t0 + 60 * k + 5  # five seconds after a minute: each job has one slot due
            start = time.perf_counter()
            store.recover_lost(sched.owner, now, sched.lease_s)
            claimed.append(len(sched.claim(now)))
            due.append(time.perf_counter() - start)
            start = time.perf_counter()
            store.recover_lost(sched.owner, now + 1, sched.lease_s)
            sched.claim(now + 1)
            idle.append(time.perf_counter() - start)
        return {"jobs": jobs, "claimed_per_tick": claimed, "tick_all_due_ms": round(1000 * statistics.median(due), 2),
                "tick_all_due_ms_each": [round(1000 * d, 2) for d in due],
                "tick_nothing_due_ms": round(1000 * statistics.median(idle), 2), "target_ms": 50 if store_target is None else 100,
                "repeats": repeats, "store": store.backend}


def postgres_server():
    """A throw-away PostgreSQL server (tests/pgserver.py), or None without the binaries."""
    sys.path.insert(0, str(REPO / "tests"))
    from pgserver import PgServer, binaries

    bindir = binaries()
    return PgServer(bindir).start() if bindir else None


def bench_hosts(base: Path, store_target: str | None, jobs: int = 500, schedulers: int = 3) -> dict:
    """`schedulers` real `prodkit scheduler --backend claim-only` processes, each in its own copy of a
    project sharing one store, claim `jobs` slots that become due at once: wall time until all are
    recorded, and 0 double / 0 missed."""
    import math
    import shutil
    import signal
    from collections import Counter

    from prodkit.config import init_project, load_project
    from prodkit.jobs.cron import next_slot
    from prodkit.jobs.records import JobSpec
    from prodkit.jobs.store import JobStore
    from prodkit.jobs.tables import jobs as jobs_table

    seed = base / "seed"
    init_project(seed)
    write_trivial(seed / "nbs" / "tick.ipynb")
    target = store_target or str(base / "shared-jobs.db")
    created = math.floor(time.time() / 3600) * 3600 - 3600 + 0.5
    with JobStore(target, root=seed) as store:
        for i in range(jobs):
            spec = JobSpec(name=f"j{i:03d}", notebook="nbs/tick.ipynb", cron="0 * * * *", catch_up="all", paused=True)
            store.add_job(spec, now=created, next_due=next_slot(spec.cron, spec.tz, created))
    procs, logs = [], []
    for k in range(schedulers):
        root = base / f"host{k}"
        shutil.copytree(seed, root)
        settings = root / "settings.ini"
        settings.write_text(settings.read_text().replace("[prodkit]\n", f"[prodkit]\njobs_db = {target}\n", 1))
        assert load_project(root).jobs_store == target
        logs.append(open(base / f"host{k}.log", "w"))
        procs.append(subprocess.Popen([sys.executable, "-m", "prodkit.cli", "scheduler", "--backend", "claim-only",
                                       "--concurrency", "64", "--poll", "0.2", "--claim-batch", "20"],
                                      cwd=root, env=env(), stdout=logs[-1], stderr=subprocess.STDOUT))
    try:
        while not all("scheduler " in (base / f"host{k}.log").read_text() for k in range(schedulers)):
            time.sleep(0.1)
        time.sleep(0.5)
        with JobStore(target, root=seed) as store:
            with store.transaction() as db:
                db.execute(jobs_table.update().values(paused=0))
            start = time.perf_counter()
            while True:
                runs = store.history(limit=100_000)
                if len(runs) >= jobs and not store.active_runs():
                    break
                time.sleep(0.05)
            took = time.perf_counter() - start
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            p.wait(timeout=60)
        for log in logs:
            log.close()
    per_slot = Counter((r.job, r.scheduled_for) for r in runs)
    owners = Counter(r.owner.split("#")[0] for r in runs)
    return {"store": "postgresql" if store_target else "sqlite", "schedulers": schedulers, "slots": len(per_slot),
            "double": sum(n - 1 for n in per_slot.values()), "missed": max(0, jobs - len(per_slot)),
            "seconds": round(took, 3), "slots_per_s": round(len(per_slot) / took, 1),
            "runs_per_scheduler": sorted(owners.values())}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (CI smoke)")
    parser.add_argument("--store-only", action="store_true", help="only the store benchmarks (ticks, 3 schedulers)")
    args = parser.parse_args(argv)
    repeats, runs = (2, 20) if args.quick else (5, 20)
    from prodkit.config import init_project

    results: dict = {"cores": os.cpu_count(), "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        root = Path(tmp)
        init_project(root)
        os.chdir(root)
        results["tick"] = bench_tick(root, 1000, 3 if args.quick else 7)
        server = postgres_server()
        try:
            if server is not None:
                results["tick_postgresql"] = bench_tick(root, 1000, 3 if args.quick else 7, server.database())
                results["hosts_postgresql"] = bench_hosts(Path(tempfile.mkdtemp(dir=tmp)), server.database())
            else:
                results["postgresql"] = "skipped: no PostgreSQL binaries (/usr/lib/postgresql/*/bin)"
        finally:
            if server is not None:
                server.stop()
        results["hosts_sqlite"] = bench_hosts(Path(tempfile.mkdtemp(dir=tmp)), None)
        if not args.store_only:
            results["single_run"] = bench_single(root, repeats)
            results["twenty_runs"] = bench_many(root, runs)

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"prodkit jobs vs papermill ({results['cores']} cores)")
    for col in ("benchmark", "prodkit", "peer", "ratio", "target"):
        table.add_column(col)
    t = results["tick"]
    table.add_row("tick, 1000 minute jobs due (SQLite)", f"{t['tick_all_due_ms']:.1f} ms", "-", "-", "<= 50 ms")
    table.add_row("tick, nothing due (SQLite)", f"{t['tick_nothing_due_ms']:.1f} ms", "-", "-", "")
    if "tick_postgresql" in results:
        tp = results["tick_postgresql"]
        table.add_row("tick, 1000 minute jobs due (PostgreSQL)", f"{tp['tick_all_due_ms']:.1f} ms", "-", "-", "<= 100 ms")
        table.add_row("tick, nothing due (PostgreSQL)", f"{tp['tick_nothing_due_ms']:.1f} ms", "-", "-", "")
    for key in ("hosts_postgresql", "hosts_sqlite"):
        if key in results:
            h = results[key]
            table.add_row(f"{h['schedulers']} schedulers x {h['slots']} slots ({h['store']})",
                          f"{h['seconds']:.2f} s, {h['slots_per_s']:.0f} slots/s",
                          f"split {h['runs_per_scheduler']}", f"double {h['double']}, missed {h['missed']}", "0 / 0")
    if args.store_only:
        Console().print(table)
        return _write(results)
    s, m = results["single_run"], results["twenty_runs"]
    table.add_row("1 trivial run (CLI)", f"{s['prodkit_jobs_run_s']:.2f} s", f"papermill {s['papermill_cli_s']:.2f} s",
                  f"{s['ratio']:.2f}x time", "<= 1.1")
    table.add_row(f"{m['runs']} runs, local backend", f"{m['prodkit_local_s']:.2f} s",
                  f"papermill seq {m['papermill_sequential_s']:.2f} s", f"{m['local_throughput_ratio']:.2f}x throughput", ">= 1.7")
    table.add_row(f"{m['runs']} runs, Dask, cluster start incl.", f"{m['prodkit_dask_s']:.2f} s",
                  f"papermill seq {m['papermill_sequential_s']:.2f} s", f"{m['dask_throughput_ratio']:.2f}x throughput", "report")
    table.add_row(f"{m['runs']} runs, Dask, warm cluster", f"{m['prodkit_dask_warm_s']:.2f} s",
                  f"papermill seq {m['papermill_sequential_s']:.2f} s", f"{m['dask_warm_throughput_ratio']:.2f}x throughput",
                  "report")
    Console().print(table)
    return _write(results)


def _write(results: dict) -> dict:
    out = REPO / "benchmarks" / "results" / ("jobs-store.json" if "single_run" not in results else "jobs.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
