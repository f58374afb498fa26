"""The result object: wire format, score, and its renderers."""

from __future__ import annotations

import json

from readiness_nb import code, numbered, write_notebook

from prodkit.readiness import check, check_notebook
from prodkit.readiness.registry import SECTIONS, all_checks
from prodkit.readiness.result import CheckResult, ReadinessResult, standalone_html

DESIGN_IDS = ["DATA-01", "DATA-02", "DATA-03", "DATA-04", "DATA-05", "MOD-01", "MOD-02", "MOD-03", "MOD-04", "MOD-05",
              "CODE-01", "CODE-02", "CODE-03", "CODE-04", "CODE-05", "CODE-06", "CODE-07", "OPS-01", "OPS-02",
              "OPS-03", "OPS-04", "SEC-01", "SEC-02", "BIZ-01"]


def test_every_design_check_is_registered_once_with_fix_text():
    specs = all_checks()
    assert [s.id for s in specs] == DESIGN_IDS
    assert all(s.fix and s.title and s.severity in ("fail", "warn") for s in specs)


def test_to_dict_matches_the_documented_json(project):
    path = write_notebook(project.nbs_path / "a.ipynb", numbered(code("x = 1")))
    data = check(path).to_dict()
    assert list(data) == ["notebook", "score", "grade", "sections", "checks"]
    assert data["notebook"] == "nbs/a.ipynb"
    assert 0 <= data["score"] <= 1 and isinstance(data["grade"], float)
    assert list(data["sections"]) == list(SECTIONS)
    for c in data["checks"]:
        assert list(c) == ["id", "section", "status", "message", "cells", "fix"]
        assert c["status"] in ("pass", "warn", "fail", "skip") and all(isinstance(n, int) for n in c["cells"])
    assert [c["id"] for c in data["checks"]] == DESIGN_IDS
    json.dumps(data)  # plain JSON types only


def test_a_folder_gives_a_list(project):
    write_notebook(project.nbs_path / "a.ipynb", [code("x = 1")])
    write_notebook(project.nbs_path / "sub" / "b.ipynb", [code("y = 2")])
    write_notebook(project.nbs_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb", [code("x = 1")])
    results = check(project.nbs_path)
    assert [r.notebook for r in results] == ["nbs/a.ipynb", "nbs/sub/b.ipynb"]


def _result(statuses: dict[str, list[str]], uncounted=()) -> ReadinessResult:
    checks = [CheckResult(f"{section[:3].upper()}-{i}", section, status, "m", [], "f", counted=(section, i) not in uncounted)
              for section, sts in statuses.items() for i, status in enumerate(sts, 1)]
    return ReadinessResult("nb.ipynb", checks)


def test_score_is_the_weakest_section_ml_test_score_style():
    r = _result({"Data": ["pass", "pass", "warn", "fail"], "Code": ["pass", "pass"], "Ops": ["pass", "skip"]})
    sections = r.sections
    assert sections["Data"].points == 2.5 and sections["Data"].max == 4
    assert sections["Ops"].points == 1 and sections["Model"].max == 0  # empty sections are left out
    assert r.score == 0.5 and r.grade == 1  # Ops 1/2 is weakest (0.5 < Data 0.625)
    assert "Ops" in r.explanation() and "1 of 2" in r.explanation()


def test_uncounted_checks_leave_the_score_alone():
    r = _result({"Code": ["pass", "skip"]}, uncounted=[("Code", 2)])
    assert r.score == 1.0 and r.sections["Code"].max == 1 and "Not scored: COD-2" in r.explanation()


def test_html_is_self_contained_and_escaped(project):
    path = write_notebook(project.nbs_path / "x.ipynb", [code('p = "/home/<script>alert(1)</script>/x.csv"')])
    res = check_notebook(path, project=project)
    html = res.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "DATA-01" in html and "score" in html
    doc = standalone_html([res])
    assert doc.startswith("<!DOCTYPE html>") and "</html>" in doc


def test_mimebundle_outside_a_kernel_has_text_and_html_only(project):
    res = check_notebook(write_notebook(project.nbs_path / "y.ipynb", [code("x = 1")]), project=project)
    bundle = res._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert "Readiness of nbs/y.ipynb" in bundle["text/plain"] and "BIZ-01" in bundle["text/plain"]


def test_widget_builds_one_section_per_category(project):
    from prodkit.readiness.widget import build_widget

    res = check_notebook(write_notebook(project.nbs_path / "z.ipynb", [code("x = 1")]), project=project)
    box = build_widget(res)
    header, bar, accordion = box.children
    assert bar.value == res.score
    assert len(accordion.children) == len(SECTIONS)
    assert [t.split()[1] for t in accordion.titles] == list(SECTIONS)
    assert "CODE-06" in accordion.children[2].value
