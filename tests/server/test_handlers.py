"""The REST API behind the side panel, against a real Jupyter server (pytest-jupyter)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pktest import SMALL_POC, code, numbered, write_notebook

ENDPOINTS = ["readiness", "status", "promote", "jobs", "models"]


def _json(response) -> dict:
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def _get(jp_fetch, endpoint, path=None, **kwargs):
    params = {"path": path} if path is not None else {}
    return await jp_fetch("prodkit", "api", endpoint, params=params, raise_error=False, **kwargs)


def _has_readiness() -> bool:
    try:
        from prodkit.readiness import check  # noqa: F401
    except ImportError:
        return False
    return True


needs_readiness = pytest.mark.skipif(not _has_readiness(), reason="prodkit.readiness.check is not there yet")


async def test_status_with_token_returns_every_section(jp_fetch, sample_nb):
    response = await _get(jp_fetch, "status", sample_nb)
    assert response.code == 200
    body = _json(response)
    assert body["notebook"] == sample_nb
    for name in ("readiness", "promote", "jobs", "models"):
        section = body[name]
        assert "available" in section
        if section["available"]:
            assert "data" in section or "error" in section
        else:
            assert section["message"].startswith("not set up yet")
    # promote status is real: the notebook's module and test are not written yet
    promote = body["promote"]["data"]
    assert promote["promoted"] is True
    assert [m["module"] for m in promote["modules"]] == ["churnlib.features"]
    assert promote["up_to_date"] is False


@pytest.mark.parametrize("endpoint", ENDPOINTS + ["actions"])
async def test_every_endpoint_refuses_requests_without_a_token(jp_fetch, sample_nb, endpoint):
    response = await _get(jp_fetch, endpoint, sample_nb, headers={"Authorization": ""})
    assert response.code == 403
    assert "message" in _json(response)


@pytest.mark.parametrize("endpoint", ["promote", "jobs/run", "jobs/schedule"])
async def test_posts_without_a_token_are_refused_and_start_nothing(jp_fetch, sample_nb, project_root, endpoint):
    response = await jp_fetch("prodkit", "api", endpoint, method="POST", raise_error=False,
                              body=json.dumps({"path": sample_nb, "cron": "0 6 * * *"}),
                              headers={"Authorization": ""})
    assert response.code == 403
    assert not (project_root / "src" / "churnlib").exists()
    listing = await jp_fetch("prodkit", "api", "actions")
    assert json.loads(listing.body) == []


async def test_cookie_login_post_without_xsrf_is_refused(jp_fetch, jp_serverapp, sample_nb):
    """A browser session (cookie, no token) must send Jupyter's XSRF token on POST."""
    form = await jp_fetch("login", raise_error=False, headers={"Authorization": ""})  # sets the _xsrf cookie
    xsrf = form.headers.get_list("Set-Cookie")
    cookie = "; ".join(c.split(";", 1)[0] for c in xsrf)
    token = next(c.split("=", 1)[1] for c in cookie.split("; ") if c.startswith("_xsrf="))
    login = await jp_fetch("login", method="POST", raise_error=False, follow_redirects=False,
                           headers={"Authorization": "", "Cookie": cookie},
                           body=f"password={jp_serverapp.identity_provider.token}&_xsrf={token}")
    assert login.code == 302
    session = "; ".join([cookie] + [c.split(";", 1)[0] for c in login.headers.get_list("Set-Cookie")])
    headers = {"Authorization": "", "Cookie": session}
    ok = await _get(jp_fetch, "promote", sample_nb, headers=headers)
    assert ok.code == 200  # the cookie authenticates
    refused = await jp_fetch("prodkit", "api", "promote", method="POST", raise_error=False,
                             body=json.dumps({"path": sample_nb}), headers=headers)
    assert refused.code == 403
    accepted = await jp_fetch("prodkit", "api", "promote", method="POST", raise_error=False,
                              body=json.dumps({"path": sample_nb, "check": True}),
                              headers={**headers, "X-XSRFToken": token})
    assert accepted.code == 202


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_traversal_and_symlinks_out_of_the_root_are_refused(jp_fetch, project_root, tmp_path, endpoint):
    outside = tmp_path / "secret.ipynb"
    os.mkfifo(outside)  # reading it would hang the request: a 403 proves it was never opened
    (project_root / "nbs" / "link.ipynb").symlink_to(outside)
    for rel in ("../secret.ipynb", "nbs/../../secret.ipynb", str(outside), "nbs/link.ipynb"):
        response = await _get(jp_fetch, endpoint, rel)
        assert response.code == 403, rel
        assert _json(response)["message"]


