"""REST bodies are validated before anything starts (issue 11, findings 10 and 14), on a real Jupyter server.

A body that does not fit its schema gets 400 with one line and `field` naming the part at fault;
no action is started, no job is stored, no file is touched.
"""

from __future__ import annotations

import json

import pytest
from pktest import code, numbered, write_notebook

from prodkit.config import load_project

SB = "nbs/churn.ipynb"  # the sample_nb fixture's notebook
CRON = "0 6 * * *"


async def _post(jp_fetch, endpoint: str, body, **kwargs):
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return await jp_fetch("prodkit", "api", *endpoint.split("/"), method="POST", body=raw, raise_error=False,
                          **kwargs)


def _error(response, code: int = 400) -> dict:
    assert response.code == code, response.body
    error = json.loads(response.body)
    assert "\n" not in error["message"] and "Traceback" not in error["message"], error
    return error


async def _nothing_started(jp_fetch, project_root) -> None:
    assert json.loads((await jp_fetch("prodkit", "api", "actions")).body) == []
    jobs_db = load_project(project_root).jobs_db
    assert not jobs_db.exists(), "a job was stored"


BAD_BODIES = {
    "promote force is the string 'false'": ("promote", {"path": SB, "force": "false"}, "force"),
    "promote check is the string 'true'": ("promote", {"path": SB, "check": "true"}, "check"),
    "promote check is 1": ("promote", {"path": SB, "check": 1}, "check"),
    "promote path is a number": ("promote", {"path": 5}, "path"),
    "promote path is a list": ("promote", {"path": [SB]}, "path"),
    "promote path is missing": ("promote", {"check": True}, "path"),
    "promote unknown field": ("promote", {"path": SB, "overwrite": True}, "overwrite"),
    "run job is a list": ("jobs/run", {"path": SB, "job": ["x"]}, "job"),
    "run parameters is a list": ("jobs/run", {"path": SB, "parameters": [1]}, "parameters"),
    "run parameter is NaN": ("jobs/run", '{"path": "' + SB + '", "parameters": {"threshold": NaN}}', "parameters"),
    "run parameter name is not an identifier": ("jobs/run", {"path": SB, "parameters": {"a-b": 1}}, "parameters"),
    "run parameter value is 20 KB": ("jobs/run", {"path": SB, "parameters": {"threshold": "x" * 20_000}},
                                     "parameters"),
    "schedule cron is 40 KB": ("jobs/schedule", {"path": SB, "cron": CRON + " " * 40_000 + "x"}, "cron"),
    "schedule cron is a number": ("jobs/schedule", {"path": SB, "cron": 6}, "cron"),
    "schedule cron is missing": ("jobs/schedule", {"path": SB}, "cron"),
    "schedule name is an object": ("jobs/schedule", {"path": SB, "cron": CRON, "name": {"a": 1}}, "name"),
    "schedule name is 101 characters": ("jobs/schedule", {"path": SB, "cron": CRON, "name": "n" * 101}, "name"),
    "schedule parameter name is 101 characters": ("jobs/schedule", {"path": SB, "cron": CRON,
                                                                    "parameters": {"k" * 101: 1}}, "parameters"),
    "schedule 101 parameters": ("jobs/schedule", {"path": SB, "cron": CRON,
                                                  "parameters": {f"p{i}": 1 for i in range(101)}}, "parameters"),
    "schedule unknown field": ("jobs/schedule", {"path": SB, "cron": CRON, "tz": "UTC"}, "tz"),
    "schedule path is 2000 characters": ("jobs/schedule", {"path": "n" * 2000 + ".ipynb", "cron": CRON}, "path"),
    "schedule path has a lone surrogate": ("jobs/schedule", '{"path": "nbs/\\ud800.ipynb", "cron": "0 6 * * *"}',
                                           "path"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_finding_10_bad_bodies_are_400_naming_the_field_and_start_nothing(jp_fetch, project_root, sample_nb,
                                                                               case):
    endpoint, body, field = BAD_BODIES[case]
    error = _error(await _post(jp_fetch, endpoint, body))
    assert error["field"] == field, error
    assert field in error["message"], error
    assert len(error["message"]) < 400, error  # a 40 KB value is not echoed back
    await _nothing_started(jp_fetch, project_root)


async def test_finding_10_promote_force_string_false_keeps_the_hand_edit(jp_fetch, project_root, sample_nb, wait_action):
    """`{"force": "false"}` was `bool("false")`: it overwrote a hand-edited module. Now 400; a real false refuses."""
    from prodkit.promote import promote

    notebook = project_root / SB
    promote(notebook)
    module = project_root / "src" / "churnlib" / "features.py"
    edited = module.read_text(encoding="utf-8") + "\n# my hand edit\n"
    module.write_text(edited, encoding="utf-8")
    write_notebook(notebook, numbered(code("%%promote churnlib.features\ndef add_ratio(a, b):\n    return a / b / 1")))

    error = _error(await _post(jp_fetch, "promote", {"path": SB, "force": "false"}))
    assert error["field"] == "force" and "boolean" in error["message"]
    assert json.loads((await jp_fetch("prodkit", "api", "actions")).body) == []
    assert module.read_text(encoding="utf-8") == edited

    started = await _post(jp_fetch, "promote", {"path": SB, "force": False})
    assert started.code == 202
    done = await wait_action(json.loads(started.body)["id"])
    assert done["status"] == "failed" and "edited by hand" in done["message"], done
    assert module.read_text(encoding="utf-8") == edited


async def test_finding_10_request_body_over_256_kib_is_413(jp_fetch, project_root, sample_nb):
    body = json.dumps({"path": SB, "parameters": {f"p{i}": "x" * 9_000 for i in range(40)}})
    error = _error(await _post(jp_fetch, "jobs/run", body), 413)
    assert "larger than" in error["message"]
    await _nothing_started(jp_fetch, project_root)


async def test_finding_10_query_path_over_the_limit_is_400_naming_path(jp_fetch, sample_nb):
    response = await jp_fetch("prodkit", "api", "status", params={"path": "n" * 2000 + ".ipynb"},
                              raise_error=False)
    assert _error(response)["field"] == "path"


async def test_finding_10_valid_bodies_still_work(jp_fetch, sample_nb):
    """What the panel sends (api.ts / schedule.ts): an empty name means the default name."""
    scheduled = await _post(jp_fetch, "jobs/schedule", {"path": SB, "cron": f" {CRON} ", "name": "",
                                                        "parameters": {"threshold": 0.6}})
    assert scheduled.code == 201, scheduled.body
    job = json.loads(scheduled.body)
    assert job["name"] == "churn" and job["cron"] == CRON and job["parameters"] == {"threshold": 0.6}
    checked = await _post(jp_fetch, "promote", {"path": SB, "check": True, "force": False})
    assert checked.code == 202, checked.body


@pytest.mark.parametrize("value, shown", [("abc", '"abc"'), ([1, 2], "[1, 2]"), ({"a": 1}, '{"a": 1}'),
                                          (True, "true")])
async def test_finding_14_rest_schedule_refuses_a_parameter_of_the_wrong_type(jp_fetch, project_root, sample_nb,
                                                                              value, shown):
    """The sample's parameters cell has `threshold = 0.5`: a float (an int is widened, anything else refused)."""
    error = _error(await _post(jp_fetch, "jobs/schedule", {"path": SB, "cron": CRON,
                                                           "parameters": {"threshold": value}}))
    assert "parameter threshold expects a float" in error["message"] and shown in error["message"], error
    assert error["message"].startswith(f"{SB}: cell 3: "), error
    await _nothing_started(jp_fetch, project_root)


async def test_finding_14_rest_run_now_refuses_wrong_types_and_unknown_names(jp_fetch, project_root, sample_nb):
    wrong = _error(await _post(jp_fetch, "jobs/run", {"path": SB, "parameters": {"threshold": "abc"}}))
    assert "threshold expects a float" in wrong["message"]
    unknown = _error(await _post(jp_fetch, "jobs/run", {"path": SB, "parameters": {"treshold": 0.6}}))
    assert "treshold" in unknown["message"] and "it declares: threshold" in unknown["message"]
    await _nothing_started(jp_fetch, project_root)
    widened = await _post(jp_fetch, "jobs/schedule", {"path": SB, "cron": CRON, "parameters": {"threshold": 1}})
    assert widened.code == 201 and json.loads(widened.body)["parameters"] == {"threshold": 1}
