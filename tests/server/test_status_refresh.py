"""A panel refresh (GET /prodkit/api/status) does each piece of work once and still shows every change.

Against a real Jupyter server (pytest-jupyter) with real notebooks, a real jobs store and, in the
slow test, a real sqlite MLflow registry.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pktest import code, numbered, write_notebook

import prodkit.promote.status


async def _status(jp_fetch, path: str, fresh: bool = False) -> dict:
    params = {"path": path, **({"fresh": "1"} if fresh else {})}
    return json.loads((await jp_fetch("prodkit", "api", "status", params=params)).body)


def _saved(path: Path, cells) -> None:
    """Write the notebook and move its mtime on, as a save does (the refresh cache keys on stat())."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    write_notebook(path, numbered(*cells))
    os.utime(path, ns=(path.stat().st_atime_ns, max(path.stat().st_mtime_ns, before) + 10**9))


def _check(readiness: dict, check_id: str) -> dict:
    return next(c for c in readiness["checks"] if c["id"] == check_id)


async def test_finding_status_computed_promote_status_twice(jp_fetch, sample_nb, monkeypatch, status_processes):
    """The promote section and readiness's CODE-04 read the same promote status: one computation per refresh."""
    if status_processes:
        pytest.skip("counts calls in the server's own process")
    calls = []
    real = prodkit.promote.status.promote_status

    def counted(project, notebook_path):
        calls.append(notebook_path)
        return real(project, notebook_path)

    monkeypatch.setattr(prodkit.promote.status, "promote_status", counted)
    body = await _status(jp_fetch, sample_nb, fresh=True)
    assert len(calls) == 1
    assert body["promote"]["data"]["promoted"] is True
    assert _check(body["readiness"]["data"], "CODE-04")["status"] != "skip"


@pytest.fixture(params=[0, 2], ids=["threads", "processes"])
def status_processes(request) -> int:
    """Every test here runs against a server computing refreshes in its threads and in 2 worker processes."""
    return request.param


async def test_refreshes_run_in_worker_processes_when_configured(jp_fetch, jp_serverapp, sample_nb,
                                                                  status_processes):
    body = await _status(jp_fetch, sample_nb, fresh=True)
    assert body["promote"]["data"]["promoted"] is True
    assert jp_serverapp.web_app.settings["prodkit"]["compute"].workers == status_processes


async def test_status_readiness_with_a_job_is_exactly_the_cli_json(jp_fetch, project_root, sample_nb):
    """Readiness built from the refresh's own promote/jobs/models answers is what `prodkit check --json` says."""
    scheduled = await jp_fetch("prodkit", "api", "jobs", "schedule", method="POST",
                               body=json.dumps({"path": sample_nb, "cron": "0 6 * * *"}))
    assert scheduled.code == 201
    body = await _status(jp_fetch, sample_nb, fresh=True)
    assert [j["name"] for j in body["jobs"]["data"]] == ["churn"]
    cli = subprocess.run([sys.executable, "-m", "prodkit.cli", "check", str(project_root / sample_nb), "--json"],
                         capture_output=True, text=True, cwd=project_root, timeout=120)
    assert cli.stdout, cli.stderr
    assert body["readiness"]["data"] == json.loads(cli.stdout)


@pytest.mark.parametrize("fresh", [False, True])
async def test_an_edited_promote_cell_shows_on_the_next_refresh(jp_fetch, project_root, fresh):
    """Cell analysis is reused by cell text: the edited cell's new problem (and its fix) shows at once."""
    path = project_root / "nbs" / "edit.ipynb"
    _saved(path, [code("%%promote lib.m\ndef f():\n    return 1")])
    assert (await _status(jp_fetch, "nbs/edit.ipynb", fresh))["promote"]["data"]["problems"] == []
    _saved(path, [code("%%promote lib.m\ndef f():\n    return missing_name")])
    edited = await _status(jp_fetch, "nbs/edit.ipynb", fresh)
    assert edited["cached"] is False
    assert [p["name"] for p in edited["promote"]["data"]["problems"]] == ["missing_name"]
    assert "missing_name" in _check(edited["readiness"]["data"], "CODE-04")["message"]
    _saved(path, [code("%%promote lib.m\ndef f():\n    return 1")])
    assert (await _status(jp_fetch, "nbs/edit.ipynb", fresh))["promote"]["data"]["problems"] == []


