"""prodkit's own repository is a prodkit project (settings.ini, pyproject.toml [tool.nbdev]): the nbs/
tutorials' promoted modules and tests are committed and equal to the notebooks, those tests pass and the
notebooks pass the readiness gate — what .ci/run runs after ./dev test.

Each step runs in its own process: the promoted tests put src/ on sys.path, and its `churn` package
would shadow the `churn` modules that other tests promote into their temporary projects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from prodkit.config import load_project

REPO = Path(__file__).resolve().parents[2]
GATE = 0.9  # .ci/run: prodkit check nbs --static --fail-under 0.9


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_the_repository_is_a_prodkit_project_with_its_tutorials_in_nbs():
    project = load_project(REPO)
    assert project.root == REPO and project.has_nbdev
    assert project.nbs_path == REPO / "nbs" and project.lib_path == REPO / "src"
    assert project.tests_path == REPO / "nbs" / "tests"  # not under tests/: see the module docstring
    assert (REPO / "nbs" / "churn_poc.ipynb").is_file()


def test_the_promoted_modules_and_tests_are_committed_up_to_date_and_pass():
    promoted = run("-m", "prodkit.cli", "promote", "nbs", "--check")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    tests = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "nbs/tests")
    assert tests.returncode == 0 and " passed" in tests.stdout, tests.stdout + tests.stderr


def test_the_tutorials_pass_the_ci_readiness_gate():
    checked = run("-m", "prodkit.cli", "check", "nbs", "--static", "--json", "--fail-under", str(GATE))
    results = json.loads(checked.stdout)
    results = results if isinstance(results, list) else [results]
    low = {r["notebook"]: (r["score"], [c["id"] for c in r["checks"] if c["status"] in ("fail", "warn")])
           for r in results if r.get("error") or r["score"] < GATE}
    assert results and not low and checked.returncode == 0, (low, checked.stderr)
