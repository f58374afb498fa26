"""The promote pipeline: plan every notebook, render, decide per file, write, import-check.

Everything is validated and rendered before anything is written; each file is written
atomically, and a file edited by hand is never overwritten without `force`.
"""

from __future__ import annotations

import time
from pathlib import Path

from prodkit.config import Project, load_project
from prodkit.errors import BadInput
from prodkit.notebook import notebook_paths, read_notebook
from prodkit.promote import worker
from prodkit.promote.modname import confined
from prodkit.promote.result import NotebookPromotion, PromoteResult

__all__ = ["promote", "PromoteResult"]

_REFUSE_FIX = {
    "edited": "sync it into the notebook with `nbdev-update`, or overwrite it with --force",
    "foreign": "move your file away, or overwrite it with --force",
    "other-notebook": "use another module name, or overwrite it with --force",
}


def _plan_notebook(nb_path: Path, project: Project, allow_missing: bool, in_folder: bool):
    from prodkit.promote.guard import check_before_render, check_notebook_path
    from prodkit.promote.plan import build_plan

    check_notebook_path(nb_path, project)
    nb = read_notebook(nb_path)
    try:
        plan = build_plan(nb)
    except BadInput as e:
        if in_folder and e.message.startswith("no %%promote cells"):
            return None
        raise
    check_before_render(plan, project)
    plan.allow_missing = allow_missing
    return plan


def render_files(plan, project: Project) -> dict:
    """path -> rendered file, for everything the plan produces (imports nbdev; run by
    `prodkit.promote.worker` where the CLI started one)."""
    from prodkit.promote.export import render_modules
    from prodkit.promote.testgen import render_tests

    modules = render_modules(plan, project)
    return {f.path: f for f in [*modules, *render_tests(plan, project, modules)]}


def _outcomes(plan, project: Project, check: bool, force: bool, checker=None) -> list:
    """One FileOutcome per target; renders through nbdev only when some file is not current
    (and then first starts the import check, which warms up while nbdev renders)."""
    from prodkit.promote.files import FileOutcome
    from prodkit.promote.targets import expected_targets, file_state, module_cells

    targets = expected_targets(plan, project)
    if all(file_state(t)["up_to_date"] for t in targets):
        return [
            FileOutcome(
                path=t.path,
                kind=t.kind,
                module=t.module,
                action="unchanged",
                cells=[c.number for c in t.cells],
            )
            for t in targets
        ]
    if checker is not None:
        from prodkit.promote.importcheck import leading_imports

        checker.start(leading_imports([c for cells in module_cells(plan).values() for c in cells]))
    rendered = worker.call("render", plan, project)
    return [_decide(plan, project, t, rendered[t.path], check, force) for t in targets if t.path in rendered]


def _classify(plan, project: Project, target, text: str) -> tuple[str, str]:
    """`files.classify`, and a module without a stamp that is nbdev-export's output for this
    notebook (its `#| export` cells, without the %%promote ones) is adopted, not refused."""
    from prodkit.promote.files import classify

    state, reason = classify(target.path, text)
    if state == "foreign" and target.kind == "module":
        if target.path.read_text(encoding="utf-8") == worker.call("nbdev_export_text", plan, project, target.module):
            return "nbdev-export", "nbdev-export's output, without the %%promote cells"
    return state, reason


def _decide(plan, project: Project, target, rendered, check: bool, force: bool):
    from prodkit.promote.files import FileOutcome, stamp

    text = stamp(rendered.text, target.source_hash)
    state, reason = _classify(plan, project, target, text)
    outcome = FileOutcome(
        path=target.path,
        kind=target.kind,
        module=target.module,
        action="written",
        cells=[c.number for c in target.cells],
        text=text,
    )
    if state == "unchanged":
        outcome.action = "unchanged"
    elif state == "unstamped":
        outcome.action, outcome.reason = ("unchanged", reason) if check else ("written", f"adopted {reason}")
    elif state == "nbdev-export" and not check:
        outcome.reason = f"adopted {reason}: added them"
    elif state in _REFUSE_FIX and not force:
        outcome.action, outcome.reason = "refused", f"{reason}: {_REFUSE_FIX[state]}"
    elif check:
        outcome.action, outcome.reason = (
            "out-of-date",
            "missing" if state == "new" else reason if state == "nbdev-export" else "differs from the notebook",
        )
    return outcome


