"""`prodkit check` from the terminal: table, JSON, HTML, gate exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pktest import code, numbered, write_notebook
from typer.testing import CliRunner

from prodkit.cli import app

runner = CliRunner()


@pytest.fixture
def nb(deps_project):
    return write_notebook(deps_project.nbs_path / "churn.ipynb", numbered(
        code("%%promote --params\nthreshold = 0.5"), code('pd.read_csv("/home/ann/x.csv")')))


def test_table_shows_sections_checks_and_score(nb):
    res = runner.invoke(app, ["check", str(nb), "--fail-under", "0"])
    assert res.exit_code == 0, res.output
    for text in ("Readiness of nbs/churn.ipynb", "Data", "DATA-01", "fail", "BIZ-01", "score", "weakest section"):
        assert text in res.output


def test_json_is_the_result_dict(nb):
    res = runner.invoke(app, ["check", str(nb), "--json", "--fail-under", "0"])
    data = json.loads(res.stdout)
    assert data["notebook"] == "nbs/churn.ipynb" and len(data["checks"]) == 31
    assert next(c for c in data["checks"] if c["id"] == "DATA-01")["cells"] == [2]


def test_folder_gives_a_json_list(deps_project, nb):
    write_notebook(deps_project.nbs_path / "other.ipynb", [code("x = 1")])
    res = runner.invoke(app, ["check", str(deps_project.nbs_path), "--json", "--fail-under", "0"])
    assert [d["notebook"] for d in json.loads(res.stdout)] == ["nbs/churn.ipynb", "nbs/other.ipynb"]


def test_fail_under_exits_1_and_defaults_to_settings(deps_project, nb):
    res = runner.invoke(app, ["check", str(nb), "--fail-under", "0.9"])
    assert res.exit_code == 1 and "readiness below 0.9" in res.stderr
    res = runner.invoke(app, ["check", str(nb)])  # settings.ini readiness_fail_under = 0.8
    assert res.exit_code == 1 and "below 0.8" in res.stderr
    ini = deps_project.root / "settings.ini"
    ini.write_text(ini.read_text().replace("readiness_fail_under = 0.8", "readiness_fail_under = 0"))
    assert runner.invoke(app, ["check", str(nb)]).exit_code == 0


def test_only_runs_the_named_checks(nb):
    res = runner.invoke(app, ["check", str(nb), "--only", "sec-01,DATA-01", "--json", "--fail-under", "0"])
    assert [c["id"] for c in json.loads(res.stdout)["checks"]] == ["DATA-01", "SEC-01"]


def test_html_report_is_written(nb, tmp_path):
    out = tmp_path / "report" / "r.html"
    res = runner.invoke(app, ["check", str(nb), "--html", str(out), "--fail-under", "0"])
    assert res.exit_code == 0 and out.read_text().startswith("<!DOCTYPE html>") and "DATA-01" in out.read_text()


@pytest.mark.parametrize("args, message", [
    (["missing.ipynb"], "no such file or folder"),
    (["{nb}", "--fail-under", "1.5"], "between 0 and 1"),
    (["{nb}", "--fail-under", "high"], "between 0 and 1"),
    (["{nb}", "--only", "NOPE-1"], "unknown check id"),
    (["{bad}"], "not valid JSON"),
    (["{empty}"], "no notebooks in this folder"),
])
def test_bad_input_is_one_line_and_exit_2(deps_project, nb, tmp_path, args, message):
    bad = deps_project.nbs_path / "broken.ipynb"
    bad.write_text("{not json")
    (tmp_path / "empty").mkdir()
    args = [a.format(nb=nb, bad=bad, empty=tmp_path / "empty") for a in args]
    res = runner.invoke(app, ["check", *args])
    assert res.exit_code == 2, res.output
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_bad_settings_threshold_names_the_file(deps_project, nb):
    ini = deps_project.root / "settings.ini"
    ini.write_text(ini.read_text().replace("readiness_fail_under = 0.8", "readiness_fail_under = lots"))
    res = runner.invoke(app, ["check", str(nb)])
    assert res.exit_code == 2 and "settings.ini" in res.stderr


def test_real_process_exit_codes(deps_project, nb):
    cmd = [sys.executable, "-m", "prodkit.cli", "check"]
    bad = subprocess.run([*cmd, str(deps_project.nbs_path / "nope.ipynb")], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    ok = subprocess.run([*cmd, str(nb), "--json", "--fail-under", "0"], capture_output=True, text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout)["notebook"] == "nbs/churn.ipynb"


def test_static_leaves_state_checks_out_of_the_score(nb):
    args = ["check", str(nb), "--json", "--fail-under", "0", "--only", "SEC-01,OPS-01,OPS-02"]
    full = json.loads(runner.invoke(app, args).stdout)
    static = json.loads(runner.invoke(app, [*args, "--static"]).stdout)
    assert full["sections"]["Ops"]["max"] == 2 and full["project_score"]["score"] == 0  # nothing scheduled
    assert full["score"] == 1.0  # the notebook score: SEC-01 holds
    assert static["sections"]["Ops"]["max"] == 0
    assert all(c["status"] == "skip" and "--static" in c["message"] for c in static["checks"] if c["section"] == "Ops")
    assert static["score"] == 1.0 and static["project_score"]["score"] is None  # only SEC-01 counts
