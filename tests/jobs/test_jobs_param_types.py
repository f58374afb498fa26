"""Job parameters are checked against the parameters cell when the job is defined (issue 11, finding 14).

`threshold = 0.5` in the cell makes threshold a float: `-p threshold=abc`, a list or an object is
refused at `jobs add` (and `%prodkit schedule`, and run-now overrides) with one line, exit 2, nothing
stored — not accepted and failed at run time. An int for a float is widened.
"""

from __future__ import annotations

import json
import types

import pytest
from IPython.core.error import UsageError

from prodkit.errors import BadInput
from prodkit.jobs import api

PARAMS = "threshold = 0.5\nrun_date = '2026-01-01'\nlimit: int = 10\nfeatures = ['tenure']\nstart = today()"


def one_error_line(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


WRONG = [  # (-p value, the parts of the one line: parameter, expected type, given value)
    ("threshold=abc", ["parameter threshold expects a float", "threshold = 0.5", 'got "abc" (a str)']),
    ("threshold=[1, 2]", ["parameter threshold expects a float", "got [1, 2] (a list)"]),
    ('threshold={"a": 1}', ["parameter threshold expects a float", 'got {"a": 1} (a dict)']),
    ("limit=2.5", ["parameter limit expects an int", "limit = 10", "got 2.5 (a float)"]),
    ("run_date=20260101", ["parameter run_date expects a str", "got 20260101 (an int)", "run_date='\"text\"'"]),
    ("features=tenure", ["parameter features expects a list", 'got "tenure" (a str)']),
]


def test_finding_14_jobs_add_refuses_parameters_of_the_wrong_type(backend_project, nb, cli):
    path = str(nb("typed", ["pass"], params=PARAMS, promote_params=True))
    for param, parts in WRONG:
        proc = cli("jobs", "add", "j", path, "--cron", "0 6 * * *", "-p", param)
        assert proc.returncode == 2, (param, proc.stderr)
        line = one_error_line(proc)
        assert "typed.ipynb: cell 1: " in line, line
        for part in parts:
            assert part in line, (param, line)
    assert not backend_project.jobs_db.exists()  # nothing stored
    # int -> float widening, and a name whose value is not a literal (`today()`) takes any type
    ok = cli("jobs", "add", "j", path, "--cron", "0 6 * * *", "-p", "threshold=1", "-p", "start=3", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["parameters"] == {"threshold": 1, "start": 3}


def test_finding_14_unknown_names_list_the_known_ones_and_no_params_cell_says_how_to_add_one(backend_project, nb, cli):
    """Guard (this part held on main already): papermill would inject unknown names silently."""
    typed = str(nb("typed", ["pass"], params=PARAMS, promote_params=True))
    unknown = one_error_line(cli("jobs", "add", "j", typed, "--cron", "0 6 * * *", "-p", "treshold=0.6"))
    assert "treshold not declared" in unknown and "it declares: threshold, run_date, limit, features, start" in unknown
    bare = str(nb("bare", ["pass"], params=None))
    none = one_error_line(cli("jobs", "add", "j", bare, "--cron", "0 6 * * *", "-p", "threshold=0.6"))
    assert "declares no parameters" in none and "add a `%%parameters` cell" in none
    assert not backend_project.jobs_db.exists()


def test_finding_14_schedule_magic_refuses_a_parameter_of_the_wrong_type(backend_project, nb):
    from prodkit._magic_cli import run_line

    path = nb("typed", ["pass"], params=PARAMS, promote_params=True)
    with pytest.raises(UsageError) as refused:
        run_line(types.SimpleNamespace(user_ns={}), f'schedule {path} --cron "0 6 * * *" -p threshold=abc')
    message = str(refused.value)
    assert "\n" not in message and "parameter threshold expects a float" in message and '"abc"' in message
    assert not backend_project.jobs_db.exists()


def test_finding_14_run_overrides_of_the_wrong_type_are_refused_before_a_run_is_recorded(backend_project, nb):
    """`jobs run -p` and `jobs run --queue -p` take the same check: no run record, no kernel started."""
    path = nb("typed", ["pass"], params=PARAMS, promote_params=True)
    api.add_job("typed", path, "0 6 * * *", project=backend_project)
    with pytest.raises(BadInput, match="parameter threshold expects a float"):
        api.run_job("typed", project=backend_project, parameters={"threshold": "abc"})
    with pytest.raises(BadInput, match="parameter limit expects an int"):
        api.queue_run("typed", project=backend_project, parameters={"limit": "ten"})
    assert api.history("typed", project=backend_project) == []