async def test_post_traversal_is_refused(jp_fetch, project_root, tmp_path):
    write_notebook(tmp_path / "outside.ipynb", SMALL_POC)
    response = await jp_fetch("prodkit", "api", "promote", method="POST", raise_error=False,
                              body=json.dumps({"path": "../outside.ipynb"}))
    assert response.code == 403
    assert "'..'" in _json(response)["message"]


async def test_missing_and_unknown_paths_give_json_errors(jp_fetch, sample_nb):
    missing = await _get(jp_fetch, "status")
    assert missing.code == 400 and "path" in _json(missing)["message"]
    unknown = await _get(jp_fetch, "status", "nbs/nope.ipynb")
    assert unknown.code == 404 and "nbs/nope.ipynb" in _json(unknown)["message"]
    action = await jp_fetch("prodkit", "api", "actions", "0123abcd", raise_error=False)
    assert action.code == 404 and "no action" in _json(action)["message"]
    bad_body = await jp_fetch("prodkit", "api", "promote", method="POST", raise_error=False, body="not json")
    assert bad_body.code == 400 and "JSON" in _json(bad_body)["message"]


async def test_broken_notebook_gives_a_json_error(jp_fetch, project_root):
    """An unreadable notebook is the request's bad input: 400 with one line naming it (finding 13)."""
    (project_root / "nbs" / "broken.ipynb").write_text("{ this is not json", encoding="utf-8")
    for endpoint in ("status", "readiness", "promote"):
        response = await _get(jp_fetch, endpoint, "nbs/broken.ipynb")
        assert response.code == 400, endpoint
        message = _json(response)["message"]
        assert message.startswith("nbs/broken.ipynb: not valid JSON"), message
        assert str(project_root) not in message  # the server's own folders are not shown


@needs_readiness
async def test_readiness_is_exactly_the_cli_json(jp_fetch, project_root, sample_nb):
    response = await _get(jp_fetch, "readiness", sample_nb)
    assert response.code == 200
    cli = subprocess.run([sys.executable, "-m", "prodkit.cli", "check", str(project_root / sample_nb), "--json"],
                         capture_output=True, text=True, cwd=project_root, timeout=120)
    assert cli.stdout, cli.stderr
    assert _json(response) == json.loads(cli.stdout)


async def test_promote_runs_in_the_background_and_is_polled(jp_fetch, project_root, sample_nb):
    started = await jp_fetch("prodkit", "api", "promote", method="POST", body=json.dumps({"path": sample_nb}))
    assert started.code == 202
    action = json.loads(started.body)
    assert action["status"] == "running" and action["kind"] == "promote"
    # the server answers other requests while the action runs
    status = await _get(jp_fetch, "status", sample_nb)
    assert status.code == 200
    for _ in range(240):
        polled = json.loads((await jp_fetch("prodkit", "api", "actions", action["id"])).body)
        if polled["status"] != "running":
            break
        await asyncio.sleep(0.25)
    assert polled["status"] == "succeeded", polled["message"]
    assert polled["exit_code"] == 0
    assert (project_root / "src" / "churnlib" / "features.py").is_file()
    assert polled["result"]["counts"]["written"] >= 2
    fresh = _json(await _get(jp_fetch, "status", sample_nb))
    assert fresh["promote"]["data"]["up_to_date"] is True


async def test_a_failing_action_reports_its_message(jp_fetch, project_root):
    write_notebook(project_root / "nbs" / "plain.ipynb", numbered(code("x = 1")))
    started = json.loads((await jp_fetch("prodkit", "api", "promote", method="POST",
                                         body=json.dumps({"path": "nbs/plain.ipynb"}))).body)
    for _ in range(240):
        polled = json.loads((await jp_fetch("prodkit", "api", "actions", started["id"])).body)
        if polled["status"] != "running":
            break
        await asyncio.sleep(0.25)
    assert polled["status"] == "failed"
    assert polled["exit_code"] == 2
    assert "%%promote" in polled["message"]


async def test_status_is_cached_until_the_notebook_changes(jp_fetch, project_root, sample_nb):
    first = _json(await _get(jp_fetch, "status", sample_nb))
    second = _json(await _get(jp_fetch, "status", sample_nb))
    assert second["cached"] is True
    assert second["promote"] == first["promote"]
    path = Path(project_root / sample_nb)
    write_notebook(path, numbered(code("%%promote churnlib.other\ndef f():\n    return 1")))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    changed = _json(await _get(jp_fetch, "status", sample_nb))
    assert changed["cached"] is False
    assert [m["module"] for m in changed["promote"]["data"]["modules"]] == ["churnlib.other"]
    recheck = await jp_fetch("prodkit", "api", "status", params={"path": sample_nb, "fresh": "1"})
    assert json.loads(recheck.body)["cached"] is False


