"""The result object: wire format, score, and its renderers."""

from __future__ import annotations

import json

from pktest import code, numbered, write_notebook

from prodkit.readiness import check, check_notebook
from prodkit.readiness.registry import SECTIONS, all_checks
from prodkit.readiness.result import CheckResult, ReadinessResult, standalone_html

DESIGN_IDS = ["DATA-01", "DATA-02", "DATA-03", "DATA-04", "DATA-05", "DATA-06", "DATA-07", "MOD-01", "MOD-02",
              "MOD-03", "MOD-04", "MOD-05", "CODE-01", "CODE-02", "CODE-03", "CODE-04", "CODE-05", "CODE-06", "CODE-07",
              "CODE-08", "CODE-09", "CODE-10", "CODE-11", "CODE-12", "OPS-01", "OPS-02", "OPS-03", "OPS-04", "SEC-01",
              "SEC-02", "BIZ-01"]
PROJECT_IDS = {"DATA-02", "DATA-03", "DATA-04", "MOD-04", "MOD-05", "CODE-04", "CODE-07", "OPS-01", "OPS-02", "OPS-03",
               "OPS-04", "BIZ-01"}


def test_every_design_check_is_registered_once_with_fix_text():
    specs = all_checks()
    assert [s.id for s in specs] == DESIGN_IDS
    assert all(s.fix and s.title and s.severity in ("fail", "warn") for s in specs)
    assert {s.id for s in specs if s.scope == "project"} == PROJECT_IDS


def test_to_dict_matches_the_documented_json(deps_project):
    path = write_notebook(deps_project.nbs_path / "a.ipynb", numbered(code("x = 1")))
    data = check(path).to_dict()
    assert list(data) == ["notebook", "score", "grade", "meaning", "notebook_score", "project_score", "notes",
                          "sections", "checks"]
    assert data["notebook"] == "nbs/a.ipynb"
    assert 0 <= data["score"] <= 1 and data["grade"] in "ABCDE" and data["meaning"]
    assert data["notebook_score"]["score"] == data["score"] and data["notebook_score"]["grade"] == data["grade"]
    assert set(data["project_score"]) == {"score", "grade", "meaning", "points", "max"}
    assert list(data["sections"]) == list(SECTIONS)
    for c in data["checks"]:
        assert list(c) == ["id", "section", "status", "message", "cells", "fix", "scope"]
        assert c["status"] in ("pass", "warn", "fail", "skip") and all(isinstance(n, int) for n in c["cells"])
    assert [c["id"] for c in data["checks"]] == DESIGN_IDS
    json.dumps(data)  # plain JSON types only


