"""The production-readiness checklist.

`prodkit.check(path)` runs every registered check (see `registry.py`; one function per id,
grouped by section in `checks/`) on a notebook and returns a `ReadinessResult`, which the
CLI (`prodkit check`), the notebook (`%prodkit check`, rich display), the HTML report and the
JupyterLab side panel (`ReadinessResult.to_dict()`) all render. A folder gives a list.
"""

from __future__ import annotations

from pathlib import Path

from prodkit.config import Project, load_project
from prodkit.errors import BadInput
from prodkit.notebook import notebook_paths, read_notebook
from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import REGISTRY, CheckSpec, Outcome, all_checks, listed, register_check
from prodkit.readiness.result import CheckResult, ReadinessResult

DEFAULT_RUN_TIMEOUT = 600

__all__ = ["check", "check_notebook", "check_or_error", "ReadinessResult", "CheckResult", "Outcome", "register_check",
           "REGISTRY", "all_checks"]


def check(path: Path | str, run: bool = False, *, timeout: int = DEFAULT_RUN_TIMEOUT,
          project: Project | None = None, static: bool = False) -> ReadinessResult | list[ReadinessResult]:
    """Readiness of one notebook, or a list for a folder of notebooks.

    `run=True` also runs CODE-01: the notebook top to bottom in a fresh kernel (papermill),
    each cell limited to `timeout` seconds. `static=True` (for CI on a fresh checkout) leaves
    the checks that read project state out of the score (and reads none of it). Bad input raises
    `prodkit.errors.BadInput`; in a folder, a notebook that cannot be read becomes its error entry
    (`ReadinessResult.error`) and the others are checked.
    """
    path = Path(path)
    paths = notebook_paths(path)
    if not path.is_dir():
        return check_notebook(paths[0], run=run, timeout=timeout, project=project, static=static)
    project = project or load_project(path)
    return [check_or_error(p, run=run, timeout=timeout, project=project, static=static) for p in paths]


def check_or_error(path: Path, *, project: Project, **options) -> ReadinessResult:
    """`check_notebook`, except that a notebook that cannot be read becomes its error entry (a folder
    check goes on with the other notebooks)."""
    try:
        return check_notebook(path, project=project, **options)
    except BadInput as e:
        return ReadinessResult(notebook=project.relpath(path), checks=[], error=e.message if e.cell is None
                               else f"cell {e.cell}: {e.message}")


def check_notebook(path: Path | str, *, run: bool = False, timeout: int = DEFAULT_RUN_TIMEOUT,
                   project: Project | None = None, only: list[str] | None = None,
                   static: bool = False, hook_answers: dict | None = None) -> ReadinessResult:
    """Run the checks (all, or the ids in `only`) on one notebook; `static`: see `check`.

    `hook_answers`: {name: record} of state functions (`checks._state.STATE_FUNCTIONS`) the caller
    already asked for this notebook and project (the panel's status), used instead of asking again.
    """
    from prodkit.readiness.checks.data import nothing_to_judge  # the checks import every capability's state

    notebook = read_notebook(path)
    project = project or load_project(notebook.path)
    ctx = CheckContext(notebook=notebook, project=project, run=run, timeout=timeout, static=static)
    ctx.__dict__["_hook_cache"] = dict(hook_answers or {})
    checks = [not_evaluated(spec) if static and spec.reads_state else run_check(spec, ctx)
              for spec in all_checks() if only is None or spec.id in only]
    return ReadinessResult(notebook=project.relpath(notebook.path), checks=checks, notes=list(notebook.notes),
                           nothing_to_judge=nothing_to_judge(ctx) if only is None else None)  # --only: a gate on those


def not_evaluated(spec: CheckSpec) -> CheckResult:
    """A state check under --static: shown as skip, left out of the score."""
    return CheckResult(id=spec.id, section=spec.section, status="skip", title=spec.title, cells=[], counted=False,
                       scope=spec.scope,
                       message="not evaluated with --static: it reads project state (registry, jobs, monitoring)",
                       fix="run `prodkit check` where the project's .prodkit/ state or tracking server is")


def run_check(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    """One check; an unexpected error inside it becomes a `skip` that scores nothing, not a crash."""
    try:
        outcome = spec.fn(ctx)
    except Exception as e:  # a bug in a check or in another capability's state reader
        outcome = Outcome("skip", f"could not check: {e.__class__.__name__}: {str(e)[:160]}", [],
                          "report this to the prodkit maintainers")
    status = outcome.status or spec.severity
    if spec.reads_code and ctx.unparsed and (status == "pass" or not outcome.counted):
        outcome = not_vouched_for(ctx, outcome)
        status = outcome.status
    return CheckResult(id=spec.id, section=spec.section, status=status, message=outcome.message,
                       cells=list(outcome.cells), fix=spec.fix if outcome.fix is None else outcome.fix, title=spec.title,
                       counted=outcome.counted, scope=spec.scope)


def not_vouched_for(ctx: CheckContext, outcome: Outcome) -> Outcome:
    """A check reading code that found nothing while some cells do not parse: it cannot vouch for those
    cells, so it is n/a (left out of the score; CODE-08 fails for them) and says what held elsewhere."""
    cells = [f.cell.number for f in ctx.unparsed]
    which = f"cell {cells[0]} does not parse" if len(cells) == 1 else f"cells {listed(cells)} do not parse"
    found = outcome.message.removeprefix("n/a: ")
    return Outcome("skip", f"n/a: {which} (CODE-08); in the other cells: {found}", list(outcome.cells),
                   "fix the cells that do not parse (CODE-08), then check again", counted=False)