async def test_schedule_validates_its_input(jp_fetch, sample_nb):
    no_cron = await jp_fetch("prodkit", "api", "jobs", "schedule", method="POST", raise_error=False,
                             body=json.dumps({"path": sample_nb}))
    assert no_cron.code == 400 and "cron" in _json(no_cron)["message"]
    bad_params = await jp_fetch("prodkit", "api", "jobs", "schedule", method="POST", raise_error=False,
                                body=json.dumps({"path": sample_nb, "cron": "0 6 * * *", "parameters": [1]}))
    assert bad_params.code == 400 and "parameters" in _json(bad_params)["message"]


async def test_schedule_adds_a_job_that_the_panel_lists(jp_fetch, sample_nb):
    response = await jp_fetch("prodkit", "api", "jobs", "schedule", method="POST",
                              body=json.dumps({"path": sample_nb, "cron": "0 6 * * *",
                                               "parameters": {"threshold": 0.6}}))
    assert response.code == 201
    job = json.loads(response.body)
    assert job["name"] == "churn" and job["cron"] == "0 6 * * *"
    from prodkit.records import ScheduledJob

    # the panel reads this answer as IScheduledJob (records.ts): exactly the record's keys, valid values
    assert ScheduledJob.model_validate(job).model_dump(mode="json") == job
    assert job["notebook"] == sample_nb and job["parameters"] == {"threshold": 0.6} and job["warnings"] == []
    jobs = _json(await _get(jp_fetch, "jobs", sample_nb))
    assert [j["name"] for j in jobs["data"]] == ["churn"]
    status = _json(await _get(jp_fetch, "status", sample_nb))
    assert [j["name"] for j in status["jobs"]["data"]] == ["churn"]
    bad = await jp_fetch("prodkit", "api", "jobs", "schedule", method="POST", raise_error=False,
                         body=json.dumps({"path": sample_nb, "cron": "every day"}))
    assert bad.code == 400 and "cron" in _json(bad)["message"].lower()


@pytest.mark.slow
async def test_run_now_runs_the_notebook_as_a_job_in_the_background(jp_fetch, sample_nb, wait_action):
    started = await jp_fetch("prodkit", "api", "jobs", "run", method="POST",
                             body=json.dumps({"path": sample_nb}))
    assert started.code == 202
    done = await wait_action(json.loads(started.body)["id"])
    assert done["status"] == "succeeded", done["message"]
    assert done["result"]["status"] == "succeeded"
    assert "churn-manual" in done["message"]
    jobs = _json(await _get(jp_fetch, "jobs", sample_nb))["data"]
    assert (jobs[0]["name"], jobs[0]["cron"], jobs[0]["paused"]) == ("churn-manual", "", False)  # manual-only
    assert jobs[0]["last_run"]["status"] == "succeeded"


@pytest.mark.slow
async def test_the_server_answers_while_a_long_action_runs(jp_fetch, project_root, wait_action):
    write_notebook(project_root / "nbs" / "slow.ipynb", numbered(code("import time\ntime.sleep(4)")))
    started = json.loads((await jp_fetch("prodkit", "api", "jobs", "run", method="POST",
                                         body=json.dumps({"path": "nbs/slow.ipynb"}))).body)
    status = await _get(jp_fetch, "status", "nbs/slow.ipynb")
    assert status.code == 200
    still = json.loads((await jp_fetch("prodkit", "api", "actions", started["id"])).body)
    assert still["status"] == "running"  # the status call did not wait for the notebook run
    again = json.loads((await jp_fetch("prodkit", "api", "jobs", "run", method="POST",
                                       body=json.dumps({"path": "nbs/slow.ipynb"}))).body)
    assert again["id"] == started["id"]  # one run of a notebook at a time from the panel
    done = await wait_action(started["id"])
    assert done["status"] == "succeeded", done["message"]


@pytest.mark.slow
async def test_models_registered_from_the_notebook_are_listed_with_aliases(jp_fetch, project_root, sample_nb):
    torch = pytest.importorskip("torch")
    import prodkit
    from prodkit.models.tracking import open_store

    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Sigmoid())
    registered = prodkit.register_model(model, "panel-clf", example=torch.zeros(8, 3), metrics={"auc": 0.7},
                                        parity=False, benchmark=False, notebook=project_root / sample_nb,
                                        project=project_root)
    open_store(prodkit.load_project(project_root)).client.set_registered_model_alias(
        "panel-clf", "champion", str(registered.version))
    models = _json(await _get(jp_fetch, "models", sample_nb))
    assert models["available"] is True
    (row,) = models["data"]
    assert row["name"] == "panel-clf" and row["aliases"] == {"champion": str(registered.version)}
    status = _json(await _get(jp_fetch, "status", sample_nb))
    assert [m["name"] for m in status["models"]["data"]] == ["panel-clf"]
