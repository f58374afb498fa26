"""Default job names for the panel's "Run now"/"Schedule", and which panel requests share an action."""

from __future__ import annotations

import asyncio
import json

import pytest
from pktest import code, numbered, write_notebook

from prodkit.config import init_project, load_project
from prodkit.jobs.names import default_job_name as job_name
from prodkit.server.actions import ActionRunner

PLAIN = numbered(code("x = 1"))


def test_default_job_names_come_from_the_path_in_the_project(tmp_path):
    from prodkit.jobs import api

    init_project(tmp_path)

    def default_job_name(nb, suffix=""):
        return job_name(load_project(tmp_path), nb, suffix)

    a_x = write_notebook(tmp_path / "nbs" / "a" / "x.ipynb", PLAIN)
    b_x = write_notebook(tmp_path / "nbs" / "b" / "x.ipynb", PLAIN)
    flat = write_notebook(tmp_path / "nbs" / "a-x.ipynb", PLAIN)
    outside = write_notebook(tmp_path / "reports" / "x.ipynb", PLAIN)
    deep = write_notebook(tmp_path / "nbs" / ("d" * 80) / ("n_" * 40 + ".ipynb"), PLAIN)
    assert default_job_name(a_x, "-manual") == "a-x-manual"
    assert default_job_name(b_x, "-manual") == "b-x-manual"
    assert default_job_name(outside) == "reports-x"
    api.add_job(default_job_name(a_x, "-manual"), a_x, None, project=init_project(tmp_path))
    # a-x.ipynb would clash with a/x.ipynb's job: it gets a number, a/x keeps its own name
    assert default_job_name(flat, "-manual") == "a-x-manual-2"
    assert default_job_name(a_x, "-manual") == "a-x-manual"
    long_name = default_job_name(deep, "-manual")
    assert len(long_name) <= 100 and long_name.endswith("-manual")
    for nb, name in [(flat, "a-x-manual-2"), (b_x, "b-x-manual"), (deep, long_name)]:
        api.add_job(name, nb, None)  # the jobs API accepts every default name


async def test_schedule_two_notebooks_with_the_same_file_name(jp_fetch, project_root):
    for folder in ("a", "b"):
        write_notebook(project_root / "nbs" / folder / "x.ipynb", PLAIN)
    names = []
    for folder in ("a", "b"):
        response = await jp_fetch("prodkit", "api", "jobs", "schedule", method="POST", raise_error=False,
                                  body=json.dumps({"path": f"nbs/{folder}/x.ipynb", "cron": "0 6 * * *"}))
        assert response.code == 201, response.body
        job = json.loads(response.body)
        assert job["notebook"] == f"nbs/{folder}/x.ipynb"
        names.append(job["name"])
    assert names == ["a-x", "b-x"]


async def test_the_panel_asks_the_server_for_the_default_job_name(jp_fetch, project_root):
    """Issue 15: the panel computed its own name (nbs/a/x.ipynb -> "x"); the server answers the jobs' rule."""
    write_notebook(project_root / "nbs" / "a" / "x.ipynb", PLAIN)
    write_notebook(project_root / "nbs" / "a-x.ipynb", PLAIN)

    async def default_name(path):
        response = await jp_fetch("prodkit", "api", "jobs", "default-name", params={"path": path}, raise_error=False)
        assert response.code == 200, response.body
        return json.loads(response.body)["name"]

    assert await default_name("nbs/a/x.ipynb") == "a-x"
    await jp_fetch("prodkit", "api", "jobs", "schedule", method="POST",
                   body=json.dumps({"path": "nbs/a/x.ipynb", "cron": "0 6 * * *"}))
    assert await default_name("nbs/a/x.ipynb") == "a-x"  # its own job keeps the plain name
    assert await default_name("nbs/a-x.ipynb") == "a-x-2"  # another notebook's job holds it
    outside = await jp_fetch("prodkit", "api", "jobs", "default-name", params={"path": "../x.ipynb"},
                             raise_error=False)
    assert outside.code in (400, 403, 404)