def _blocked_outcomes(plan, project: Project):
    from prodkit.promote.files import FileOutcome
    from prodkit.promote.targets import module_path, test_path

    out = []
    for module in sorted(plan.blocked_modules):
        cells = sorted({p.cell for p in plan.problems if p.module == module and not p.in_tests})
        out.append(
            FileOutcome(
                path=module_path(project, module),
                kind="module",
                module=module,
                action="blocked",
                reason="uses notebook-only names (see problems); --allow-missing writes it anyway",
                cells=cells,
            )
        )
    for module in sorted(plan.blocked_tests & set(plan.tests)):
        cells = [c.cell.number for c in plan.tests[module]]
        out.append(
            FileOutcome(
                path=test_path(project, module),
                kind="test",
                module=module,
                action="blocked",
                reason="its module or its cells use notebook-only names",
                cells=cells,
            )
        )
    return out


def _ensure_packages(project: Project, written) -> None:
    """Empty __init__.py for each package folder of a written module (never overwrites)."""
    for outcome in written:
        if outcome.kind != "module":
            continue
        folder = outcome.path.parent
        while folder != project.lib_path and project.lib_path in folder.parents:
            init = folder / "__init__.py"
            if not init.exists() and not init.is_symlink():  # a dangling link could point anywhere
                init.write_text("", encoding="utf-8")
            folder = folder.parent


def _rebuild_modidx(project: Project) -> None:
    """nbdev's _modidx.py, which `nbdev-update` needs to sync module edits back."""
    worker.call("rebuild_modidx", project)


def rebuild_modidx_here(project: Project) -> None:
    """`_rebuild_modidx` in this process (imports nbdev)."""
    from fastcore.xtras import working_directory
    from nbdev.doclinks import _build_modidx

    with working_directory(project.root):
        _build_modidx(dest=project.lib_path, nbs_path=project.nbs_path)


def promote(
    path: Path | str,
    *,
    check: bool = False,
    force: bool = False,
    allow_missing: bool = False,
    import_check: bool = True,
) -> PromoteResult:
    """Promote a notebook (or every notebook in a folder) into modules and pytest files.

    check: write nothing; out-of-date files make `exit_code` 1 (a CI gate).
    force: overwrite files edited by hand or not written by prodkit.
    allow_missing: write modules even when their cells use notebook-only names.
    import_check: import each written module in a subprocess and report failures by cell.
    """
    started = time.perf_counter()
    path = Path(path)
    paths = notebook_paths(path)
    project = load_project(paths[0], require_nbdev=True)
    confined(project.lib_path, "_modidx.py", "lib_path")  # nbdev's index, which promote rebuilds
    result = PromoteResult(root=project.root, check=check, allow_missing=allow_missing)
    checker = _import_checker(project) if import_check and not check else None
    try:
        _promote_all(path, paths, project, result, checker, force)
    finally:
        if checker is not None:
            checker.close()
    result.seconds = time.perf_counter() - started
    return result


def _import_checker(project: Project):
    from prodkit.promote.importcheck import ImportCheck

    return ImportCheck(project.lib_path, project.root)


def _promote_all(path: Path, paths: list[Path], project: Project, result: PromoteResult, checker, force: bool):
    check, allow_missing = result.check, result.allow_missing
    planned = []
    for nb_path in paths:
        plan = _plan_notebook(nb_path, project, allow_missing, in_folder=path.is_dir())
        if plan is None:
            result.notebooks.append(NotebookPromotion(notebook=nb_path.resolve(), skipped="no promote cells"))
            continue
        promotion = NotebookPromotion(
            notebook=plan.notebook.path,
            problems=list(plan.problems),
            params_cell=plan.params_cell.number if plan.params_cell else None,
        )
        promotion.files = _outcomes(plan, project, check, force, checker)
        promotion.files += _blocked_outcomes(plan, project)
        result.notebooks.append(promotion)
        planned.append((plan, promotion))
    if not planned:
        raise BadInput(
            "no notebook here has %%promote cells",
            path=str(path),
            fix="mark cells with `%%promote MODULE` (after `%load_ext prodkit`)",
        )
    _check_duplicate_targets(result)
    _check_package_clashes(result, project)
    if not check and not any(f.action == "refused" for f in result.files):
        _write(project, result, planned, checker)


