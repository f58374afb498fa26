"""`prodkit demo`: the README's main job. The bundled churn PoC, taken to production step by step.

The whole demo lives in this package: one module per step (`promote`, `readiness`, `jobs`,
`models`, `monitor`, `deploy`), run in the user's order: promote, check, schedule, register,
monitor; after the checklist, deploy (serve, load test, drift -> retrain -> gate).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from prodkit.config import Project, init_project, load_project
from prodkit.errors import BadInput

DEMO_NOTEBOOK = "churn_poc.ipynb"
DEMO_PYPROJECT = """\
[project]
name = "churn-demo"
version = "0.0.1"
description = "The churn PoC, taken to production with prodkit."
requires-python = ">=3.11"
dependencies = ["numpy>=1.26", "pandas>=2.1,<3", "scipy>=1.11", "torch>=2.4", "prodkit>=0.1"]
"""


@dataclass
class DemoContext:
    """What the demo steps share: the project, its notebook, the console, and a scratch dict."""

    project: Project
    notebook: Path
    console: Console
    facts: dict[str, Any] = field(default_factory=dict)  # e.g. {"model_name": "churn-clf"}
    where: list[tuple[str, str]] = field(default_factory=list)  # (what, path or uri) printed at the end


def bundled_notebook() -> Path:
    """The demo notebook: packaged in the wheel, or nbs/ of a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_demo" / DEMO_NOTEBOOK, package.parent / "nbs" / DEMO_NOTEBOOK):
        if candidate.is_file():
            return candidate
    raise BadInput(
        "the demo notebook is missing from this installation", path=DEMO_NOTEBOOK, fix="reinstall prodkit"
    )


def execute_notebook(path: Path, cwd: Path, console: Console) -> None:
    """Run a notebook top to bottom in a fresh kernel, in place (as a user would)."""
    import papermill

    from prodkit._kernel import SecureKernelManager

    console.print(f"running {path.name} top to bottom in a fresh kernel …")
    started = time.perf_counter()
    previous = os.environ.get("PRODKIT_NOTEBOOK")
    os.environ["PRODKIT_NOTEBOOK"] = str(path)  # the kernel inherits it: model versions record the notebook
    try:
        papermill.execute_notebook(
            str(path), str(path), cwd=str(cwd), progress_bar=False, kernel_name="python3",
            kernel_manager_class=SecureKernelManager,
        )
    finally:
        if previous is None:
            os.environ.pop("PRODKIT_NOTEBOOK", None)
        else:
            os.environ["PRODKIT_NOTEBOOK"] = previous
    console.print(f"  ran in {time.perf_counter() - started:.1f} s")


def _git_snapshot(root: Path, console: Console) -> None:
    """Commit the demo project, so runs and model versions record a git sha (as in a real repo)."""
    if shutil.which("git") is None:
        console.print("  git not found: model versions will have no git sha")
        return
    env = {
        "GIT_AUTHOR_NAME": "prodkit demo",
        "GIT_AUTHOR_EMAIL": "demo@prodkit.invalid",
        "GIT_COMMITTER_NAME": "prodkit demo",
        "GIT_COMMITTER_EMAIL": "demo@prodkit.invalid",
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, env={**os.environ, **env}
        )

    if not (root / ".git").exists():
        run("init", "-q", "-b", "main")
    run("add", "-A")
    if run("diff", "--cached", "--quiet").returncode != 0:
        run("commit", "-q", "-m", "churn PoC (prodkit demo)")
        console.print("  committed the project to git (runs and models record its sha)")


def run_demo(folder: Path, console: Console) -> DemoContext:
    """Create (or refresh) the demo project in `folder` and run every available step."""
    folder = Path(folder).resolve()
    console.rule("[bold]prodkit demo: the churn PoC, taken to production")
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "pyproject.toml").exists():
        (folder / "pyproject.toml").write_text(DEMO_PYPROJECT, encoding="utf-8")
    for line in init_project(folder, name="churn-demo"):
        console.print(f"  {line}", markup=False)
    project = load_project(folder)
    notebook = project.nbs_path / DEMO_NOTEBOOK
    replacing = notebook.exists()
    shutil.copyfile(bundled_notebook(), notebook)
    console.print(
        f"  copied the PoC notebook to {project.relpath(notebook)}"
        + (" (replacing the copy from the last demo run)" if replacing else ""),
        markup=False,
    )
    ctx = DemoContext(project=project, notebook=notebook, console=console)
    ctx.where.append(("project", str(folder)))
    ctx.where.append(("notebook", str(notebook)))
    _git_snapshot(project.root, console)
    execute_notebook(notebook, project.root, console)
    ctx.project = load_project(folder)  # the notebook may have declared its business case in settings.ini
    from prodkit.demo import deploy, jobs, models, monitor, promote, readiness

    for step in (promote, readiness, jobs, models, monitor):
        step.demo_step(ctx)
    readiness.final_step(ctx)
    deploy.demo_step(ctx)  # after the checklist: the champion's production life (serve, load test, retrain loop)
    console.rule("[bold]where things went")
    for what, where in ctx.where:
        console.print(f"  {what:<22} {where}", highlight=False, markup=False)
    return ctx
