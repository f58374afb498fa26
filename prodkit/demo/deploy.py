"""Demo step 6: deploy the champion and close the loop.

Serves churn-clf@champion (`prodkit models serve`, a real process on 127.0.0.1), load-tests it
(BIZ-01 then holds the served p95 against the declared budget), scores a drifted batch in a
scheduled run, which triggers the retrain job (the PoC notebook registering a candidate with
auto_gate), whose candidate the gate lets take @champion or refuses; prints the chain.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from prodkit.errors import ProdkitError

MODEL = "churn-clf"
SCORE_CELL = """\
import sys
import pandas as pd
import prodkit
sys.path.insert(0, str(prodkit.load_project().lib_path))  # the promoted modules
from churn.features import to_matrix
scored = prodkit.score(pd.read_parquet(batch), "churn-clf@champion", prepare=to_matrix)
scored"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(project, ref: str, timeout: float = 120.0) -> tuple[subprocess.Popen, str, float]:
    """`prodkit models serve REF` in the project; (process, url, seconds until /ping answered)."""
    import os

    port = _free_port()
    log = open(project.state_dir / "serve.log", "w")  # noqa: SIM115 - lives as long as the server
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "prodkit.cli", "models", "serve", ref, "--port", str(port)],
                            cwd=project.root, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ),
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(url + "/ping", timeout=1):
                return proc, url, time.perf_counter() - started
        except OSError:
            if proc.poll() is not None or time.perf_counter() - started > timeout:
                proc.kill()
                raise RuntimeError("the model server did not start: "
                                   + Path(log.name).read_text(encoding="utf-8")[-500:]) from None
            time.sleep(0.2)


def _retrain_notebook(ctx) -> Path:
    """The PoC notebook as the retrain job: it registers a candidate; the gate moves @champion to it if allowed."""
    import nbformat

    nb = nbformat.read(ctx.notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.source.startswith(("%%parameters", "%%promote --params")):
            cell.source += "\ntriggering_run = None\nauto_gate = False"
        cell.source = cell.source.replace("prodkit.register_model(model, \"churn-clf\",",
                                          "prodkit.models.register_candidate(model, \"churn-clf\", "
                                          "auto_gate=auto_gate,")
    path = ctx.project.nbs_path / "retrain.ipynb"
    nbformat.write(nb, path)
    return path


def _score_notebook(ctx) -> Path:
    import nbformat

    params = nbformat.v4.new_code_cell('batch = "batch.parquet"')
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(SCORE_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = ctx.project.nbs_path / "score_batch.ipynb"
    nbformat.write(nb, path)
    return path


def serve_and_loadtest(ctx) -> None:
    from prodkit.models.loadtest import loadtest
    from prodkit.readiness import check_notebook

    proc, url, startup = start_server(ctx.project, f"{MODEL}@champion")
    try:
        with urllib.request.urlopen(url + "/version", timeout=5) as r:
            info = json.loads(r.read())
        ctx.console.print(f"serving {MODEL}@champion v{info['version']} on {info['device']} at {url} "
                          f"(ready in {startup:.1f} s; MLflow's scoring protocol, follows the alias)", highlight=False)
        result = loadtest(f"{MODEL}@champion", url=url, concurrency="1,8", seconds=2, project=ctx.project)
        ctx.console.print(result.summary(), highlight=False)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    biz = check_notebook(ctx.notebook, project=ctx.project, only=["BIZ-01"]).checks[0]
    ctx.console.print(f"BIZ-01 {biz.status}: {biz.message}", highlight=False)


def drift_to_retrain(ctx) -> None:
    from prodkit.jobs import Scheduler
    from prodkit.jobs.api import add_job, run_job
    from prodkit.jobs.render import chain_text, trigger_text
    from prodkit.jobs.store import JobStore
    from prodkit.models.state import reference_data

    project = ctx.project
    reference = reference_data(project, MODEL)
    if reference is None:
        ctx.console.print("[yellow]no training data registered with the champion: skipping the retrain loop[/]")
        return
    drifted = reference.copy()
    numeric = [c for c in drifted.select_dtypes("number").columns if c != "churned"]
    drifted[numeric] = drifted[numeric] + 2 * drifted[numeric].std()
    batch = project.state_dir / "demo-drifted-batch.parquet"
    drifted.to_parquet(batch)
    for name, notebook, options in (
            ("churn-score", _score_notebook(ctx), {"cron": "0 6 * * *"}),
            ("churn-retrain", _retrain_notebook(ctx), {"cron": None, "on_drift": "churn-score",
                                                       "parameters": {"auto_gate": True}})):
        cron = options.pop("cron")
        add_job(name, notebook, cron, replace=True, project=project, **options)
    ctx.console.print("jobs: churn-score (daily) and churn-retrain (--on-drift churn-score --auto-gate)")
    [scoring] = run_job("churn-score", project=project, parameters={"batch": str(batch)})
    drift = scoring.drift or {}
    ctx.console.print(f"run {scoring.run_id} (churn-score) {scoring.status}: scored a drifted batch; "
                      f"drift {'detected' if drift.get('drift') else 'not detected'}", highlight=False)
    report = Scheduler(project, concurrency=1).run_once()
    with JobStore(project.jobs_db, root=project.root) as store:
        for run_id in report.triggered:
            run = store.get_run(run_id)
            ctx.console.print(f"run {run.run_id} ({run.job}) {run.status}, trigger {trigger_text(run)}: "
                              f"{chain_text(run) or (run.error.line() if run.error else '')}", highlight=False)
    if not report.triggered:
        ctx.console.print("no retrain triggered (the batch did not drift)")


def demo_step(ctx) -> None:
    ctx.console.rule("6. deploy: serve, load test, drift -> retrain -> gate")
    try:
        serve_and_loadtest(ctx)
        drift_to_retrain(ctx)
    except (ProdkitError, RuntimeError, OSError) as e:
        line = e.line() if isinstance(e, ProdkitError) else str(e)
        ctx.console.print(f"[yellow]deploy step stopped:[/] {line}", highlight=False)
    ctx.where.append(("retrain chain", "prodkit jobs history; prodkit models show churn-clf"))
