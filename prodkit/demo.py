"""`prodkit demo`: the README's main job. The bundled churn PoC, taken to production step by step.

Each capability contributes a step through `<package>.demo.demo_step(ctx)`; the steps run in
the user's order: promote, check, schedule, register, monitor.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from prodkit.config import Project, init_project, load_project
from prodkit.errors import BadInput

DEMO_NOTEBOOK = "churn_poc.ipynb"
DEMO_STEPS = (
    "prodkit.promote.demo",
    "prodkit.readiness.demo",
    "prodkit.jobs.demo",
    "prodkit.models.demo",
    "prodkit.monitor.demo",
)


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
    here = Path(__file__).resolve().parent
    for candidate in (here / "_demo" / DEMO_NOTEBOOK, here.parent / "nbs" / DEMO_NOTEBOOK):
        if candidate.is_file():
            return candidate
    raise BadInput("the demo notebook is missing from this installation", path=DEMO_NOTEBOOK,
                   fix="reinstall prodkit")


def execute_notebook(path: Path, cwd: Path, console: Console) -> None:
    """Run a notebook top to bottom in a fresh kernel, in place (as a user would)."""
    import papermill

    console.print(f"running {path.name} top to bottom in a fresh kernel …")
    started = time.perf_counter()
    papermill.execute_notebook(str(path), str(path), cwd=str(cwd), progress_bar=False, kernel_name="python3")
    console.print(f"  ran in {time.perf_counter() - started:.1f} s")


def run_demo(folder: Path, console: Console) -> DemoContext:
    """Create (or refresh) the demo project in `folder` and run every available step."""
    folder = Path(folder).resolve()
    console.rule("[bold]prodkit demo: the churn PoC, taken to production")
    for line in init_project(folder, name="churn-demo"):
        console.print(f"  {line}", markup=False)
    project = load_project(folder)
    notebook = project.nbs_path / DEMO_NOTEBOOK
    shutil.copyfile(bundled_notebook(), notebook)
    console.print(f"  copied the PoC notebook to {project.relpath(notebook)}")
    ctx = DemoContext(project=project, notebook=notebook, console=console)
    ctx.where.append(("project", str(folder)))
    ctx.where.append(("notebook", str(notebook)))
    execute_notebook(notebook, project.root, console)
    for name in DEMO_STEPS:
        if importlib.util.find_spec(name.rsplit(".", 1)[0]) is None or importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).demo_step(ctx)
    console.rule("[bold]where things went")
    for what, where in ctx.where:
        console.print(f"  {what:<22} {where}", highlight=False)
    return ctx
