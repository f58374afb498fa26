"""prodkit's own repository is a prodkit project (settings.ini, pyproject.toml [tool.nbdev]): the nbs/
tutorials' promoted modules and tests are committed and equal to the notebooks, and the notebooks pass
the readiness gate that .ci/run applies."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from prodkit.cli import app
from prodkit.config import load_project
from prodkit.readiness import check

REPO = Path(__file__).resolve().parents[2]
GATE = 0.9  # .ci/run: prodkit check nbs --static --fail-under 0.9


def test_the_repository_is_a_prodkit_project_with_its_tutorials_in_nbs():
    project = load_project(REPO)
    assert project.root == REPO and project.has_nbdev
    assert project.nbs_path == REPO / "nbs" and project.lib_path == REPO / "src"
    assert project.tests_path == REPO / "tests" / "promoted"  # run by ./dev test with the rest of the suite
    assert (REPO / "nbs" / "churn_poc.ipynb").is_file()


def test_the_promoted_modules_and_tests_are_committed_and_up_to_date():
    res = CliRunner().invoke(app, ["promote", str(REPO / "nbs"), "--check"])
    assert res.exit_code == 0, res.output
    assert (REPO / "src" / "churn" / "model.py").is_file() and (REPO / "tests" / "promoted").is_dir()


def test_the_tutorials_pass_the_ci_readiness_gate():
    results = check(REPO / "nbs", static=True)
    assert results and all(r.error is None for r in results)
    low = {r.notebook: (r.score, [c.id for c in r.checks if c.counted and c.status != "pass"]) for r in results
           if r.score < GATE}
    assert not low, low
