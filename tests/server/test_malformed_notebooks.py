"""Malformed notebooks give 400 with one line from every endpoint that reads one (issue 11, finding 13).

Real notebook files with each malformed form, a real Jupyter server: never a 500, never a 202 for
an action that can only fail, no job stored.
"""

from __future__ import annotations

import json

import pytest

from prodkit.config import load_project

BAD = "nbs/bad.ipynb"
GOOD_CELL = {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1, "outputs": [],
             "source": "%%promote churnlib.features\ndef add_ratio(a, b):\n    return a / b"}


def _notebook(*cells: dict, nbformat: int = 4) -> str:
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": nbformat, "nbformat_minor": 5})


FORMS = {
    # json.dumps writes the lone surrogate as the escape \ud800, which json.loads reads back as is
    "lone surrogate in source": (_notebook({**GOOD_CELL, "source": "%%promote churnlib.features\nx = '\ud800'"}),
                                 "cell 1: malformed cell: source holds a lone surrogate character"),
    "source list with an int": (_notebook({**GOOD_CELL, "source": ["x = 1\n", 3]}),
                                "cell 1: malformed cell: 'source' is a list with something other than text in it"),
    "outputs as a string": (_notebook({**GOOD_CELL, "outputs": "oops"}),
                            "cell 1: malformed cell: 'outputs' is not a list of outputs"),
    "not JSON": ("{ this is not json", "not valid JSON (line 1, column 3)"),
    "nbformat 3 without worksheets": (json.dumps({"cells": [], "metadata": {}, "nbformat": 3, "nbformat_minor": 0}),
                                      "nbformat 3 without a 'worksheets' list"),
}

GETS = ["readiness", "status", "promote", "jobs", "models"]
POSTS = {"promote": {"path": BAD}, "jobs/run": {"path": BAD},
         "jobs/schedule": {"path": BAD, "cron": "0 6 * * *", "name": "bad"}}


def _one_line_400(response, expected: str, where: str) -> None:
    assert response.code == 400, (where, response.code, response.body)
    message = json.loads(response.body)["message"]
    assert "\n" not in message and "Traceback" not in message, (where, message)
    assert message.startswith(f"{BAD}: "), (where, message)  # the notebook as the client names it
    assert expected in message, (where, message)


@pytest.mark.parametrize("form", list(FORMS))
async def test_finding_13_malformed_notebook_is_400_one_line_from_every_endpoint(jp_fetch, project_root, form):
    text, expected = FORMS[form]
    (project_root / "nbs").mkdir(exist_ok=True)
    (project_root / BAD).write_text(text, encoding="utf-8")
    for endpoint in GETS:
        response = await jp_fetch("prodkit", "api", endpoint, params={"path": BAD}, raise_error=False)
        _one_line_400(response, expected, f"GET {endpoint}")
    for endpoint, body in POSTS.items():
        response = await jp_fetch("prodkit", "api", *endpoint.split("/"), method="POST", body=json.dumps(body),
                                  raise_error=False)
        _one_line_400(response, expected, f"POST {endpoint}")
    assert json.loads((await jp_fetch("prodkit", "api", "actions")).body) == []  # no action that can only fail
    assert not load_project(project_root).jobs_db.exists()


async def test_an_nbformat_3_notebook_is_read_converted_not_refused(jp_fetch, project_root):
    """Issue 12: any nbformat is read (v3 converted, with a note), so old public notebooks get a verdict."""
    (project_root / "nbs").mkdir(exist_ok=True)
    v3 = {"worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "language": "python",
                                     "outputs": [], "metadata": {}}]}],
          "metadata": {}, "nbformat": 3, "nbformat_minor": 0}
    (project_root / BAD).write_text(json.dumps(v3), encoding="utf-8")
    response = await jp_fetch("prodkit", "api", "readiness", params={"path": BAD}, raise_error=False)
    assert response.code == 200, response.body
    assert any("nbformat 3" in note for note in json.loads(response.body).get("notes", []))