def _check_duplicate_targets(result: PromoteResult) -> None:
    seen: dict[Path, Path] = {}
    for nb in result.notebooks:
        for f in nb.files:
            if f.path in seen and seen[f.path] != nb.notebook:
                raise BadInput(
                    f"module {f.module} is promoted from both {seen[f.path].name} and {nb.notebook.name}",
                    path=str(nb.notebook),
                    cell=f.cells[0] if f.cells else None,
                    fix="give one of them another module name",
                )
            seen[f.path] = nb.notebook


def _check_package_clashes(result: PromoteResult, project: Project) -> None:
    """A dotted name is a module or a package, never both (Python would hide the module)."""
    modules = {f.module: (nb, f) for nb in result.notebooks for f in nb.files if f.kind == "module"}
    for name, (nb, f) in sorted(modules.items()):
        inner = next((m for m in modules if m.startswith(name + ".")), None)
        package_dir = f.path.with_suffix("")
        if inner or package_dir.is_dir():
            raise BadInput(
                f"module {name} is also a package ({inner or project.relpath(package_dir) + '/'}): "
                "Python would load the package and hide the module",
                path=str(nb.notebook),
                cell=f.cells[0] if f.cells else None,
                fix=f"rename it, e.g. {name}.core",
            )
        parts = name.split(".")
        for depth in range(1, len(parts)):
            parent_file = project.lib_path.joinpath(*parts[:depth]).with_suffix(".py")
            if parent_file.is_file():
                raise BadInput(
                    f"module {name} needs a package {'.'.join(parts[:depth])}, but "
                    f"{project.relpath(parent_file)} is a module",
                    path=str(nb.notebook),
                    cell=f.cells[0] if f.cells else None,
                    fix="rename one of them",
                )


def _write(project: Project, result: PromoteResult, planned, checker) -> None:
    from prodkit.promote.files import write_all
    from prodkit.promote.importcheck import problems_of

    written = [f for f in result.files if f.action == "written"]
    if not written:
        return
    previous = {f.path: f.path.read_text(encoding="utf-8") if f.path.exists() else None for f in written}
    write_all(written)
    _ensure_packages(project, written)
    modules = {f.module: f.path for f in written if f.kind == "module"}
    if checker is not None and modules:
        checker.send(list(modules))  # one interpreter imports them all, while nbdev's index is rebuilt
    if modules:
        _rebuild_modidx(project)
    if checker is None or not modules:
        return
    report = checker.report()
    failed = []
    for plan, promotion in planned:
        mine = {f.module: f.path for f in promotion.files if f.action == "written" and f.kind == "module"}
        problems = problems_of(report, mine, plan.notebook)
        promotion.problems += problems
        failed += [p.module for p in problems]
    if failed:
        _roll_back(project, written, set(failed), previous)


def _roll_back(project: Project, written, modules: set[str], previous: dict) -> None:
    """Put back what was there before for modules that fail to import (and their tests), so a
    broken module is never left behind to look "unchanged" on the next run."""
    from prodkit._io import atomic_write_text

    for outcome in written:
        if outcome.module not in modules:
            continue
        old = previous[outcome.path]
        if old is None:
            outcome.path.unlink(missing_ok=True)
        else:
            atomic_write_text(outcome.path, old)
        outcome.action = "blocked"
        outcome.reason = "importing it fails (see problems): " + (
            "nothing written" if old is None else "kept the previous version"
        )
    if any(o.kind == "module" and o.module in modules for o in written):
        _rebuild_modidx(project)
