"""CODE-01 in a real fresh kernel (papermill), and the checklist as saved in an executed notebook."""

from __future__ import annotations

import json

import pytest
from pktest import code, markdown, write_notebook

from prodkit.readiness import check_notebook

pytestmark = pytest.mark.slow


def test_code01_passes_on_a_clean_run(deps_project):
    path = write_notebook(deps_project.nbs_path / "ok.ipynb", [markdown("# ok"), code("x = 1"), code("assert x == 1")])
    c = check_notebook(path, project=deps_project, run=True, only=["CODE-01"]).check("CODE-01")
    assert c.status == "pass" and "fresh python3 kernel" in c.message
    assert path.read_text().count('"outputs": []') == 2  # the notebook itself is not touched


def test_code01_fails_on_hidden_state_with_the_failing_cell(deps_project):
    # saved outputs look fine, but `threshold` was only ever defined in a deleted cell
    path = write_notebook(deps_project.nbs_path / "hidden.ipynb", [
        code("import math", count=1), markdown("text"), code("flagged = 0.7 > threshold", count=5)])
    c = check_notebook(path, project=deps_project, run=True, only=["CODE-01"]).check("CODE-01")
    assert c.status == "fail" and "NameError" in c.message and c.cells == [3]


def test_code01_names_the_failing_cell_among_identical_ones(deps_project):
    """Two cells with the same source: the second one fails (by position, not the first same-looking cell)."""
    path = write_notebook(deps_project.nbs_path / "twice.ipynb", [
        code("n = 0"), code("n += 1\nassert n < 2"), markdown("again"), code("n += 1\nassert n < 2")])
    c = check_notebook(path, project=deps_project, run=True, only=["CODE-01"]).check("CODE-01")
    assert c.status == "fail" and "AssertionError" in c.message and c.cells == [4]


def test_code01_reports_a_timeout_separately(deps_project):
    path = write_notebook(deps_project.nbs_path / "slow.ipynb", [code("x = 1"), code("import time\ntime.sleep(60)")])
    c = check_notebook(path, project=deps_project, run=True, timeout=2, only=["CODE-01"]).check("CODE-01")
    assert c.status == "fail" and "2 s timeout" in c.message and c.cells == [2]


def test_executed_notebook_keeps_html_text_and_widget_outputs(deps_project, tmp_path):
    """`%prodkit check` output as papermill saves it: widget view + static HTML + text."""
    import papermill

    path = write_notebook(deps_project.nbs_path / "self.ipynb", [
        code("%load_ext prodkit"), code("x = 1"), code(f"%prodkit check {deps_project.nbs_path / 'self.ipynb'}")])
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(path), str(out), cwd=str(deps_project.root), progress_bar=False, kernel_name="python3")
    outputs = json.loads(out.read_text())["cells"][2]["outputs"]
    data = next(o["data"] for o in outputs if o["output_type"] == "execute_result")
    data = {k: "".join(v) if isinstance(v, list) else v for k, v in data.items()}
    assert {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert "SEC-01" in data["text/html"] and "Readiness of nbs/self.ipynb" in data["text/plain"]