async def test_the_same_cell_text_in_two_notebooks_keeps_each_notebooks_problems(jp_fetch, project_root):
    """What is reused is a cell's own names, never a verdict that depends on the notebook around it."""
    promoted = code("%%promote lib.m\ndef f():\n    return helper()")
    write_notebook(project_root / "nbs" / "a.ipynb", numbered(code("def helper():\n    return 1"), promoted))
    write_notebook(project_root / "nbs" / "b.ipynb", numbered(promoted))
    a = (await _status(jp_fetch, "nbs/a.ipynb", fresh=True))["promote"]["data"]["problems"]
    b = (await _status(jp_fetch, "nbs/b.ipynb", fresh=True))["promote"]["data"]["problems"]
    assert [(p["name"], p["kind"]) for p in a] == [("helper", "hidden-dependency")]
    assert [(p["name"], p["kind"]) for p in b] == [("helper", "undefined")]


async def _warm_cache(jp_fetch, path: str, tries: int = 3) -> dict:
    """Refresh until a refresh is served from the cache, and return it.

    A refreshed result is reused for the cache's ttl (5 s, counted from when its computation was asked) and
    while the fingerprint holds, which includes a 30 s time bucket. Under load the first refresh (in worker
    processes: their spawn and warm-up) can outlast the ttl, or a bucket can turn between two refreshes, so
    the second is computed anew; the next one, right after a quick recompute, is then served cached.
    """
    for _ in range(tries):
        shown = await _status(jp_fetch, path)
        if shown["cached"]:
            return shown
    raise AssertionError(f"{tries} refreshes in a row and none was served from the cache")


async def test_a_new_job_shows_on_the_next_refresh(jp_fetch, sample_nb):
    """A refresh the cache would still serve (nothing it stats changed) is not served once a job is added."""
    before = await _warm_cache(jp_fetch, sample_nb)
    assert before["jobs"]["data"] == []
    await jp_fetch("prodkit", "api", "jobs", "schedule", method="POST",
                   body=json.dumps({"path": sample_nb, "cron": "0 6 * * *"}))
    after = await _status(jp_fetch, sample_nb)
    assert after["cached"] is False
    assert [j["name"] for j in after["jobs"]["data"]] == ["churn"]


@pytest.mark.slow
async def test_a_new_model_version_shows_on_the_next_refresh(jp_fetch, project_root, sample_nb):
    torch = pytest.importorskip("torch")
    import prodkit

    def register():
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Sigmoid())
        return prodkit.register_model(model, "refresh-clf", example=torch.zeros(8, 3), metrics={"auc": 0.7},
                                      parity=False, benchmark=False, notebook=project_root / sample_nb,
                                      project=project_root)

    first = register()
    shown = await _status(jp_fetch, sample_nb)
    assert [(m["name"], str(m["latest_version"])) for m in shown["models"]["data"]] == [
        ("refresh-clf", str(first.version))]
    second = register()
    assert str(second.version) != str(first.version)
    after = await _status(jp_fetch, sample_nb)
    assert after["cached"] is False
    assert [(m["name"], str(m["latest_version"])) for m in after["models"]["data"]] == [
        ("refresh-clf", str(second.version))]


async def test_a_killed_worker_process_is_replaced_and_refreshes_still_answer(jp_fetch, jp_serverapp, sample_nb,
                                                                              status_processes):
    if not status_processes:
        pytest.skip("about worker processes")
    compute = jp_serverapp.web_app.settings["prodkit"]["compute"]
    await _status(jp_fetch, sample_nb, fresh=True)
    killed = set(compute._processes._processes)
    assert killed
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.5)
    for _ in range(2):
        body = await _status(jp_fetch, sample_nb, fresh=True)
        assert body["promote"]["data"]["promoted"] is True and body["readiness"]["available"] is True
    assert compute._processes is not None and not killed & set(compute._processes._processes)


async def test_a_broken_notebook_is_one_400_line_from_any_worker(jp_fetch, project_root):
    """The BadInput raised where the refresh is computed (a worker process too) is the request's 400."""
    (project_root / "nbs" / "broken.ipynb").write_text("{ this is not json", encoding="utf-8")
    response = await jp_fetch("prodkit", "api", "status", params={"path": "nbs/broken.ipynb", "fresh": "1"},
                              raise_error=False)
    assert response.code == 400
    message = json.loads(response.body)["message"]
    assert message.startswith("nbs/broken.ipynb: not valid JSON"), message
    assert str(project_root) not in message
