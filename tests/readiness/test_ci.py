"""`prodkit init --ci`: the written pipeline's own steps, run in a real project; and the pre-commit hooks."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pktest import code, write_notebook

from prodkit.config import load_project
from prodkit.errors import BadInput
from prodkit.readiness.business import set_section_values
from prodkit.readiness.ci import TARGETS, render_ci, write_ci

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ci_project(deps_project, tmp_path_factory):
    """A promoted project (as committed) whose gate threshold is set in settings.ini."""
    from prodkit.promote import promote

    nb = write_notebook(deps_project.nbs_path / "churn.ipynb", [
        code("%%promote churn.features\ndef add_one(x):\n    return x + 1\n"),
        code("%%promote --test churn.features\nassert add_one(1) == 2"),
        code("%%promote --params\nthreshold = 0.5")])
    assert promote(nb, import_check=False).exit_code == 0
    _set_threshold(deps_project.root, "0.0")
    return load_project(deps_project.root)


def _set_threshold(root: Path, value: str) -> None:
    ini = root / "settings.ini"
    ini.write_text(set_section_values(ini.read_text(), "prodkit", {"readiness_fail_under": value}))


@pytest.fixture
def shell_env(tmp_path_factory):
    """PATH with `prodkit` and `python` from this environment, as the CI install step would leave it."""
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "prodkit").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m prodkit.cli "$@"\n')
    (bin_dir / "prodkit").chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(REPO)}


def pipeline_steps(path: Path, kind: str) -> list[str]:
    data = yaml.safe_load(path.read_text())
    if kind == "github":
        (job,) = data["jobs"].values()
        return [step["run"] for step in job["steps"] if "run" in step]
    (job,) = data.values()
    return list(job["script"])


def run_steps(steps: list[str], cwd: Path, env: dict) -> list[int]:
    return [subprocess.run(step, shell=True, cwd=cwd, env=env, capture_output=True, text=True).returncode
            for step in steps]


def test_gitlab_pipeline_has_the_same_steps(ci_project):
    write_ci(ci_project, "github")
    write_ci(ci_project, "gitlab")
    assert pipeline_steps(ci_project.root / TARGETS["gitlab"], "gitlab") == \
        pipeline_steps(ci_project.root / TARGETS["github"], "github")


@pytest.mark.parametrize("kind", ["github"])
def test_written_pipeline_runs_green_and_the_gate_bites(ci_project, shell_env, kind):
    changed = write_ci(ci_project, kind)
    target = ci_project.root / TARGETS[kind]
    assert changed == [f"created {TARGETS[kind]}"] and target.is_file()
    steps = pipeline_steps(target, kind)
    install, *gate = steps
    assert install.startswith("python -m pip install")  # not run here: everything is installed already
    assert gate == ["prodkit promote nbs --check", "python -m pytest tests -q", "prodkit check nbs --static --fail-under 0"]
    assert run_steps(gate, ci_project.root, shell_env) == [0, 0, 0]

    # with the default threshold a PoC notebook with its own findings fails the readiness step
    write_notebook(ci_project.nbs_path / "poc.ipynb", [code('import pandas as pd\ndf = pd.read_csv("/home/ann/x.csv")')])
    _set_threshold(ci_project.root, "0.8")
    write_ci(load_project(ci_project.root), kind, force=True)
    gate = pipeline_steps(target, kind)[1:]
    assert gate[-1] == "prodkit check nbs --static --fail-under 0.8"
    assert run_steps(gate[-1:], ci_project.root, shell_env) == [1]


def test_stale_promotion_fails_the_first_step(ci_project, shell_env):
    write_ci(ci_project, "github")
    nb = ci_project.nbs_path / "churn.ipynb"
    nb.write_text(nb.read_text().replace("return x + 1", "return x + 2"))
    steps = pipeline_steps(ci_project.root / TARGETS["github"], "github")[1:]
    assert run_steps(steps[:1], ci_project.root, shell_env) == [1]


def test_existing_pipeline_is_kept(ci_project):
    target = ci_project.root / ".gitlab-ci.yml"
    target.write_text("build:\n  script: [make]\n")
    with pytest.raises(BadInput, match="already exists"):
        write_ci(ci_project, "gitlab")
    assert target.read_text() == "build:\n  script: [make]\n"
    assert write_ci(ci_project, "github") and write_ci(ci_project, "github") == []  # idempotent


def test_unknown_kind_is_bad_input(ci_project):
    with pytest.raises(BadInput, match="unknown CI kind"):
        render_ci(ci_project, "jenkins")


def test_pre_commit_hooks_run_as_pre_commit_would(deps_project, shell_env):
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"prodkit-secrets", "prodkit-check"}
    clean = write_notebook(deps_project.nbs_path / "clean.ipynb", [code("x = 1")])
    leaky = write_notebook(deps_project.nbs_path / "leaky.ipynb", [code('password = "Hunter2Hunter2!"')])
    entry = shlex.split(hooks["prodkit-secrets"]["entry"])
    run = lambda *files: subprocess.run([*entry, *map(str, files)], cwd=deps_project.root, env=shell_env,  # noqa: E731
                                        capture_output=True, text=True)
    assert run(clean).returncode == 0
    failed = run(clean, leaky)
    assert failed.returncode == 1 and "leaky.ipynb" in failed.stderr