def test_a_folder_gives_a_list(deps_project):
    write_notebook(deps_project.nbs_path / "a.ipynb", [code("x = 1")])
    write_notebook(deps_project.nbs_path / "sub" / "b.ipynb", [code("y = 2")])
    write_notebook(deps_project.nbs_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb", [code("x = 1")])
    results = check(deps_project.nbs_path)
    assert [r.notebook for r in results] == ["nbs/a.ipynb", "nbs/sub/b.ipynb"]


def _result(statuses: dict[str, list[str]], uncounted=(), project=()) -> ReadinessResult:
    checks = [CheckResult(f"{section[:3].upper()}-{i}", section, status, "m", [], "f",
                          counted=(section, i) not in uncounted,
                          scope="project" if (section, i) in project else "notebook")
              for section, sts in statuses.items() for i, status in enumerate(sts, 1)]
    return ReadinessResult("nb.ipynb", checks)


def test_notebook_score_is_the_weakest_section_ml_test_score_style():
    r = _result({"Data": ["pass", "pass", "warn", "fail"], "Code": ["pass", "pass"], "Ops": ["pass", "skip"]})
    sections = r.sections
    assert sections["Data"].points == 2.5 and sections["Data"].max == 4
    assert sections["Ops"].points == 1 and sections["Model"].max == 0  # empty sections are left out
    assert r.score == 0.5 and r.grade == "C"  # Ops 1/2 is weakest (0.5 < Data 0.625)
    assert "Ops" in r.explanation() and "1 of 2" in r.explanation()


def test_project_set_up_is_scored_apart_from_the_notebook():
    """Issue 12: every real notebook scored 0.00 on a fresh project (no business case, no jobs).
    Project set-up not done yet no longer drags the notebook's own score (the gate's number) to 0."""
    r = _result({"Data": ["pass", "warn"], "Ops": ["skip", "skip"], "Business": ["fail"]},
                project=[("Ops", 1), ("Ops", 2), ("Business", 1)])
    assert r.score == 0.75 and r.grade == "B" and r.meaning.startswith("nearly ready")
    assert r.project_score == 0 and r.project_score_dict()["grade"] == "E"
    assert "not set up yet" in r.project_score_dict()["meaning"]
    assert "Project set-up 0.00" in r.explanation() and "Notebook score 0.75" in r.explanation()


def test_every_grade_has_a_meaning():
    from prodkit.readiness.result import NOTEBOOK_GRADES, PROJECT_GRADES, grade_of

    for grades in (NOTEBOOK_GRADES, PROJECT_GRADES):
        assert [letter for _, letter, _ in grades] == list("ABCDE") and all(m for _, _, m in grades)
        assert [grade_of(x, grades)[0] for x in (1.0, 0.8, 0.6, 0.2, 0.0)] == list("ABCDE")


def test_uncounted_checks_leave_the_score_alone():
    r = _result({"Code": ["pass", "skip"]}, uncounted=[("Code", 2)])
    assert r.score == 1.0 and r.sections["Code"].max == 1 and "Not scored: COD-2" in r.explanation()


def test_gate_applies_to_the_notebook_score(deps_project):
    """A clean notebook on a fresh project passes the default gate although nothing is set up yet."""
    from typer.testing import CliRunner

    from prodkit.cli import app

    clean = write_notebook(deps_project.nbs_path / "clean.ipynb", numbered(
        code("%%promote --params\nthreshold = 0.5"), code('import pandas as pd\ndf = pd.read_csv("data/x.csv")\nx = df.mean() * threshold')))
    res = CliRunner().invoke(app, ["check", str(clean), "--json", "--fail-under", "0.8"])
    data = json.loads(res.stdout)
    assert res.exit_code == 0 and data["score"] == 1.0 and data["project_score"]["score"] < 0.5
    bad = write_notebook(deps_project.nbs_path / "bad.ipynb", numbered(
        code("%%promote --params\nthreshold = 0.5"), code('import pandas as pd\ndf = pd.read_csv("/home/ann/x.csv")')))
    assert CliRunner().invoke(app, ["check", str(bad), "--fail-under", "0.8"]).exit_code == 1


def test_html_is_self_contained_and_escaped(deps_project):
    path = write_notebook(deps_project.nbs_path / "x.ipynb", [code('p = "/home/<script>alert(1)</script>/x.csv"')])
    res = check_notebook(path, project=deps_project)
    html = res.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "DATA-01" in html and "score" in html
    doc = standalone_html([res])
    assert doc.startswith("<!DOCTYPE html>") and "</html>" in doc


def test_mimebundle_outside_a_kernel_has_text_and_html_only(deps_project):
    res = check_notebook(write_notebook(deps_project.nbs_path / "y.ipynb", [code("x = 1")]), project=deps_project)
    bundle = res._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert "Readiness of nbs/y.ipynb" in bundle["text/plain"] and "BIZ-01" in bundle["text/plain"]


def test_widget_builds_one_section_per_category(deps_project):
    from prodkit.readiness.widget import build_widget

    res = check_notebook(write_notebook(deps_project.nbs_path / "z.ipynb", [code("x = 1")]), project=deps_project)
    box = build_widget(res)
    header, notebook_bar, project_bar, accordion = box.children
    assert notebook_bar.children[0].value == res.score and project_bar.children[0].value == res.project_score
    assert res.grade in notebook_bar.children[1].value
    titles = [t.split(maxsplit=1)[1] for t in accordion.titles]
    assert [t.split("  ")[0] for t in titles] == [
        "Notebook · Data", "Notebook · Model", "Notebook · Code", "Notebook · Security", "Project set-up · Data",
        "Project set-up · Model", "Project set-up · Code", "Project set-up · Ops", "Project set-up · Business"]
    assert "CODE-06" in accordion.children[2].value