@pytest.mark.slow
async def test_run_now_for_two_notebooks_with_the_same_file_name(jp_fetch, project_root, wait_action):
    for folder in ("a", "b"):
        write_notebook(project_root / "nbs" / folder / "x.ipynb", PLAIN)
    for folder in ("a", "b"):
        path = f"nbs/{folder}/x.ipynb"
        started = json.loads((await jp_fetch("prodkit", "api", "jobs", "run", method="POST",
                                             body=json.dumps({"path": path}))).body)
        done = await wait_action(started["id"])
        assert done["status"] == "succeeded", done["message"]
        jobs = json.loads((await jp_fetch("prodkit", "api", "jobs", params={"path": path})).body)["data"]
        # a manual-only job: no cron, not paused, never scheduled (was a paused dummy cron `0 0 1 1 *`)
        assert [(j["name"], j["cron"], j["paused"], j["next_due"]) for j in jobs] == [
            (f"{folder}-x-manual", "", False, None)]
    # run now again: the notebook's existing manual job runs, no new job is made
    again = json.loads((await jp_fetch("prodkit", "api", "jobs", "run", method="POST",
                                       body=json.dumps({"path": "nbs/a/x.ipynb"}))).body)
    done = await wait_action(again["id"])
    assert done["status"] == "succeeded" and "a-x-manual" in done["message"], done["message"]
    assert "created" not in done["message"]


def test_only_identical_requests_share_a_running_action(tmp_path):
    """Another job or other promote flags start their own action; the same request joins the running one."""

    async def scenario():
        runner = ActionRunner(timeout=60)
        nb = str(tmp_path / "missing.ipynb")  # the child fails fast: only the bookkeeping matters here
        promote = runner.start("promote", "nbs/x.ipynb", {"notebook": nb, "check": False, "force": False}, tmp_path)
        same = runner.start("promote", "nbs/x.ipynb", {"notebook": nb, "check": False, "force": False}, tmp_path)
        forced = runner.start("promote", "nbs/x.ipynb", {"notebook": nb, "check": False, "force": True}, tmp_path)
        checked = runner.start("promote", "nbs/x.ipynb", {"notebook": nb, "check": True, "force": False}, tmp_path)
        job_a = runner.start("run", "nbs/x.ipynb", {"notebook": nb, "job": "a", "parameters": {}}, tmp_path)
        job_b = runner.start("run", "nbs/x.ipynb", {"notebook": nb, "job": "b", "parameters": {}}, tmp_path)
        job_a_again = runner.start("run", "nbs/x.ipynb", {"notebook": nb, "job": "a", "parameters": {}}, tmp_path)
        assert same is promote and job_a_again is job_a
        assert len({promote.id, forced.id, checked.id, job_a.id, job_b.id}) == 5
        assert "key" not in promote.to_dict()
        await asyncio.wait(list(runner._tasks), timeout=60)
        assert all(a.status == "failed" for a in runner.recent())
        # finished actions are never joined: the same request starts anew
        assert runner.start("promote", "nbs/x.ipynb", {"notebook": nb, "check": False, "force": False},
                            tmp_path) is not promote
        await runner.close()

    asyncio.run(scenario())


def test_a_failed_run_now_says_its_error_in_one_line(tmp_path):
    """The panel's Run now message: `cell N: Ename: first line …`, not a message with newlines (or `cell None`)."""
    from prodkit.server.run_action import run_job

    init_project(tmp_path)
    nb = write_notebook(tmp_path / "nbs" / "fails.ipynb",
                        numbered(code("x = 1"), code("raise ValueError('first line\\nsecond line')")))
    exit_code, message, data = run_job({"notebook": str(nb)})
    assert exit_code == 1 and data["status"] == "failed"
    assert message == "job fails-manual: run 1 failed (created manual-only job fails-manual: no cron, never scheduled)" \
        ": cell 2: ValueError: first line …"
    assert data["error"]["evalue"] == "first line\nsecond line"  # the record keeps it all
