"""Runs with real kernels through papermill: outputs, parameters, errors, timeouts, retries, the queue."""

import json
from pathlib import Path

import pytest
from jobs.jobs_helpers import REPO

from prodkit.jobs.api import add_job, history, queue_run, run_job
from prodkit.jobs.records import FAILED, SUCCEEDED, TIMED_OUT, TRIGGER_RETRY
from prodkit.jobs.scheduler import Scheduler

pytestmark = pytest.mark.slow


def output(project, run) -> dict:
    return json.loads((project.root / run.output_path).read_text())


def test_run_keeps_output_parameters_hash_and_times(backend_project, nb, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the kernel loads prodkit's extension, as the notebook says
    path = nb("ok", ["%%promote churn.features\ndef f(v):\n    return v * 2",
                     "from churn.features import f as g\nprint('y =', g(x))"],
              before=("%load_ext prodkit",), params="x = 1", promote_params=True)
    add_job("ok", path, "0 6 * * *", parameters={"x": 5}, project=backend_project)
    [run] = run_job("ok", project=backend_project, parameters={"x": 21})
    assert run.status == SUCCEEDED and run.error is None
    assert run.parameters == {"x": 21}
    assert run.output_path == str(backend_project.root / ".prodkit" / "runs" / "ok" / f"{run.run_id}.ipynb")
    assert len(run.notebook_sha256) == 64 and run.started_at <= run.ended_at and run.duration_s >= 0
    out = output(backend_project, run)
    printed = [o["text"] for c in out["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout"]
    assert "".join("".join(t) for t in printed).strip() == "y = 42"  # injected after the %%promote --params cell
    assert out["cells"][2]["metadata"]["tags"] == ["injected-parameters"]
    assert history("ok", project=backend_project)[0].to_dict()["parameters"] == {"x": 21}


@pytest.mark.parametrize("loads_prodkit", [True, False])
def test_parameters_are_injected_after_the_parameters_magic_cell(backend_project, nb, monkeypatch, loads_prodkit):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    before = ("%load_ext prodkit",) * loads_prodkit + ("%%parameters\nx = 1",)
    path = nb("params", ["print('y =', x * 2)"], params=None, before=before)
    add_job("params", path, None, project=backend_project)
    [run] = run_job("params", project=backend_project, parameters={"x": 21})
    assert run.status == SUCCEEDED, run.error
    out = output(backend_project, run)
    printed = [o["text"] for c in out["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout"]
    assert "".join("".join(t) for t in printed).strip() == "y = 42"
    marked = len(before) - 1
    assert "parameters" in out["cells"][marked]["metadata"]["tags"]
    assert out["cells"][marked + 1]["metadata"]["tags"] == ["injected-parameters"]


def test_failing_cell_is_reported_with_its_notebook_cell_number(backend_project, nb):
    path = nb("bad", ["a = 1", "print('before')", "raise ValueError('bad data in column tenure')", "print('never')"])
    add_job("bad", path, "0 6 * * *", project=backend_project)
    [run] = run_job("bad", project=backend_project)
    assert run.status == FAILED
    assert run.error.to_dict() == {"cell": 4, "ename": "ValueError", "evalue": "bad data in column tenure"}
    out = output(backend_project, run)
    assert out["metadata"]["papermill"]["exception"] is True  # papermill's own error banner and flag


def test_timeout_is_told_apart_from_a_cell_error(backend_project, nb):
    path = nb("slow", ["print('started')", "import time\ntime.sleep(60)", "print('never')"])
    add_job("slow", path, "0 6 * * *", timeout_s=2, project=backend_project)
    [run] = run_job("slow", project=backend_project)
    assert run.status == TIMED_OUT
    assert run.error.cell == 3 and run.error.ename == "Timeout"
    out = output(backend_project, run)
    assert out["metadata"]["prodkit"]["status"] == TIMED_OUT  # papermill itself records no exception here
    assert "timed out" in out["cells"][0]["source"]
    assert any(o.get("text") == ["started\n"] or "started" in "".join(o.get("text", [])) for c in out["cells"]
               for o in c.get("outputs", []))  # partial output kept


def test_retries_are_new_runs_linked_to_the_first(backend_project, nb):
    path = nb("flaky", ["raise RuntimeError('upstream not ready')"])
    add_job("flaky", path, "0 6 * * *", retries=2, retry_backoff_s=0.1, project=backend_project)
    attempts = run_job("flaky", project=backend_project)
    assert [a.attempt for a in attempts] == [1, 2, 3]
    assert [a.status for a in attempts] == [FAILED] * 3
    first = attempts[0].run_id
    assert [a.retry_of for a in attempts] == [None, first, first]
    assert {a.trigger for a in attempts[1:]} == {TRIGGER_RETRY}
    assert len({a.run_id for a in attempts}) == 3 and len({a.scheduled_for for a in attempts}) == 1


def test_promote_lines_without_the_extension_run_as_plain_python(backend_project, nb):
    path = nb("plain", ["%%promote churn.x\ny = x * 2", "print(y)"], params="x = 1", promote_params=True)
    add_job("plain", path, "0 6 * * *", project=backend_project)
    [run] = run_job("plain", project=backend_project, parameters={"x": 4})
    assert run.status == SUCCEEDED, run.error
    assert "8" in json.dumps(output(backend_project, run)["cells"][-1]["outputs"])


def test_ipython_error_without_traceback_is_named(backend_project, nb):
    path = nb("magic", ["%%bogus_magic\nx = 1"])  # IPython's UsageError: no error output, a stderr line
    add_job("magic", path, "0 6 * * *", project=backend_project)
    [run] = run_job("magic", project=backend_project)
    assert run.status == FAILED
    assert run.error.to_dict() == {"cell": 2, "ename": "UsageError", "evalue": "Cell magic `%%bogus_magic` not found."}


def test_missing_notebook_at_run_time_fails_the_run(backend_project, nb):
    path = nb("gone", ["pass"])
    add_job("gone", path, "0 6 * * *", project=backend_project)
    Path(path).unlink()
    [run] = run_job("gone", project=backend_project)
    assert run.status == FAILED and run.error.ename == "NotebookMissing"


def test_concurrency_limit_queues_runs(backend_project, nb):
    path = nb("q", ["import time\ntime.sleep(0.5)"])
    add_job("q", path, "0 6 * * *", project=backend_project)
    ids = [queue_run("q", project=backend_project, parameters={"x": i}) for i in range(3)]
    Scheduler(backend_project, concurrency=1).run_once()
    runs = sorted(history("q", project=backend_project), key=lambda r: r.run_id)
    assert [r.run_id for r in runs] == ids and {r.status for r in runs} == {SUCCEEDED}
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert later.started_at >= earlier.ended_at - 0.05  # never two at once
    assert [r.parameters["x"] for r in runs] == [0, 1, 2]


def test_kernel_knows_its_run_and_attaches_artifacts(backend_project, nb, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    cell = ("from pathlib import Path\nfrom prodkit.jobs.context import current_run, record_run_artifact\n"
            "run = current_run()\nreport = run.run_dir / 'report.txt'\nreport.write_text('ok')\n"
            "assert record_run_artifact('report', str(report), {'rows': 3})\n"
            "import os\nassert os.environ['PRODKIT_NOTEBOOK'].endswith('art.ipynb')")
    add_job("art", nb("art", [cell]), "0 6 * * *", project=backend_project)
    [run] = run_job("art", project=backend_project)
    assert run.status == SUCCEEDED, run.error
    [artifact] = run.artifacts
    assert artifact["kind"] == "report" and artifact["summary"] == {"rows": 3}
    assert Path(artifact["path"]) == Path(run.output_path).parent / "report.txt"
    assert Path(run.output_path).is_absolute()


def test_jobs_for_notebook_reports_health(backend_project, nb):
    from prodkit.jobs.state import jobs_for_notebook

    good, bad = nb("good", ["pass"]), nb("bad", ["1/0"])
    add_job("good", good, "0 6 * * *", project=backend_project)
    add_job("bad", bad, "0 6 * * *", project=backend_project)
    assert jobs_for_notebook(backend_project, good)[0].message == "never ran"
    run_job("good", project=backend_project)
    run_job("bad", project=backend_project)
    [g] = jobs_for_notebook(backend_project, good)
    [b] = jobs_for_notebook(backend_project, bad)
    assert g.healthy is True and g.name == "good"
    assert b.healthy is False and "cell 2: ZeroDivisionError" in b.message
